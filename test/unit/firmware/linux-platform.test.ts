/**
 * The Linux firmware platform (agent/firmware/linux-platform.ts) with real shell scripts standing
 * in for the device's install / boot-select / version tools, and the same platform behind a real
 * Download() from a node:http server.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseFirmwareConfig } from '../../../agent/config-firmware.js';
import type { FirmwareConfig } from '../../../agent/config-firmware.js';
import { linuxFirmware } from '../../../agent/firmware/linux-platform.js';
import { FirmwareFault } from '../../../agent/firmware/platform.js';
import { SILENT_LOGGER } from '../../../agent/log.js';
import { startTestAgent, tempConfig } from '../../helpers/agent.js';
import { operate, recordingPlatform, values } from '../../helpers/operate.js';
import { EventLog, startImageServer } from './fixtures.js';

function script(dir: string, name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
  return f;
}

/** Scripts that keep the "device" state in files under `dir`. */
function device(dir: string): { config: FirmwareConfig; setRunning: (v: string) => void } {
  const problems: string[] = [];
  const config = parseFirmwareConfig(
    {
      platform: 'linux',
      dir: join(dir, 'images'),
      installCommand: [script(dir, 'install.sh', `[ -s "$USP_FIRMWARE_IMAGE" ] || { echo empty image >&2; exit 3; }\necho "flashing bank $USP_FIRMWARE_BANK"\nhead -c 20 "$USP_FIRMWARE_IMAGE" | tr -dc '0-9.' ; echo`)],
      activateCommand: [script(dir, 'activate.sh', `echo "$USP_FIRMWARE_BANK" > "${dir}/bootenv"`)],
      versionCommand: [script(dir, 'version.sh', `cat "${dir}/running-version"`)],
      healthCheckCommand: [script(dir, 'health.sh', `test -f "${dir}/healthy" || { echo "service x down"; exit 1; }`)],
    },
    dir,
    problems,
    (p) => p,
  );
  if (problems.length) throw new Error(problems.join('; '));
  return { config, setRunning: (v) => writeFileSync(join(dir, 'running-version'), `${v}\n`) };
}

t.test('install, select, read the version back after a restart, health check', async (t) => {
  const { dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const d = device(dir);
  d.setRunning('1.0');
  const p = await linuxFirmware({ config: d.config, fallbackVersion: '0.0.1', log: SILENT_LOGGER });
  t.equal(p.runningBank(), 1, 'first start: bank 1');
  t.same(await p.image(1), { name: 'firmware', version: '1.0' }, 'its version read back with versionCommand');
  t.equal(await p.image(2), undefined, 'bank 2 empty');

  const img = join(p.stagingDir, 'dl.part');
  writeFileSync(img, '4.2.7 firmware bytes');
  t.same(await p.install(2, img, 'fw-4.2.7.img', AbortSignal.timeout(10_000)), { name: 'fw-4.2.7.img', version: '4.2.7' }, 'installCommand prints the version');
  t.ok(existsSync(join(d.config.dir, 'bank-2.img')), 'the image is kept under the configured folder');
  await t.rejects(p.install(1, img, 'x', AbortSignal.timeout(10_000)), { status: 'InstallationFailed', message: /bank 1 is running/ }, 'never into the running bank');

  const empty = join(p.stagingDir, 'empty.part');
  writeFileSync(empty, '');
  const err = await p.install(2, empty, 'x', AbortSignal.timeout(10_000)).catch((e: unknown) => e);
  t.ok(err instanceof FirmwareFault, 'a failing installCommand is a FirmwareFault');
  t.match(err, { status: 'InstallationFailed', message: /exit 3\): empty image/ });
  t.equal(await p.image(2), undefined, 'a failed install leaves the bank empty');

  writeFileSync(img, '4.2.7 firmware bytes');
  await p.install(2, img, 'fw.img', AbortSignal.timeout(10_000));
  await p.selectBoot(2);
  t.equal(readFileSync(join(dir, 'bootenv'), 'utf8').trim(), '2', 'activateCommand got the bank');
  t.equal(await p.bootBank(), 2);
  t.match(await p.healthCheck(2, AbortSignal.timeout(10_000)), /failed \(exit 1\): service x down/, 'health check output is the failure log');
  writeFileSync(join(dir, 'healthy'), '');
  t.equal(await p.healthCheck(2, AbortSignal.timeout(10_000)), undefined, 'healthy');

  d.setRunning('4.2.7');
  const after = await linuxFirmware({ config: d.config, fallbackVersion: '0.0.1', log: SILENT_LOGGER });
  t.equal(after.runningBank(), 2, 'after the restart: the bank holding the running version');
  d.setRunning('1.0');
  const fellBack = await linuxFirmware({ config: d.config, fallbackVersion: '0.0.1', log: SILENT_LOGGER });
  t.equal(fellBack.runningBank(), 1, 'a boot loader that fell back shows: bank 1 runs');
});

t.test('Download() on the Linux platform: the installCommand decides the version', async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const d = device(dir);
  d.setRunning('1.0');
  const log = new EventLog();
  const agent = await startTestAgent({ ...config, firmware: d.config }, dir, { events: log, platform: recordingPlatform().platform });
  t.teardown(() => agent.close());
  const server = await startImageServer();
  t.teardown(() => server.close());
  server.serve('/fw-5.1.bin', Buffer.from('5.1 image for the device'));
  await operate(agent, 'Device.DeviceInfo.FirmwareImage.2.Download()', { URL: `${server.base}/fw-5.1.bin`, AutoActivate: 'false' }, 'k');
  t.match((await log.completions.next()).result, { ok: true });
  t.match(await values(agent, 'Device.DeviceInfo.FirmwareImage.2.'), { Status: 'Available', Version: '5.1', Name: 'fw-5.1.bin' });
  t.match(await values(agent, 'Device.DeviceInfo.'), { SoftwareVersion: '1.0', ActiveFirmwareImage: 'Device.DeviceInfo.FirmwareImage.1' });
});

t.test('config: defaults, and every problem reported with its key', async (t) => {
  const problems: string[] = [];
  const dflt = parseFirmwareConfig(undefined, '/data', problems, (p) => p);
  t.match(dflt, { platform: 'none', banks: 2, dir: '/data/firmware', maxBootAttempts: 3, clientCertificate: true });
  t.same(problems, []);
  parseFirmwareConfig({ platform: 'flash', banks: 0, maxImageBytes: -1, installCommand: 'x', bogus: 1, initialVersion: 1 }, '/data', problems, (p) => p);
  t.same(problems.sort(), [
    'firmware.banks: must be an integer from 1 to 16',
    'firmware.bogus: unknown setting',
    'firmware.initialVersion: must be a non-empty string',
    'firmware.installCommand: must be a command as a non-empty list of strings',
    `firmware.maxImageBytes: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`,
    'firmware.platform: "flash" must be lab, linux or none',
  ]);
  const linux: string[] = [];
  parseFirmwareConfig({ platform: 'linux' }, '/data', linux, (p) => p);
  t.same(linux, ['firmware.installCommand: required with platform linux', 'firmware.activateCommand: required with platform linux']);
});
