/**
 * FirmwareImage.{i}.Download() against a real node:http(s) image server, with the agent's real
 * lab firmware platform (banks as folders, images as tar.gz): a good download and every bad input
 * from issue 7. Each failure must come back as OperationComplete cmd_failure and as
 * TransferComplete! with the same FaultCode, leave the bank's Status saying what failed, and leave
 * the running bank, the boot selection and the staging folder as they were.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test as Tap } from 'tap';
import type { FirmwareConfig } from '../../agent/config-firmware.js';
import { createCa, createLabPki, issueCert } from '../../certs/pki.js';
import { AGENT_EID, startTestAgent, tempConfig } from '../helpers/agent.js';
import type { TestAgent } from '../helpers/agent.js';
import { operate, recordingPlatform, values } from '../helpers/operate.js';
import { EventLog, makeImage, startImageServer } from '../unit/firmware/fixtures.js';
import type { ImageServer, SeenCompletion, SeenEvent } from '../unit/firmware/fixtures.js';

t.setTimeout(120_000);

const BANK1 = 'Device.DeviceInfo.FirmwareImage.1.';
const BANK2 = 'Device.DeviceInfo.FirmwareImage.2.';

interface Rig {
  readonly agent: TestAgent;
  readonly log: EventLog;
  readonly dir: string;
  readonly fwDir: string;
}

const shared = tempConfig();
t.teardown(shared.cleanup);
const pki = createLabPki({ dir: join(shared.dir, 'pki'), agentEndpointId: AGENT_EID, controllerEndpointIds: [] });
const good = makeImage(shared.dir, '2.0', { padding: 20_000 });

async function rig(tt: Tap, fw: Partial<FirmwareConfig> = {}): Promise<Rig> {
  const { config, dir, cleanup } = tempConfig();
  tt.teardown(cleanup);
  const cfg = {
    ...config,
    tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert, createLabPki: false },
    firmware: { ...config.firmware, platform: 'lab' as const, initialVersion: '1.0', ...fw },
  };
  const log = new EventLog();
  const agent = await startTestAgent(cfg, dir, { events: log, platform: recordingPlatform().platform });
  tt.teardown(() => agent.close());
  return { agent, log, dir, fwDir: cfg.firmware.dir };
}

/** Operate Download() and wait for its OperationComplete (and TransferComplete!, which comes first when there is one). */
async function download(r: Rig, args: Record<string, string>, bank = BANK2, key = 'dl'): Promise<{ done: SeenCompletion; transfer: SeenEvent | undefined }> {
  const [res] = await operate(r.agent, `${bank}Download()`, { AutoActivate: 'false', ...args }, key);
  if (!res?.reqObjPath) throw new Error(`Download() not started: ${JSON.stringify(res)}`);
  const done = await r.log.completions.next();
  const transfer = r.log.events.size > 0 ? await r.log.events.next() : undefined;
  return { done, transfer };
}

/** The running bank, its row, the boot selection and the staging folder are as before. */
async function untouched(tt: Tap, r: Rig, bank2Status: string): Promise<void> {
  const b1 = await values(r.agent, BANK1);
  tt.match(b1, { Status: 'Active', Version: '1.0', Available: 'true' }, 'bank 1 is still the active 1.0 image');
  tt.equal((await values(r.agent, 'Device.DeviceInfo.'))?.['SoftwareVersion'], '1.0', 'SoftwareVersion unchanged');
  tt.match(await values(r.agent, BANK2), { Status: bank2Status, Version: bank2Status === 'Available' ? '1.0' : '' }, `bank 2 Status ${bank2Status}`);
  tt.match(JSON.parse(readFileSync(join(r.fwDir, 'bank-2', 'manifest.json'), 'utf8')), { version: '1.0' }, 'bank 2 still holds its factory image: nothing was written into it');
  tt.equal(readFileSync(join(r.fwDir, 'boot'), 'utf8').trim(), '1', 'bank 1 still boots next');
  tt.same(readdirSync(join(r.fwDir, 'staging')), [], 'no temporary file left in staging');
  tt.same(readdirSync(r.fwDir).filter((f) => f.startsWith('.')), [], 'no half-installed bank left');
  tt.match(JSON.parse(readFileSync(join(r.fwDir, 'bank-1', 'manifest.json'), 'utf8')), { version: '1.0' }, 'bank 1 files untouched');
}

/** OperationComplete failed with `code`, TransferComplete! carries the same FaultCode and a FaultString matching `why`. */
function failedWith(tt: Tap, got: Awaited<ReturnType<typeof download>>, code: number, why: RegExp): void {
  tt.equal(got.done.result.ok, false, 'OperationComplete reports a failure');
  if (got.done.result.ok) return;
  tt.equal(got.done.result.errCode, code, `errCode ${code}`);
  tt.match(got.done.result.errMsg, why, 'errMsg says why');
  tt.equal(got.transfer?.eventName, 'TransferComplete!', 'TransferComplete! sent');
  tt.match(got.transfer?.params, { FaultCode: String(code), FaultString: why, TransferType: 'Download', Affected: BANK2, CommandKey: 'dl', CompleteTime: '0001-01-01T00:00:00Z' });
}

let server: ImageServer;
t.before(async () => {
  server = await startImageServer();
  server.serve('/fw.tgz', good.bytes);
  server.serve('/chunked.tgz', good.bytes, { chunked: true });
  server.serve('/auth.tgz', good.bytes, { auth: 'fwuser:s3cret' });
  server.serve('/slow.tgz', good.bytes, { throttle: { chunk: 2000, everyMs: 40 } });
});
t.teardown(() => server.close());

t.test('a good image: Downloading, Validating, Available; TransferComplete! FaultCode 0 with the checksum', async (tt) => {
  const r = await rig(tt);
  const statuses: string[] = [];
  r.agent.dm.onChange((evs) => evs.forEach((e) => e.kind === 'value' && e.objPath === BANK2 && e.name === 'Status' && statuses.push(e.newValue)));
  const got = await download(r, { URL: `${server.base}/redirect/fw.tgz`, FileSize: String(good.bytes.length), CheckSumAlgorithm: 'SHA-256', CheckSum: good.sha256.toUpperCase() });
  tt.same(got.done.result, { ok: true, outputArgs: {} }, 'OperationComplete success');
  tt.match(got.transfer?.params, { FaultCode: '0', FaultString: '', Command: `${BANK2}Download()`, TransferURL: `${server.base}/redirect/fw.tgz`, CheckSumAlgorithm: 'SHA-256', CheckSum: good.sha256 });
  tt.not(got.transfer?.params['CompleteTime'], '0001-01-01T00:00:00Z', 'CompleteTime set');
  tt.same(statuses, ['Downloading', 'Validating', 'Available'], 'Status went Downloading → Validating → Available');
  tt.match(await values(r.agent, BANK2), { Status: 'Available', Version: '2.0', Name: 'lab-image-2.0', Available: 'true', BootFailureLog: '' });
  tt.match(await values(r.agent, BANK1), { Status: 'Active', Version: '1.0' }, 'bank 1 still active');
  tt.equal(readFileSync(join(r.fwDir, 'boot'), 'utf8').trim(), '1', 'AutoActivate=false: bank 1 still boots next');
  tt.same(readdirSync(join(r.fwDir, 'staging')), [], 'staging empty');
});

t.test('HTTPS with mutual TLS and basic auth download; a wrong FileSize hint alone does not fail', async (tt) => {
  const r = await rig(tt);
  const https = await startImageServer({ cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), ca: readFileSync(pki.ca.cert) });
  tt.teardown(() => https.close());
  https.serve('/fw.tgz', good.bytes, { auth: 'fwuser:s3cret' });
  const got = await download(r, { URL: `${https.base}/fw.tgz`, Username: 'fwuser', Password: 's3cret', FileSize: '1234', CheckSumAlgorithm: 'SHA-256', CheckSum: good.sha256 });
  tt.same(got.done.result, { ok: true, outputArgs: {} }, 'mutual TLS + basic auth download succeeds (TR-181: FileSize is a hint)');
  tt.match(await values(r.agent, BANK2), { Status: 'Available', Version: '2.0' });
});

t.test('every CheckSumAlgorithm verifies the file (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512)', async (tt) => {
  const r = await rig(tt);
  for (const alg of ['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512']) {
    const sum = createHash(alg.replace('-', '').toLowerCase()).update(good.bytes).digest('hex');
    const got = await download(r, { URL: `${server.base}/fw.tgz`, CheckSumAlgorithm: alg, CheckSum: sum });
    tt.same(got.done.result, { ok: true, outputArgs: {} }, `${alg}: accepted`);
    tt.match(got.transfer?.params, { FaultCode: '0', CheckSumAlgorithm: alg, CheckSum: sum }, `${alg}: TransferComplete! reports it`);
  }
});

const cases: { name: string; fw?: Partial<FirmwareConfig>; args: (r: Rig) => Record<string, string> | Promise<Record<string, string>>; code: number; why: RegExp; status: string }[] = [
  { name: 'unreachable host', args: () => ({ URL: 'http://127.0.0.1:1/fw.tgz' }), code: 7022, why: /cannot connect to 127\.0\.0\.1:1/, status: 'DownloadFailed' },
  { name: 'HTTP 404', args: () => ({ URL: `${server.base}/missing.tgz` }), code: 7022, why: /HTTP 404/, status: 'DownloadFailed' },
  { name: 'redirect loop', args: () => ({ URL: `${server.base}/loop` }), code: 7022, why: /more than 5 redirects/, status: 'DownloadFailed' },
  { name: 'wrong basic auth (401)', args: () => ({ URL: `${server.base}/auth.tgz`, Username: 'fwuser', Password: 'wrong' }), code: 7022, why: /HTTP 401.*authentication failed/, status: 'DownloadFailed' },
  { name: 'wrong checksum', args: () => ({ URL: `${server.base}/fw.tgz`, CheckSumAlgorithm: 'SHA-256', CheckSum: 'ab'.repeat(32) }), code: 7022, why: /SHA-256 checksum mismatch/, status: 'ValidationFailed' },
  { name: 'wrong SHA-512 checksum', args: () => ({ URL: `${server.base}/fw.tgz`, CheckSumAlgorithm: 'SHA-512', CheckSum: 'cd'.repeat(64) }), code: 7022, why: /SHA-512 checksum mismatch/, status: 'ValidationFailed' },
  { name: 'stalled transfer', fw: { stallSeconds: 1 }, args: () => ({ URL: `${server.base}/stall/fw.tgz` }), code: 7022, why: /stalled: nothing for 1 s/, status: 'DownloadFailed' },
  { name: 'truncated transfer', args: () => ({ URL: `${server.base}/truncated/fw.tgz` }), code: 7022, why: /truncated transfer/, status: 'DownloadFailed' },
  { name: 'oversize image (Content-Length over the cap)', fw: { maxImageBytes: 4096 }, args: () => ({ URL: `${server.base}/fw.tgz` }), code: 7005, why: /more than 4096 \(firmware\.maxImageBytes\)/, status: 'DownloadFailed' },
  { name: 'oversize image (chunked, stopped at the cap)', fw: { maxImageBytes: 4096 }, args: () => ({ URL: `${server.base}/chunked.tgz` }), code: 7005, why: /larger than 4096 bytes/, status: 'DownloadFailed' },
  { name: 'wrong size: FileSize more than the space left', fw: { maxImageBytes: 100_000 }, args: () => ({ URL: `${server.base}/fw.tgz`, FileSize: '5000000' }), code: 7005, why: /FileSize 5000000 is more than/, status: 'DownloadFailed' },
  { name: 'disk full (statfs minus the reserve leaves nothing)', fw: { reserveBytes: Number.MAX_SAFE_INTEGER }, args: () => ({ URL: `${server.base}/fw.tgz` }), code: 7005, why: /not enough free space/, status: 'DownloadFailed' },
  { name: 'not an image (no manifest)', args: async () => {
      const bad = makeImage(shared.dir, '9.9', { manifest: '{"nothing": true}' });
      server.serve('/nomanifest.tgz', bad.bytes);
      return { URL: `${server.base}/nomanifest.tgz` };
    }, code: 7022, why: /manifest\.json has no valid version/, status: 'ValidationFailed' },
];

for (const c of cases) {
  t.test(`${c.name}: ${c.code}, bank 2 ${c.status}, the rest untouched`, async (tt) => {
    const r = await rig(tt, c.fw);
    failedWith(tt, await download(r, await c.args(r)), c.code, c.why);
    await untouched(tt, r, c.status);
  });
}

t.test('TLS failure: a server certificate from an unknown CA', async (tt) => {
  const r = await rig(tt);
  const rogueCa = createCa('rogue CA');
  const rogue = issueCert(rogueCa, { commonName: 'rogue', ips: ['127.0.0.1'], serverAuth: true });
  const https = await startImageServer({ cert: Buffer.from(rogue.certPem), key: Buffer.from(rogue.keyPem) });
  tt.teardown(() => https.close());
  https.serve('/fw.tgz', good.bytes);
  failedWith(tt, await download(r, { URL: `${https.base}/fw.tgz` }), 7022, /TLS failure with 127\.0\.0\.1/);
  await untouched(tt, r, 'DownloadFailed');
});

t.test('bad arguments are 7027 before any transfer (no TransferComplete!)', async (tt) => {
  const r = await rig(tt);
  for (const [args, why] of [
    [{ URL: 'ftp://127.0.0.1/fw.tgz' }, /scheme ftp: is not supported/],
    [{ URL: `http://u:p@127.0.0.1:${server.port}/fw.tgz` }, /must not include user information/],
    [{ URL: `${server.base}/fw.tgz`, CheckSum: good.sha256 }, /CheckSum needs a CheckSumAlgorithm/],
    [{ URL: `${server.base}/fw.tgz`, CheckSumAlgorithm: 'SHA-1', CheckSum: good.sha256 }, /SHA-1 CheckSum has 20 bytes/],
  ] as const) {
    const got = await download(r, args);
    tt.match(got.done.result, { ok: false, errCode: 7027, errMsg: why }, `7027: ${String(why)}`);
    tt.equal(got.transfer, undefined, 'no TransferComplete!');
  }
  await untouched(tt, r, 'Available');
});

t.test('Download on the active bank is refused with 7007; the running image is untouched', async (tt) => {
  const r = await rig(tt);
  const hits = server.hits.length;
  const got = await download(r, { URL: `${server.base}/fw.tgz` }, BANK1);
  tt.match(got.done.result, { ok: false, errCode: 7007, errMsg: /running firmware/ });
  tt.equal(got.transfer, undefined, 'no transfer, no TransferComplete!');
  tt.equal(server.hits.length, hits, 'the image server was never asked');
  await untouched(tt, r, 'Available');
});

t.test('a second Download while one runs is refused with 7002; the first completes', async (tt) => {
  const r = await rig(tt);
  const first = await operate(r.agent, `${BANK2}Download()`, { URL: `${server.base}/slow.tgz`, AutoActivate: 'false' }, 'first');
  tt.ok(first[0]?.reqObjPath, 'first Download accepted');
  // Wait until the first is really transferring.
  while ((await values(r.agent, BANK2))?.['Status'] !== 'Downloading') await new Promise((resolve) => setImmediate(resolve));
  await operate(r.agent, `${BANK2}Download()`, { URL: `${server.base}/fw.tgz`, AutoActivate: 'false' }, 'second');
  const c1 = await r.log.completions.next();
  tt.match(c1, { commandKey: 'second', result: { ok: false, errCode: 7002, errMsg: /download into Device\.DeviceInfo\.FirmwareImage\.2 is in progress/ } }, 'second refused with 7002');
  const c2 = await r.log.completions.next();
  tt.match(c2, { commandKey: 'first', result: { ok: true } }, 'the first one completes');
  const tc = await r.log.events.next();
  tt.match(tc.params, { CommandKey: 'first', FaultCode: '0' }, 'one TransferComplete!, for the first');
  tt.equal(r.log.events.size, 0, 'none for the refused one');
  tt.match(await values(r.agent, BANK2), { Status: 'Available', Version: '2.0' });
});
