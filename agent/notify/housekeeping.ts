/**
 * Removes Subscription rows the agent must remove by itself (TR-181 Device.LocalAgent.Subscription.{i}):
 * - at start-up, rows with Persistent=false ("removed whenever the Agent is restarted");
 * - rows whose TimeToLive has run out, counted from CreationDate (it does not count down when
 *   read, TP-469 1.55): at start-up and by a timer at the earliest expiry. A row with a TimeToLive
 *   but no known CreationDate expires at the next restart (TR-181: an agent without absolute time);
 * - rows whose Recipient controller was deleted (TP-469 1.78), after the ObjectDeletion
 *   notifications of that delete have been queued (USP-NOTES §10), and at start-up.
 * Every removal is an ordinary transaction, so subscribers hear the ObjectDeletion of these rows.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { readSubscriptions } from './subscriptions.js';
import type { Subscription } from './subscriptions.js';

/** Node timers overflow beyond 2^31-1 ms; a later expiry is re-planned when the timer fires. */
const MAX_TIMER_MS = 2_147_483_647;

export class Housekeeping {
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(private readonly opts: { readonly dm: DataModel; readonly clock: Clock; readonly log: Logger }) {}

  /** The start-up pass; returns how many rows it removed. */
  startup(): Promise<number> {
    const { dm, clock } = this.opts;
    return this.remove(() => {
      const now = clock.now();
      return readSubscriptions(dm.tree)
        .filter((s) => {
          if (!s.persistent) return true;
          if (s.timeToLiveS > 0 && (s.createdMs === undefined || s.createdMs + s.timeToLiveS * 1000 <= now)) return true;
          return s.recipient !== '' && !dm.tree.get(s.recipient);
        })
        .map((s) => s.path);
    }, 'start-up (Persistent=false, TimeToLive over, or Recipient gone)');
  }

  /** Plans the timer for the earliest TimeToLive expiry among `subs`. */
  plan(subs: readonly Subscription[]): void {
    if (this.stopped) return;
    let next = Infinity;
    for (const s of subs) if (s.timeToLiveS > 0 && s.createdMs !== undefined) next = Math.min(next, s.createdMs + s.timeToLiveS * 1000);
    if (next === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.cancelTimer = this.opts.clock.setTimer(() => this.expire(), Math.min(Math.max(0, next - this.opts.clock.now()), MAX_TIMER_MS));
  }

  /**
   * Deletes, in one transaction, the rows `which` names when the transaction runs (so the choice
   * sees committed state only); resolves with how many. Errors are logged.
   */
  remove(which: () => readonly string[], why: string): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    const { dm, log } = this.opts;
    return dm
      .transaction((txn) => {
        if (this.stopped) return [];
        const rows = which().flatMap((p) => dm.tree.get(p) ?? []);
        for (const row of rows) txn.deleteRow(row);
        return rows.map((r) => r.path);
      })
      .then((paths) => {
        if (paths.length > 0) log.info('NTF-I03', `removed ${paths.join(', ')}: ${why}`);
        return paths.length;
      })
      .catch((e: unknown) => {
        log.error('NTF-E02', `removing subscriptions (${why}) failed`, e);
        return 0;
      });
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private expire(): void {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    void this.remove(() => {
      const now = this.opts.clock.now();
      return readSubscriptions(this.opts.dm.tree)
        .filter((s) => s.timeToLiveS > 0 && s.createdMs !== undefined && s.createdMs + s.timeToLiveS * 1000 <= now)
        .map((s) => s.path);
    }, 'TimeToLive over').then((n) => {
      // Nothing was due (the timer ran early, or a change moved the expiry): plan again.
      if (n === 0) this.plan(readSubscriptions(this.opts.dm.tree));
    });
  }
}
