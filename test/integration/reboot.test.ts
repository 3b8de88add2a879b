/**
 * Device.Reboot() in the lab, for real: `usp-agent start` (the process `npm start` runs) answers
 * the Operate, stops, and comes back as a new process of the same command line, with its
 * database and admin socket; a second Reboot() is restarted by the same supervising process,
 * and SIGTERM still stops everything with exit status 0 (agent/hooks.ts restartAgentProcess).
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { adminRequest } from '../../agent/agent.js';
import { buildRequest } from '../../proto/index.js';
import { exited, spawnTs } from '../helpers/child.js';

t.setTimeout(180_000);

const BIN = fileURLToPath(new URL('../../bin/usp-agent.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('Reboot() restarts the agent process; the supervising process keeps Ctrl-C/SIGTERM working', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-reboot-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'data', 'usp-agent.sock');
  const lock = join(dir, 'data', 'usp-agent.db.lock');
  const child = spawnTs(BIN, ['start', '--data-dir', 'data', '--set', 'mtps.0.port=0'], { cwd: dir });
  const done = exited(child);
  let log = '';
  const waiters: (() => void)[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await done;
    }
  });
  /** Waits until the log shows `n` agent starts (AGT-I01). */
  const started = async (n: number): Promise<void> => {
    while ((log.match(/AGT-I01/g) ?? []).length < n) {
      if (child.exitCode !== null) throw new Error(`the agent exited:\n${log}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const reboot = async (key: string): Promise<void> => {
    const reply = await adminRequest(socket, buildRequest(key, { operate: { command: 'Device.Reboot()', commandKey: key, sendResp: true } }));
    t.same(reply.body.response?.operateResp?.operationResults?.[0]?.reqOutputArgs?.outputArgs, {}, `${key}: OperateResp before going down`);
  };

  await started(1);
  const firstPid = Number(readFileSync(lock, 'utf8'));
  t.equal(firstPid, child.pid, 'the first agent runs in the started process');

  await reboot('reboot-1');
  await started(2);
  const secondPid = Number(readFileSync(lock, 'utf8'));
  t.not(secondPid, firstPid, 'after Reboot() the agent runs in a new process');
  t.ok(alive(child.pid ?? 0), 'the started process stays, supervising it');
  const get = await adminRequest(socket, buildRequest('g', { get: { paramPaths: ['Device.LocalAgent.EndpointID'] } }));
  t.equal(get.body.msgBody, 'response', 'the restarted agent answers on the same admin socket');

  await reboot('reboot-2');
  await started(3);
  const thirdPid = Number(readFileSync(lock, 'utf8'));
  t.not(thirdPid, secondPid, 'a second Reboot() gives another new process');
  t.notOk(alive(secondPid), 'the previous agent process is gone');

  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.code, 0, 'SIGTERM to the started process: everything stops, exit status 0');
  t.notOk(alive(thirdPid), 'the last agent process stopped too');
  t.match(log, /HOOK-I01 agent restarted as process/);
});
