/**
 * Test rig for agent/notify: a real in-process agent (real SQLite file) with two controller rows,
 * a Notifier on a fake clock whose send function records every Notify instead of using an MTP,
 * and small helpers to add subscriptions as a given controller. Waiting is on events and fake
 * time, never on real time.
 */
import type { Test } from 'tap';
import type { Requester } from '../../agent/handlers/context.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { Notifier } from '../../agent/notify/notifier.js';
import type { NotifierOptions } from '../../agent/notify/notifier.js';
import type { AgentOptions } from '../../agent/agent.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import { buildError, buildResponse, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { DecodedMsg, UspRecord, usp } from '../../proto/index.js';
import { ADMIN_REQUESTER, freshAgent } from './agent.js';
import type { TestAgent } from './agent.js';
import { FakeClock } from './fake-clock.js';

export const C1 = 'proto::ctrl-one';
export const C2 = 'proto::ctrl-two';
export const C1_PATH = 'Device.LocalAgent.Controller.1.';
export const C2_PATH = 'Device.LocalAgent.Controller.2.';
export const AS_C1: Requester = { endpointId: C1, controllerPath: C1_PATH, readSecured: false };
export const AS_C2: Requester = { endpointId: C2, controllerPath: C2_PATH, readSecured: false };
export const SUBS = 'Device.LocalAgent.Subscription.';

/** One Notify the agent sent. */
export interface Sent {
  readonly to: string;
  /** Fake-clock time of the send. */
  readonly at: number;
  readonly msgId: string;
  readonly notify: usp.Notify.$Shape;
  /** The row passed for a controller no longer in the data model. */
  readonly viaRow: ObjInstance | undefined;
}

/** A send function that records and answers "delivered" unless the controller is set unreachable. */
export class Recorder {
  readonly sent: Sent[] = [];
  readonly unreachable = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(private readonly clock: FakeClock) {}

  readonly send = async (endpointId: string, record: UspRecord, row?: ObjInstance): Promise<boolean> => {
    if (this.unreachable.has(endpointId)) return false;
    // Round-trip through protobuf, as an MTP would.
    const rec = decodeRecord(encodeRecord(record));
    const msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
    const notify = msg.body.request?.notify;
    if (!notify) throw new Error('the notifier sent something that is not a Notify');
    this.sent.push({ to: endpointId, at: this.clock.now(), msgId: msg.header.msgId, notify, viaRow: row });
    for (const w of this.waiters.splice(0)) w();
    return true;
  };

  /** Notifications of one kind (`valueChange`, `objCreation`, …), optionally to one controller. */
  of(kind: NonNullable<usp.Notify.$Shape['notification']>, to?: string): Sent[] {
    return this.sent.filter((s) => s.notify.notification === kind && (to === undefined || s.to === to));
  }

  /** Waits (on events, bounded by real time only as a safety net) until `pred` holds. */
  async until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; sent: ${JSON.stringify(this.sent.map((s) => [s.to, s.notify.notification, s.notify.subscriptionId]))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setImmediate(resolve);
      });
    }
  }
}

/**
 * The shared FakeClock, stepping from timer to timer: after each one fires, what it started
 * (sends, the next retry timer) runs before time moves on, so every send happens at the fake time
 * its timer fell due.
 */
export class SteppingClock extends FakeClock {
  private readonly dues = new Set<{ readonly due: number }>();

  override setTimer(fn: () => void, ms: number): () => void {
    const entry = { due: this.now() + ms };
    this.dues.add(entry);
    const cancel = super.setTimer(() => {
      this.dues.delete(entry);
      fn();
    }, ms);
    return () => {
      this.dues.delete(entry);
      cancel();
    };
  }

  /** Moves time forward by `ms`, one due timer at a time, letting each one's work settle. */
  async step(ms: number): Promise<void> {
    const end = this.now() + ms;
    for (;;) {
      let next = Infinity;
      for (const d of this.dues) next = Math.min(next, d.due);
      if (next > end) break;
      this.advance(Math.max(0, next - this.now()));
      await settle();
    }
    this.advance(end - this.now());
    await settle();
  }
}

/** Lets queued promise chains (notification building, sends, locked sections) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Rig {
  readonly agent: TestAgent;
  readonly clock: SteppingClock;
  readonly rec: Recorder;
  readonly notifier: Notifier;
  /** Stops the notifier and opens the same database again with a new one, as after a restart. */
  readonly restart: (opts?: Partial<NotifierOptions>) => Promise<Rig>;
  /** Advances fake time timer by timer, letting what each triggers run. */
  readonly advance: (ms: number) => Promise<void>;
}

export interface RigOptions {
  readonly notifier?: Partial<NotifierOptions>;
  readonly agent?: AgentOptions;
  /** Extra Controller settings (both rows). */
  readonly controller?: Readonly<Record<string, string>>;
  /** Don't start (only init) the notifier. */
  readonly noStart?: boolean;
}

async function makeNotifier(agent: TestAgent, clock: FakeClock, rec: Recorder, o: Partial<NotifierOptions>, start: boolean): Promise<Notifier> {
  const notifier = new Notifier({
    dm: agent.dm,
    log: SILENT_LOGGER,
    clock,
    endpointId: agent.config.endpointId,
    send: rec.send,
    supportedProtocols: '1.0,1.1,1.2,1.3,1.4',
    liveSampleMs: 5000,
    ...o,
  });
  agent.requests.events = notifier;
  await notifier.init();
  if (start) await notifier.start();
  await settle();
  return notifier;
}

/** A fresh agent with controllers C1 and C2 (enabled, onboarding complete) and a started notifier. */
export async function rig(t: Test, o: RigOptions = {}): Promise<Rig> {
  const clock = new SteppingClock();
  const { agent, cleanup } = await freshAgent({ clock, ...o.agent });
  const rec = new Recorder(clock);
  for (const eid of [C1, C2]) {
    const settings = { EndpointID: eid, Enable: 'true', OnBoardingComplete: 'true', ...o.controller };
    await add(agent, ADMIN_REQUESTER, 'Device.LocalAgent.Controller.', settings);
  }
  const notifier = await makeNotifier(agent, clock, rec, o.notifier ?? {}, !o.noStart);
  const made = wrap(agent, clock, rec, notifier);
  t.teardown(async () => {
    await made.current.notifier.stop();
    made.current.agent.close();
    cleanup();
  });
  return made.current;
}

function wrap(agent: TestAgent, clock: SteppingClock, rec: Recorder, notifier: Notifier): { current: Rig } {
  const holder: { current: Rig } = { current: undefined as unknown as Rig };
  const build = (a: TestAgent, n: Notifier): Rig => ({
    agent: a,
    clock,
    rec,
    notifier: n,
    advance: (ms) => clock.step(ms),
    restart: async (opts = {}) => {
      await n.stop();
      const again = await a.reopen({ clock });
      const n2 = await makeNotifier(again, clock, rec, opts, true);
      holder.current = build(again, n2);
      return holder.current;
    },
  });
  holder.current = build(agent, notifier);
  return holder;
}

/** Adds one row as `who`; returns the instantiated path (throws on failure with the error text). */
export async function add(agent: TestAgent, who: Requester, table: string, settings: Readonly<Record<string, string>>): Promise<string> {
  const r = await agent.request(
    {
      add: {
        allowPartial: false,
        createObjs: [{ objPath: table, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) }],
      },
    },
    who,
  );
  const created = r.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
  if (!created) throw new Error(`add ${table} failed: ${JSON.stringify(r.body.error ?? r.body.response)}`);
  return created;
}

/** Adds an enabled subscription as `who`. */
export function subscribe(agent: TestAgent, who: Requester, settings: Readonly<Record<string, string>>): Promise<string> {
  return add(agent, who, SUBS, { Enable: 'true', ...settings });
}

/** The Add reply as data (for refusal tests). */
export async function tryAdd(agent: TestAgent, who: Requester, table: string, settings: Readonly<Record<string, string>>): Promise<DecodedMsg> {
  return agent.request(
    {
      add: {
        allowPartial: false,
        createObjs: [{ objPath: table, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) }],
      },
    },
    who,
  );
}

/** Sets params of one object as `who`; returns the reply. */
export function set(agent: TestAgent, who: Requester, objPath: string, settings: Readonly<Record<string, string>>): Promise<DecodedMsg> {
  return agent.request(
    {
      set: {
        allowPartial: false,
        updateObjs: [{ objPath, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) }],
      },
    },
    who,
  );
}

export function del(agent: TestAgent, who: Requester, ...objPaths: string[]): Promise<DecodedMsg> {
  return agent.request({ delete: { allowPartial: false, objPaths } }, who);
}

/** A NotifyResp (or an Error) Msg answering `msgId`, as the Dispatcher would get it. */
export function notifyResp(msgId: string, subscriptionId: string): DecodedMsg {
  return decodeMsg(encodeMsg(buildResponse(msgId, { notifyResp: { subscriptionId } })));
}

export function notifyError(msgId: string): DecodedMsg {
  return decodeMsg(encodeMsg(buildError(msgId, 7002, 'no thanks')));
}
