/**
 * Puts Notify messages on the wire (TR-369 §Responses to Notifications and Notification Retry):
 *
 * - fire-and-forget (NotifRetry=false): send_resp=false, sent once. When no MTP reaches the
 *   controller yet (start-up, a broken connection), the message waits, in memory and for at most
 *   PARK_MAX_AGE_MS, until the transport layer reports the controller reachable; so a Boot! sent
 *   while the MTPs are still connecting is not lost.
 * - reliable (NotifRetry=true, OnBoardRequest): send_resp=true and kept until the NotifyResp with
 *   the same msg_id arrives from that controller (R-NOT.1); retry n waits a random time in
 *   [m·k^(n-1), m·k^n] s with the controller's USPNotifRetryMinimumWaitInterval m and
 *   USPNotifRetryIntervalMultiplier k/1000, capped from the 10th retry on (R-NOT.2; agent/mtp/retry.ts):
 *   5-10 s, then 10-20 s by default [TP-469 1.54]. Retrying stops at the expiry (NotifExpiration
 *   seconds after the first attempt, TP-469 1.56) or when the controller row is gone. Counts are
 *   per message, so each new message starts again at retry 1 (R-NOT.3/4).
 * - Messages with an expiry are kept in SQLite (Store.putNotification) and sent again after a
 *   restart, with a fresh retry count (R-NOT.4). Those without one are retried "until delivered
 *   or until the Agent is restarted" (TR-181 NotifExpiration = 0), so they are not kept.
 * Sends to one controller go out in the order they were made.
 */
import { randomBytes } from 'node:crypto';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import { buildRecord, buildRequest, encodeMsg } from '../../proto/index.js';
import type { NotifyReq, UspRecord } from '../../proto/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { retryDelayMs } from '../mtp/retry.js';

/** Sends one Record to a controller; false when no MTP reaches it (TransportManager.sendToController). */
export type SendFn = (endpointId: string, record: UspRecord, controllerRow?: ObjInstance) => Promise<boolean>;

/** Who a notification goes to. */
export interface Recipient {
  /** Instance path of its Device.LocalAgent.Controller.{i}. row. */
  readonly controller: string;
  readonly endpointId: string;
  /** The row itself when it is no longer in the data model (the notification about its own deletion). */
  readonly row?: ObjInstance;
}

export interface ReliableOptions {
  /** When retrying stops, ms since the epoch; 0 = never. */
  readonly expires: number;
  /** Keep it across restarts (only meaningful with an expiry). */
  readonly persist: boolean;
  /** Called once when the controller answers (NotifyResp, or an Error: it received it). */
  readonly onAnswered?: () => void;
}

interface Pending {
  readonly msgId: string;
  readonly to: Recipient;
  /** The encoded Msg; set once built (a retry is queued behind the first attempt, so it is there by then). */
  bytes: Uint8Array | undefined;
  readonly expires: number;
  readonly onAnswered: (() => void) | undefined;
  /** Retries made so far. */
  retries: number;
  /** Whether the last attempt reached an MTP. */
  routed: boolean;
  cancel: (() => void) | undefined;
}

interface Parked {
  readonly bytes: Uint8Array;
  readonly at: number;
  readonly row: ObjInstance | undefined;
}

/** How long a fire-and-forget Notify waits for its controller to become reachable. */
export const PARK_MAX_AGE_MS = 10 * 60_000;
/** How many such Notify messages wait per controller (the oldest are dropped first). */
export const PARK_LIMIT = 100;

export interface DeliveryOptions {
  readonly dm: DataModel;
  readonly log: Logger;
  readonly clock: Clock;
  /** The agent's Endpoint ID (Record from_id). */
  readonly endpointId: string;
  readonly send: SendFn;
  readonly random?: () => number;
}

export class Delivery {
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly parked = new Map<string, Parked[]>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly restored: Pending[] = [];
  private stopped = false;

  constructor(private readonly opts: DeliveryOptions) {}

  /** Sends `notify` once with send_resp=false; a promise that resolves to undefined sends nothing. */
  fire(to: Recipient, notify: NotifyReq | Promise<NotifyReq | undefined>): void {
    this.enqueue(to.endpointId, async () => {
      const n = await notify;
      if (!n) return;
      const bytes = this.encode(this.nextMsgId(), { ...n, sendResp: false });
      if (await this.trySend(to.endpointId, bytes, to.row)) return;
      const list = this.parked.get(to.endpointId) ?? [];
      list.push({ bytes, at: this.opts.clock.now(), row: to.row });
      if (list.length > PARK_LIMIT) list.splice(0, list.length - PARK_LIMIT);
      this.parked.set(to.endpointId, list);
      this.opts.log.debug('NTF-D01', `no MTP reaches ${to.endpointId} now; the notification waits for it`);
    });
  }

  /**
   * Sends `notify` with send_resp=true and retries it until answered or expired; returns its
   * msg_id. A promise that resolves to undefined sends nothing and forgets the msg_id.
   */
  reliable(to: Recipient, notify: NotifyReq | Promise<NotifyReq | undefined>, o: ReliableOptions): string {
    const msgId = this.nextMsgId();
    if (this.stopped) return msgId;
    const firstSent = this.opts.clock.now();
    const p: Pending = { msgId, to, bytes: undefined, expires: o.expires, onAnswered: o.onAnswered, retries: 0, routed: false, cancel: undefined };
    this.pending.set(msgId, p);
    // Retry times count from this first attempt, whatever the send takes.
    this.scheduleRetry(p);
    this.enqueue(to.endpointId, async () => {
      let bytes: Uint8Array;
      try {
        const n = await notify;
        if (!n) {
          this.drop(p);
          return;
        }
        bytes = this.encode(msgId, { ...n, sendResp: true });
      } catch (e) {
        this.drop(p);
        throw e;
      }
      p.bytes = bytes;
      if (!this.pending.has(msgId)) return;
      if (o.persist && o.expires > 0)
        this.opts.dm.store.putNotification({ msgId, controller: to.controller, endpointId: to.endpointId, msg: bytes, firstSent, expires: o.expires });
      p.routed = await this.trySend(to.endpointId, bytes, to.row);
    });
    return msgId;
  }

  /**
   * A Response or Error to `msgId` from `fromEndpointId`. True when it answered a pending Notify;
   * anything else (unknown msg_id, another controller) is ignored (R-MSG.0). The NotifyResp
   * content is not looked at (R-NOT.9).
   */
  answered(msgId: string, fromEndpointId: string): boolean {
    const p = this.pending.get(msgId);
    if (!p || p.to.endpointId !== fromEndpointId) return false;
    this.drop(p);
    p.onAnswered?.();
    return true;
  }

  /** True while the Notify `msgId` awaits its answer. */
  isPending(msgId: string): boolean {
    return this.pending.has(msgId);
  }

  /** A controller became reachable: what waited for it goes out now, in order. */
  reachable(endpointId: string): void {
    const list = this.parked.get(endpointId) ?? [];
    this.parked.delete(endpointId);
    const now = this.opts.clock.now();
    for (const m of list) {
      if (now - m.at > PARK_MAX_AGE_MS) continue;
      this.enqueue(endpointId, async () => {
        await this.trySend(endpointId, m.bytes, m.row);
      });
    }
    for (const p of this.pending.values()) {
      // Restored ones wait for resume(), which sends them once the agent has started.
      if (p.to.endpointId !== endpointId || p.routed || this.restored.includes(p)) continue;
      this.enqueue(endpointId, async () => {
        if (this.pending.has(p.msgId) && p.bytes) p.routed = await this.trySend(endpointId, p.bytes, p.to.row);
      });
    }
  }

  /** Loads the kept Notify messages (start-up): expired ones are dropped, the others sent again by resume(). */
  restore(): number {
    const now = this.opts.clock.now();
    let n = 0;
    for (const s of this.opts.dm.store.loadNotifications()) {
      if (s.expires === 0 || s.expires <= now || !this.opts.dm.tree.get(s.controller)) {
        this.opts.dm.store.deleteNotification(s.msgId);
        continue;
      }
      const p: Pending = {
        msgId: s.msgId,
        to: { controller: s.controller, endpointId: s.endpointId },
        bytes: s.msg,
        expires: s.expires,
        onAnswered: undefined,
        retries: 0,
        routed: false,
        cancel: undefined,
      };
      this.pending.set(s.msgId, p);
      this.restored.push(p);
      n++;
    }
    return n;
  }

  /** Sends the restored messages again (after the transports started); retries count from now (R-NOT.4). */
  resume(): void {
    for (const p of this.restored.splice(0)) {
      if (!this.pending.has(p.msgId)) continue;
      this.scheduleRetry(p);
      this.enqueue(p.to.endpointId, async () => {
        if (this.pending.has(p.msgId) && p.bytes) p.routed = await this.trySend(p.to.endpointId, p.bytes, p.to.row);
      });
    }
  }

  /** Stops every timer and waits for sends in progress. Kept messages stay in the database. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pending.values()) p.cancel?.();
    this.pending.clear();
    this.parked.clear();
    await Promise.all([...this.chains.values()]);
  }

  private nextMsgId(): string {
    return `notify-${this.prefix}-${++this.seq}`;
  }

  private encode(msgId: string, notify: NotifyReq): Uint8Array {
    return encodeMsg(buildRequest(msgId, { notify }));
  }

  private scheduleRetry(p: Pending): void {
    if (this.stopped || !this.pending.has(p.msgId)) return;
    const ctrl = this.opts.dm.tree.get(p.to.controller);
    const num = (name: string, dflt: number): number => Number(ctrl?.values.get(name) ?? ctrl?.node.params.get(name)?.defaultValue ?? dflt) || dflt;
    const delay = retryDelayMs(
      p.retries + 1,
      { minWaitS: num('USPNotifRetryMinimumWaitInterval', 5), multiplierX1000: num('USPNotifRetryIntervalMultiplier', 2000) },
      this.opts.random,
    );
    const wait = p.expires > 0 ? Math.max(0, Math.min(delay, p.expires - this.opts.clock.now())) : delay;
    p.cancel = this.opts.clock.setTimer(() => this.retry(p), wait);
  }

  private retry(p: Pending): void {
    p.cancel = undefined;
    if (this.stopped || !this.pending.has(p.msgId)) return;
    if (p.expires > 0 && this.opts.clock.now() >= p.expires) {
      this.opts.log.info('NTF-I01', `notification ${p.msgId} to ${p.to.endpointId} expired unanswered after ${p.retries} retries`);
      return this.drop(p);
    }
    if (!this.opts.dm.tree.get(p.to.controller)) {
      this.opts.log.info('NTF-I02', `notification ${p.msgId} dropped: controller ${p.to.controller} no longer exists`);
      return this.drop(p);
    }
    p.retries++;
    this.scheduleRetry(p);
    this.enqueue(p.to.endpointId, async () => {
      if (this.pending.has(p.msgId) && p.bytes) p.routed = await this.trySend(p.to.endpointId, p.bytes, undefined);
    });
  }

  private drop(p: Pending): void {
    p.cancel?.();
    p.cancel = undefined;
    this.pending.delete(p.msgId);
    this.opts.dm.store.deleteNotification(p.msgId);
  }

  private async trySend(endpointId: string, payload: Uint8Array, row: ObjInstance | undefined): Promise<boolean> {
    if (this.stopped) return false;
    try {
      return await this.opts.send(endpointId, buildRecord({ toId: endpointId, fromId: this.opts.endpointId, payload }), row);
    } catch (e) {
      this.opts.log.warn('NTF-W01', `sending a notification to ${endpointId} failed`, e);
      return false;
    }
  }

  private enqueue(endpointId: string, task: () => Promise<void>): void {
    if (this.stopped) return;
    const prev = this.chains.get(endpointId) ?? Promise.resolve();
    const next = prev.then(task).catch((e: unknown) => this.opts.log.error('NTF-E01', `notification to ${endpointId} failed`, e));
    this.chains.set(endpointId, next);
    void next.then(() => {
      if (this.chains.get(endpointId) === next) this.chains.delete(endpointId);
    });
  }
}
