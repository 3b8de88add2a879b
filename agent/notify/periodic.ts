/**
 * Device.LocalAgent.Periodic! timing per controller (TR-181 Controller.{i}.PeriodicNotifInterval
 * and PeriodicNotifTime, USP-NOTES §9, TP-469 1.59): every interval seconds, at PeriodicNotifTime
 * plus or minus a whole number of intervals. With the Unknown Time (or no time reference) the
 * agent picks the phase: the moment the schedule starts. The notifier says which controllers
 * want it (those with an enabled Event subscription to Periodic!) after every committed change.
 */
import type { Clock } from '../clock.js';

export interface PeriodicWish {
  readonly intervalS: number;
  /** Phase reference, ms since the epoch; undefined lets the agent choose. */
  readonly refMs: number | undefined;
}

interface Running {
  readonly key: string;
  readonly base: number;
  readonly intervalMs: number;
  cancel: () => void;
}

/** Node timers overflow beyond 2^31-1 ms; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** First time strictly after `now` that is `base` plus a whole number of `intervalMs`. */
export function nextPeriodic(base: number, intervalMs: number, now: number): number {
  const k = Math.floor((now - base) / intervalMs) + 1;
  return base + k * intervalMs;
}

export class PeriodicScheduler {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly clock: Clock,
    private readonly fire: (controllerPath: string) => void,
  ) {}

  /** Makes the running schedules match `wanted` (controller path → wish); unchanged ones keep their phase. */
  reconcile(wanted: ReadonlyMap<string, PeriodicWish>): void {
    for (const [ctrl, r] of this.running) {
      const w = wanted.get(ctrl);
      if (w && keyOf(w) === r.key) continue;
      r.cancel();
      this.running.delete(ctrl);
    }
    for (const [ctrl, w] of wanted) {
      if (this.running.has(ctrl) || !(w.intervalS >= 1)) continue;
      const r: Running = { key: keyOf(w), base: w.refMs ?? this.clock.now(), intervalMs: w.intervalS * 1000, cancel: () => undefined };
      this.running.set(ctrl, r);
      this.arm(ctrl, r, nextPeriodic(r.base, r.intervalMs, this.clock.now()));
    }
  }

  stop(): void {
    for (const r of this.running.values()) r.cancel();
    this.running.clear();
  }

  private arm(ctrl: string, r: Running, due: number): void {
    const wait = Math.max(0, due - this.clock.now());
    r.cancel = this.clock.setTimer(
      () => {
        if (this.running.get(ctrl) !== r) return;
        if (this.clock.now() < due) return this.arm(ctrl, r, due);
        this.fire(ctrl);
        this.arm(ctrl, r, nextPeriodic(r.base, r.intervalMs, Math.max(this.clock.now(), due)));
      },
      Math.min(wait, MAX_TIMER_MS),
    );
  }
}

function keyOf(w: PeriodicWish): string {
  return `${w.intervalS}|${w.refMs ?? 'agent'}`;
}
