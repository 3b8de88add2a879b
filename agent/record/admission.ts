/**
 * Per-controller admission of received messages: a token bucket per controller (its rate limit)
 * and one waiting queue per controller, served round-robin one message at a time. Messages are
 * handled one at a time anyway (the data model lock); without this, a controller that sends a
 * thousand requests puts them all in that single line ahead of everyone else's. With it, another
 * controller's request waits for at most one message of each busy controller.
 */
import type { Clock } from '../clock.js';
import type { RateLimitConfig } from '../config-limits.js';
import type { Logger } from '../log.js';

/** Why a message was not admitted. */
export type Refusal = 'rate' | 'queue';

interface Bucket {
  tokens: number;
  /** clock.now() of the last refill. */
  at: number;
  /** Messages refused since the controller went over its limit (0 = not limited now). */
  refused: number;
}

interface Job {
  readonly run: () => Promise<void>;
}

export interface AdmissionOptions {
  readonly rate: RateLimitConfig;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Buckets kept at most; full (idle) ones are forgotten first. Controllers are few; this only bounds memory. */
const MAX_BUCKETS = 10_000;

export class Admission {
  private readonly buckets = new Map<string, Bucket>();
  private readonly waiting = new Map<string, Job[]>();
  /** Controllers with waiting messages, in the order they get their next turn. */
  private readonly ring: string[] = [];
  private busy = false;

  constructor(private readonly opts: AdmissionOptions) {}

  /**
   * Queues `fn` for controller `key`, or refuses it at once: 'rate' when the controller is over
   * its rate limit, 'queue' when it already has `maxQueued` messages waiting. Otherwise the
   * returned promise settles with `fn`'s result once it has had its turn.
   */
  submit<T>(key: string, fn: () => Promise<T>): { refused: Refusal } | { result: Promise<T> } {
    if (!this.takeToken(key)) return { refused: 'rate' };
    const queue = this.waiting.get(key) ?? [];
    if (queue.length >= this.opts.rate.maxQueued) {
      this.opts.log.warn('REC-W09', `refused a message from ${key}: ${queue.length} of its messages are already waiting (limits.rate.maxQueued)`);
      return { refused: 'queue' };
    }
    const result = new Promise<T>((resolve, reject) => {
      queue.push({ run: () => fn().then(resolve, reject) });
    });
    if (queue.length === 1) {
      this.waiting.set(key, queue);
      this.ring.push(key);
    }
    this.pump();
    return { result };
  }

  /** Messages waiting (not yet started) for `key`; for tests and diagnostics. */
  waitingFor(key: string): number {
    return this.waiting.get(key)?.length ?? 0;
  }

  private pump(): void {
    if (this.busy) return;
    const key = this.ring.shift();
    if (key === undefined) return;
    const queue = this.waiting.get(key) as Job[];
    const job = queue.shift() as Job;
    if (queue.length > 0) this.ring.push(key);
    else this.waiting.delete(key);
    this.busy = true;
    // job.run never rejects (it settles the submitter's promise instead).
    void job.run().finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  /** Token bucket (rate per second, `burst` deep); logs when a controller goes over and comes back. */
  private takeToken(key: string): boolean {
    const { messagesPerSecond: rate, burst } = this.opts.rate;
    if (rate === 0) return true;
    const now = this.opts.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetIdle(now);
      b = { tokens: burst, at: now, refused: 0 };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) * rate) / 1000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      if (b.refused > 0) {
        this.opts.log.info('REC-I01', `${key} is back under its rate limit; ${b.refused} message(s) were refused with 7005`);
        b.refused = 0;
      }
      return true;
    }
    // One line per episode, not one per message: a flood must not flood the log too.
    if (b.refused++ === 0) this.opts.log.warn('REC-W08', `${key} is over its rate limit (${rate} messages/s, burst ${burst}): refusing its messages with 7005`);
    return false;
  }

  private forgetIdle(now: number): void {
    const { messagesPerSecond: rate, burst } = this.opts.rate;
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * rate) / 1000 >= burst) this.buckets.delete(k);
  }
}
