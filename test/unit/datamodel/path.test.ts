import t from 'tap';
import { UspError, UspErrorCode } from '../../../datamodel/errors.js';
import {
  formatPath,
  hasInstanceSelectors,
  isInstancePath,
  isObjectPath,
  objectPathOf,
  parsePath,
  parseRelativeParam,
  splitParamPath,
  toSupportedPath,
  type ParsePathOptions,
  type ParsedPath,
  type PathLeaf,
  type PathSegment,
  type RefFollow,
  type SearchComponent,
} from '../../../datamodel/path.js';

const name = (n: string): PathSegment => ({ kind: 'name', name: n });
const names = (dotted: string): PathSegment[] => dotted.split('.').map(name);
const inst = (i: number): PathSegment => ({ kind: 'instance', instance: i });
const STAR: PathSegment = { kind: 'wildcard' };
const SUP: PathSegment = { kind: 'supported' };
const ref = (n: string, index: RefFollow['index']): PathSegment => ({ kind: 'ref', name: n, follow: { index } as RefFollow });
const search = (...components: SearchComponent[]): PathSegment => ({ kind: 'search', components });
const cmp = (rel: string, op: SearchComponent['op'], value: SearchComponent['value']): SearchComponent => ({
  path: rel.split('.').map((n) => ({ name: n })),
  op,
  value,
});
const str = (value: string): SearchComponent['value'] => ({ kind: 'string', value });
const num = (value: string): SearchComponent['value'] => ({ kind: 'number', value });
const bool = (value: boolean): SearchComponent['value'] => ({ kind: 'boolean', value });
const OBJ: PathLeaf = { kind: 'object' };
const param = (n: string): PathLeaf => ({ kind: 'param', name: n });

type Valid = [label: string, text: string, segments: PathSegment[], leaf: PathLeaf, isSearch: boolean, opts?: ParsePathOptions];
const VALID: Valid[] = [
  ['object path', 'Device.IP.Interface.', names('Device.IP.Interface'), OBJ, false],
  ['root object path', 'Device.', names('Device'), OBJ, false],
  ['instance path (R-ARC.8 instance number)', 'Device.IP.Interface.3.', [...names('Device.IP.Interface'), inst(3)], OBJ, false],
  ['parameter path', 'Device.IP.Interface.3.Name', [...names('Device.IP.Interface'), inst(3)], param('Name'), false],
  ['largest unsignedInt instance', 'Device.A.4294967295.', [...names('Device.A'), inst(4294967295)], OBJ, false],
  ['command path on root', 'Device.Reboot()', names('Device'), { kind: 'command', name: 'Reboot' }, false],
  ['command path on instance', 'Device.X.1.Download()', [...names('Device.X'), inst(1)], { kind: 'command', name: 'Download' }, false],
  ['event path', 'Device.Boot!', names('Device'), { kind: 'event', name: 'Boot' }, false],
  ['wildcard (R-ARC.10)', 'Device.IP.Interface.*.Type', [...names('Device.IP.Interface'), STAR], param('Type'), true],
  ['vendor name with hyphen (TR-106 X_<VENDOR>_)', 'Device.X_ACME-COM_Foo.Bar_2', names('Device.X_ACME-COM_Foo'), param('Bar_2'), false],
  ['unique key addressing', 'Device.IP.Interface.[Alias=="cpe-1"].', [...names('Device.IP.Interface'), search(cmp('Alias', '==', str('cpe-1')))], OBJ, true],
  [
    'multi-component expression with relative path, boolean and number',
    'Device.A.[Enable==true&&Stats.BytesSent>100].Name',
    [...names('Device.A'), search(cmp('Enable', '==', bool(true)), cmp('Stats.BytesSent', '>', num('100')))],
    param('Name'),
    true,
  ],
  ['all seven operators', 'Device.A.[a==1&&b!=-2&&c~=3&&d<4&&e>5&&f<=0&&g>=false].', [...names('Device.A'), search(
    cmp('a', '==', num('1')), cmp('b', '!=', num('-2')), cmp('c', '~=', num('3')), cmp('d', '<', num('4')),
    cmp('e', '>', num('5')), cmp('f', '<=', num('0')), cmp('g', '>=', bool(false)))], OBJ, true],
  ['%22 and %25 escapes decoded', 'Device.A.[Name=="a%22b%25c"].', [...names('Device.A'), search(cmp('Name', '==', str('a"b%c')))], OBJ, true],
  ['empty string, dots and brackets inside a string', 'Device.A.[N==""&&M=="x.]["].B', [...names('Device.A'), search(cmp('N', '==', str('')), cmp('M', '==', str('x.][')))], param('B'), true],
  ['quoted boolean stays a string (type check is the resolver’s)', 'Device.A.[Enable=="true"].', [...names('Device.A'), search(cmp('Enable', '==', str('true')))], OBJ, true],
  ['unquoted spec literals: +123, 0123, decimal, dateTime', 'Device.A.[a==+123&&b==0123&&c<1.5&&d<2021-06-06T08:00:00Z].', [...names('Device.A'), search(
    cmp('a', '==', num('+123')), cmp('b', '==', num('0123')), cmp('c', '<', num('1.5')), cmp('d', '<', num('2021-06-06T08:00:00Z')))], OBJ, true],
  ['reference following', 'Device.NAT.PortMapping.1.Interface+.Name', [...names('Device.NAT.PortMapping'), inst(1), ref('Interface', 'first')], param('Name'), true],
  ['list reference #n+', 'Device.WiFi.SSID.1.LowerLayers#2+.Name', [...names('Device.WiFi.SSID'), inst(1), ref('LowerLayers', 2)], param('Name'), true],
  ['list reference #*+ as object path', 'Device.WiFi.SSID.1.LowerLayers#*+.', [...names('Device.WiFi.SSID'), inst(1), ref('LowerLayers', 'all')], OBJ, true],
  ['chained reference following', 'Device.A.1.B+.C#1+.D', [...names('Device.A'), inst(1), ref('B', 'first'), ref('C', 1)], param('D'), true],
  ['reference following inside an expression', 'Device.WiFi.AccessPoint.[SSIDReference+.SSID=="x"].', [...names('Device.WiFi.AccessPoint'),
    search({ path: [{ name: 'SSIDReference', follow: { index: 'first' } }, { name: 'SSID' }], op: '==', value: str('x') })], OBJ, true],
  ['{i} with allowSupported (GetSupportedDM)', 'Device.LocalAgent.Controller.{i}.MTP.{i}.', [...names('Device.LocalAgent.Controller'), SUP, name('MTP'), SUP], OBJ, false, { allowSupported: true }],
  ['relative parameter with allowRelative', 'Stats.BytesSent', [name('Stats')], param('BytesSent'), false, { allowRelative: true }],
  ['relative single name with allowRelative', 'Enable', [], param('Enable'), false, { allowRelative: true }],
  ['relative path may address a child table', 'IPv4Address.2.Enable', [name('IPv4Address'), inst(2)], param('Enable'), false, { allowRelative: true }],
  ['64 segments including the leaf', `Device.${'A.'.repeat(62)}B`, names(`Device.${'A.'.repeat(61)}A`), param('B'), false],
  ['32 components', `Device.A.[${Array(32).fill('x==1').join('&&')}].`, [...names('Device.A'), search(...Array.from({ length: 32 }, () => cmp('x', '==', num('1'))))], OBJ, true],
];

function isDeepFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(isDeepFrozen);
}

t.test('every valid path form parses to the expected AST (TR-369 §Data Model Path Grammar)', async (t) => {
  for (const [label, text, segments, leaf, isSearch, opts] of VALID) {
    const p = parsePath(text, opts);
    t.strictSame({ raw: p.raw, segments: p.segments, leaf: p.leaf, isSearch: p.isSearch }, { raw: text, segments, leaf, isSearch }, label);
    t.ok(isDeepFrozen(p), `${label}: result is deep-frozen`);
    t.equal(formatPath(p), text, `${label}: formatPath round trip`);
  }
});

t.test('whitespace around operators and && is tolerated and formatted away (R-ARC.9a)', async (t) => {
  const cases: [string, string][] = [
    ['Device.IP.Interface.[Type == "Normal"].Status', 'Device.IP.Interface.[Type=="Normal"].Status'],
    ['Device.A.[ Enable==true  &&  Stats.BytesSent >100 ].', 'Device.A.[Enable==true&&Stats.BytesSent>100].'],
    ['Device.A.[B ~= "x y"].', 'Device.A.[B~="x y"].'],
  ];
  for (const [input, canonical] of cases) {
    const p = parsePath(input);
    t.equal(formatPath(p), canonical, input);
    t.strictSame(parsePath(canonical).segments, p.segments, `${input}: same AST as canonical form`);
  }
});

t.test('formatPath re-escapes % and " in strings (TR-369 %22/%25)', async (t) => {
  const p = parsePath('Device.A.[N=="100%25 %22q%22"].');
  t.strictSame(p.segments[2], search(cmp('N', '==', str('100% "q"'))));
  t.equal(formatPath(p), 'Device.A.[N=="100%25 %22q%22"].');
});

type Invalid = [text: string, fragment: string, opts?: ParsePathOptions];
const INVALID: Invalid[] = [
  ['', 'empty path'],
  ['Device', "must start with 'Device.'"],
  ['IP.Interface.', "must start with 'Device.'"],
  ['device.IP.', "must start with 'Device.'"],
  [' Device.', "must start with 'Device.'"],
  ['DeviceInfo.', "must start with 'Device.'"],
  ['Device..X', "offset 7: empty segment"],
  ['Device.IP..', 'empty segment'],
  ['.Device.', 'empty segment', { allowRelative: true }],
  ['Device.1abc.', 'instance selector'],
  ['Device.IP.Inter face.', "unexpected ' ' in name"],
  ['Device.IP.$X.', "unexpected '$'"],
  ['Device.IP.Intérface.', "unexpected 'é'"],
  ['Device.-X.', "unexpected '-'"],
  ['Device.A.0.', 'positive integer without leading zeros'],
  ['Device.A.01.', 'positive integer without leading zeros'],
  ['Device.A.4294967296.', 'out of range'],
  ['Device.A.99999999999999999999.', 'out of range'],
  ['Device.A.1x.', "an instance selector must be followed by '.', found 'x'"],
  ['Device.A.1', "must be followed by '.', found end of path"],
  ['Device.A.*', "must be followed by '.'"],
  ['Device.A.**.', "found '*'"],
  ['Device.A.[B==1]', "must be followed by '.'"],
  ['Device.A.[B==1]C.', "found 'C'"],
  ['Device.1.', 'must follow a table name'],
  ['Device.A.1.2.', 'must follow a table name'],
  ['Device.A.1.B+.1.', 'must follow a table name'],
  ['Device.A.*.*.', 'must follow a table name'],
  ['Device.A.[].', 'empty search expression'],
  ['Device.A.[  ].', 'empty search expression'],
  ['Device.A.[B==1', "unterminated '[' (opened at offset 9)"],
  ['Device.A.[B==1&&', "unterminated '['"],
  ['Device.A.[B=="x].', 'offset 13: unterminated string'],
  ['Device.A.[B="x"].', "unknown operator '='"],
  ['Device.A.[B==="x"].', "unknown operator '==='"],
  ['Device.A.[B=<1].', "unknown operator '=<'"],
  ['Device.A.[B<>1].', "unknown operator '<>'"],
  ['Device.A.[B 1].', 'expected an operator'],
  ['Device.A.[B==1||C==2].', "'&&' only (no OR)"],
  ['Device.A.[B==1 || C==2].', 'no OR'],
  ['Device.A.[B||C==2].', 'no OR'],
  ['Device.A.[B==1&C==2].', "expected '&&' or ']'"],
  ['Device.A.[B==1 C==2].', "expected '&&' or ']'"],
  ['Device.A.[B==eth0].', "unquoted value 'eth0'"],
  ['Device.A.[B==True].', "unquoted value 'True'"],
  ['Device.A.[B==-].', "unquoted value '-'"],
  ['Device.A.[B==].', "expected a value after '=='"],
  ['Device.A.[B==&&C==1].', "expected a value after '=='"],
  ['Device.A.[B== ].', "expected a value after '=='"],
  ['Device.A.[B=="x"&&].', 'expected a parameter name'],
  ['Device.A.[==1].', 'expected a parameter name'],
  ['Device.A.[B.*.C==1].', 'cannot descend into child tables'],
  ['Device.A.[B.1.C==1].', 'cannot descend into child tables'],
  ['Device.A.[B+==1].', "must be followed by '.' and a name"],
  ['Device.A.[B=="50%"].', 'escaped as %25'],
  ['Device.A.[B=="%41"].', 'escaped as %25'],
  ['Device.A.[B=="x"y].', "found 'y'"],
  ['Device.A.{i}.', "'{i}' is only allowed in supported data model paths"],
  ['Device.A.{Type=="x"}.', "unexpected '{'"],
  ['Device.A.{j}.', "unexpected '{'", { allowSupported: true }],
  ['Device.A.1.Interface+', "reference following must be followed by '.'"],
  ['Device.A.1.Interface+Name', "reference following must be followed by '.', found 'N'"],
  ['Device.A.1.L#0+.', 'positive integer'],
  ['Device.A.1.L#01+.', 'positive integer'],
  ['Device.A.1.L#+.', "expected a list item number or '*' after '#'"],
  ['Device.A.1.L#2.', "expected '+' to end reference following"],
  ['Device.A.1.L#*.', "expected '+'"],
  ['Device.Reboot(', "a command path must end in '()'"],
  ['Device.Reboot(x)', "must end in '()'"],
  ['Device.Reboot().', "after '()': a command must be the last segment"],
  ['Device.Reboot()X', 'a command must be the last segment'],
  ['Device.X().Y', 'a command must be the last segment'],
  ['Device.Boot!.', "after '!': an event must be the last segment"],
  ['Device.Boot!!', 'an event must be the last segment'],
  ['Device.Boot!.Foo', 'an event must be the last segment'],
  ['Device.A.\u0000', 'control character U+0000'],
  ['Device.A.\tB', 'control character U+0009'],
  ['Device.A.[B=="x\ny"].', 'control character U+000A'],
  ['Device.A.\u007f', 'control character U+007F'],
  ['Device.A.\u0085', 'control character U+0085'],
  [`Device.${'A.'.repeat(64)}`, 'more than 64 segments'],
  [`Device.${'A.'.repeat(63)}B`, 'more than 64 segments'],
  [`Device.A.[${Array(33).fill('x==1').join('&&')}].`, 'more than 32 components'],
  [`Device.${'A'.repeat(8200)}.`, 'path too long'],
  [`Device.A.[B=="${'é'.repeat(4100)}"].`, 'path too long'],
  ['Stats.X', "must start with 'Device.'"],
  ['Stats.X', "must start with 'Device.'", { allowSupported: true }],
  ['1.X', 'must follow a table name', { allowRelative: true }],
];

t.test('malformed paths give 7008 Invalid Path Syntax naming the problem', async (t) => {
  for (const [text, fragment, opts] of INVALID) {
    const label = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
    try {
      parsePath(text, opts);
      t.fail(`${label} should be rejected`);
    } catch (e) {
      t.ok(UspError.is(e, UspErrorCode.InvalidPathSyntax), `${label}: 7008`);
      t.match((e as Error).message, fragment, `${label}: message says what`);
      if (text.length <= 8192) t.match((e as Error).message, /offset \d+|empty path|too long/, `${label}: message says where`);
    }
  }
  t.throws(() => parsePath(undefined as unknown as string), { code: UspErrorCode.InvalidPathSyntax }, 'non-string input from untyped callers is 7008 too');
});

t.test('parse results are cached, shared and still honour the options', async (t) => {
  t.equal(parsePath('Device.DeviceInfo.'), parsePath('Device.DeviceInfo.'), 'same frozen object');
  const sup = parsePath('Device.A.{i}.', { allowSupported: true });
  t.throws(() => parsePath('Device.A.{i}.'), { code: UspErrorCode.InvalidPathSyntax }, 'cached {i} path still needs allowSupported');
  t.equal(parsePath('Device.A.{i}.', { allowSupported: true }), sup);
  parsePath('Stats.X', { allowRelative: true });
  t.throws(() => parsePath('Stats.X'), { code: UspErrorCode.InvalidPathSyntax }, 'cached relative path still needs allowRelative');
  const first = parsePath('Device.Evict.1.');
  for (let i = 1; i <= 2100; i++) parsePath(`Device.Evict.${i + 1}.`);
  t.not(parsePath('Device.Evict.1.'), first, 'least recently used entry evicted after 2000 others');
  t.strictSame(parsePath('Device.Evict.1.'), first);
});

// Speed is measured in bench/, never by timed tests; this only checks the verdict on hostile inputs.
t.test('worst-case inputs are rejected with 7008', async (t) => {
  const nasty = [
    `Device.A.[B=="${'%2'.repeat(2700)}`,
    `Device.A.[${'B.'.repeat(4000)}`,
    `Device.A.[B==1${' '.repeat(8000)}`,
    `Device.${'A'.repeat(8180)}!x`,
    `Device.A.[${'x==1 && '.repeat(31)}x==${'1'.repeat(7900)}`,
  ];
  for (const text of nasty) {
    t.throws(() => parsePath(text), { code: UspErrorCode.InvalidPathSyntax });
  }
});

t.test('random input: only 7008 errors, and every accepted path round-trips', async (t) => {
  // Mostly well-formed pieces, with junk mixed in so both outcomes are common.
  const good = ['A.', 'B.1.', 'C.*.', 'D.[n==true].', 'E.[s.t+.u != "q%25" && k>-3].', 'L#*+.', 'R+.', 'T.{i}.'];
  const junk = ['.', '0', '[', ']', '"', '%22', '%', '==', '!', '<', '&&', '|', ' ', '+', '#2', '()', '-', '_', 'x==1'];
  const tails = ['', 'P', 'Ev!', 'Cmd()', 'X-1'];
  let seed = 0x2545f491;
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let text = rnd(4) === 0 ? '' : 'Device.';
    for (let k = rnd(12); k >= 0; k--) text += (rnd(4) === 0 ? junk[rnd(junk.length)] : good[rnd(good.length)]) as string;
    text += tails[rnd(tails.length)] as string;
    let p: ParsedPath;
    try {
      p = parsePath(text, { allowSupported: rnd(2) === 0, allowRelative: rnd(2) === 0 });
    } catch (e) {
      if (!UspError.is(e, UspErrorCode.InvalidPathSyntax)) t.fail(`${JSON.stringify(text)} threw ${String(e)}`);
      continue;
    }
    accepted++;
    const again = parsePath(formatPath(p), { allowSupported: true, allowRelative: true });
    if (JSON.stringify(again.segments) !== JSON.stringify(p.segments) || JSON.stringify(again.leaf) !== JSON.stringify(p.leaf)) {
      t.fail(`${JSON.stringify(text)} does not round-trip`);
    }
  }
  t.ok(accepted > 2000, `${accepted} random paths accepted and round-tripped`);
});

t.test('parseRelativeParam accepts plain relative names only (Add/Set param_settings)', async (t) => {
  t.strictSame(parseRelativeParam('Stats.BytesSent').segments, [name('Stats')]);
  t.strictSame(parseRelativeParam('Enable').leaf, param('Enable'));
  for (const bad of ['Stats.', 'Reset()', 'Boot!', 'Sub.1.X', 'Ref+.X', 'A..B', '']) {
    t.throws(() => parseRelativeParam(bad), { code: UspErrorCode.InvalidPathSyntax }, bad);
  }
});

t.test('path helpers for the resolver', async (t) => {
  const cases: [string, boolean, boolean, boolean, string][] = [
    ['Device.IP.Interface.', true, false, false, 'Device.IP.Interface.'],
    ['Device.IP.Interface.3.', true, true, true, 'Device.IP.Interface.3.'],
    ['Device.IP.Interface.*.', true, true, true, 'Device.IP.Interface.*.'],
    ['Device.IP.Interface.[Name=="a"].', true, true, true, 'Device.IP.Interface.[Name=="a"].'],
    ['Device.IP.Interface.3.Name', false, false, true, 'Device.IP.Interface.3.'],
    ['Device.NAT.PortMapping.1.Interface+.', true, false, true, 'Device.NAT.PortMapping.1.Interface+.'],
    ['Device.Reboot()', false, false, false, 'Device.'],
  ];
  for (const [text, obj, instPath, selectors, objPart] of cases) {
    const p = parsePath(text);
    t.equal(isObjectPath(p), obj, `${text} isObjectPath`);
    t.equal(isInstancePath(p), instPath, `${text} isInstancePath`);
    t.equal(hasInstanceSelectors(p), selectors, `${text} hasInstanceSelectors`);
    t.equal(objectPathOf(p), objPart, `${text} objectPathOf`);
  }
});

t.test('toSupportedPath turns instance selectors into {i} (TR-369 GetSupportedDM notation)', async (t) => {
  const cases: [string, string][] = [
    ['Device.LocalAgent.Controller.3.MTP.1.', 'Device.LocalAgent.Controller.{i}.MTP.{i}.'],
    ['Device.IP.Interface.12.Stats.BytesSent', 'Device.IP.Interface.{i}.Stats.BytesSent'],
    ['Device.X.1.Download()', 'Device.X.{i}.Download()'],
    ['Device.IP.Interface.*.IPv4Address.[Name=="a.1.]"].', 'Device.IP.Interface.{i}.IPv4Address.{i}.'],
    ['Device.DeviceInfo.', 'Device.DeviceInfo.'],
    ['Device.X_1-2.A1.', 'Device.X_1-2.A1.'],
    ['Device.A.{i}.', 'Device.A.{i}.'],
    ['Device.A.1', 'Device.A.{i}'],
  ];
  for (const [input, want] of cases) t.equal(toSupportedPath(input), want, input);
  const unchanged = 'Device.DeviceInfo.SoftwareVersion';
  t.equal(toSupportedPath(unchanged), unchanged, 'unchanged input comes back as is');
});

t.test('splitParamPath splits at the last dot', async (t) => {
  t.strictSame(splitParamPath('Device.A.1.B'), { objPath: 'Device.A.1.', name: 'B' });
  t.strictSame(splitParamPath('Device.Reboot()'), { objPath: 'Device.', name: 'Reboot()' });
  for (const bad of ['Device.A.', 'Device', '.X', '']) {
    t.throws(() => splitParamPath(bad), { code: UspErrorCode.InvalidPathSyntax }, JSON.stringify(bad));
  }
});
