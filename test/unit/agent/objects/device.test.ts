// Device. commands (agent/objects/device.ts; TR-181 Device:2, USP-NOTES §9): Reboot() and
// FactoryReset() answer first and then go down through the (recording) platform hooks, with
// the boot cause kept for the next Boot! (agent/operate/boot.ts); ScheduleTimer() completes
// after DelaySeconds of a fake clock and survives a restart (TP-469 1.79).
import t from 'tap';
import type { Test } from 'tap';
import { resetDatabase } from '../../../../agent/agent.js';
import { abortReason } from '../../../../agent/clock.js';
import type { AgentOptions } from '../../../../agent/agent.js';
import { takeBootCause } from '../../../../agent/operate/boot.js';
import { UspErrorCode } from '../../../../datamodel/errors.js';
import { CONTROLLER, freshAgent } from '../../../helpers/agent.js';
import type { TestAgent } from '../../../helpers/agent.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { operate, recordingPlatform, RecordingEvents, values, watchStatus } from '../../../helpers/operate.js';

/** An async vendor command that runs until it is aborted (a request that is not persistent). */
const HANG: AgentOptions['register'] = (dm) => {
  dm.object('Device.X_TEST_Ops.');
  dm.command('Device.X_TEST_Ops.Hang()', { mode: 'async', run: (_in, ctx) => new Promise((_ok, fail) => ctx.signal.addEventListener('abort', () => fail(abortReason(ctx.signal)))) });
};

async function setup(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

async function reopen(t: Test, agent: TestAgent, opts: AgentOptions = {}): Promise<TestAgent> {
  const again = await agent.reopen(opts);
  t.teardown(() => again.close());
  return again;
}

t.test('a first start without a recorded cause is a LocalReboot, and the cause is taken only once', async (t) => {
  const agent = await setup(t);
  t.same(takeBootCause(agent.dm.store), { cause: 'LocalReboot', commandKey: '', reason: '', firmwareUpdated: false });
  t.equal(takeBootCause(agent.dm.store, '1.0').firmwareUpdated, false, 'first version seen: not an update');
  t.equal(takeBootCause(agent.dm.store, '1.1').firmwareUpdated, true, 'another software version than at the last start: FirmwareUpdated');
});

t.test('Reboot() is answered before the platform reboots; the next start reports RemoteReboot with the command key (TP-469 1.61)', async (t) => {
  const rec = recordingPlatform();
  const agent = await setup(t, { platform: rec.platform });
  const [r] = await operate(agent, 'Device.Reboot()', {}, 'reboot-61', CONTROLLER);
  rec.calls.push('response');
  t.same(r?.reqOutputArgs?.outputArgs, {}, 'an empty output args response');
  await rec.rebooted;
  t.same(rec.calls, ['response', 'reboot'], 'the response first, then the reboot hook');
  const after = await reopen(t, agent);
  t.same(takeBootCause(after.dm.store), { cause: 'RemoteReboot', commandKey: 'reboot-61', reason: 'Unknown', firmwareUpdated: false }, 'Boot! cause and command key');
  t.equal(takeBootCause(after.dm.store).cause, 'LocalReboot', 'a later start without Reboot() is local again');
});

t.test('Reboot() passes its Cause and Reason input on to the next Boot!', async (t) => {
  const rec = recordingPlatform();
  const agent = await setup(t, { platform: rec.platform });
  await operate(agent, 'Device.Reboot()', { Cause: 'LocalReboot', Reason: 'button' }, 'k');
  await rec.rebooted;
  t.same(takeBootCause((await reopen(t, agent)).dm.store), { cause: 'LocalReboot', commandKey: 'k', reason: 'button', firmwareUpdated: false });
});

t.test('FactoryReset(): answered, then device reset, database back to the factory defaults, reboot; next Boot! RemoteFactoryReset', async (t) => {
  const rec = recordingPlatform();
  const agent = await setup(t, { platform: rec.platform });
  const add = await agent.request({ add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [{ param: 'ID', value: 'mine' }] }] } });
  t.equal(add.body.msgBody, 'response', 'a subscription before the reset');
  const [r] = await operate(agent, 'Device.FactoryReset()', {}, 'fr-1');
  rec.calls.push('response');
  t.same(r?.reqOutputArgs?.outputArgs, {});
  await rec.rebooted;
  t.same(rec.calls, ['response', 'factoryReset', 'reboot'], 'response, platform reset, reboot');
  const after = await reopen(t, agent);
  t.equal(await values(after, 'Device.LocalAgent.Subscription.1.'), undefined, 'the subscription is gone: the database was reset');
  t.same(takeBootCause(after.dm.store), { cause: 'RemoteFactoryReset', commandKey: 'fr-1', reason: 'Unknown', firmwareUpdated: false });
});

t.test('an offline `db reset` makes the next Boot! a LocalFactoryReset', async (t) => {
  const agent = await setup(t);
  agent.close();
  await resetDatabase(agent.config);
  t.equal(takeBootCause((await reopen(t, agent)).dm.store).cause, 'LocalFactoryReset');
});

t.test('ScheduleTimer(): OperationComplete once DelaySeconds have passed (fake clock)', async (t) => {
  const clock = new FakeClock();
  const events = new RecordingEvents();
  const agent = await setup(t, { clock, events });
  const [r] = await operate(agent, 'Device.ScheduleTimer()', { DelaySeconds: '10' }, 'st-1', CONTROLLER);
  t.equal(r?.reqObjPath, 'Device.LocalAgent.Request.1');
  await clock.whenArmed();
  clock.advance(9_999);
  t.equal(events.completions.size, 0, 'not before DelaySeconds');
  clock.advance(1);
  t.same(await events.completions.next(), { objPath: 'Device.', commandName: 'ScheduleTimer()', commandKey: 'st-1', result: { ok: true, outputArgs: {} } });
});

t.test('ScheduleTimer() survives a restart with its remaining time; other requests are removed at start-up (TP-469 1.79)', async (t) => {
  const clock = new FakeClock();
  const agent = await setup(t, { clock, register: HANG });
  await operate(agent, 'Device.ScheduleTimer()', { DelaySeconds: '3600' }, 'st-79', CONTROLLER);
  await operate(agent, 'Device.X_TEST_Ops.Hang()', {}, 'hang');
  await clock.whenArmed();
  t.match(await values(agent, 'Device.LocalAgent.Request.2.'), { Command: 'Device.X_TEST_Ops.Hang()', Status: 'Active' });

  // The agent is down for 1000 s of the hour.
  const later = new FakeClock(clock.now() + 1_000_000);
  const events = new RecordingEvents();
  const after = await reopen(t, agent, { clock: later, events, register: HANG });
  t.match(await values(after, 'Device.LocalAgent.Request.1.'), { Command: 'Device.ScheduleTimer()', CommandKey: 'st-79', Originator: CONTROLLER.endpointId }, 'the ScheduleTimer request is still there');
  t.equal(await values(after, 'Device.LocalAgent.Request.2.'), undefined, 'the other request was removed');
  await later.whenArmed();
  later.advance(2_599_999);
  t.equal(events.completions.size, 0, 'not before the original due time');
  later.advance(1);
  t.same(await events.completions.next(), { objPath: 'Device.', commandName: 'ScheduleTimer()', commandKey: 'st-79', result: { ok: true, outputArgs: {} } }, 'OperationComplete at the original due time');
  const third = await reopen(t, after, { clock: later, register: HANG });
  t.equal(await values(third, 'Device.LocalAgent.Request.1.'), undefined, 'a completed timer does not come back');
});

t.test('ScheduleTimer() canceled through its Request row: OperationComplete 7023', async (t) => {
  const clock = new FakeClock();
  const events = new RecordingEvents();
  const agent = await setup(t, { clock, events });
  const watch = watchStatus(agent, 'Device.LocalAgent.Request.1.');
  await operate(agent, 'Device.ScheduleTimer()', { DelaySeconds: '60' }, 'st-c');
  await clock.whenArmed();
  const [c] = await operate(agent, 'Device.LocalAgent.Request.1.Cancel()');
  t.same(c?.reqOutputArgs?.outputArgs, {});
  t.match((await events.completions.next()).result, { ok: false, errCode: UspErrorCode.CommandCanceled }, 'OperationComplete: canceled');
  await watch.deleted;
  t.equal(clock.pending, 0, 'its timer is gone');
  t.same(watch.statuses, ['Active', 'Canceling', 'Canceled']);
});
