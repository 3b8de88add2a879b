/**
 * TR-106 dateTime (§3.2.1): ISO 8601 / XSD dateTime with a time zone, normalised to UTC `Z`.
 *
 * Internal helpers of types.ts. Years are 0001–9999, proleptic Gregorian. `0001-01-01T00:00:00Z`
 * is the Unknown Time and `9999-12-31T23:59:59Z` means "never"; both are ordinary values here.
 */
import { badValue, compareFraction, notType } from './types-scalar.js';

/** The Unknown Time (TR-106 §3.2.1), also the zero value of dateTime. */
export const UNKNOWN_TIME = '0001-01-01T00:00:00Z';

/** Longest accepted input; 19 fixed characters, a fraction and an offset fit easily. */
const MAX_LENGTH = 64;
const MINUTES_PER_DAY = 1440;

/**
 * Validates `raw` and returns it in UTC with a `Z` suffix. Fractional seconds are kept exactly as
 * given (digits are not trimmed). A missing time zone, a bad field or an impossible calendar date
 * (Feb 30, hour 24, second 60) is 7011; an offset that moves the instant outside years
 * 0001–9999 is 7012.
 */
export function canonicalDateTime(raw: string): string {
  const len = raw.length;
  if (len < 20 || len > MAX_LENGTH) throw notType('dateTime', raw, 'expected YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)');
  const year = digits(raw, 0, 4);
  const month = digits(raw, 5, 2);
  const day = digits(raw, 8, 2);
  const hour = digits(raw, 11, 2);
  const minute = digits(raw, 14, 2);
  const second = digits(raw, 17, 2);
  if (
    year < 1 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    raw.charCodeAt(4) !== 0x2d ||
    raw.charCodeAt(7) !== 0x2d ||
    raw.charCodeAt(10) !== 0x54 ||
    raw.charCodeAt(13) !== 0x3a ||
    raw.charCodeAt(16) !== 0x3a
  ) {
    throw notType('dateTime', raw, 'expected a real date and time YYYY-MM-DDThh:mm:ss');
  }
  let i = 19;
  if (raw.charCodeAt(i) === 0x2e) {
    const start = ++i;
    while (i < len && raw.charCodeAt(i) >= 0x30 && raw.charCodeAt(i) <= 0x39) i++;
    if (i === start) throw notType('dateTime', raw, 'empty fractional seconds');
  }
  const fracEnd = i;
  const zone = raw.charCodeAt(i);
  if (zone === 0x5a && i + 1 === len) return raw;
  if ((zone !== 0x2b && zone !== 0x2d) || i + 6 !== len || raw.charCodeAt(i + 3) !== 0x3a) {
    throw notType('dateTime', raw, 'a time zone Z or ±hh:mm is required');
  }
  const offH = digits(raw, i + 1, 2);
  const offM = digits(raw, i + 4, 2);
  if (offH < 0 || offM < 0 || offM > 59 || offH > 14 || (offH === 14 && offM > 0)) {
    throw notType('dateTime', raw, 'time zone offset outside ±14:00');
  }
  const offset = (zone === 0x2d ? -1 : 1) * (offH * 60 + offM);
  if (offset === 0) return `${raw.slice(0, fracEnd)}Z`;

  const total = daysFromCivil(year, month, day) * MINUTES_PER_DAY + hour * 60 + minute - offset;
  const days = Math.floor(total / MINUTES_PER_DAY);
  const inDay = total - days * MINUTES_PER_DAY;
  const civil = civilFromDays(days);
  const y = Math.floor(civil / 10000);
  if (y < 1 || y > 9999) throw badValue(raw, 'the instant in UTC falls outside years 0001-9999');
  const m = Math.floor(civil / 100) % 100;
  const d = civil % 100;
  return (
    `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}T${pad2(Math.floor(inDay / 60))}:${pad2(inDay % 60)}:` +
    `${raw.slice(17, fracEnd)}Z`
  );
}

/** Chronological order of two canonical (UTC `Z`) dateTimes, fractions compared numerically. */
export function compareCanonicalDateTime(a: string, b: string): number {
  for (let i = 0; i < 19; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return compareFraction(a, 20, b, 20);
}

/** Parses `n` ASCII digits at `at`, or returns -1. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of daysFromCivil, packed as y*10000 + m*100 + d to avoid allocating. */
function civilFromDays(z: number): number {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 10000 + m * 100 + d;
}
