// datamodel/types.ts: list-valued parameters (items, minItems/maxItems, nestedBrackets) and the
// splitList/joinList %2C escaping.
import t from 'tap';
import { joinList, splitList } from '../../../datamodel/types.js';
import { MAC_ADDRESS, PCP, PCP_TABLE_6_3, runCases, TYPE, VALUE } from '../../helpers/types-helpers.js';
import type { Table } from '../../helpers/types-helpers.js';

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
