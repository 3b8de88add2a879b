/**
 * Activate(), BootFirmwareImage and the start-up check of a new image (agent/firmware), in process
 * on the real lab platform and a real SQLite file; reboots are recorded, never done, and the
 * "restart" is reopening the same folder (the lab boot loader reads `boot` at start).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { openCore } from '../../../agent/agent.js';
import type { AgentCore } from '../../../agent/agent.js';
import { readPending, writePending } from '../../../agent/firmware/boot-check.js';
import { labFirmware } from '../../../agent/firmware/lab-platform.js';
import { SILENT_LOGGER } from '../../../agent/log.js';
import { pendingBootCause } from '../../../agent/operate/boot.js';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { startTestAgent, tempConfig } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { operate, recordingPlatform, values } from '../../helpers/operate.js';
import { EventLog, makeImage, startImageServer } from './fixtures.js';

const FW = 'Device.DeviceInfo.FirmwareImage.';
const S = 1000;

interface Rig {
  readonly agent: TestAgent;
  readonly log: EventLog;
  readonly rebooted: Promise<void>;
  readonly calls: string[];
  readonly clock: FakeClock;
  readonly cfg: Parameters<typeof startTestAgent>[0];
  readonly dir: string;
  readonly boot: () => string;
}

async function rig(t: Test, fw: Record<string, unknown> = {}): Promise<Rig> {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const cfg = { ...config, firmware: { ...config.firmware, platform: 'lab' as const, initialVersion: '1.0', ...fw } };
  const log = new EventLog();
  const rec = recordingPlatform();
  const clock = new FakeClock(Date.now());
  const agent = await startTestAgent(cfg, dir, { events: log, platform: rec.platform, clock });
  t.teardown(() => agent.close());
  return { agent, log, rebooted: rec.rebooted, calls: rec.calls, clock, cfg, dir, boot: () => readFileSync(join(cfg.firmware.dir, 'boot'), 'utf8').trim() };
}

/** Reopens the folder as the next start would (the reboot hook has closed the database). */
async function nextStart(t: Test, r: Rig): Promise<{ core: AgentCore; calls: string[]; rebooted: Promise<void> }> {
  const rec = recordingPlatform();
  const core = await openCore(r.cfg, { log: SILENT_LOGGER, platform: rec.platform, events: new EventLog() });
  t.teardown(() => core.close());
  return { core, calls: rec.calls, rebooted: rec.rebooted };
}

function row(core: AgentCore, bank: number): Record<string, string> {
  return Object.fromEntries(core.dm.tree.get(`${FW}${bank}.`)?.values ?? []);
}

async function put2(r: Rig, version: string, health?: string): Promise<void> {
  const server = await startImageServer();
  const img = makeImage(r.dir, version, health === undefined ? {} : { health });
  server.serve('/fw.tgz', img.bytes);
  await operate(r.agent, `${FW}2.Download()`, { URL: `${server.base}/fw.tgz`, AutoActivate: 'false' }, 'dl');
  const done = await r.log.completions.next();
  await server.close();
  if (!done.result.ok) throw new Error(`download failed: ${done.result.errMsg}`);
  await r.log.events.next(); // its TransferComplete!
}

t.test('Activate() with an Immediately window: waits for Start, then selects the bank and reboots; the next start confirms it', async (t) => {
  const r = await rig(t);
  await put2(r, '2.0', 'ok');
  const [res] = await operate(r.agent, `${FW}2.Activate()`, { 'TimeWindow.1.Start': '60', 'TimeWindow.1.End': '120', 'TimeWindow.1.Mode': 'Immediately' }, 'act-1');
  t.ok(res?.reqObjPath, 'Activate() accepted');
  await r.clock.whenArmed();
  t.equal(r.boot(), '1', 'nothing selected before the window');
  r.clock.advance(60 * S);
  const done = await r.log.completions.next();
  t.same(done.result, { ok: true, outputArgs: {} }, 'OperationComplete success');
  await r.rebooted;
  t.same(r.calls, ['reboot'], 'rebooted through the platform hook');
  t.equal(r.boot(), '2', 'bank 2 boots next');

  const next = await nextStart(t, r);
  t.match(pendingBootCause(next.core.dm.store), { cause: 'RemoteReboot', commandKey: 'act-1', firmwareUpdated: true }, 'Boot! will carry FirmwareUpdated=true and the command key');
  t.match(await next.core.firmware?.checkBoot(), { kind: 'confirmed', bank: 2 }, 'the health check passes');
  t.equal(next.core.firmware?.activeVersion(), '2.0', 'SoftwareVersion source: the running bank');
  t.match(row(next.core, 2), { Status: 'Active', Version: '2.0', BootFailureLog: '' });
  t.match(row(next.core, 1), { Status: 'Available', Version: '1.0' });
  t.equal(readPending(next.core.dm.store), undefined, 'the activation is complete');
});

t.test('a new image that fails its health check rolls back, records BootFailureLog and restarts', async (t) => {
  const r = await rig(t);
  await put2(r, '3.0', 'I am broken');
  await operate(r.agent, `${FW}2.Activate()`, {}, 'act-bad');
  await r.log.completions.next();
  await r.rebooted;
  const next = await nextStart(t, r);
  t.equal(next.core.firmware?.activeVersion(), '3.0', 'the new image started');
  const check = await next.core.firmware?.checkBoot();
  t.match(check, { kind: 'rollback', from: 1, to: 2, log: /failed \(exit 1\): I am broken/ });
  await next.rebooted;
  t.same(next.calls, ['reboot'], 'restarted into the previous bank');
  t.equal(r.boot(), '1', 'bank 1 boots next');
  const third = await nextStart(t, r);
  t.equal(third.core.firmware?.activeVersion(), '1.0', 'back on 1.0');
  t.match(row(third.core, 2), { Status: 'ActivationFailed', Version: '3.0', BootFailureLog: /I am broken/ });
  t.match(row(third.core, 1), { Status: 'Active', Version: '1.0' });
  t.match(pendingBootCause(third.core.dm.store), { cause: 'LocalReboot', commandKey: 'act-bad', firmwareUpdated: false, reason: 'firmware rollback to bank 1' });
  t.match(await third.core.firmware?.checkBoot(), { kind: 'none' }, 'nothing pending any more');
});

t.test('boot count: more starts than maxBootAttempts without a passed check roll back without checking again', async (t) => {
  const r = await rig(t, { maxBootAttempts: 2, healthCheckCommand: ['sh', '-c', 'exit 0'] });
  await put2(r, '2.0');
  await operate(r.agent, `${FW}2.Activate()`, {}, 'act');
  await r.log.completions.next();
  await r.rebooted;
  r.agent.close();
  // Two starts died before their health check finished.
  const first = await nextStart(t, r);
  writePending(first.core.dm.store, { from: 1, to: 2, commandKey: 'act', attempts: 2 });
  t.match(await first.core.firmware?.checkBoot(), { kind: 'rollback', log: 'bank 2 started 2 times without passing its health check' });
  t.equal(r.boot(), '1');
});

t.test('the device came up in another bank than the one activated: ActivationFailed, no restart', async (t) => {
  const r = await rig(t);
  r.agent.close();
  const s = await nextStart(t, r);
  writePending(s.core.dm.store, { from: 1, to: 2, commandKey: 'k', attempts: 0 });
  t.match(await s.core.firmware?.checkBoot(), { kind: 'fellBack', bank: 1, log: /started bank 1 instead/ });
  t.match(row(s.core, 2), { Status: 'ActivationFailed' });
  t.same(s.calls, [], 'no restart');
});

t.test('ConfirmationNeeded: refused confirmation fails the command (7022); a confirming command activates', async (t) => {
  const r = await rig(t, { confirmCommand: ['sh', '-c', 'test "$USP_FIRMWARE_MESSAGE" = "go?"'] });
  await operate(r.agent, `${FW}2.Activate()`, { 'TimeWindow.1.Start': '0', 'TimeWindow.1.End': '10', 'TimeWindow.1.Mode': 'ConfirmationNeeded', 'TimeWindow.1.UserMessage': 'no', 'TimeWindow.1.MaxRetries': '0' }, 'c1');
  t.match((await r.log.completions.next()).result, { ok: false, errCode: UspErrorCode.CommandFailure, errMsg: /no time window allowed/ });
  t.equal(r.boot(), '1', 'nothing selected');
  await operate(r.agent, `${FW}2.Activate()`, { 'TimeWindow.1.Start': '0', 'TimeWindow.1.End': '10', 'TimeWindow.1.Mode': 'ConfirmationNeeded', 'TimeWindow.1.UserMessage': 'go?' }, 'c2');
  t.match((await r.log.completions.next()).result, { ok: true });
  await r.rebooted;
  t.equal(r.boot(), '2');
});

t.test('Cancel() while waiting for the window: 7023, nothing selected, no reboot', async (t) => {
  const r = await rig(t);
  const [res] = await operate(r.agent, `${FW}2.Activate()`, { 'TimeWindow.1.Start': '3600', 'TimeWindow.1.End': '7200', 'TimeWindow.1.Mode': 'AnyTime' }, 'later');
  await r.clock.whenArmed();
  const [c] = await operate(r.agent, `${res?.reqObjPath ?? ''}.Cancel()`);
  t.same(c?.reqOutputArgs?.outputArgs, {}, 'Cancel() accepted');
  t.match((await r.log.completions.next()).result, { ok: false, errCode: UspErrorCode.CommandCanceled });
  t.equal(r.boot(), '1');
  t.same(r.calls, []);
});

t.test('refusals: the running bank (7022), overlapping windows (7027), a bank marked not Available (7022)', async (t) => {
  const r = await rig(t);
  await operate(r.agent, `${FW}1.Activate()`, {}, 'a');
  t.match((await r.log.completions.next()).result, { ok: false, errCode: UspErrorCode.CommandFailure, errMsg: /already the running firmware/ });
  const overlap = { 'TimeWindow.1.Start': '0', 'TimeWindow.1.End': '100', 'TimeWindow.1.Mode': 'AnyTime', 'TimeWindow.2.Start': '50', 'TimeWindow.2.End': '150', 'TimeWindow.2.Mode': 'AnyTime' };
  await operate(r.agent, `${FW}2.Activate()`, overlap, 'b');
  t.match((await r.log.completions.next()).result, { ok: false, errCode: UspErrorCode.InvalidCommandArguments, errMsg: /must not overlap/ });
  const set = await r.agent.request({ set: { allowPartial: false, updateObjs: [{ objPath: `${FW}2.`, paramSettings: [{ param: 'Available', value: 'false', required: true }] }] } });
  t.ok(set.body.response?.setResp, 'bank 2 marked not Available');
  await operate(r.agent, `${FW}2.Activate()`, {}, 'c');
  t.match((await r.log.completions.next()).result, { ok: false, errCode: UspErrorCode.CommandFailure, errMsg: /not Available/ });
  t.same(r.calls, [], 'no reboot');
});

t.test('BootFirmwareImage: must name an Available image; setting it selects the bank for the next boot', async (t) => {
  const r = await rig(t);
  const setBoot = (value: string) => r.agent.request({ set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'BootFirmwareImage', value, required: true }] }] } });
  const bad = await setBoot(`${FW}9`);
  t.equal(bad.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.InvalidValue, 'no such bank: 7012');
  const ok = await setBoot(`${FW}2`);
  t.ok(ok.body.response?.setResp, 'bank 2 accepted');
  // The platform selects after the Set is answered (outside the data-model lock).
  for (const end = Date.now() + 5000; r.boot() !== '2' && Date.now() < end; ) await new Promise((w) => setTimeout(w, 20));
  t.equal(r.boot(), '2', 'selected for the next boot');
  t.match(await values(r.agent, 'Device.DeviceInfo.'), { BootFirmwareImage: `${FW}2`, ActiveFirmwareImage: `${FW}1` });
  const noOff = await r.agent.request({ set: { allowPartial: false, updateObjs: [{ objPath: `${FW}1.`, paramSettings: [{ param: 'Available', value: 'false', required: true }] }] } });
  t.equal(noOff.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.InvalidValue, 'the active image cannot be made unavailable (7012)');
});

t.test('BootFirmwareImage: a slow platform blocks no message; its failure shows in the bank (ActivationFailed, BootFailureLog)', async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const cfg = { ...config, firmware: { ...config.firmware, platform: 'lab' as const, initialVersion: '1.0' } };
  const lab = labFirmware({ dir: cfg.firmware.dir, banks: cfg.firmware.banks, initialImage: { name: 'usp-agent', version: '1.0' }, healthCheckCommand: undefined, healthCheckTimeoutMs: 1000, confirmCommand: undefined, log: SILENT_LOGGER });
  // The boot selection (firmware.activateCommand on a real device) hangs until the test lets it fail.
  let fail: (e: Error) => void = () => undefined;
  const selecting = new Promise<void>((_resolve, reject) => (fail = reject));
  let asked = 0;
  const platform = { ...lab, selectBoot: async (bank: number) => (bank === 2 ? (asked++, selecting) : lab.selectBoot(bank)) };
  const log = new EventLog();
  const agent = await startTestAgent(cfg, dir, { events: log, platform: { ...recordingPlatform().platform, firmware: platform }, clock: new FakeClock(Date.now()) });
  t.teardown(() => agent.close());
  await put2({ agent, log, dir } as Rig, '2.0');

  const set = agent.request({ set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'BootFirmwareImage', value: `${FW}2`, required: true }] }] } });
  const first = await Promise.race([set, new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 3000))]);
  t.not(first, 'blocked', 'the Set is answered while the platform is still selecting');
  t.ok(first !== 'blocked' && first.body.response?.setResp, 'Set succeeded');
  t.equal(asked, 1, 'the platform was asked to select bank 2');
  t.match(await values(agent, 'Device.DeviceInfo.'), { BootFirmwareImage: `${FW}2` }, 'other messages run meanwhile; the requested bank reads back');

  fail(new Error('bootloader refused'));
  const end = Date.now() + 5000;
  while (agent.dm.tree.get(`${FW}2.`)?.values.get('Status') !== 'ActivationFailed' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const row2 = Object.fromEntries(agent.dm.tree.get(`${FW}2.`)?.values ?? []);
  t.equal(row2['Status'], 'ActivationFailed', 'the failure shows in the bank Status');
  t.match(row2['BootFailureLog'], /bootloader refused/, 'and in its BootFailureLog');
  t.match(await values(agent, 'Device.DeviceInfo.'), { BootFirmwareImage: `${FW}1` }, 'the boot image is the old one again');
  t.equal(readFileSync(join(cfg.firmware.dir, 'boot'), 'utf8').trim(), '1', 'nothing selected');
  t.equal(readPending(agent.dm.store), undefined, 'no pending activation recorded');
});
