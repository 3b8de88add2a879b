/**
 * TR-106 facet checks (size, range, enumeration) on already parsed values. Internal to types.ts.
 *
 * Ranges: a value must fall within at least one `range` entry (bounds inclusive). With `step`, it
 * must also be `min + k·step`; when the entry has no `min`, steps count from 0. All failures are
 * `InvalidValueError` (7012).
 */
import type { EnumValue, RangeFacet, SizeFacet } from './schema/types.js';
import { InternalError, type UspError } from './errors.js';
import { badValue, compareDecimal, decimalBound, fractionDigits, scaledDecimal } from './types-scalar.js';

/** Checks a length (characters, bytes, …) against a size facet. */
export function checkSize(size: SizeFacet | undefined, raw: string, length: number, unit: string): void {
  if (size === undefined) return;
  if (size.minLength !== undefined && length < size.minLength) {
    throw badValue(raw, `shorter than ${size.minLength} ${unit}`);
  }
  if (size.maxLength !== undefined && length > size.maxLength) {
    throw badValue(raw, `longer than ${size.maxLength} ${unit}`);
  }
}

/** Range check for int/unsignedInt values. */
export function checkNumberRanges(ranges: readonly RangeFacet[] | undefined, v: number, raw: string): void {
  if (ranges === undefined || ranges.length === 0) return;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const min = r.min === undefined ? undefined : Number(r.min);
    if (min !== undefined && v < min) continue;
    if (r.max !== undefined && v > Number(r.max)) continue;
    if (r.step !== undefined && r.step > 0 && (v - (min ?? 0)) % r.step !== 0) continue;
    return;
  }
  throw outOfRanges(ranges, raw);
}

interface BigRange {
  readonly min: bigint | undefined;
  readonly max: bigint | undefined;
  readonly step: bigint | undefined;
}
const bigRanges = new WeakMap<RangeFacet, BigRange>();

/** Range check for long/unsignedLong values (bounds may be given as strings for 64-bit precision). */
export function checkBigIntRanges(ranges: readonly RangeFacet[] | undefined, v: bigint, raw: string): void {
  if (ranges === undefined || ranges.length === 0) return;
  for (let i = 0; i < ranges.length; i++) {
    const r = bigRange(ranges[i]!);
    if (r.min !== undefined && v < r.min) continue;
    if (r.max !== undefined && v > r.max) continue;
    if (r.step !== undefined && (v - (r.min ?? 0n)) % r.step !== 0n) continue;
    return;
  }
  throw outOfRanges(ranges, raw);
}

/** Range check for a canonical decimal, exact (no floating point). */
export function checkDecimalRanges(ranges: readonly RangeFacet[] | undefined, canonical: string): void {
  if (ranges === undefined || ranges.length === 0) return;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const min = r.min === undefined ? undefined : decimalBound(r.min);
    if (min !== undefined && compareDecimal(canonical, min) < 0) continue;
    if (r.max !== undefined && compareDecimal(canonical, decimalBound(r.max)) > 0) continue;
    if (r.step !== undefined && r.step > 0) {
      const step = decimalBound(r.step);
      const base = min ?? '0';
      const scale = Math.max(fractionDigits(canonical), fractionDigits(base), fractionDigits(step));
      if ((scaledDecimal(canonical, scale) - scaledDecimal(base, scale)) % scaledDecimal(step, scale) !== 0n) continue;
    }
    return;
  }
  throw outOfRanges(ranges, canonical);
}

const enumSets = new WeakMap<readonly EnumValue[], ReadonlySet<string>>();

/** True when `value` is exactly one of the enumeration values (an empty facet allows all). */
export function inEnumeration(values: readonly EnumValue[], value: string): boolean {
  if (values.length === 0) return true;
  if (values.length <= 8) {
    for (let i = 0; i < values.length; i++) if (values[i]!.value === value) return true;
    return false;
  }
  let set = enumSets.get(values);
  if (set === undefined) {
    set = new Set(values.map((e) => e.value));
    enumSets.set(values, set);
  }
  return set.has(value);
}

function bigRange(r: RangeFacet): BigRange {
  let b = bigRanges.get(r);
  if (b === undefined) {
    b = {
      min: toBigInt(r.min, 'ceil'),
      max: toBigInt(r.max, 'floor'),
      step: r.step !== undefined && r.step > 0 ? toBigInt(r.step, 'floor') : undefined,
    };
    bigRanges.set(r, b);
  }
  return b;
}

function toBigInt(bound: number | string | undefined, round: 'ceil' | 'floor'): bigint | undefined {
  if (bound === undefined) return undefined;
  if (typeof bound === 'number') {
    if (!Number.isFinite(bound)) throw new InternalError(`schema range bound ${bound} is not finite`);
    return BigInt(Math[round](bound));
  }
  try {
    return BigInt(bound);
  } catch {
    throw new InternalError(`schema range bound ${JSON.stringify(bound)} is not an integer`);
  }
}

function outOfRanges(ranges: readonly RangeFacet[], raw: string): UspError {
  const text = ranges
    .map((r) => `${r.min ?? ''}..${r.max ?? ''}${r.step === undefined ? '' : ` step ${r.step}`}`)
    .join(', ');
  return badValue(raw, `outside the allowed range ${text}`);
}
