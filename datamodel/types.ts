/**
 * TR-106 value types (TR-106 §3.2; TR-369 R-ENC.6): parse, validate, canonicalise and compare the
 * string forms in which USP carries every parameter and argument value.
 *
 * Error codes (TR-369 §Error Codes):
 * - 7011 `InvalidTypeError`: the string is not in the type's lexical space: a boolean other than
 *   `true`/`false`/`1`/`0`, `1.0`, ` 1`, `0x10`, `1e3` or `''` for a number, an impossible date,
 *   a dateTime without a time zone, malformed base64/hexBinary, unbalanced list brackets.
 * - 7012 `InvalidValueError`: it parses, but the value is not allowed: outside the type's own
 *   bounds (int overflow, `-1` for unsignedInt, `18446744073709551616` for unsignedLong), or
 *   outside size / range / step / enumeration / pattern / list limits, or a NUL in a string.
 *
 * Canonical forms returned by normalizeValue:
 * - boolean `true`/`false`; integers in decimal with no `+`, leading zeros or `-0` (input may
 *   have them, as XSD allows); decimal likewise, without trailing fraction zeros;
 * - dateTime in UTC with `Z`, fractional seconds kept exactly as given;
 * - base64 is accepted only in its one strict form, so it is returned as given; hexBinary is
 *   returned as given (either case: TR-106 fixes none and a controller reads back what it wrote),
 *   and compares case-insensitively;
 * - lists: items trimmed and canonicalised, joined with `,` (see types-list.ts for escaping).
 */
import type { BaseType, ValueFacets } from './schema/types.js';
import { InternalError, InvalidTypeError, InvalidValueError, UspError, UspErrorCode } from './errors.js';
import { compareItems } from './types-compare.js';
import { UNKNOWN_TIME, canonicalDateTime } from './types-datetime.js';
import { checkBigIntRanges, checkDecimalRanges, checkNumberRanges, checkSize, inEnumeration } from './types-facets.js';
import { joinList, joinNestedList, splitList, splitNestedList } from './types-list.js';
import { MAX_PATTERN_SUBJECT, matchesAnyPattern } from './types-pattern.js';
import {
  badValue,
  base64DecodedLength,
  canonicalDecimal,
  hexBinaryLength,
  isCanonicalInteger,
  parseBoolean,
  parseInt32,
  parseInt64,
  stringLength,
} from './types-scalar.js';

export { joinList, splitList } from './types-list.js';
export { UNKNOWN_TIME } from './types-datetime.js';

/**
 * Validates `raw` against the type and facets and returns its canonical USP string form.
 * Used on every Set/Add value and on values in search expressions.
 *
 * @throws InvalidTypeError (7011) when `raw` cannot be parsed as the type.
 * @throws InvalidValueError (7012) when it parses but is not an allowed value.
 * @throws InternalError (7003) when a schema pattern or range bound is unusable.
 */
export function normalizeValue(facets: ValueFacets, raw: string): string {
  return facets.list === undefined ? normalizeItem(facets, raw) : normalizeList(facets, raw);
}

/** True when normalizeValue would accept `raw`; schema errors (7003) still throw. */
export function isValidValue(facets: ValueFacets, raw: string): boolean {
  try {
    normalizeValue(facets, raw);
    return true;
  } catch (e) {
    if (UspError.is(e, UspErrorCode.InvalidType, UspErrorCode.InvalidValue)) return false;
    throw e;
  }
}

/**
 * The value a parameter gets when its schema gives no default: the zero value of the type
 * (`''` for strings, lists, base64 and hexBinary; `false`; `0`; `0001-01-01T00:00:00Z`). When the
 * facets forbid it, the first valid candidate is returned instead, in this order: enumeration
 * values (so an enumeration without `''` yields its first value), range bounds (`1` for 1..255),
 * zero bytes of the minimum size (base64/hexBinary). When nothing is valid (a string whose
 * minLength or pattern excludes `''`, such as UUID; a list with minItems > 0) the zero value is
 * returned although it is invalid, and the schema must supply a default.
 */
export function defaultValueFor(facets: ValueFacets): string {
  const zero = zeroValue(facets);
  if (facets.list !== undefined || isValidValue(facets, zero)) return zero;
  const candidates: string[] = [];
  for (const e of facets.enumeration ?? []) candidates.push(e.value);
  for (const r of facets.range ?? []) {
    if (r.min !== undefined) candidates.push(String(r.min));
    if (r.max !== undefined) candidates.push(String(r.max));
  }
  const minBytes = facets.size?.minLength ?? 0;
  if (facets.type === 'hexBinary') candidates.push('00'.repeat(minBytes));
  if (facets.type === 'base64') candidates.push(Buffer.alloc(minBytes).toString('base64'));
  for (const c of candidates) if (isValidValue(facets, c)) return normalizeValue(facets, c);
  return zero;
}

/**
 * Typed comparison for search expressions (TR-369 §Searching): `<0`, `0` or `>0`. Numbers compare
 * numerically (`0123` == `123`, 64-bit exactly), booleans as false < true (`1` == `true`),
 * dateTime chronologically, base64/hexBinary by bytes, strings by UTF-16 code units. Only the
 * type is checked, not range/enumeration/pattern, so a search for an out-of-range value simply
 * matches nothing. Lists compare item by item.
 *
 * @throws InvalidValueError (7012) when either side does not parse as the type.
 */
export function compareValues(facets: ValueFacets, a: string, b: string): number {
  if (facets.type === 'string' && facets.list === undefined) return a < b ? -1 : a > b ? 1 : 0;
  try {
    if (facets.list === undefined) return compareItems(facets.type, a, b);
    const as = splitAny(facets, a);
    const bs = splitAny(facets, b);
    const type: BaseType = isNested(facets) ? 'string' : facets.type;
    let result = 0;
    // Every item is parsed, even after the order is known, so a malformed side always throws.
    for (let i = 0; i < as.length || i < bs.length; i++) {
      const x = as[i] ?? bs[i]!;
      const c = compareItems(type, x, bs[i] ?? x);
      if (result === 0) result = i >= as.length ? -1 : i >= bs.length ? 1 : c;
    }
    return result;
  } catch (e) {
    throw asInvalidValue(e);
  }
}

/**
 * The `~=` search operator: true when the list `list` has an item equal (by compareValues
 * semantics) to `item`. A value without a list facet is treated as a one-item list; items of a
 * `nestedBrackets` list compare as the text inside their brackets.
 *
 * @throws InvalidValueError (7012) when `item` or a list item does not parse as the type.
 */
export function listContains(facets: ValueFacets, list: string, item: string): boolean {
  try {
    if (facets.list === undefined) return compareItems(facets.type, list, item) === 0;
    const type: BaseType = isNested(facets) ? 'string' : facets.type;
    const items = splitAny(facets, list);
    for (let i = 0; i < items.length; i++) if (compareItems(type, items[i]!, item) === 0) return true;
    return false;
  } catch (e) {
    throw asInvalidValue(e);
  }
}

/**
 * The JSON form of a canonical value (Bulk Data JSON reports): booleans as JSON booleans, int and
 * unsignedInt as numbers, long/unsignedLong as numbers only when safe integers (|v| ≤ 2^53−1,
 * otherwise the decimal string so no digit is lost), decimal as a number only when it round-trips
 * exactly; everything else, lists included, stays a string. A non-canonical input is returned
 * unchanged as a string.
 */
export function toJsonValue(facets: ValueFacets, canonical: string): string | number | boolean {
  if (facets.list !== undefined) return canonical;
  switch (facets.type) {
    case 'boolean':
      if (canonical === 'true' || canonical === '1') return true;
      if (canonical === 'false' || canonical === '0') return false;
      return canonical;
    case 'int':
    case 'unsignedInt':
    case 'long':
    case 'unsignedLong': {
      if (!/^-?\d{1,20}$/.test(canonical)) return canonical;
      const n = Number(canonical);
      return Number.isSafeInteger(n) ? n : canonical;
    }
    case 'decimal': {
      const n = Number(canonical);
      return Number.isFinite(n) && String(n) === canonical ? n : canonical;
    }
    default:
      return canonical;
  }
}

function normalizeItem(facets: ValueFacets, raw: string): string {
  const canonical = canonicalize(facets, raw);
  const { enumeration, pattern } = facets;
  if (enumeration !== undefined && !inEnumeration(enumeration, canonical)) {
    throw badValue(raw, 'not one of the enumerated values');
  }
  if (pattern !== undefined && pattern.length > 0) {
    if (canonical.length > MAX_PATTERN_SUBJECT) throw badValue(raw, 'too long to match against a pattern');
    if (!matchesAnyPattern(pattern, canonical)) throw badValue(raw, 'does not match the required pattern');
  }
  return canonical;
}

/** Type parsing plus the facets that need the parsed value (size, range). */
function canonicalize(facets: ValueFacets, raw: string): string {
  const type = facets.type;
  switch (type) {
    case 'string':
      checkSize(facets.size, raw, stringLength(raw), 'characters');
      return raw;
    case 'boolean':
      return parseBoolean(raw) ? 'true' : 'false';
    case 'int':
    case 'unsignedInt': {
      const v = parseInt32(raw, type);
      checkNumberRanges(facets.range, v, raw);
      return isCanonicalInteger(raw) ? raw : String(v);
    }
    case 'long':
    case 'unsignedLong': {
      const v = parseInt64(raw, type);
      checkBigIntRanges(facets.range, v, raw);
      return isCanonicalInteger(raw) ? raw : v.toString();
    }
    case 'decimal': {
      const c = canonicalDecimal(raw);
      checkDecimalRanges(facets.range, c);
      return c;
    }
    case 'dateTime':
      return canonicalDateTime(raw);
    case 'base64':
      checkSize(facets.size, raw, base64DecodedLength(raw), 'bytes');
      return raw;
    case 'hexBinary':
      checkSize(facets.size, raw, hexBinaryLength(raw), 'bytes');
      return raw;
    default:
      throw new InternalError(`unknown TR-106 type ${String(type satisfies never)}`);
  }
}

function normalizeList(facets: ValueFacets, raw: string): string {
  const nested = isNested(facets);
  const items = splitAny(facets, raw);
  for (let i = 0; i < items.length; i++) {
    try {
      const item = items[i]!;
      items[i] = nested && facets.type !== 'string' ? normalizeSubList(facets, item) : normalizeItem(facets, item);
    } catch (e) {
      if (!UspError.is(e, UspErrorCode.InvalidType, UspErrorCode.InvalidValue)) throw e;
      const Coded = e.code === UspErrorCode.InvalidType ? InvalidTypeError : InvalidValueError;
      throw new Coded(`list item ${i + 1}: ${e.message}`);
    }
  }
  const { minItems, maxItems, maxLength, nestedBrackets } = facets.list ?? {};
  if (minItems !== undefined && items.length < minItems) throw badValue(raw, `fewer than ${minItems} list items`);
  if (maxItems !== undefined && items.length > maxItems) throw badValue(raw, `more than ${maxItems} list items`);
  const out = nested ? joinNestedList(items, nestedBrackets === 'required') : joinList(items);
  if (maxLength !== undefined && out.length > maxLength && stringLength(out) > maxLength) {
    throw badValue(raw, `list longer than ${maxLength} characters`);
  }
  return out === raw ? raw : out;
}

/** Inside the brackets of a non-string nested list: a plain sub-list of the base type (`450,600`). */
function normalizeSubList(facets: ValueFacets, inner: string): string {
  const parts = splitList(inner);
  for (let i = 0; i < parts.length; i++) parts[i] = normalizeItem(facets, parts[i]!);
  return parts.join(',');
}

function zeroValue(facets: ValueFacets): string {
  if (facets.list !== undefined) return '';
  switch (facets.type) {
    case 'boolean':
      return 'false';
    case 'int':
    case 'unsignedInt':
    case 'long':
    case 'unsignedLong':
    case 'decimal':
      return '0';
    case 'dateTime':
      return UNKNOWN_TIME;
    default:
      return '';
  }
}

function isNested(facets: ValueFacets): boolean {
  const nb = facets.list?.nestedBrackets;
  return nb === 'required' || nb === 'legal';
}

function splitAny(facets: ValueFacets, value: string): string[] {
  return isNested(facets)
    ? splitNestedList(value, facets.list?.nestedBrackets === 'required', facets.type)
    : splitList(value);
}

function asInvalidValue(e: unknown): unknown {
  if (UspError.is(e, UspErrorCode.InvalidType)) return new InvalidValueError(e.message);
  return e;
}
