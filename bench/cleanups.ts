/**
 * Bounded runs with cleanup for the bench parts that start brokers and child processes
 * (bench/mtp.ts, bench/notify-latency.ts): cleanup steps run last-in first-out on success,
 * failure, timeout and Ctrl-C, each once; child peers still alive afterwards are SIGKILLed.
 */
import { liveChildren } from './mtp-procs.js';

/** Registers a cleanup step; returns a function that runs it now (once). */
export type Own = (fn: () => unknown) => () => Promise<void>;

export async function guarded<T>(name: string, deadlineMs: number, body: (own: Own) => Promise<T>): Promise<T> {
  const steps: (() => Promise<void>)[] = [];
  const own: Own = (fn) => {
    let done: Promise<void> | undefined;
    const once = (): Promise<void> =>
      (done ??= Promise.resolve()
        .then(fn)
        .then(() => undefined));
    steps.push(once);
    return once;
  };
  const cleanup = async (): Promise<void> => {
    for (let f = steps.pop(); f; f = steps.pop()) {
      try {
        await f();
      } catch (e) {
        console.error(`${name} cleanup: ${(e as Error).message}`);
      }
    }
    for (const c of liveChildren) c.kill('SIGKILL');
  };
  const deadline = setTimeout(() => {
    console.error(`${name}: not finished within ${deadlineMs / 1000} s; stopping`);
    void cleanup().finally(() => process.exit(1));
  }, deadlineMs);
  deadline.unref();
  const onSignal = (): void => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(own);
  } finally {
    await cleanup();
    clearTimeout(deadline);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
