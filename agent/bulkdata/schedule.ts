/**
 * Reporting times (TR-181 Profile.{i}.ReportingInterval and TimeReference): every report is due
 * at anchor + k·interval, where the anchor is the TimeReference, or, for the Unknown Time, the
 * moment the schedule was (re)started (TR-181: "the CPE MAY locally choose the time reference").
 * The next time is always computed from the anchor, never as "last report + interval", so slow
 * collections, late timers or retries never make the schedule drift.
 */
import type { Clock } from '../clock.js';

/** Node timers overflow beyond 2^31-1 ms; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** The first time anchor + k·interval (k any integer) strictly after `afterMs`. */
export function nextDue(anchorMs: number, intervalMs: number, afterMs: number): number {
  const k = Math.floor((afterMs - anchorMs) / intervalMs) + 1;
  return anchorMs + k * intervalMs;
}

/** Calls `fn` once `clock.now()` reaches `dueMs` (a late timer fires late, never early); returns the cancel function. */
export function at(clock: Clock, dueMs: number, fn: () => void): () => void {
  let cancel: () => void = () => undefined;
  let done = false;
  const check = (): void => {
    if (done) return;
    const left = dueMs - clock.now();
    if (left <= 0) {
      done = true;
      fn();
    } else {
      cancel = clock.setTimer(check, Math.min(left, MAX_TIMER_MS));
    }
  };
  check();
  return () => {
    done = true;
    cancel();
  };
}

/** Resolves after `ms` on `clock`, or with false as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      cancel();
      resolve(false);
    };
    const cancel = at(clock, clock.now() + ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
