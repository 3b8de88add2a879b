import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { UspError, UspErrorCode } from '../../../datamodel/errors.js';
import type { ValueFacets } from '../../../datamodel/schema/types.js';
import {
  UNKNOWN_TIME,
  compareValues,
  defaultValueFor,
  isValidValue,
  joinList,
  listContains,
  normalizeValue,
  splitList,
  toJsonValue,
} from '../../../datamodel/types.js';
import { MAX_PATTERN_LENGTH, MAX_PATTERN_SUBJECT, compilePattern } from '../../../datamodel/types-pattern.js';

const TYPE = UspErrorCode.InvalidType; // 7011
const VALUE = UspErrorCode.InvalidValue; // 7012
const SCHEMA = UspErrorCode.InternalError; // 7003

/** Canonical output, or the USP error code normalizeValue must throw. */
type Case = readonly [raw: string, expected: string | UspErrorCode];

// TR-106 named types, copied from tr-106-types.xml (entities expanded), as in tr181-subset.json `dataTypes`.
const IPV4_ADDRESS: ValueFacets = {
  type: 'string',
  dataType: 'IPv4Address',
  size: { maxLength: 15 },
  pattern: ['', '((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])'],
};
const MAC_ADDRESS: ValueFacets = {
  type: 'string',
  dataType: 'MACAddress',
  size: { maxLength: 17 },
  pattern: ['', '([0-9A-Fa-f][0-9A-Fa-f]:){5}([0-9A-Fa-f][0-9A-Fa-f])'],
};
const UUID: ValueFacets = {
  type: 'string',
  dataType: 'UUID',
  size: { minLength: 36, maxLength: 36 },
  pattern: ['[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}'],
};

function codeOf(fn: () => unknown): UspErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof UspError) return e.code;
    throw e;
  }
}

/** The one assertion runCases needs (tap's Test type is a large plugin intersection). */
interface Equal {
  equal(found: unknown, wanted: unknown, message: string): boolean;
}

function runCases(t: Equal, facets: ValueFacets, cases: readonly Case[]): void {
  for (const [raw, expected] of cases) {
    const label = `${JSON.stringify(raw)} → ${typeof expected === 'string' ? JSON.stringify(expected) : expected}`;
    if (typeof expected === 'string') t.equal(normalizeValue(facets, raw), expected, label);
    else t.equal(codeOf(() => normalizeValue(facets, raw)), expected, label);
  }
}

type Table = readonly [name: string, facets: ValueFacets, cases: readonly Case[]];

const SCALARS: readonly Table[] = [
  [
    'boolean accepts exactly true, false, 1, 0 and emits true/false',
    { type: 'boolean' },
    [
      ['true', 'true'],
      ['false', 'false'],
      ['1', 'true'],
      ['0', 'false'],
      ['TRUE', TYPE],
      ['True', TYPE],
      ['yes', TYPE],
      ['', TYPE],
      [' true', TYPE],
      ['true ', TYPE],
      ['2', TYPE],
      ['01', TYPE],
    ],
  ],
  [
    'int: decimal, −2^31..2^31−1, canonical without leading zeros or +',
    { type: 'int' },
    [
      ['0', '0'],
      ['123', '123'],
      ['-123', '-123'],
      ['0123', '123'],
      ['-007', '-7'],
      ['+5', '5'],
      ['-0', '0'],
      ['000', '0'],
      ['-2147483648', '-2147483648'],
      ['2147483647', '2147483647'],
      ['2147483648', VALUE],
      ['-2147483649', VALUE],
      ['99999999999999999999', VALUE],
      ['1.0', TYPE],
      ['', TYPE],
      [' 1', TYPE],
      ['1 ', TYPE],
      ['0x10', TYPE],
      ['1e3', TYPE],
      ['+', TYPE],
      ['-', TYPE],
      ['--1', TYPE],
      ['+-1', TYPE],
      ['１', TYPE],
      ['99999999999x', TYPE],
    ],
  ],
  [
    'unsignedInt: 0..2^32−1; a negative number parses but is out of range (7012)',
    { type: 'unsignedInt' },
    [
      ['0', '0'],
      ['4294967295', '4294967295'],
      ['004294967295', '4294967295'],
      ['4294967296', VALUE],
      ['-1', VALUE],
      ['-0', '0'],
      ['abc', TYPE],
      ['1.5', TYPE],
    ],
  ],
  [
    'long: exact 64-bit via BigInt',
    { type: 'long' },
    [
      ['-9223372036854775808', '-9223372036854775808'],
      ['9223372036854775807', '9223372036854775807'],
      ['9007199254740993', '9007199254740993'],
      ['-9007199254740993', '-9007199254740993'],
      ['0000000000000000000000000000001', '1'],
      ['9223372036854775808', VALUE],
      ['-9223372036854775809', VALUE],
      ['1.5', TYPE],
      ['', TYPE],
    ],
  ],
  [
    'unsignedLong: 0..2^64−1 exactly; 2^64 is out of range (7012)',
    { type: 'unsignedLong' },
    [
      ['0', '0'],
      ['18446744073709551615', '18446744073709551615'],
      ['018446744073709551615', '18446744073709551615'],
      ['18446744073709551614', '18446744073709551614'],
      ['18446744073709551616', VALUE],
      ['100000000000000000000000', VALUE],
      ['-1', VALUE],
      ['1.5', TYPE],
      ['1e20', TYPE],
    ],
  ],
  [
    'decimal: XSD lexical form, canonical without +, leading or trailing zeros',
    { type: 'decimal' },
    [
      ['12.50', '12.5'],
      ['-12.5', '-12.5'],
      ['-0.0', '0'],
      ['+1.', '1'],
      ['.5', '0.5'],
      ['-.5', '-0.5'],
      ['007.100', '7.1'],
      ['123456789012345678901234567890.000000000000000000001', '123456789012345678901234567890.000000000000000000001'],
      ['1e5', TYPE],
      ['NaN', TYPE],
      ['Infinity', TYPE],
      ['', TYPE],
      ['.', TYPE],
      ['-', TYPE],
      ['1.2.3', TYPE],
      [' 1', TYPE],
      ['1,5', TYPE],
    ],
  ],
  [
    'dateTime: ISO 8601 with Z or offset, normalised to UTC Z, fractions kept',
    { type: 'dateTime' },
    [
      ['2025-04-23T16:28:57Z', '2025-04-23T16:28:57Z'],
      ['2025-04-23T16:28:57.123Z', '2025-04-23T16:28:57.123Z'],
      ['2025-04-23T16:28:57.500Z', '2025-04-23T16:28:57.500Z'],
      ['2025-04-23T18:28:57+02:00', '2025-04-23T16:28:57Z'],
      ['2025-04-23T12:58:57.25-03:30', '2025-04-23T16:28:57.25Z'],
      ['2025-01-01T01:00:00.5+01:30', '2024-12-31T23:30:00.5Z'],
      ['2024-02-28T23:30:00-01:00', '2024-02-29T00:30:00Z'],
      ['2023-02-28T23:30:00-01:00', '2023-03-01T00:30:00Z'],
      ['2024-02-29T12:00:00+00:00', '2024-02-29T12:00:00Z'],
      ['2024-02-29T12:00:00-00:00', '2024-02-29T12:00:00Z'],
      ['2025-06-01T00:00:00+14:00', '2025-05-31T10:00:00Z'],
      [UNKNOWN_TIME, '0001-01-01T00:00:00Z'],
      ['0001-01-01T00:05:00Z', '0001-01-01T00:05:00Z'],
      ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
      ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00Z'],
      ['1900-02-29T00:00:00Z', TYPE],
      ['2023-02-29T00:00:00Z', TYPE],
      ['2024-02-30T00:00:00Z', TYPE],
      ['2025-04-31T00:00:00Z', TYPE],
      ['2025-13-01T00:00:00Z', TYPE],
      ['2025-00-01T00:00:00Z', TYPE],
      ['2025-04-00T00:00:00Z', TYPE],
      ['0000-01-01T00:00:00Z', TYPE],
      ['2025-04-23T24:00:00Z', TYPE],
      ['2025-04-23T23:60:00Z', TYPE],
      ['2025-04-23T23:59:60Z', TYPE],
      ['2025-04-23T16:28:57', TYPE],
      ['2025-04-23T16:28:57.123', TYPE],
      ['2025-04-23 16:28:57Z', TYPE],
      ['2025-04-23t16:28:57z', TYPE],
      ['2025-04-23T16:28:57.Z', TYPE],
      ['2025-04-23T16:28:57+15:00', TYPE],
      ['2025-04-23T16:28:57+14:30', TYPE],
      ['2025-04-23T16:28:57+0200', TYPE],
      ['2025-04-23T16:28:57ZZ', TYPE],
      ['25-04-23T16:28:57Z', TYPE],
      ['2025-4-23T16:28:57Z', TYPE],
      ['', TYPE],
      ['2025-04-23', TYPE],
      ['0001-01-01T00:30:00+01:00', VALUE],
      ['9999-12-31T23:30:00-01:00', VALUE],
    ],
  ],
  [
    'base64: strict alphabet and padding',
    { type: 'base64' },
    [
      ['', ''],
      ['QQ==', 'QQ=='],
      ['QUI=', 'QUI='],
      ['QUJD', 'QUJD'],
      ['+/+/', '+/+/'],
      ['QR==', TYPE],
      ['QUJ=', TYPE],
      ['QQ', TYPE],
      ['QQ=', TYPE],
      ['Q===', TYPE],
      ['====', TYPE],
      ['QQ==QQ==', TYPE],
      ['QU JD', TYPE],
      ['QUJD\n', TYPE],
      ['-_8=', TYPE],
    ],
  ],
  [
    'base64: size counts decoded bytes',
    { type: 'base64', size: { minLength: 2, maxLength: 3 } },
    [
      ['QQ==', VALUE],
      ['QUI=', 'QUI='],
      ['QUJD', 'QUJD'],
      ['QUJDRA==', VALUE],
    ],
  ],
  [
    'hexBinary: even number of hex digits, kept as given; size in bytes',
    { type: 'hexBinary', size: { maxLength: 2 } },
    [
      ['', ''],
      ['00ff', '00ff'],
      ['ABcd', 'ABcd'],
      ['aabbcc', VALUE],
      ['abc', TYPE],
      ['0g', TYPE],
      ['0x00', TYPE],
      [' 00', TYPE],
    ],
  ],
  [
    'string: size counts code points; NUL is 7012; a lone surrogate is 7011',
    { type: 'string', size: { minLength: 2, maxLength: 3 } },
    [
      ['ab', 'ab'],
      ['abc', 'abc'],
      ['😀😀😀', '😀😀😀'],
      ['éèê', 'éèê'],
      ['abcd', VALUE],
      ['😀😀😀😀', VALUE],
      ['a', VALUE],
      ['😀', VALUE],
      ['a\u0000b', VALUE],
      ['a\ud800b', TYPE],
      ['a\udc00', TYPE],
    ],
  ],
  [
    'string without facets takes anything but NUL',
    { type: 'string' },
    [
      ['', ''],
      [' padded ', ' padded '],
      ['x'.repeat(70000), 'x'.repeat(70000)],
      ['\u0000', VALUE],
    ],
  ],
];

t.test('normalizeValue: base types', async (t) => {
  for (const [name, facets, cases] of SCALARS) t.test(name, async (t) => runCases(t, facets, cases));
});

const FACETS: readonly Table[] = [
  [
    'several range entries: a value must fall within at least one',
    { type: 'unsignedInt', range: [{ min: 1, max: 5 }, { min: 1000, max: 65535 }] },
    [
      ['0', VALUE],
      ['1', '1'],
      ['05', '5'],
      ['6', VALUE],
      ['999', VALUE],
      ['1000', '1000'],
      ['65535', '65535'],
      ['65536', VALUE],
      ['x', TYPE],
    ],
  ],
  [
    'int range with only a min (TR-181 -1 = "auto")',
    { type: 'int', range: [{ min: -1 }] },
    [
      ['-1', '-1'],
      ['-2', VALUE],
      ['2147483647', '2147483647'],
    ],
  ],
  [
    'range step counts from min',
    { type: 'unsignedInt', range: [{ min: 10, max: 100, step: 10 }] },
    [
      ['10', '10'],
      ['20', '20'],
      ['25', VALUE],
      ['110', VALUE],
    ],
  ],
  [
    'range step without min counts from 0',
    { type: 'int', range: [{ max: 100, step: 5 }] },
    [
      ['15', '15'],
      ['-15', '-15'],
      ['16', VALUE],
    ],
  ],
  [
    'unsignedLong range with 64-bit string bounds',
    { type: 'unsignedLong', range: [{ min: '18446744073709551610' }] },
    [
      ['18446744073709551615', '18446744073709551615'],
      ['18446744073709551609', VALUE],
    ],
  ],
  [
    'long range from TR-181 (-1..65535)',
    { type: 'long', range: [{ min: -1, max: 65535 }] },
    [
      ['-1', '-1'],
      ['65535', '65535'],
      ['-2', VALUE],
      ['65536', VALUE],
    ],
  ],
  [
    'decimal ranges and step are exact',
    { type: 'decimal', range: [{ min: -12.5, max: 12.5 }, { min: 100, max: 101, step: 0.25 }] },
    [
      ['-12.50', '-12.5'],
      ['12.5', '12.5'],
      ['12.51', VALUE],
      ['-12.500000000000000000001', VALUE],
      ['100.75', '100.75'],
      ['100.7', VALUE],
      ['101.25', VALUE],
    ],
  ],
  [
    'enumeration: exact, case-sensitive match',
    { type: 'string', enumeration: [{ value: 'Up' }, { value: 'Down' }, { value: 'Dormant', status: 'deprecated' }] },
    [
      ['Up', 'Up'],
      ['Dormant', 'Dormant'],
      ['up', VALUE],
      [' Up', VALUE],
      ['', VALUE],
    ],
  ],
  [
    'enumeration with an empty entry allows ""',
    { type: 'string', enumeration: [{ value: '' }, { value: 'A' }] },
    [
      ['', ''],
      ['A', 'A'],
      ['B', VALUE],
    ],
  ],
  [
    'long enumeration (set lookup)',
    { type: 'string', enumeration: 'ABCDEFGHIJKL'.split('').map((value) => ({ value })) },
    [
      ['A', 'A'],
      ['L', 'L'],
      ['M', VALUE],
    ],
  ],
  [
    'enumeration on a number compares the canonical form',
    { type: 'unsignedInt', enumeration: [{ value: '1' }, { value: '2' }] },
    [
      ['01', '1'],
      ['3', VALUE],
    ],
  ],
  [
    'IPv4Address pattern (TR-106 dotted quad) is a full, anchored match',
    IPV4_ADDRESS,
    [
      ['', ''],
      ['192.168.1.1', '192.168.1.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['255.255.255.255', '255.255.255.255'],
      ['1.2.3.04', '1.2.3.04'],
      ['256.0.0.0', VALUE],
      ['1.2.3', VALUE],
      ['1.2.3.4.5', VALUE],
      ['a1.2.3.4', VALUE],
      ['1.2.3.4\n', VALUE],
      [' 1.2.3.4', VALUE],
      ['1.2.3.4/24', VALUE],
      ['1:2:3:4', VALUE],
    ],
  ],
  [
    'MACAddress pattern',
    MAC_ADDRESS,
    [
      ['', ''],
      ['00:1A:2b:3C:4d:5E', '00:1A:2b:3C:4d:5E'],
      ['00-1A-2B-3C-4D-5E', VALUE],
      ['001A2B3C4D5E', VALUE],
      ['00:1A:2B:3C:4D', VALUE],
      ['00:1A:2B:3C:4D:5E:6F', VALUE],
      ['0g:1A:2B:3C:4D:5E', VALUE],
    ],
  ],
  [
    'UUID: size and pattern without an empty entry',
    UUID,
    [
      ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6', 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
      ['', VALUE],
      ['f81d4fae7dec11d0a76500a0c91e6bf6', VALUE],
      ['g81d4fae-7dec-11d0-a765-00a0c91e6bf6', VALUE],
    ],
  ],
  [
    'TR-181 version pattern 2\\.\\d+ (XSD \\d is any Unicode decimal digit)',
    { type: 'string', pattern: ['2\\.\\d+'] },
    [
      ['2.19', '2.19'],
      ['2.', VALUE],
      ['2.x', VALUE],
      ['3.1', VALUE],
      ['2.١٩', '2.١٩'],
    ],
  ],
  [
    'TR-181 pattern with a lazy-looking quantifier ([0-9]{1,15}?[BKMGT])',
    { type: 'string', pattern: ['([0-9]{1,15}?[BKMGT])'] },
    [
      ['10M', '10M'],
      ['1T', '1T'],
      ['M', VALUE],
      ['1234567890123456K', VALUE],
    ],
  ],
  [
    'TR-181 country-code pattern [A-Z][A-Z][ OI] (space is significant)',
    { type: 'string', pattern: ['[A-Z][A-Z][ OI]'] },
    [
      ['US ', 'US '],
      ['USI', 'USI'],
      ['USA', VALUE],
      ['US', VALUE],
    ],
  ],
];

t.test('normalizeValue: facets', async (t) => {
  for (const [name, facets, cases] of FACETS) t.test(name, async (t) => runCases(t, facets, cases));
});

const PCP: ValueFacets = {
  type: 'string',
  list: { minItems: 4, maxItems: 4, nestedBrackets: 'required' },
  size: { minLength: 31, maxLength: 31 },
  pattern: ['([0-7],){15}[0-7]'],
};
const PCP_TABLE_6_3 =
  '[7,7,6,6,5,5,4,4,3,3,2,2,1,1,0,0],[7,7,6,6,5,4,5,4,3,3,2,2,1,1,0,0],' +
  '[7,7,6,6,5,4,5,4,3,2,3,2,1,1,0,0],[7,7,6,6,5,4,5,4,3,2,3,2,1,0,1,0]';

const LISTS: readonly Table[] = [
  [
    'string list: items trimmed, %2C kept escaped, "" is the empty list',
    { type: 'string', list: {} },
    [
      ['', ''],
      ['   ', ''],
      ['a', 'a'],
      [' a , b ', 'a,b'],
      ['a,,b', 'a,,b'],
      ['a%2cb,c', 'a%2Cb,c'],
      ['http://x/a%20b', 'http://x/a%20b'],
      ['a\u0000,b', VALUE],
    ],
  ],
  [
    'unsignedInt list: each item typed and ranged; minItems/maxItems',
    { type: 'unsignedInt', list: { minItems: 1, maxItems: 3 }, range: [{ max: 100 }] },
    [
      ['1, 02 ,3', '1,2,3'],
      ['100', '100'],
      ['', VALUE],
      ['1,2,3,4', VALUE],
      ['1,x', TYPE],
      ['1,101', VALUE],
      ['1,,2', TYPE],
      ['1,-1', VALUE],
    ],
  ],
  [
    'list maxLength limits the whole canonical string',
    { type: 'string', list: { maxLength: 10 } },
    [
      ['aaaa,bbbb', 'aaaa,bbbb'],
      ['aaaa,bbbbb', 'aaaa,bbbbb'],
      [' aaaa , bbbbb ', 'aaaa,bbbbb'],
      ['aaaa,bbbbbb', VALUE],
      ['😀😀😀😀,😀😀😀😀😀', '😀😀😀😀,😀😀😀😀😀'],
    ],
  ],
  [
    'list of MACAddress: size and pattern per item',
    { ...MAC_ADDRESS, list: { maxItems: 16 } },
    [
      ['00:11:22:33:44:55, AA:BB:CC:DD:EE:FF', '00:11:22:33:44:55,AA:BB:CC:DD:EE:FF'],
      ['00:11:22:33:44:55,zz', VALUE],
    ],
  ],
  [
    'list of enumerated strings',
    { type: 'string', list: {}, enumeration: [{ value: 'A' }, { value: 'B' }] },
    [
      ['A, B,A', 'A,B,A'],
      ['A,C', VALUE],
    ],
  ],
  [
    'list of booleans and dateTimes canonicalise each item',
    { type: 'dateTime', list: {} },
    [
      ['2025-04-23T18:28:57+02:00 , 0001-01-01T00:00:00Z', '2025-04-23T16:28:57Z,0001-01-01T00:00:00Z'],
      ['2025-04-23T18:28:57', TYPE],
    ],
  ],
  [
    'nestedBrackets=required string list (TR-181 Bridging PCPEncoding)',
    PCP,
    [
      [PCP_TABLE_6_3, PCP_TABLE_6_3],
      [PCP_TABLE_6_3.replaceAll('],[', '] , ['), PCP_TABLE_6_3],
      ['[7,7,6,6,5,5,4,4,3,3,2,2,1,1,0,0]', VALUE],
      [PCP_TABLE_6_3.replace('[7,7,6,6,5,5', '[8,7,6,6,5,5'), VALUE],
      [PCP_TABLE_6_3.slice(1), TYPE],
      [PCP_TABLE_6_3.slice(0, -1), TYPE],
      [`${PCP_TABLE_6_3}]`, TYPE],
    ],
  ],
  [
    'nestedBrackets=required unsignedInt list (TR-181 G.hn PSM pairs)',
    { type: 'unsignedInt', list: { minItems: 2, maxItems: 32, nestedBrackets: 'required' } },
    [
      ['[450, 0600],[1050,500]', '[450,600],[1050,500]'],
      ['[450,x],[1,2]', TYPE],
      ['450,600', TYPE],
      ['[450,600]', VALUE],
    ],
  ],
  [
    'nestedBrackets=legal mixes bracketed and plain items',
    { type: 'string', list: { nestedBrackets: 'legal' } },
    [
      ['a, [b,c]', 'a,[b,c]'],
      ['[a]', 'a'],
      ['[a', TYPE],
    ],
  ],
];

t.test('normalizeValue: lists', async (t) => {
  for (const [name, facets, cases] of LISTS) t.test(name, async (t) => runCases(t, facets, cases));
});

t.test('errors are the typed classes and list errors name the item', async (t) => {
  const typeErr = t.throws(() => normalizeValue({ type: 'int' }, 'x'));
  t.ok(UspError.is(typeErr, TYPE));
  t.equal((typeErr as Error).name, 'InvalidTypeError');
  const valueErr = t.throws(() => normalizeValue({ type: 'unsignedInt', list: {} }, '1,-1'));
  t.ok(UspError.is(valueErr, VALUE));
  t.equal((valueErr as Error).name, 'InvalidValueError');
  t.match((valueErr as Error).message, /list item 2/);
  const long = t.throws(() => normalizeValue({ type: 'int' }, 'y'.repeat(10000)));
  t.ok((long as Error).message.length < 200, 'long values are cut in messages');
});

t.test('isValidValue mirrors normalizeValue; schema errors still throw', async (t) => {
  t.equal(isValidValue(IPV4_ADDRESS, '10.0.0.1'), true);
  t.equal(isValidValue(IPV4_ADDRESS, '10.0.0.256'), false);
  t.equal(isValidValue({ type: 'int' }, 'one'), false);
  t.equal(codeOf(() => isValidValue({ type: 'string', pattern: ['[unclosed'] }, 'x')), SCHEMA);
  t.equal(codeOf(() => isValidValue({ type: 'long', range: [{ min: 'abc' }] }, '1')), SCHEMA);
});

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

t.test('compareValues: typed semantics for search expressions', async (t) => {
  const cases: readonly (readonly [facets: ValueFacets, a: string, b: string, sign: number])[] = [
    [{ type: 'int' }, '0123', '123', 0],
    [{ type: 'int' }, '10', '9', 1],
    [{ type: 'int' }, '-5', '3', -1],
    [{ type: 'int' }, '-0', '0', 0],
    [{ type: 'unsignedInt' }, '4294967295', '4294967294', 1],
    [{ type: 'unsignedInt', range: [{ max: 100 }] }, '500', '50', 1],
    [{ type: 'boolean' }, '1', 'true', 0],
    [{ type: 'boolean' }, '0', 'false', 0],
    [{ type: 'boolean' }, 'false', 'true', -1],
    [{ type: 'unsignedLong' }, '18446744073709551615', '18446744073709551614', 1],
    [{ type: 'unsignedLong' }, '9007199254740993', '9007199254740992', 1],
    [{ type: 'long' }, '-9223372036854775808', '9223372036854775807', -1],
    [{ type: 'decimal' }, '1.50', '1.5', 0],
    [{ type: 'decimal' }, '-0.1', '0', -1],
    [{ type: 'decimal' }, '10.01', '9.999', 1],
    [{ type: 'decimal' }, '-2', '-10', 1],
    [{ type: 'decimal' }, '0.30000000000000000001', '0.3', 1],
    [{ type: 'dateTime' }, '2025-04-23T18:28:57+02:00', '2025-04-23T16:28:57Z', 0],
    [{ type: 'dateTime' }, '2025-04-23T16:28:57.5Z', '2025-04-23T16:28:57.50Z', 0],
    [{ type: 'dateTime' }, '2025-04-23T16:28:57Z', '2025-04-23T16:28:57.001Z', -1],
    [{ type: 'dateTime' }, '2025-04-23T16:28:58Z', '2025-04-23T16:28:57.999Z', 1],
    [{ type: 'dateTime' }, '2025-04-24T00:30:00+01:00', '2025-04-23T23:59:59Z', -1],
    [{ type: 'dateTime' }, UNKNOWN_TIME, '1970-01-01T00:00:00Z', -1],
    [{ type: 'string' }, 'B', 'a', -1],
    [{ type: 'string' }, '10', '9', -1],
    [{ type: 'string' }, 'abc', 'abc', 0],
    [{ type: 'string' }, '\uffff', '😀', 1],
    [{ type: 'hexBinary' }, 'ABCD', 'abcd', 0],
    [{ type: 'hexBinary' }, '00', '0000', -1],
    [{ type: 'hexBinary' }, 'ff', '0a0a', 1],
    [{ type: 'base64' }, 'QQ==', 'Qg==', -1],
    [{ type: 'base64' }, 'QUJD', 'QUJD', 0],
    [{ type: 'int', list: {} }, '1,2', '1, 02', 0],
    [{ type: 'int', list: {} }, '1,2', '1,2,3', -1],
    [{ type: 'int', list: {} }, '1,10', '1,9', 1],
  ];
  for (const [facets, a, b, sign] of cases) {
    t.equal(Math.sign(compareValues(facets, a, b)), sign, `${facets.type}${facets.list ? ' list' : ''}: ${a} vs ${b}`);
    t.equal(Math.sign(compareValues(facets, b, a)), -sign || 0, `${facets.type}: ${b} vs ${a} (antisymmetric)`);
  }
});

t.test('compareValues throws InvalidValueError (7012) when a side does not parse', async (t) => {
  const cases: readonly (readonly [facets: ValueFacets, a: string, b: string])[] = [
    [{ type: 'int' }, 'abc', '1'],
    [{ type: 'int' }, '1', '1.0'],
    [{ type: 'unsignedInt' }, '-1', '1'],
    [{ type: 'unsignedLong' }, '18446744073709551616', '1'],
    [{ type: 'boolean' }, 'yes', 'true'],
    [{ type: 'dateTime' }, '2025-04-23T16:28:57', UNKNOWN_TIME],
    [{ type: 'decimal' }, '1e3', '1'],
    [{ type: 'hexBinary' }, 'abc', 'ab'],
    [{ type: 'base64' }, 'QQ', 'QQ=='],
    [{ type: 'int', list: {} }, '1,x', '1'],
  ];
  for (const [facets, a, b] of cases) {
    const err = t.throws(() => compareValues(facets, a, b), `${facets.type}: ${a} vs ${b}`);
    t.ok(UspError.is(err, VALUE), 'code 7012');
  }
});

t.test('listContains implements ~=', async (t) => {
  const cases: readonly (readonly [facets: ValueFacets, list: string, item: string, expected: boolean])[] = [
    [{ type: 'unsignedInt', list: {} }, '1, 2 ,03', '3', true],
    [{ type: 'unsignedInt', list: {} }, '1,2,3', '003', true],
    [{ type: 'unsignedInt', list: {} }, '1,2,3', '4', false],
    [{ type: 'unsignedInt', list: {} }, '', '0', false],
    [{ type: 'string', list: {} }, 'a,b%2Cc', 'b,c', true],
    [{ type: 'string', list: {} }, 'a,b%2Cc', 'b', false],
    [{ type: 'string', list: {} }, 'Eth,WiFi', 'wifi', false],
    [{ type: 'boolean', list: {} }, '1,0', 'true', true],
    [{ type: 'dateTime', list: {} }, '2025-04-23T16:28:57Z', '2025-04-23T18:28:57+02:00', true],
    [{ type: 'string' }, 'eth0', 'eth0', true],
    [{ type: 'string' }, 'eth0,eth1', 'eth1', false],
    [PCP, PCP_TABLE_6_3, '7,7,6,6,5,4,5,4,3,2,3,2,1,0,1,0', true],
  ];
  for (const [facets, list, item, expected] of cases) {
    t.equal(listContains(facets, list, item), expected, `${JSON.stringify(list)} ~= ${JSON.stringify(item)}`);
  }
  t.equal(codeOf(() => listContains({ type: 'unsignedInt', list: {} }, '1,2', 'x')), VALUE);
});

t.test('defaultValueFor: zero values, valid when the facets allow one', async (t) => {
  const cases: readonly (readonly [facets: ValueFacets, expected: string, valid: boolean])[] = [
    [{ type: 'string' }, '', true],
    [{ type: 'boolean' }, 'false', true],
    [{ type: 'int' }, '0', true],
    [{ type: 'unsignedInt' }, '0', true],
    [{ type: 'long' }, '0', true],
    [{ type: 'unsignedLong' }, '0', true],
    [{ type: 'decimal' }, '0', true],
    [{ type: 'dateTime' }, '0001-01-01T00:00:00Z', true],
    [{ type: 'base64' }, '', true],
    [{ type: 'hexBinary' }, '', true],
    [{ type: 'unsignedInt', list: {} }, '', true],
    [IPV4_ADDRESS, '', true],
    [{ type: 'string', enumeration: [{ value: 'Up' }, { value: 'Down' }] }, 'Up', true],
    [{ type: 'string', enumeration: [{ value: 'Up' }, { value: '' }] }, '', true],
    [{ type: 'unsignedInt', range: [{ min: 1, max: 255 }] }, '1', true],
    [{ type: 'int', range: [{ min: -1, max: -1 }] }, '-1', true],
    [{ type: 'unsignedInt', range: [{ min: 1000, max: 65535 }, { min: 1, max: 5 }] }, '1000', true],
    [{ type: 'unsignedInt', range: [{ min: 0 }] }, '0', true],
    [{ type: 'unsignedInt', range: [{ max: 99 }] }, '0', true],
    [{ type: 'decimal', range: [{ min: 0.5 }] }, '0.5', true],
    [{ type: 'unsignedLong', range: [{ min: '18446744073709551610' }] }, '18446744073709551610', true],
    [{ type: 'hexBinary', size: { minLength: 2 } }, '0000', true],
    [{ type: 'base64', size: { minLength: 3 } }, 'AAAA', true],
    [UUID, '', false],
    [{ type: 'string', list: { minItems: 1 } }, '', false],
  ];
  for (const [facets, expected, valid] of cases) {
    const d = defaultValueFor(facets);
    t.equal(d, expected, `${facets.type} → ${JSON.stringify(expected)}`);
    t.equal(isValidValue(facets, d), valid, valid ? 'and it is valid' : 'documented as invalid');
  }
});

t.test('toJsonValue: numbers unquoted only when exact', async (t) => {
  const cases: readonly (readonly [facets: ValueFacets, canonical: string, expected: string | number | boolean])[] = [
    [{ type: 'boolean' }, 'true', true],
    [{ type: 'boolean' }, 'false', false],
    [{ type: 'boolean' }, '0', false],
    [{ type: 'int' }, '-5', -5],
    [{ type: 'unsignedInt' }, '4294967295', 4294967295],
    [{ type: 'long' }, '-9007199254740991', -9007199254740991],
    [{ type: 'unsignedLong' }, '9007199254740991', 9007199254740991],
    [{ type: 'unsignedLong' }, '9007199254740992', '9007199254740992'],
    [{ type: 'unsignedLong' }, '18446744073709551615', '18446744073709551615'],
    [{ type: 'decimal' }, '0.1', 0.1],
    [{ type: 'decimal' }, '-12.5', -12.5],
    [{ type: 'decimal' }, '0.00000001', '0.00000001'],
    [{ type: 'decimal' }, '12345678901234567890.5', '12345678901234567890.5'],
    [{ type: 'dateTime' }, UNKNOWN_TIME, UNKNOWN_TIME],
    [{ type: 'string' }, '42', '42'],
    [{ type: 'hexBinary' }, 'ff', 'ff'],
    [{ type: 'int', list: {} }, '1,2', '1,2'],
    [{ type: 'int' }, 'abc', 'abc'],
  ];
  for (const [facets, canonical, expected] of cases) {
    t.equal(toJsonValue(facets, canonical), expected, `${facets.type}: ${canonical}`);
  }
});

t.test('splitList / joinList: trimming and %2C escaping', async (t) => {
  const splits: readonly (readonly [value: string, items: readonly string[]])[] = [
    ['', []],
    ['  ', []],
    ['a', ['a']],
    [' a , b ', ['a', 'b']],
    ['\ta\n,\r b', ['a', 'b']],
    ['a,,b', ['a', '', 'b']],
    [',', ['', '']],
    ['a%2Cb,c', ['a,b', 'c']],
    ['a%2cb', ['a,b']],
    ['http://x/a%20b', ['http://x/a%20b']],
    ['100%', ['100%']],
  ];
  for (const [value, items] of splits) t.same(splitList(value), items, `split ${JSON.stringify(value)}`);
  const joins: readonly (readonly [items: readonly string[], value: string])[] = [
    [[], ''],
    [['a', 'b'], 'a,b'],
    [['a,b', 'c'], 'a%2Cb,c'],
    [['x,,y'], 'x%2C%2Cy'],
    [['', 'a'], ',a'],
    [['a%20b'], 'a%20b'],
  ];
  for (const [items, value] of joins) {
    t.equal(joinList(items), value, `join ${JSON.stringify(items)}`);
    t.same(splitList(joinList(items)), items, `round trip ${JSON.stringify(items)}`);
  }
});
