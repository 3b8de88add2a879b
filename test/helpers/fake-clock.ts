/**
 * A fake Clock (agent/clock.ts) for scheduler timing: time moves only when a test calls
 * advance(), and tests wait for a timer to be armed instead of sleeping.
 */
import type { Clock } from '../../agent/clock.js';

interface Timer {
  readonly due: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  private timers = new Set<Timer>();
  private armed: (() => void)[] = [];

  constructor(private nowMs = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.nowMs;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const t = { due: this.nowMs + ms, fn };
    this.timers.add(t);
    for (const w of this.armed.splice(0)) w();
    return () => this.timers.delete(t);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Resolves once at least `n` timers are armed. */
  async whenArmed(n = 1): Promise<void> {
    while (this.timers.size < n) await new Promise<void>((resolve) => this.armed.push(resolve));
  }

  /** Moves time forward, firing every timer that falls due, in due order. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.due - b.due)[0];
      if (!next || next.due > end) break;
      this.timers.delete(next);
      this.nowMs = next.due;
      next.fn();
    }
    this.nowMs = end;
  }
}
