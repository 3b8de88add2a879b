// datamodel/types-pattern.ts: XSD pattern translation, its limits, and every pattern of TR-181 2.19.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import type { ValueFacets } from '../../../datamodel/schema/types.js';
import { normalizeValue } from '../../../datamodel/types.js';
import { compilePattern, MAX_PATTERN_LENGTH, MAX_PATTERN_SUBJECT } from '../../../datamodel/types-pattern.js';
import { codeOf, IPV4_ADDRESS, MAC_ADDRESS, SCHEMA, UUID, VALUE } from '../../helpers/types-helpers.js';

t.test('XSD pattern translation', async (t) => {
  const cases: readonly (readonly [pattern: string, matches: readonly string[], rejects: readonly string[]])[] = [
    ['^a$', ['^a$'], ['a']],
    ['a.c', ['abc', 'a c', 'a😀c'], ['a\nc', 'a\rc', 'ac']],
    ['a|b', ['a', 'b'], ['ab', '']],
    ['(ab)+', ['ab', 'abab'], ['aba']],
    ['[a-z-[aeiou]]+', ['bcd'], ['bad']],
    ['[^0-9-[a]]', ['b', '-'], ['5', 'a']],
    ['[\\d-]+', ['1-2', '-'], ['a']],
    ['[-a]', ['-', 'a'], ['b']],
    ['\\p{Lu}\\p{Ll}*', ['Émile', 'A'], ['émile']],
    ['\\P{L}', ['1'], ['a']],
    ['\\s', [' ', '\t', '\n', '\r'], ['\u00a0', 'a']],
    ['\\S+', ['ab'], ['a b']],
    ['\\w+', ['ab9é'], ['a-b', 'a b', 'a_b']],
    ['\\i\\c*', ['x-1.y', '_a', 'é'], ['1x', '-a']],
    ['\\p{IsBasicLatin}+', ['abc~'], ['é']],
    ['\\.\\?\\*\\+\\(\\)\\{\\}\\[\\]\\|\\^\\\\\\-', ['.?*+(){}[]|^\\-'], []],
    ['\\$\\/', ['$/'], []],
    ['[\\n\\t]', ['\n', '\t'], ['n']],
    ['a{2}b{1,}c{0,1}', ['aab', 'aabbc'], ['ab', 'aabcc']],
    ['[0-9]{1,15}?[BKMGT]', ['1K'], ['K']],
    ['😀+', ['😀😀'], ['😀a']],
    ['', [''], ['a']],
  ];
  for (const [pattern, matches, rejects] of cases) {
    const re = compilePattern(pattern);
    for (const m of matches) t.ok(re.test(m), `${pattern} matches ${JSON.stringify(m)}`);
    for (const r of rejects) t.notOk(re.test(r), `${pattern} rejects ${JSON.stringify(r)}`);
  }
  for (const cat of 'L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po Z Zs Zl Zp S Sm Sc Sk So C Cc Cf Co Cn'.split(' ')) {
    t.equal(codeOf(() => compilePattern(`\\p{${cat}}[\\P{${cat}}a]`)), 'ok', `category ${cat} in and out of classes`);
  }
  t.equal(compilePattern('[a-c]+'), compilePattern('[a-c]+'), 'compiled once and cached');
});

t.test('non-XSD or unusable patterns are schema errors (7003)', async (t) => {
  const bad = ['a**', '(?:a)', '[]', '[z-a]', '\\k', '\\1', '\\p{Foo}', '\\p{IsKlingon}', '(a', 'a)', 'a{2,1}', 'a{,2}', '{2}', '[a', '[a-[b]', '\\'];
  for (const p of bad) t.equal(codeOf(() => compilePattern(p)), SCHEMA, JSON.stringify(p));
  t.equal(codeOf(() => compilePattern('a'.repeat(MAX_PATTERN_LENGTH + 1))), SCHEMA, 'pattern length limit');
});

t.test('pattern matching is bounded by the value length limit', async (t) => {
  const any: ValueFacets = { type: 'string', pattern: ['.*'] };
  t.equal(normalizeValue(any, 'a'.repeat(MAX_PATTERN_SUBJECT)).length, MAX_PATTERN_SUBJECT);
  t.equal(codeOf(() => normalizeValue(any, 'a'.repeat(MAX_PATTERN_SUBJECT + 1))), VALUE);
  const evil: ValueFacets = { type: 'string', pattern: ['(a+)+b'] };
  const start = Date.now();
  t.equal(codeOf(() => normalizeValue(evil, 'a'.repeat(50000))), VALUE);
  t.ok(Date.now() - start < 1000, 'over-long value refused without matching');
  t.equal(codeOf(() => normalizeValue({ ...evil, size: { maxLength: 20 } }, 'a'.repeat(5000))), VALUE, 'size checked first');
});

t.test('every pattern in TR-181 2.19 compiles (entities expanded)', async (t) => {
  const octet = '(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])';
  const prefix = '(3[0-2]|[012]?[0-9])';
  const all = [
    '', `(${octet}\\.){3}${octet}`, `(${octet}\\.){3}${octet}/${prefix}`, '([0-7],){15}[0-7]',
    '([0-7],[0-1],){7}[0-7],[0-1]', '([0-9A-Fa-f]){4}', '([0-9A-Fa-f][0-9A-Fa-f]:){5}([0-9A-Fa-f][0-9A-Fa-f])',
    '([0-9A-Fa-f][0-9A-Fa-f]:){7}([0-9A-Fa-f][0-9A-Fa-f])', '([0-9]{1,15}?[BKMGT])', '([0-9]|[1-5][0-9]|6[0-3]):[0-7]',
    '([01][0-9]|2[0-3]):[0-5][0-9]', `/${prefix}`, '2\\.\\d+', ':[0-7]', 'Drop', 'Null', 'YYYYMMDD.HHMMSS', '[0-9A-F]{6}',
    '[0-9]{14,15}', '[0-9]{15,15}', '[0-9]{6,20}', '[0-9]|[1-5][0-9]|6[0-3]', '[A-Z][A-Z][ OI]', '\\d+', '\\d+(\\.\\d+)*',
    '\\d+/\\d+', '\\d+\\.\\d+', '\\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])[A-Za-z0-9]{0,2}', '\\d{4}|\\d{8}',
    'urn:[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]:.+',
  ];
  for (const p of all) t.equal(codeOf(() => compilePattern(p)), 'ok', JSON.stringify(p));
  t.ok(compilePattern(`(${octet}\\.){3}${octet}/${prefix}`).test('10.0.0.0/8'));
  t.ok(compilePattern('urn:[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]:.+').test('urn:bbf:usp:id'));
  t.ok(compilePattern('[0-9]|[1-5][0-9]|6[0-3]').test('63'));
  t.notOk(compilePattern('[0-9]|[1-5][0-9]|6[0-3]').test('64'), 'top-level alternation is anchored as a whole');
});

const SUBSET = new URL('../../../../shared/reference/tr181-subset.json', import.meta.url);
t.test('test copies of IPv4Address/MACAddress/UUID equal tr181-subset.json', { skip: !existsSync(SUBSET) }, async (t) => {
  const subset = JSON.parse(readFileSync(SUBSET, 'utf8')) as { dataTypes: Record<string, ValueFacets> };
  for (const copy of [IPV4_ADDRESS, MAC_ADDRESS, UUID]) {
    const ref = subset.dataTypes[copy.dataType!]!;
    t.same(copy.pattern, ref.pattern, `${copy.dataType} pattern`);
    t.same(copy.size, ref.size, `${copy.dataType} size`);
  }
  for (const [name, dt] of Object.entries(subset.dataTypes)) {
    for (const p of dt.pattern ?? []) t.equal(codeOf(() => compilePattern(p)), 'ok', `${name} ${p}`);
  }
});
