/**
 * Lexical parsing of the TR-106 primitive types (TR-106 §3.2, XML Schema Part 2 lexical forms).
 *
 * Internal helpers of types.ts. Every parser is allocation-free on valid input unless it has to
 * build a new canonical string. Errors: a string that is not in the type's lexical space throws
 * `InvalidTypeError` (7011); a lexically valid value outside the type's value space (integer
 * overflow, a negative unsignedInt, a NUL in a string) throws `InvalidValueError` (7012).
 */
import { InternalError, InvalidTypeError, InvalidValueError, type UspError } from './errors.js';

const SHOW_MAX = 64;

/** `raw` quoted for an error message, cut to a readable length. */
export function show(raw: string): string {
  return JSON.stringify(raw.length > SHOW_MAX ? `${raw.slice(0, SHOW_MAX)}…` : raw);
}

/** 7011: `raw` cannot be parsed as `type`. */
export function notType(type: string, raw: string, why?: string): UspError {
  return new InvalidTypeError(`${show(raw)} is not a valid ${type}${why === undefined ? '' : ` (${why})`}`);
}

/** 7012: `raw` parses as its type but is not an allowed value. */
export function badValue(raw: string, why: string): UspError {
  return new InvalidValueError(`${show(raw)} is not allowed: ${why}`);
}

/** TR-106 boolean: `true`/`false`, and `1`/`0` which mean the same (case-sensitive). */
export function parseBoolean(raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw notType('boolean', raw, 'expected true, false, 1 or 0');
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Scans the XSD integer lexical form `[+-]?[0-9]+` (leading zeros allowed). Returns the number
 * of significant digits, or -1 when `raw` is not an integer literal at all.
 */
function scanInteger(raw: string): number {
  const len = raw.length;
  let i = 0;
  const c0 = raw.charCodeAt(0);
  if (c0 === 0x2d || c0 === 0x2b) i = 1;
  if (i >= len) return -1;
  let sig = 0;
  for (; i < len; i++) {
    const d = raw.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    if (sig > 0 || d !== 0) sig++;
  }
  return sig;
}

/** True when `raw` is already the canonical integer form: no `+`, no leading zeros, no `-0`. */
export function isCanonicalInteger(raw: string): boolean {
  const c0 = raw.charCodeAt(0);
  if (c0 === 0x2b) return false;
  const first = c0 === 0x2d ? 1 : 0;
  if (raw.charCodeAt(first) !== 48) return true;
  return raw.length === 1;
}

/** Parses an int (−2^31…2^31−1) or unsignedInt (0…2^32−1). */
export function parseInt32(raw: string, type: 'int' | 'unsignedInt'): number {
  const sig = scanInteger(raw);
  if (sig < 0) throw notType(type, raw, 'expected a decimal integer');
  const min = type === 'int' ? INT32_MIN : 0;
  const max = type === 'int' ? INT32_MAX : UINT32_MAX;
  if (sig > 10) throw badValue(raw, `outside the ${type} range ${min}..${max}`);
  let n = 0;
  const len = raw.length;
  const c0 = raw.charCodeAt(0);
  for (let i = c0 === 0x2d || c0 === 0x2b ? 1 : 0; i < len; i++) n = n * 10 + (raw.charCodeAt(i) - 48);
  if (c0 === 0x2d && n !== 0) n = -n;
  if (n < min || n > max) throw badValue(raw, `outside the ${type} range ${min}..${max}`);
  return n;
}

/** Parses a long (−2^63…2^63−1) or unsignedLong (0…2^64−1) exactly, as a BigInt. */
export function parseInt64(raw: string, type: 'long' | 'unsignedLong'): bigint {
  const sig = scanInteger(raw);
  if (sig < 0) throw notType(type, raw, 'expected a decimal integer');
  const min = type === 'long' ? INT64_MIN : 0n;
  const max = type === 'long' ? INT64_MAX : UINT64_MAX;
  if (sig > 20) throw badValue(raw, `outside the ${type} range ${min}..${max}`);
  const n = BigInt(raw);
  if (n < min || n > max) throw badValue(raw, `outside the ${type} range ${min}..${max}`);
  return n;
}

/**
 * Canonical decimal: XSD lexical `[+-]?(\d+(\.\d*)?|\.\d+)` (no exponent, no NaN/INF) rewritten
 * without `+`, leading zeros, trailing fraction zeros or a bare `.`; `-0` becomes `0`.
 */
export function canonicalDecimal(raw: string): string {
  const len = raw.length;
  const c0 = raw.charCodeAt(0);
  const neg = c0 === 0x2d;
  let i = neg || c0 === 0x2b ? 1 : 0;
  const intStart = i;
  while (i < len && isDigit(raw.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < len && raw.charCodeAt(i) === 0x2e) {
    fracStart = ++i;
    while (i < len && isDigit(raw.charCodeAt(i))) i++;
    fracEnd = i;
  }
  if (i !== len || (intEnd === intStart && fracEnd === fracStart)) {
    throw notType('decimal', raw, 'expected digits with an optional sign and fraction, no exponent');
  }
  let s = intStart;
  while (s < intEnd - 1 && raw.charCodeAt(s) === 48) s++;
  let e = fracEnd;
  while (e > fracStart && raw.charCodeAt(e - 1) === 48) e--;
  const intPart = s < intEnd ? raw.slice(s, intEnd) : '0';
  const zero = intPart === '0' && e === fracStart;
  const out = (neg && !zero ? '-' : '') + intPart + (e > fracStart ? `.${raw.slice(fracStart, e)}` : '');
  return out === raw ? raw : out;
}

/** Orders two canonical decimals numerically (exactly, any number of digits). */
export function compareDecimal(a: string, b: string): number {
  const an = a.charCodeAt(0) === 0x2d;
  const bn = b.charCodeAt(0) === 0x2d;
  if (an !== bn) return an ? -1 : 1;
  const m = compareMagnitude(a, an ? 1 : 0, b, bn ? 1 : 0);
  return an ? -m : m;
}

function compareMagnitude(a: string, ao: number, b: string, bo: number): number {
  let ad = a.indexOf('.', ao);
  let bd = b.indexOf('.', bo);
  if (ad < 0) ad = a.length;
  if (bd < 0) bd = b.length;
  if (ad - ao !== bd - bo) return ad - ao < bd - bo ? -1 : 1;
  for (let i = 0; i < ad - ao; i++) {
    const d = a.charCodeAt(ao + i) - b.charCodeAt(bo + i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return compareFraction(a, ad + 1, b, bd + 1);
}

/** Compares digit runs starting at `ai`/`bi` as fractions (missing digits count as 0). */
export function compareFraction(a: string, ai: number, b: string, bi: number): number {
  const aEnd = digitRunEnd(a, ai);
  const bEnd = digitRunEnd(b, bi);
  for (; ai < aEnd || bi < bEnd; ai++, bi++) {
    const ca = ai < aEnd ? a.charCodeAt(ai) : 48;
    const cb = bi < bEnd ? b.charCodeAt(bi) : 48;
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  return 0;
}

function digitRunEnd(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** `canonical` (a canonical decimal) times 10^scale, as a BigInt; scale ≥ its fraction digits. */
export function scaledDecimal(canonical: string, scale: number): bigint {
  const dot = canonical.indexOf('.');
  const frac = dot < 0 ? '' : canonical.slice(dot + 1);
  return BigInt((dot < 0 ? canonical : canonical.slice(0, dot)) + frac.padEnd(scale, '0'));
}

/** Number of fraction digits of a canonical decimal. */
export function fractionDigits(canonical: string): number {
  const dot = canonical.indexOf('.');
  return dot < 0 ? 0 : canonical.length - dot - 1;
}

/** A range bound from the schema as a canonical decimal; a malformed bound is a schema bug (7003). */
export function decimalBound(bound: number | string): string {
  let text: string;
  if (typeof bound === 'number') {
    if (!Number.isFinite(bound)) throw new InternalError(`schema range bound ${bound} is not finite`);
    text = String(bound);
    if (text.includes('e')) text = Number.isInteger(bound) ? BigInt(bound).toString() : bound.toFixed(20);
  } else {
    text = bound;
  }
  try {
    return canonicalDecimal(text);
  } catch (e) {
    throw new InternalError(`schema range bound ${show(text)} is not a decimal: ${(e as Error).message}`);
  }
}

const B64_PAD = 0x3d;

/** Value of a base64 alphabet character (RFC 4648 §4), or -1. */
function base64Digit(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c === 0x2b) return 62;
  if (c === 0x2f) return 63;
  return -1;
}

/**
 * Validates strict base64 (RFC 4648 alphabet, `=` padding to a multiple of 4, zero pad bits as XSD
 * base64Binary requires, no whitespace) and returns the decoded length in bytes.
 */
export function base64DecodedLength(raw: string): number {
  const len = raw.length;
  if (len % 4 !== 0) throw notType('base64', raw, 'length is not a multiple of 4');
  let pad = 0;
  if (len > 0 && raw.charCodeAt(len - 1) === B64_PAD) pad = raw.charCodeAt(len - 2) === B64_PAD ? 2 : 1;
  const dataEnd = len - pad;
  let last = 0;
  for (let i = 0; i < dataEnd; i++) {
    last = base64Digit(raw.charCodeAt(i));
    if (last < 0) throw notType('base64', raw, 'character outside the base64 alphabet or misplaced padding');
  }
  if ((pad === 2 && (last & 0x0f) !== 0) || (pad === 1 && (last & 0x03) !== 0)) {
    throw notType('base64', raw, 'non-zero padding bits');
  }
  return (len / 4) * 3 - pad;
}

/** Validates hexBinary (an even number of hex digits, either case) and returns its length in bytes. */
export function hexBinaryLength(raw: string): number {
  const len = raw.length;
  if (len % 2 !== 0) throw notType('hexBinary', raw, 'odd number of hex digits');
  for (let i = 0; i < len; i++) {
    const c = raw.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) throw notType('hexBinary', raw, 'not a hex digit');
  }
  return len / 2;
}

/**
 * Checks a string value and returns its length in Unicode code points. A NUL character is not
 * allowed (7012); a lone UTF-16 surrogate cannot be sent as UTF-8 at all (7011).
 */
export function stringLength(raw: string): number {
  const len = raw.length;
  let count = len;
  for (let i = 0; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0) throw badValue(raw, 'NUL characters are not allowed in strings');
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = raw.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw notType('string', raw, 'unpaired UTF-16 surrogate');
      count--;
      i++;
    }
  }
  return count;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
