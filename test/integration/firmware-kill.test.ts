/**
 * kill -9 in the middle of a firmware download (issue 7): the agent (`usp-agent start`, lab
 * firmware platform, ws MTP) is killed while a throttled image server is halfway through the
 * image. The running bank and the target bank's previous image must be intact, the next start must
 * clear the partial file and show the download as failed, and the same Download() must then work.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { makeImage, startImageServer } from '../unit/firmware/fixtures.js';
import { acceptAgent } from '../helpers/ws-notify.js';
import type { NotifyController, ReceivedNotify } from '../helpers/ws-notify.js';
import { AGENT, CTRL, CTRL_ROW, fwLab, RESTART_MS, startAgent, values } from '../unit/firmware/mtp-lab.js';

t.setTimeout(180_000);

const FW = 'Device.DeviceInfo.FirmwareImage.';

/** Resolves once a file in `dir` holds at least `bytes` bytes (checked every 20 ms, up to 60 s). */
async function written(dir: string, bytes: number): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    if (readdirSync(dir).some((f) => statSync(join(dir, f)).size >= bytes)) return;
    if (Date.now() > end) throw new Error(`no file in ${dir} reached ${bytes} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function until(c: NotifyController, pred: (n: ReceivedNotify) => boolean): Promise<ReceivedNotify> {
  for (;;) {
    const n = await c.nextNotify(RESTART_MS);
    if (pred(n)) return n;
  }
}

t.test('kill -9 mid-download: the active bank is intact, the partial file goes, and the download can be done again', async (t) => {
  const l = await fwLab(t);
  const images = await startImageServer();
  t.teardown(() => images.close());
  const img = makeImage(l.dir, '2.0', { padding: 200_000 });
  // About 4 s for the whole image: the kill lands well inside it.
  images.serve('/slow.tgz', img.bytes, { throttle: { chunk: 4096, everyMs: 80 } });
  images.serve('/fw.tgz', img.bytes);

  const first = startAgent(t, l);
  const c = await acceptAgent(t, l.server, CTRL, AGENT, RESTART_MS);
  await c.onboard(CTRL_ROW);
  await c.subscribe({ ID: 'st', NotifType: 'ValueChange', ReferenceList: `${FW}2.Status` });
  await c.subscribe({ ID: 'xfer', NotifType: 'Event', ReferenceList: 'Device.LocalAgent.TransferComplete!', Persistent: 'true' });

  const res = await c.operate(`${FW}2.Download()`, 'slow', { URL: `${images.base}/slow.tgz`, AutoActivate: 'true' });
  t.ok(res.reqObjPath, 'Download() accepted');
  const downloading = await until(c, (n) => n.notify.valueChange !== undefined);
  t.equal(downloading.notify.valueChange?.paramValue, 'Downloading', 'Status Downloading');
  // What the agent has written, not what the server has sent (socket buffers hold some of that).
  const staging = join(l.fwDir, 'staging');
  await written(staging, img.bytes.length >> 1);

  const pid = Number(readFileSync(l.lockFile, 'utf8'));
  t.equal(pid, first.child.pid, 'the agent runs in the started process');
  process.kill(pid, 'SIGKILL');
  const gone = await first.exited;
  t.equal(gone.signal, 'SIGKILL', 'the agent died by kill -9');

  const parts = readdirSync(staging);
  t.equal(parts.length, 1, 'a partial download was on disk when it died');
  const size = statSync(join(staging, parts[0] ?? '')).size;
  t.ok(size >= img.bytes.length >> 1 && size < img.bytes.length, `with part of the image in it (${size} of ${img.bytes.length} bytes)`);
  t.match(JSON.parse(readFileSync(join(l.fwDir, 'bank-1', 'manifest.json'), 'utf8')), { version: '1.0' }, 'the running bank is intact');
  t.match(JSON.parse(readFileSync(join(l.fwDir, 'bank-2', 'manifest.json'), 'utf8')), { version: '1.0' }, "the target bank's previous image is intact");
  t.equal(readFileSync(join(l.fwDir, 'boot'), 'utf8').trim(), '1', 'bank 1 still boots');

  startAgent(t, l);
  // The same controller carries on over the new session (a second one would compete for its records).
  await l.server.nextSession(RESTART_MS);
  const c2 = c;
  t.same(readdirSync(staging), [], 'the next start removed the partial file');
  t.match(await values(c2, 'Device.DeviceInfo.'), { SoftwareVersion: '1.0', ActiveFirmwareImage: `${FW}1` }, 'still 1.0 from bank 1');
  t.match(await values(c2, `${FW}2.`), { Status: 'DownloadFailed', Version: '' }, 'the interrupted download shows as DownloadFailed');

  const again = await c2.operate(`${FW}2.Download()`, 'again', { URL: `${images.base}/fw.tgz`, AutoActivate: 'false', CheckSumAlgorithm: 'SHA-256', CheckSum: img.sha256 });
  t.ok(again.reqObjPath, 'the same Download() is accepted again');
  const tc = await until(c2, (n) => n.notify.event?.eventName === 'TransferComplete!');
  t.match(tc.notify.event?.params, { CommandKey: 'again', FaultCode: '0', CheckSum: img.sha256 }, 'and completes');
  t.match(await values(c2, `${FW}2.`), { Status: 'Available', Version: '2.0' }, 'bank 2 now holds 2.0');
  t.match(await values(c2, 'Device.DeviceInfo.'), { SoftwareVersion: '1.0' }, 'AutoActivate=false: still running 1.0');
});
