/**
 * Injectable time (STYLE §1): wall-clock `now()` and one-shot timers. Scheduled work (ScheduleTimer,
 * and later retries and periodic events) uses a Clock, never Date or setTimeout directly, so
 * tests drive timing with a fake clock.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns the function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** Node timers overflow beyond 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** The reason an aborted signal carries, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(String(r));
}

/** Resolves once `clock.now()` has reached `dueMs`; rejects with the signal's reason when it is aborted first. */
export function waitUntil(clock: Clock, dueMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let cancel: () => void = () => undefined;
    const onAbort = (): void => {
      cancel();
      reject(abortReason(signal));
    };
    const check = (): void => {
      const left = dueMs - clock.now();
      if (left <= 0) {
        signal.removeEventListener('abort', onAbort);
        resolve();
      } else {
        cancel = clock.setTimer(check, Math.min(left, MAX_TIMER_MS));
      }
    };
    if (signal.aborted) return reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    check();
  });
}
