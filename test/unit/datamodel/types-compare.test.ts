// datamodel/types.ts: typed comparison for search expressions (compareValues) and the ~= operator
// (listContains).
import t from 'tap';
import { UspError } from '../../../datamodel/errors.js';
import type { ValueFacets } from '../../../datamodel/schema/types.js';
import { compareValues, listContains, UNKNOWN_TIME } from '../../../datamodel/types.js';
import { codeOf, PCP, PCP_TABLE_6_3, VALUE } from '../../helpers/types-helpers.js';

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
