/**
 * Firmware upgrade end to end over a real MTP (issue 7, USP-NOTES §14, TP-469 9.3/9.4): the agent
 * runs as `usp-agent start` (lab firmware platform: both banks hold the factory image 1.0, bank 1
 * boots) and dials a ws controller with mutual TLS; a real node:http server serves images this
 * test builds. The controller sends the seed's Operate with a search path on Version: it matches
 * both banks, the running one refuses (7007) and the other downloads, sends TransferComplete!,
 * activates (AutoActivate) and the agent restarts into it: Boot! carries FirmwareUpdated=true and
 * the command_key, and 2.0 is the SoftwareVersion. Then an image whose health check fails is
 * downloaded into the other bank and activated: the agent starts it, the check fails, it rolls back
 * to 2.0 and restarts, and the failed bank shows ActivationFailed with its BootFailureLog.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { makeImage, startImageServer } from '../unit/firmware/fixtures.js';
import { acceptAgent } from '../helpers/ws-notify.js';
import type { NotifyController, ReceivedNotify } from '../helpers/ws-notify.js';
import { AGENT, CTRL, CTRL_ROW, fwLab, operateAll, RESTART_MS, startAgent, values } from '../unit/firmware/mtp-lab.js';

t.setTimeout(240_000);

const FW = 'Device.DeviceInfo.FirmwareImage.';

/** The next `n` notifications (OnBoardRequests answered and skipped). */
async function notifies(c: NotifyController, n: number): Promise<ReceivedNotify[]> {
  const out: ReceivedNotify[] = [];
  while (out.length < n) out.push(await c.nextNotify(RESTART_MS));
  return out;
}

t.test('Download() by search path on Version → TransferComplete! → activation → restart → Boot! FirmwareUpdated; a bad image rolls back', async (t) => {
  const l = await fwLab(t);
  const images = await startImageServer();
  t.teardown(() => images.close());
  const v2 = makeImage(l.dir, '2.0', { health: 'ok', padding: 30_000 });
  const bad = makeImage(l.dir, '3.0-bad', { health: 'bad image refuses to start', padding: 10_000 });
  images.serve('/fw-2.0.tgz', v2.bytes);
  images.serve('/fw-3.0.tgz', bad.bytes);

  const agent = startAgent(t, l);
  const c = await acceptAgent(t, l.server, CTRL, AGENT, RESTART_MS);
  await c.onboard(CTRL_ROW);
  await c.subscribe({ ID: 'boot', NotifType: 'Event', ReferenceList: 'Device.Boot!', Persistent: 'true' });
  await c.subscribe({ ID: 'xfer', NotifType: 'Event', ReferenceList: 'Device.LocalAgent.TransferComplete!', Persistent: 'true' });
  await c.subscribe({ ID: 'done', NotifType: 'OperationComplete', ReferenceList: FW, Persistent: 'true' });

  t.match(await values(c, 'Device.DeviceInfo.'), { SoftwareVersion: '1.0', ActiveFirmwareImage: `${FW}1`, BootFirmwareImage: `${FW}1`, FirmwareImageNumberOfEntries: '2' }, 'factory state: 1.0 running from bank 1');
  t.match(await values(c, `${FW}2.`), { Status: 'Available', Version: '1.0' }, 'bank 2 holds the factory image too');
  const firstPid = Number(readFileSync(l.lockFile, 'utf8'));

  // The seed's Operate: a search path on Version.
  const results = await operateAll(c, `${FW}[Version=="1.0"].Download()`, 'fw-2.0', {
    URL: `${images.base}/fw-2.0.tgz`,
    FileSize: String(v2.bytes.length),
    AutoActivate: 'true',
    CheckSumAlgorithm: 'SHA-256',
    CheckSum: v2.sha256,
  });
  t.same(results.map((r) => [r.executedCommand, typeof r.reqObjPath]), [[`${FW}1.Download()`, 'string'], [`${FW}2.Download()`, 'string']], 'both banks matched; each got a Request');

  const before = await notifies(c, 3);
  const ocs = before.filter((n) => n.notify.operComplete).map((n) => n.notify.operComplete);
  const bank1 = ocs.find((o) => o?.objPath === `${FW}1.`);
  t.match(bank1, { commandName: 'Download()', commandKey: 'fw-2.0', cmdFailure: { errCode: 7007 } }, 'the running bank refuses the download (7007)');
  const bank2 = ocs.find((o) => o?.objPath === `${FW}2.`);
  t.match(bank2, { commandName: 'Download()', commandKey: 'fw-2.0', reqOutputArgs: {} }, 'bank 2: OperationComplete success');
  const tc = before.find((n) => n.notify.event?.eventName === 'TransferComplete!')?.notify.event;
  t.equal(tc?.objPath, 'Device.LocalAgent.', 'TransferComplete! comes from Device.LocalAgent.');
  t.match(tc?.params, {
    Command: `${FW}2.Download()`,
    CommandKey: 'fw-2.0',
    Requestor: 'proto::fw-ctrl',
    TransferType: 'Download',
    Affected: `${FW}2.`,
    TransferURL: `${images.base}/fw-2.0.tgz`,
    FaultCode: '0',
    FaultString: '',
    CheckSumAlgorithm: 'SHA-256',
    CheckSum: v2.sha256,
  }, 'TransferComplete! FaultCode 0 with the checksum');

  // AutoActivate: bank 2 boots next; the agent restarts into it.
  await l.server.nextSession(RESTART_MS);
  const boot = (await c.nextNotify(RESTART_MS)).notify;
  t.equal(boot.event?.eventName, 'Boot!', 'Boot! after the activation');
  t.match(boot.event?.params, { Cause: 'RemoteReboot', CommandKey: 'fw-2.0', FirmwareUpdated: 'true' }, 'Boot!: FirmwareUpdated=true with the Download command_key');
  t.not(Number(readFileSync(l.lockFile, 'utf8')), firstPid, 'a new agent process');
  t.match(await values(c, 'Device.DeviceInfo.'), { SoftwareVersion: '2.0', ActiveFirmwareImage: `${FW}2`, BootFirmwareImage: `${FW}2` }, '2.0 runs from bank 2');
  t.match(await values(c, `${FW}2.`), { Status: 'Active', Version: '2.0', Name: 'lab-image-2.0', BootFailureLog: '' });
  t.match(await values(c, `${FW}1.`), { Status: 'Available', Version: '1.0' }, 'bank 1 keeps the previous image');
  t.equal(readFileSync(`${l.fwDir}/boot`, 'utf8').trim(), '2');

  // A bad image into the now inactive bank 1: its health check fails after activation.
  const bad1 = await c.operate(`${FW}1.Download()`, 'fw-bad', { URL: `${images.base}/fw-3.0.tgz`, AutoActivate: 'true' });
  t.ok(bad1.reqObjPath, 'bad image download accepted');
  const badDone = await notifies(c, 2);
  t.match(badDone.find((n) => n.notify.event)?.notify.event?.params, { CommandKey: 'fw-bad', FaultCode: '0' }, 'the bad image transfers and validates fine');
  t.match(badDone.find((n) => n.notify.operComplete)?.notify.operComplete, { objPath: `${FW}1.`, reqOutputArgs: {} });

  await l.server.nextSession(RESTART_MS);
  const boot2 = (await c.nextNotify(RESTART_MS)).notify;
  t.equal(boot2.event?.eventName, 'Boot!', 'Boot! after the rollback');
  t.match(boot2.event?.params, { Cause: 'LocalReboot', CommandKey: 'fw-bad', FirmwareUpdated: 'false', Reason: 'firmware rollback to bank 2' }, 'Boot!: back on the same software (FirmwareUpdated=false), the rollback says why');
  t.match(await values(c, 'Device.DeviceInfo.'), { SoftwareVersion: '2.0', ActiveFirmwareImage: `${FW}2`, BootFirmwareImage: `${FW}1` }, 'rolled back to 2.0; BootFirmwareImage is not rewritten to the fallback (TR-181)');
  const failed = await values(c, `${FW}1.`);
  t.match(failed, { Status: 'ActivationFailed', Version: '3.0-bad' }, 'bank 1: ActivationFailed');
  t.match(failed['BootFailureLog'], /health check .* failed \(exit 1\): bad image refuses to start/, 'BootFailureLog says why');
  t.match(agent.log(), /FW-W04 rolling back to bank 2/, 'the rollback is logged');
  t.equal((agent.log().match(/HOOK-I01 agent restarted/g) ?? []).length, 3, 'three restarts: activation, bad activation, rollback');
  t.equal(await agent.stop(), 0, 'SIGTERM stops the agent cleanly');
});
