/**
 * The TR-369 reconnect / retry back-off (§Notification Retry, R-MQTT.10, R-STOMP.25,
 * R-WS.19, R-BULK.2): retry n (1-based, capped at 10) waits a random time in
 * [m·k^(n-1), m·k^n] seconds, with m the minimum wait and k = multiplier/1000; an optional
 * cap (e.g. MQTT ConnectRetryMaxInterval) bounds it. Reset the count after success.
 */
export interface BackoffParams {
  /** Minimum wait in seconds (e.g. ConnectRetryTime, SessionRetryMinimumWaitInterval). */
  readonly minWaitS: number;
  /** Interval multiplier ×1000 (2000 = 2.0). */
  readonly multiplierX1000: number;
  /** Upper bound in seconds, when the data model has one. */
  readonly maxWaitS?: number;
}

export function retryDelayMs(attempt: number, p: BackoffParams, random: () => number = Math.random): number {
  const n = Math.min(Math.max(attempt, 1), 10);
  const k = Math.max(p.multiplierX1000, 1000) / 1000;
  const lo = p.minWaitS * k ** (n - 1);
  const hi = p.minWaitS * k ** n;
  let s = lo + random() * (hi - lo);
  if (p.maxWaitS !== undefined && p.maxWaitS > 0) s = Math.min(s, p.maxWaitS);
  return Math.round(s * 1000);
}

/** Counts attempts and schedules the next one; `reset()` after a success. Timers never keep the process alive. */
export class Backoff {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private params: BackoffParams) {}

  update(params: BackoffParams): void {
    this.params = params;
  }

  get attempts(): number {
    return this.attempt;
  }

  /** Schedules `fn` after the next back-off delay; returns that delay in ms. */
  schedule(fn: () => void): number {
    this.cancel();
    this.attempt++;
    const ms = retryDelayMs(this.attempt, this.params);
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
    return ms;
  }

  reset(): void {
    this.attempt = 0;
    this.cancel();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
