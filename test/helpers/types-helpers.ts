/**
 * Shared helpers of the TR-106 value type tests (test/unit/datamodel/types*.test.ts): error codes,
 * test copies of named types, and the table runner for normalizeValue.
 */
import { UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { ValueFacets } from '../../datamodel/schema/types.js';
import { normalizeValue } from '../../datamodel/types.js';

/** The codes normalizeValue throws: wrong type, bad value, and (for a broken schema) internal error. */
export const TYPE = UspErrorCode.InvalidType; // 7011
export const VALUE = UspErrorCode.InvalidValue; // 7012
export const SCHEMA = UspErrorCode.InternalError; // 7003

/** Canonical output, or the USP error code normalizeValue must throw. */
export type Case = readonly [raw: string, expected: string | UspErrorCode];

// TR-106 named types, copied from tr-106-types.xml (entities expanded), as in tr181-subset.json `dataTypes`.
export const IPV4_ADDRESS: ValueFacets = {
  type: 'string',
  dataType: 'IPv4Address',
  size: { maxLength: 15 },
  pattern: ['', '((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])'],
};
export const MAC_ADDRESS: ValueFacets = {
  type: 'string',
  dataType: 'MACAddress',
  size: { maxLength: 17 },
  pattern: ['', '([0-9A-Fa-f][0-9A-Fa-f]:){5}([0-9A-Fa-f][0-9A-Fa-f])'],
};
export const UUID: ValueFacets = {
  type: 'string',
  dataType: 'UUID',
  size: { minLength: 36, maxLength: 36 },
  pattern: ['[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}'],
};

/** The UspError code `fn` throws, or 'ok' when it returns. */
export function codeOf(fn: () => unknown): UspErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof UspError) return e.code;
    throw e;
  }
}

/** The one assertion runCases needs (tap's Test type is a large plugin intersection). */
export interface Equal {
  equal(found: unknown, wanted: unknown, message: string): boolean;
}

/** One `equal` assertion per case: the canonical output, or the error code normalizeValue throws. */
export function runCases(t: Equal, facets: ValueFacets, cases: readonly Case[]): void {
  for (const [raw, expected] of cases) {
    const label = `${JSON.stringify(raw)} → ${typeof expected === 'string' ? JSON.stringify(expected) : expected}`;
    if (typeof expected === 'string') t.equal(normalizeValue(facets, raw), expected, label);
    else t.equal(codeOf(() => normalizeValue(facets, raw)), expected, label);
  }
}

/** A named group of cases sharing one set of facets. */
export type Table = readonly [name: string, facets: ValueFacets, cases: readonly Case[]];

/** Facets of TR-181 Bridging PCPEncoding (a nestedBrackets=required string list) and a valid value for them. */
export const PCP: ValueFacets = {
  type: 'string',
  list: { minItems: 4, maxItems: 4, nestedBrackets: 'required' },
  size: { minLength: 31, maxLength: 31 },
  pattern: ['([0-7],){15}[0-7]'],
};
export const PCP_TABLE_6_3 =
  '[7,7,6,6,5,5,4,4,3,3,2,2,1,1,0,0],[7,7,6,6,5,4,5,4,3,3,2,2,1,1,0,0],' +
  '[7,7,6,6,5,4,5,4,3,2,3,2,1,1,0,0],[7,7,6,6,5,4,5,4,3,2,3,2,1,0,1,0]';
