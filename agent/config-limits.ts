/**
 * The `limits.*` part of the config: how big a Record may be, how big the database may grow, and
 * how fast one controller may send. docs/limits.md explains each setting and what a controller
 * sees when it hits one.
 */

/** Per-controller admission (agent/record/admission.ts). */
export interface RateLimitConfig {
  /**
   * Messages one controller may send per second on average (token bucket refill); 0 = no rate
   * limit. Over it, a request is answered with Error 7005 at once and not queued.
   */
  messagesPerSecond: number;
  /** Bucket size: how many messages a controller may send in a burst above the average. */
  burst: number;
  /**
   * Messages of one controller waiting for their turn; beyond it a request gets Error 7005.
   * Waiting messages are served round-robin across controllers, so one cannot starve another.
   */
  maxQueued: number;
}

export interface LimitsConfig {
  /** Largest USP Record or admin frame accepted, in bytes; larger ones are dropped unread. */
  maxMessageBytes: number;
  /**
   * Largest size of the database file in bytes (SQLite max_page_count); 0 = no limit but the
   * disk's. A change that would grow it further fails with 7005 and nothing of it is kept.
   */
  maxDatabaseBytes: number;
  rate: RateLimitConfig;
}

export const LIMITS_DEFAULTS: LimitsConfig = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxDatabaseBytes: 0,
  // Off by default: the fair queue alone keeps controllers from starving each other, and a
  // deployment knows its controllers' normal rate (bench/mtp.ts pipelines thousands per second).
  rate: { messagesPerSecond: 0, burst: 100, maxQueued: 1000 },
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(obj: Json, key: string, where: string, dflt: number, min: number, max: number, hint: string, problems: string[]): number {
  const v = obj[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    problems.push(`${where}${key}: must be an integer from ${hint}`);
    return dflt;
  }
  return v;
}

function unknownKeys(obj: Json, allowed: readonly string[], where: string, problems: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k) && k !== 'comment') problems.push(`${where}${k}: unknown setting`);
}

/** Parses `limits` from the raw config, adding every problem (with its location) to `problems`. */
export function parseLimits(raw: unknown, problems: string[]): LimitsConfig {
  const d = LIMITS_DEFAULTS;
  if (raw === undefined) return { ...d, rate: { ...d.rate } };
  if (!isObj(raw)) {
    problems.push('limits: must be an object');
    return { ...d, rate: { ...d.rate } };
  }
  unknownKeys(raw, ['maxMessageBytes', 'maxDatabaseBytes', 'rate'], 'limits.', problems);
  const maxMessageBytes = int(raw, 'maxMessageBytes', 'limits.', d.maxMessageBytes, 1024, 256 * 1024 * 1024, '1024 to 268435456', problems);
  // 64 KiB: below that not even a fresh database fits.
  const maxDatabaseBytes = int(raw, 'maxDatabaseBytes', 'limits.', d.maxDatabaseBytes, 0, Number.MAX_SAFE_INTEGER, '0 (no limit) or 65536 up', problems);
  if (maxDatabaseBytes !== 0 && maxDatabaseBytes < 65536) problems.push('limits.maxDatabaseBytes: must be an integer from 0 (no limit) or 65536 up');
  let rate = { ...d.rate };
  if (raw.rate !== undefined) {
    if (!isObj(raw.rate)) problems.push('limits.rate: must be an object');
    else {
      const r = raw.rate;
      unknownKeys(r, ['messagesPerSecond', 'burst', 'maxQueued'], 'limits.rate.', problems);
      rate = {
        messagesPerSecond: int(r, 'messagesPerSecond', 'limits.rate.', d.rate.messagesPerSecond, 0, 1_000_000, '0 (no limit) to 1000000', problems),
        burst: int(r, 'burst', 'limits.rate.', d.rate.burst, 1, 1_000_000, '1 to 1000000', problems),
        maxQueued: int(r, 'maxQueued', 'limits.rate.', d.rate.maxQueued, 1, 1_000_000, '1 to 1000000', problems),
      };
    }
  }
  return { maxMessageBytes, maxDatabaseBytes: maxDatabaseBytes >= 65536 ? maxDatabaseBytes : 0, rate };
}
