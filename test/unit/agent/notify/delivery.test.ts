// Notify delivery and retry (agent/notify/delivery.ts, TR-369 R-NOT.1-4, TP-469 1.54/1.56):
// NotifRetry=true sends with send_resp=true and retries in the back-off windows of the
// Controller's USPNotifRetry* parameters until the NotifyResp with the same msg_id arrives,
// stops at NotifExpiration, survives a restart when it has an expiry; fire-and-forget waits
// for an unreachable controller. Fake clock throughout; the NotifyResp goes through the real
// Dispatcher.
import t from 'tap';
import { Dispatcher } from '../../../../agent/dispatch.js';
import { SILENT_LOGGER } from '../../../../agent/log.js';
import type { Notifier } from '../../../../agent/notify/notifier.js';
import { loadTr181 } from '../../../../datamodel/schema/index.js';
import { ADMIN_REQUESTER } from '../../../helpers/agent.js';
import type { TestAgent } from '../../../helpers/agent.js';
import { AS_C1, AS_C2, C1, C1_PATH, notifyError, notifyResp, rig, set, settle, subscribe } from '../../../helpers/notify.js';
import type { Rig } from '../../../helpers/notify.js';

/** The agent's dispatcher wired to the notifier the way agent.ts wires it. */
function dispatcherFor(agent: TestAgent, notifier: Notifier): Dispatcher {
  return new Dispatcher({
    dm: agent.dm,
    log: SILENT_LOGGER,
    supportedProtocols: '1.4',
    dataModelUri: loadTr181().uri,
    onResponse: (m, who) => notifier.handleResponse(m, who),
  });
}

/** A reliable ValueChange subscription of C1 on Device.Time.LocalTimeZone, and one change. */
async function oneReliable(r: Rig, extra: Record<string, string> = {}): Promise<void> {
  await subscribe(r.agent, AS_C1, { ID: 'rel', NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone', NotifRetry: 'true', ...extra });
  await set(r.agent, ADMIN_REQUESTER, 'Device.Time.', { LocalTimeZone: 'Europe/Paris' });
  await r.rec.until(() => r.rec.of('valueChange').length === 1, 'the first attempt');
}

t.test('NotifRetry=true: send_resp=true, 1st retry 5-10 s after the first attempt, 2nd 10-20 s after that (R-NOT.1, TP-469 1.54)', async (t) => {
  const r = await rig(t);
  await oneReliable(r);
  const [first] = r.rec.of('valueChange');
  t.equal(first?.notify.sendResp, true, 'send_resp=true');
  const t0 = first?.at ?? 0;
  await r.advance(t0 + 4_999 - r.clock.now());
  t.equal(r.rec.sent.length, 1, 'no retry before 5 s');
  await r.advance(t0 + 10_000 - r.clock.now());
  t.equal(r.rec.sent.length, 2, 'the first retry came by 10 s');
  const [a, b] = r.rec.sent;
  const d1 = (b?.at ?? 0) - (a?.at ?? 0);
  t.ok(d1 >= 5000 && d1 <= 10_000, `first retry after ${d1} ms, in [5 s, 10 s]`);
  t.equal(b?.msgId, a?.msgId, 'a retry is the same message (same msg_id)');
  const t1 = b?.at ?? 0;
  await r.advance(t1 + 9_999 - r.clock.now());
  t.equal(r.rec.sent.length, 2, 'no second retry within 10 s of the first');
  await r.advance(t1 + 20_000 - r.clock.now());
  t.equal(r.rec.sent.length, 3, 'the second retry came by 20 s after the first');
  const d2 = (r.rec.sent[2]?.at ?? 0) - (b?.at ?? 0);
  t.ok(d2 >= 10_000 && d2 <= 20_000, `second retry after ${d2} ms, in [10 s, 20 s]`);
});

t.test("the windows follow the Controller's USPNotifRetryMinimumWaitInterval and IntervalMultiplier", async (t) => {
  const r = await rig(t, { notifier: { random: () => 1 } });
  await set(r.agent, ADMIN_REQUESTER, C1_PATH, { USPNotifRetryMinimumWaitInterval: '2', USPNotifRetryIntervalMultiplier: '3000' });
  await oneReliable(r);
  await r.advance(80_000);
  const gaps = r.rec.sent.slice(1).map((s, i) => s.at - (r.rec.sent[i]?.at ?? 0));
  t.strictSame(gaps, [6000, 18_000, 54_000], 'retry n waits m·k^n with m=2 s, k=3 (the upper end of each window, random()=1)');
});

t.test('the NotifyResp with the msg_id, from the recipient, ends the retries; others are ignored (R-MSG.0, R-NOT.9)', async (t) => {
  const r = await rig(t);
  const d = dispatcherFor(r.agent, r.notifier);
  await oneReliable(r);
  const msgId = r.rec.sent[0]?.msgId ?? '';
  t.equal(await d.handle(notifyResp('no-such-id', 'rel'), AS_C1), undefined, 'nothing is answered to a response');
  t.equal(await d.handle(notifyResp(msgId, 'rel'), AS_C2), undefined, 'a NotifyResp from another controller is ignored');
  await r.advance(10_000);
  t.equal(r.rec.sent.length, 2, 'so the retry still goes out');
  await d.handle(notifyResp(msgId, 'whatever'), AS_C1);
  await r.advance(3_600_000);
  t.equal(r.rec.sent.length, 2, 'no retry after the NotifyResp');
});

t.test('an Error answering the Notify also ends its retries', async (t) => {
  const r = await rig(t);
  await oneReliable(r);
  await dispatcherFor(r.agent, r.notifier).handle(notifyError(r.rec.sent[0]?.msgId ?? ''), AS_C1);
  await r.advance(3_600_000);
  t.equal(r.rec.sent.length, 1);
});

t.test('NotifExpiration: retrying stops that many seconds after the first attempt (TP-469 1.56)', async (t) => {
  const r = await rig(t, { notifier: { random: () => 0 } });
  await oneReliable(r, { NotifExpiration: '12' });
  t.equal(r.agent.dm.store.loadNotifications().length, 1, 'kept in the database while pending');
  await r.advance(12_000);
  t.strictSame(
    r.rec.sent.map((s) => s.at - (r.rec.sent[0]?.at ?? 0)),
    [0, 5000],
    'sent at 0 and 5 s; the next retry (15 s) would be past the 12 s expiry',
  );
  await r.advance(3_600_000);
  t.equal(r.rec.sent.length, 2, 'dropped');
  t.equal(r.agent.dm.store.loadNotifications().length, 0, 'and forgotten by the database');
});

t.test('a pending notification with an expiry survives a restart and is sent again; NotifExpiration=0 ones do not (TR-181 NotifExpiration)', async (t) => {
  const r = await rig(t);
  await subscribe(r.agent, AS_C1, {
    ID: 'keep',
    NotifType: 'ValueChange',
    ReferenceList: 'Device.Time.LocalTimeZone',
    NotifRetry: 'true',
    NotifExpiration: '3600',
    Persistent: 'true',
  });
  await subscribe(r.agent, AS_C2, {
    ID: 'until-restart',
    NotifType: 'ValueChange',
    ReferenceList: 'Device.Time.LocalTimeZone',
    NotifRetry: 'true',
    Persistent: 'true',
  });
  await set(r.agent, ADMIN_REQUESTER, 'Device.Time.', { LocalTimeZone: 'Europe/Paris' });
  await r.rec.until(() => r.rec.sent.length === 2, 'both first attempts');
  const kept = r.rec.of('valueChange', C1)[0];
  const after = await r.restart();
  await after.rec.until(() => after.rec.sent.length === 3, 'the resend after the restart');
  const again = after.rec.sent[2];
  t.equal(again?.to, C1, 'only the one with an expiry is sent again');
  t.equal(again?.msgId, kept?.msgId, 'same msg_id, so the NotifyResp still matches');
  t.strictSame([again?.notify.subscriptionId, again?.notify.valueChange?.paramValue], ['keep', 'Europe/Paris'], 'same content');
  await after.advance(10_000);
  t.equal(after.rec.of('valueChange', C1).length, 3, 'and retried with a fresh count: 5-10 s after the restart (R-NOT.4)');
  await dispatcherFor(after.agent, after.notifier).handle(notifyResp(kept?.msgId ?? '', 'keep'), AS_C1);
  t.equal(after.agent.dm.store.loadNotifications().length, 0, 'the NotifyResp removes it from the database');
  await after.advance(3_600_000);
  t.equal(after.rec.of('valueChange', C1).length, 3, 'no more retries');
});

t.test('fire-and-forget to a controller no MTP reaches yet waits until the transport reports it reachable', async (t) => {
  const r = await rig(t);
  r.rec.unreachable.add(C1);
  await subscribe(r.agent, AS_C1, { ID: 'ff', NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone' });
  await set(r.agent, ADMIN_REQUESTER, 'Device.Time.', { LocalTimeZone: 'Europe/Paris' });
  await set(r.agent, ADMIN_REQUESTER, 'Device.Time.', { LocalTimeZone: 'UTC' });
  await settle();
  t.equal(r.rec.sent.length, 0, 'nothing could be sent');
  r.rec.unreachable.delete(C1);
  r.notifier.controllerReachable(C1);
  await r.rec.until(() => r.rec.sent.length === 2, 'the two waiting notifications');
  t.strictSame(
    r.rec.sent.map((s) => [s.notify.valueChange?.paramValue, s.notify.sendResp]),
    [
      ['Europe/Paris', false],
      ['UTC', false],
    ],
    'in order, still send_resp=false',
  );
});

t.test('OnBoardRequest is retried without expiry until its NotifyResp, then again after OnBoardingRestartTime (R-NOT.6, TP-469 1.101)', async (t) => {
  const r = await rig(t, { controller: { OnBoardingComplete: 'false', OnBoardingRestartTime: '300' }, notifier: { random: () => 0 } });
  await r.rec.until(() => r.rec.of('onBoardReq', C1).length === 1, 'the OnBoardRequest');
  await r.advance(24 * 3_600_000);
  const tries = r.rec.of('onBoardReq', C1);
  t.ok(tries.length >= 10, `still retried a day later (${tries.length} attempts)`);
  const d = dispatcherFor(r.agent, r.notifier);
  await d.handle(notifyResp(tries[0]?.msgId ?? '', ''), AS_C1);
  const answered = r.rec.of('onBoardReq', C1).length;
  await r.advance(299_999);
  t.equal(r.rec.of('onBoardReq', C1).length, answered, 'quiet until OnBoardingRestartTime has passed');
  await r.advance(1);
  t.equal(r.rec.of('onBoardReq', C1).length, answered + 1, 'a new OnBoardRequest 300 s after the NotifyResp, as onboarding is still incomplete');
  const fresh = r.rec.of('onBoardReq', C1).at(-1);
  t.not(fresh?.msgId, tries[0]?.msgId, 'a new message');
  await d.handle(notifyResp(fresh?.msgId ?? '', ''), AS_C1);
  await set(r.agent, AS_C1, C1_PATH, { OnBoardingComplete: 'true' });
  await r.advance(3_600_000);
  t.equal(r.rec.of('onBoardReq', C1).length, answered + 1, 'OnBoardingComplete=true ends the cycle');
});
