// datamodel/types.ts: normalizeValue with facets (range, step, enumeration, pattern, TR-106 named
// types) and defaultValueFor.
import t from 'tap';
import type { ValueFacets } from '../../../datamodel/schema/types.js';
import { defaultValueFor, isValidValue } from '../../../datamodel/types.js';
import { IPV4_ADDRESS, MAC_ADDRESS, runCases, TYPE, UUID, VALUE } from '../../helpers/types-helpers.js';
import type { Table } from '../../helpers/types-helpers.js';

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
