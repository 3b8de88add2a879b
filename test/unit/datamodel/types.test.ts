// datamodel/types.ts: TR-106 value types. This file: normalizeValue on the base types, its typed
// errors, isValidValue and toJsonValue. Siblings: types-facets (ranges, enumerations, patterns,
// defaults), types-lists (lists, splitList/joinList), types-compare (search-expression comparisons),
// types-pattern (XSD pattern translation, datamodel/types-pattern.ts).
import t from 'tap';
import { UspError } from '../../../datamodel/errors.js';
import type { ValueFacets } from '../../../datamodel/schema/types.js';
import { isValidValue, normalizeValue, toJsonValue, UNKNOWN_TIME } from '../../../datamodel/types.js';
import { codeOf, IPV4_ADDRESS, runCases, SCHEMA, TYPE, VALUE } from '../../helpers/types-helpers.js';
import type { Table } from '../../helpers/types-helpers.js';

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
