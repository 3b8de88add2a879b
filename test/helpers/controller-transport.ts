/**
 * The controller side of one MTP, as a generic test controller uses it: bytes of whole USP
 * Records in and out, nothing else. Each MTP's test helper (controller-mqtt.ts, …) implements it.
 */
export interface ControllerTransport {
  /** Sends one Record to the agent (to the helper's default agent address). */
  send(bytes: Uint8Array): Promise<void>;
  /** The next Record from the agent; rejects after `timeoutMs` (default 5000) without one. */
  nextRecord(timeoutMs?: number): Promise<Uint8Array>;
  /** Closes the connection; idempotent. */
  close(): Promise<void>;
}

/** A FIFO of received items with timed waits, shared by the transport helpers. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const w = this.waiters.shift();
    if (w) w(item);
    else this.items.push(item);
  }

  get size(): number {
    return this.items.length;
  }

  next(timeoutMs: number, what: string): Promise<T> {
    const first = this.items.shift();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const waiter = (item: T): void => {
        clearTimeout(timer);
        resolve(item);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
