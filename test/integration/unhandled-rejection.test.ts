/**
 * A background task's rejected promise that nothing handled (a bug, in the agent or in a vendor
 * plugin) does not take the agent down: `usp-agent start` logs it (AGT-E01, with the reason) and
 * goes on answering. The plugin here leaves a rejection behind on purpose from a command.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { adminRequest } from '../../agent/agent.js';
import { buildRequest } from '../../proto/index.js';
import { exited, spawnTs } from '../helpers/child.js';

t.setTimeout(120_000);

const BIN = fileURLToPath(new URL('../../bin/usp-agent.ts', import.meta.url));

const PLUGIN = `
export function register(registry) {
  registry.object('Device.X_TEST_Bug.');
  registry.command('Device.X_TEST_Bug.Leak()', {
    run: () => {
      void Promise.reject(new Error('background failure nobody awaited'));
      return {};
    },
  });
}
`;

t.test('an unhandled rejection is logged and the agent keeps running', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-rejection-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bug.mjs'), PLUGIN);
  writeFileSync(join(dir, 'agent.json'), JSON.stringify({ dataDir: 'data', mtps: [], plugins: ['bug.mjs'] }));
  const child = spawnTs(BIN, ['start', '--config', 'agent.json'], { cwd: dir });
  const done = exited(child);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString('utf8')));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await done;
    }
  });
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (const end = Date.now() + 60_000; !ok(); await new Promise((r) => setTimeout(r, 100))) {
      if (child.exitCode !== null) throw new Error(`the agent exited before ${what}:\n${log}`);
      if (Date.now() > end) throw new Error(`no ${what} within 60 s:\n${log}`);
    }
  };
  await until('start', () => log.includes('AGT-I01'));
  const socket = join(dir, 'data', 'usp-agent.sock');
  const op = await adminRequest(socket, buildRequest('leak', { operate: { command: 'Device.X_TEST_Bug.Leak()', sendResp: true } }));
  t.equal(op.body.msgBody, 'response', 'the command answered');
  await until('the AGT-E01 log line', () => log.includes('AGT-E01'));
  t.match(log, /background failure nobody awaited/, 'the log line carries the reason');
  const get = await adminRequest(socket, buildRequest('after', { get: { paramPaths: ['Device.LocalAgent.EndpointID'] } }));
  t.equal(get.body.msgBody, 'response', 'the agent still answers');
  t.equal(child.exitCode, null, 'and still runs');
  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.code, 0, 'SIGTERM still stops it cleanly');
});
