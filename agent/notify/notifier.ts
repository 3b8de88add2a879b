/**
 * The notifier (TR-369 §Notifications and Subscription Mechanism, USP-NOTES §5.10, §8, §9):
 * matches what happens in the agent against the enabled Device.LocalAgent.Subscription.{i} rows
 * and sends each Notify to the subscription's Recipient controller only, with subscription_id =
 * the row's ID.
 * - Committed changes (DataModel.onChange; made over USP, the admin CLI or the vendor API):
 *   ValueChange, ObjectCreation with the row's unique keys, ObjectDeletion (child rows included).
 *   They are matched synchronously, at commit time.
 * - Live parameters: sampled (sampler.ts).
 * - Events and completed commands reported through the EventSink (events.ts).
 * - Boot! once at start-up, Periodic! per controller, OnBoardRequest (boot-event.ts, periodic.ts,
 *   onboard.ts); subscription upkeep (housekeeping.ts); sending and retries (delivery.ts).
 * A Controller row that is deleted still hears that commit's notifications (its ObjectDeletion
 * included) before its subscriptions are removed, and a controller disabled by a commit still
 * hears the ValueChange of its Enable (USP-NOTES §10). Each notification is checked against
 * its recipient's ControllerTrust roles (`n` bit, permit.ts) when it is matched.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ChangeEvent } from '../../datamodel/txn.js';
import type { DecodedMsg, NotifyReq } from '../../proto/index.js';
import type { Clock } from '../clock.js';
import { SYSTEM_CLOCK } from '../clock.js';
import type { Requester } from '../handlers/context.js';
import type { Logger } from '../log.js';
import { bootParams, LOCAL_REBOOT } from './boot-event.js';
import type { BootInfo } from './boot-event.js';
import { commitFacts, onboardingChanges, periodicWishes, uniqueKeys } from './commit.js';
import { Delivery } from './delivery.js';
import type { SendFn } from './delivery.js';
import type { EventSink, OperationResult } from './events.js';
import { Housekeeping } from './housekeeping.js';
import { NO_ACCESS } from '../trust/access.js';
import { Matcher } from './match.js';
import { OnBoarding } from './onboard.js';
import { PeriodicScheduler } from './periodic.js';
import { forRecipient } from './permit.js';
import type { RecipientRights } from './permit.js';
import { LiveSampler } from './sampler.js';
import { readSubscriptions, value } from './subscriptions.js';
import type { NotifType, Subscription } from './subscriptions.js';

export interface NotifierOptions {
  readonly dm: DataModel;
  readonly log: Logger;
  readonly clock?: Clock;
  /** The agent's Endpoint ID (from_id of every Notify Record). */
  readonly endpointId: string;
  /** Sends a Record to a controller (TransportManager.sendToController). */
  readonly send: SendFn;
  /** USP versions the agent speaks, for OnBoardRequest. */
  readonly supportedProtocols: string;
  /** How often live parameters are sampled (ms); 0 = never. */
  readonly liveSampleMs: number;
  /** Why this start happened, taken once by start() for Boot!; default LocalReboot. */
  readonly bootInfo?: () => BootInfo;
  /** Random source of the retry back-off (tests). */
  readonly random?: () => number;
  /**
   * The ControllerTrust rights of a recipient's Controller row (agent/trust); without it every
   * recipient gets everything its subscriptions match.
   */
  readonly rightsOf?: (controllerRow: ObjInstance) => RecipientRights;
}

export class Notifier implements EventSink {
  private readonly dm: DataModel;
  private readonly clock: Clock;
  private readonly delivery: Delivery;
  private readonly housekeeping: Housekeeping;
  private readonly sampler: LiveSampler;
  private readonly periodic: PeriodicScheduler;
  private readonly onboarding: OnBoarding;
  /** Rows each enabled ObjectDeletion subscription selected after the last commit. */
  private deletionSets = new Map<string, Set<string>>();
  /** Controller rows after the last commit, to reach a controller in the commit that deletes it. */
  private controllers = new Map<string, ObjInstance>();
  private unsubscribe: (() => void) | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: NotifierOptions) {
    const { dm, log } = opts;
    this.dm = dm;
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.delivery = new Delivery({ dm, log, clock: this.clock, endpointId: opts.endpointId, send: opts.send, ...(opts.random && { random: opts.random }) });
    this.housekeeping = new Housekeeping({ dm, log, clock: this.clock });
    this.periodic = new PeriodicScheduler(this.clock, (ctrl) => this.periodicDue(ctrl));
    this.onboarding = new OnBoarding({ dm, clock: this.clock, delivery: this.delivery, supportedProtocols: opts.supportedProtocols });
    this.sampler = new LiveSampler({
      dm,
      log,
      clock: this.clock,
      intervalMs: opts.liveSampleMs,
      watched: () => this.matcher().watched(this.active().filter((s) => s.notifType === 'ValueChange')).values(),
      changed: (w, v) => {
        const paramValue = w.param.def.secured || w.param.def.hidden ? '' : v;
        for (const s of w.subs) this.emit(s, { valueChange: { paramPath: w.inst.path + w.param.def.name, paramValue } });
      },
    });
  }

  /**
   * Before the agent serves anyone: loads the kept notifications, starts listening to commits and
   * removes the subscriptions a restart ends (housekeeping.ts).
   */
  async init(): Promise<void> {
    const kept = this.delivery.restore();
    this.refresh(this.matcher(), readSubscriptions(this.dm.tree));
    this.unsubscribe = this.dm.onChange((events) => this.committed(events));
    const removed = await this.housekeeping.startup();
    this.opts.log.info('NTF-I04', `notifications ready: ${kept} kept notification(s) to resend, ${removed} subscription(s) removed at start-up`);
  }

  /** Once the transports run: Boot!, OnBoardRequests, kept notifications, live sampling. */
  async start(): Promise<void> {
    this.started = true;
    const info = this.opts.bootInfo?.() ?? LOCAL_REBOOT;
    await this.dm.lock(async () => {
      const m = this.matcher();
      for (const s of this.active('Event')) {
        const row = this.dm.tree.get(s.recipient);
        if (!row || !m.occurrence(s, 'Device.', 'Boot!')) continue;
        // ParameterMap holds only what the recipient may read (ControllerTrust Param r, SecuredRoles).
        const rights = this.opts.rightsOf?.(row);
        const reader = rights && { access: rights.access, readSecured: rights.readSecured === true };
        this.emit(s, { event: { objPath: 'Device.', eventName: 'Boot!', params: await bootParams(this.dm, row, info, reader) } });
      }
    });
    this.onboarding.requestAll();
    this.delivery.resume();
    this.sampler.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.housekeeping.stop();
    this.periodic.stop();
    this.onboarding.stop();
    await this.sampler.stop();
    await this.delivery.stop();
  }

  event(objPath: string, eventName: string, params: Readonly<Record<string, string>>, recipient?: string): void {
    const only = recipient === undefined ? undefined : withoutDot(recipient);
    this.locked(() => {
      const m = this.matcher();
      for (const s of this.active('Event')) {
        if (only !== undefined && withoutDot(s.recipient) !== only) continue;
        if (m.occurrence(s, objPath, eventName)) this.emit(s, { event: { objPath, eventName, params: { ...params } } });
      }
    });
  }

  operationComplete(objPath: string, commandName: string, commandKey: string, result: OperationResult): void {
    const outcome = result.ok
      ? { reqOutputArgs: { outputArgs: { ...result.outputArgs } } }
      : { cmdFailure: { errCode: result.errCode, errMsg: result.errMsg } };
    this.locked(() => {
      const m = this.matcher();
      for (const s of this.active('OperationComplete'))
        if (m.occurrence(s, objPath, commandName)) this.emit(s, { operComplete: { objPath, commandName, commandKey, ...outcome } });
    });
  }

  /** SendOnBoardRequest() on the Controller row `controllerPath` (R-NOT.5). */
  onBoardRequest(controllerPath: string): void {
    if (!this.stopped) this.onboarding.request(controllerPath);
  }

  /** A Response or Error from a controller (Dispatcher onResponse): a NotifyResp ends its notification's retries. */
  handleResponse(msg: DecodedMsg, requester: Requester): void {
    const msgId = msg.header.msgId;
    const body = msg.body;
    if (body.msgBody === 'response' && !body.response?.notifyResp) return;
    if (!this.delivery.answered(msgId, requester.endpointId))
      return this.opts.log.debug('NTF-D02', `${body.msgBody} ${msgId} from ${requester.endpointId} answers no pending notification; ignored`);
    if (body.msgBody === 'error')
      this.opts.log.warn(
        'NTF-W02',
        `${requester.endpointId} answered notification ${msgId} with error ${body.error?.errCode ?? 0}: ${body.error?.errMsg ?? ''}; not retried`,
      );
  }

  /** The transport layer reached `endpointId` (TransportManager.onControllerReachable). */
  controllerReachable(endpointId: string): void {
    this.delivery.reachable(endpointId);
  }

  /** One committed transaction, handled synchronously so matching sees exactly the committed state. */
  private committed(events: readonly ChangeEvent[]): void {
    if (this.stopped) return;
    const { dm } = this;
    const all = readSubscriptions(dm.tree);
    const m = this.matcher();
    const facts = commitFacts(events);
    const subs = all.map((s) => (facts.oldRecipient.has(s.path) ? { ...s, recipient: facts.oldRecipient.get(s.path) ?? '' } : s));
    const active = (t: NotifType): Subscription[] => subs.filter((s) => s.enabled && s.recipient !== '' && s.notifType === t && !facts.fresh.has(s.path));
    const emit = (s: Subscription, n: NotifyReq | Promise<NotifyReq>): void => this.emit(s, n, facts.wasEnabled);
    for (const e of events) {
      if (e.kind === 'value') {
        const param = dm.tree.get(e.objPath)?.node.params.get(e.name);
        if (!param || param.valueChangeDenied) continue;
        if (!param.stored) this.sampler.note(e.objPath + e.name, e.newValue);
        const paramValue = param.def.secured || param.def.hidden ? '' : e.newValue;
        for (const s of active('ValueChange')) if (m.valueChange(s, e.objPath, e.name)) emit(s, { valueChange: { paramPath: e.objPath + e.name, paramValue } });
      } else if (e.kind === 'created') {
        const to = active('ObjectCreation').filter((s) => m.creation(s, e.objPath));
        const keys = to.length > 0 ? uniqueKeys(dm, e.objPath) : {};
        // The probe decides the recipient's permission before the (possibly live) keys are read.
        const probe = { objCreation: { objPath: e.objPath, uniqueKeys: {} } };
        for (const s of to)
          this.emit(
            s,
            keys instanceof Promise
              ? keys.then((k) => ({ objCreation: { objPath: e.objPath, uniqueKeys: k } }))
              : { objCreation: { objPath: e.objPath, uniqueKeys: keys } },
            facts.wasEnabled,
            probe,
          );
      } else {
        for (const s of active('ObjectDeletion')) if (this.deletionSets.get(s.path)?.has(e.objPath)) emit(s, { objDeletion: { objPath: e.objPath } });
      }
    }
    const gone = facts.deletedControllers;
    if (gone.size > 0) {
      // TP-469 1.78, once this commit's notifications are queued (USP-NOTES §10).
      const recipientGone = (s: Subscription): boolean => gone.has(s.recipient) || gone.has(facts.oldRecipient.get(s.path) ?? '');
      void this.housekeeping.remove(
        () =>
          readSubscriptions(dm.tree)
            .filter(recipientGone)
            .map((s) => s.path),
        'their Recipient controller was deleted',
      );
    }
    if (this.started) {
      const ob = onboardingChanges(dm, events);
      for (const c of ob.completed) this.onboarding.completed(c);
      for (const c of ob.request) this.onboarding.request(c);
    }
    this.refresh(m, all);
  }

  /** The state later commits are matched against, and the timers that depend on it. */
  private refresh(m: Matcher, all: readonly Subscription[]): void {
    const la = this.dm.tree.get('Device.LocalAgent.');
    this.controllers = new Map([...(la?.rows('Controller') ?? [])].map((c) => [c.path, c]));
    const sets = new Map<string, Set<string>>();
    for (const s of all) if (s.enabled && s.notifType === 'ObjectDeletion') sets.set(s.path, m.deletionSet(s));
    this.deletionSets = sets;
    this.housekeeping.plan(all);
    this.periodic.reconcile(periodicWishes(this.dm, all, m));
  }

  private periodicDue(controller: string): void {
    this.locked(() => {
      const m = this.matcher();
      for (const s of this.active('Event')) {
        if (s.recipient === controller && m.occurrence(s, 'Device.LocalAgent.', 'Periodic!'))
          this.emit(s, { event: { objPath: 'Device.LocalAgent.', eventName: 'Periodic!', params: {} } });
      }
    });
  }

  /** Enabled subscriptions with a recipient (of one NotifType). */
  private active(t?: NotifType): Subscription[] {
    return readSubscriptions(this.dm.tree).filter((s) => s.enabled && s.recipient !== '' && (t === undefined || s.notifType === t));
  }

  /** Runs `fn` under the data-model lock, so it sees committed state only. */
  private locked(fn: () => void): void {
    if (this.stopped) return;
    this.dm
      .lock(() => {
        if (!this.stopped) fn();
      })
      .catch((e: unknown) => this.opts.log.error('NTF-E04', 'matching a notification failed', e));
  }

  /** A Matcher whose searches select only by what each subscription's Recipient may read. */
  private matcher(): Matcher {
    const rightsOf = this.opts.rightsOf;
    if (!rightsOf) return new Matcher(this.dm);
    return new Matcher(this.dm, (s) => {
      const row = this.dm.tree.get(s.recipient) ?? this.controllers.get(s.recipient);
      return row ? rightsOf(row).access : NO_ACCESS; // a Recipient gone gets nothing anyway
    });
  }

  /**
   * Sends `n` for subscription `s` to its Recipient, reliably when NotifRetry is set, if the
   * recipient's roles let it receive `n` (decided on `probe`, of the same kind, when `n` is
   * still being built).
   */
  private emit(s: Subscription, n: NotifyReq | Promise<NotifyReq>, stillEnabled?: ReadonlySet<string>, probe?: NotifyReq): void {
    const inTree = this.dm.tree.get(s.recipient);
    const row = inTree ?? this.controllers.get(s.recipient);
    if (!row) return;
    const endpointId = value(row, 'EndpointID');
    if (!endpointId || (value(row, 'Enable') !== 'true' && !stillEnabled?.has(s.recipient))) return;
    const rights = this.opts.rightsOf?.(row);
    const seen = n instanceof Promise ? undefined : forRecipient(n, rights);
    if (n instanceof Promise ? !forRecipient(probe ?? {}, rights) : !seen) return;
    const to = { controller: s.recipient, endpointId, ...(inTree ? {} : { row }) };
    // Decided again on the finished notification: what the recipient may not receive is dropped,
    // never sent in another shape.
    const notify = Promise.resolve(seen ?? n).then((x): NotifyReq | undefined => {
      const allowed = forRecipient(x, rights);
      return allowed && { subscriptionId: s.id, ...allowed };
    });
    if (!s.notifRetry) return this.delivery.fire(to, notify);
    const expires = s.notifExpirationS > 0 ? this.clock.now() + s.notifExpirationS * 1000 : 0;
    this.delivery.reliable(to, notify, { expires, persist: expires > 0 });
  }
}

/** Controller references are written with or without the trailing dot. */
function withoutDot(path: string): string {
  return path.endsWith('.') ? path.slice(0, -1) : path;
}
