// agent/hooks.ts: the configured platform commands (run for real with harmless binaries;
// the default reboot, which restarts the agent process, is tested in test/integration/reboot.test.ts).
import t from 'tap';
import { linuxPlatform } from '../../../agent/hooks.js';
import type { Logger } from '../../../agent/log.js';

function recordingLog(): { log: Logger; ids: string[] } {
  const ids: string[] = [];
  const keep = (id: string): void => void ids.push(id);
  return { log: { error: keep, warn: keep, info: keep, debug: keep }, ids };
}

t.test('platform.rebootCommand runs the configured command; the agent then waits for the device to go down', async (t) => {
  const { log, ids } = recordingLog();
  await linuxPlatform({ rebootCommand: ['true'], factoryResetCommand: undefined }, log).reboot();
  t.same(ids, ['HOOK-I02'], 'the command was accepted, nothing restarted');
});

t.test('platform.factoryResetCommand: runs when configured, a failure is reported; none configured does nothing', async (t) => {
  const { log } = recordingLog();
  await t.resolves(linuxPlatform({ rebootCommand: undefined, factoryResetCommand: ['true'] }, log).factoryReset());
  await t.rejects(linuxPlatform({ rebootCommand: undefined, factoryResetCommand: ['false'] }, log).factoryReset(), /'false' exited with 1/);
  await t.rejects(linuxPlatform({ rebootCommand: undefined, factoryResetCommand: ['/nonexistent/reset-tool'] }, log).factoryReset(), /ENOENT/);
  await t.resolves(linuxPlatform({ rebootCommand: undefined, factoryResetCommand: undefined }, log).factoryReset());
});
