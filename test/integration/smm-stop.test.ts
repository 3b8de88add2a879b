/**
 * agent.stop() ends Software Module Management's own timers (agent/agent.ts, agent/smm): an EU
 * that crashed while Active has an AutoRestart pending on the agent's clock; after stop() no
 * timer is left, so nothing writes to the closed database later. The whole agent (createAgent)
 * runs with a fake clock; the DU is a real busybox process served over node:http.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { buildRequest, decodeMsg, encodeMsg } from '../../proto/index.js';
import type { Request } from '../../proto/index.js';
import { ADMIN_REQUESTER, tempConfig } from '../helpers/agent.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { buildProcessDu, haveBusybox, serveFiles } from '../helpers/smm-images.js';

t.setTimeout(60_000);
const SM = 'Device.SoftwareModules.';

async function until(what: string, check: () => boolean, eu: () => Map<string, string> | undefined, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...(eu() ?? [])])}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const skip = haveBusybox() ? false : 'needs /bin/busybox from busybox-static';

t.test('agent.stop() cancels a pending AutoRestart: no SMM timer is left on the clock', { skip }, async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  config.smm.runc = '';
  config.smm.startGraceMs = 200;
  const images = join(dir, 'images');
  mkdirSync(images);
  const http = await serveFiles(images);
  t.teardown(() => http.close());
  // Runs past the start-up grace time, then dies: a failure while Active, which AutoRestart answers.
  const du = buildProcessDu(images, { name: 'crasher', version: '1.0', script: 'sleep 0.6; exit 3' });
  const clock = new FakeClock(Date.now());
  const agent = await createAgent(config, { log: SILENT_LOGGER, clock });
  await agent.start();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : agent.stop()));
  let seq = 0;
  const request = async (body: Request): Promise<void> => {
    const reply = await agent.dispatcher.handle(decodeMsg(encodeMsg(buildRequest(`stop-${++seq}`, body))), ADMIN_REQUESTER);
    if (reply?.body?.response?.operateResp?.operationResults?.[0]?.cmdFailure) throw new Error(JSON.stringify(reply?.body));
  };
  const eu = (): Map<string, string> | undefined => agent.dm.tree.get(`${SM}ExecutionUnit.1.`)?.values;

  await request({
    operate: {
      command: `${SM}InstallDU()`,
      commandKey: 'install',
      sendResp: true,
      inputArgs: { URL: http.url(du), 'AutoRestart.Enable': 'true', 'AutoRestart.RetryMinimumWaitInterval': '3600', 'AutoRestart.RetryMaximumWaitInterval': '3600', 'AutoRestart.RetryIntervalMultiplier': '2000' },
    },
  });
  await until('the EU row', () => eu()?.get('Status') === 'Idle', eu);
  await request({ operate: { command: `${SM}ExecutionUnit.1.SetRequestedState()`, commandKey: 'run', sendResp: true, inputArgs: { RequestedState: 'Active' } } });
  await until('the crash recorded with its restart due', () => eu()?.get('ExecutionFaultCode') === 'FailureWhileActive' && agent.dm.tree.get(`${SM}ExecutionUnit.1.AutoRestart.`)?.values.get('RetryCount') === '1', eu);
  await until('the restart timer armed', () => clock.pending > 0, eu, 5_000);
  t.ok(clock.pending > 0, 'the AutoRestart is pending on the clock');

  await agent.stop();
  stopped = true;
  t.equal(clock.pending, 0, 'stop() cancelled every timer: no restart will write to the closed database');
});
