/**
 * The `usp-agent` command line end to end, as a new user meets it: real child processes, a real
 * SQLite file and the real admin Unix socket in a temporary folder.
 *
 * The CLI runs from source (`node --import tsx bin/usp-agent.ts`), not from dist/: that needs no
 * build step, always tests the code in the tree, and cannot race with another `npm run build`,
 * which deletes dist/ before compiling into it.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { exited, spawnTs } from '../helpers/child.js';
import type { Exited } from '../helpers/child.js';

// Each CLI call is a fresh node process compiling TypeScript: allow for a loaded machine.
t.setTimeout(300_000);

const BIN = fileURLToPath(new URL('../../bin/usp-agent.ts', import.meta.url));

type T = { teardown(fn: () => void | Promise<void>): void };
/** The part of a tap test the helpers use. */
type Tap = T & Pick<typeof t, 'equal' | 'notMatch'>;

/** A temporary folder for one test, like the empty folder a new user starts in. */
function workdir(t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'usp-cli-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs one CLI command in `cwd` and waits for it to exit. */
function cli(cwd: string, ...args: string[]): Promise<Exited> {
  return exited(spawnTs(BIN, args, { cwd }));
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** True when something accepts a connection on the Unix socket `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

interface RunningAgent {
  readonly child: ChildProcess;
  readonly done: Promise<Exited>;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<Exited>;
}

/**
 * Starts `usp-agent start <args>` in `cwd` and resolves once its admin socket accepts
 * connections. Between tries it waits for the agent's next log line (or 50 ms), at most 400
 * times; if the agent exits first the test fails with its output.
 */
async function startAgent(t: T, cwd: string, socket: string, ...args: string[]): Promise<RunningAgent> {
  // Port 0: the default WebSocket MTP on a free port, so test agents never collide on 8443.
  const child = spawnTs(BIN, ['start', ...args, '--set', 'mtps.0.port=0'], { cwd });
  const done = exited(child);
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await done;
    }
  });
  let exit: Exited | undefined;
  void done.then((r) => (exit = r));
  for (let i = 0; i < 400 && !exit; i++) {
    if (await answers(socket)) {
      return {
        child,
        done,
        stop: () => {
          child.kill('SIGTERM');
          return done;
        },
      };
    }
    const ac = new AbortController();
    await Promise.race([once(child.stderr ?? child, 'data', { signal: ac.signal }), delay(50, undefined, { signal: ac.signal }), done]).catch(() => undefined);
    ac.abort();
  }
  const r = exit ?? (child.kill('SIGKILL'), await done);
  throw new Error(`the agent did not open ${socket} (exit ${r.code ?? r.signal}):\n${r.stderr}${r.stdout}`);
}

/** One error line on stderr, no stack trace. */
function oneCleanLine(t: Tap, r: Exited, what: string): void {
  t.equal(lines(r.stderr).length, 1, `${what}: one line on stderr`, { stderr: r.stderr });
  t.notMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
}

t.test('a new user starts the agent, reads, adds a subscription, restarts and finds it again', async (t) => {
  const dir = workdir(t);
  const socket = join(dir, 'data', 'usp-agent.sock');
  let agent = await startAgent(t, dir, socket, '--data-dir', 'data');

  const info = await cli(dir, 'get', 'Device.DeviceInfo.');
  t.equal(info.code, 0, 'get exits 0', { stderr: info.stderr });
  t.match(info.stdout, /^Device\.DeviceInfo\.Manufacturer = \S/m, 'prints Path = value lines');
  t.equal(info.stderr, '');

  // Persistent=true: a non-persistent subscription is removed when the agent restarts (TR-181 Subscription.{i}.Persistent).
  const add = await cli(dir, 'add', 'Device.LocalAgent.Subscription.', 'ID=s1', 'NotifType=ValueChange', 'ReferenceList=Device.DeviceInfo.', 'Persistent=true');
  t.equal(add.code, 0, 'add exits 0', { stderr: add.stderr });
  t.match(add.stdout, /^created Device\.LocalAgent\.Subscription\.1\./m, 'prints the created path');

  const json = await cli(dir, 'get', '--json', '-d', 'data', 'Device.LocalAgent.Subscription.1.ID');
  t.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as { body: { response: { getResp: { reqPathResults: { resolvedPathResults: { resultParams: Record<string, string> }[] }[] } } } };
  t.equal(parsed.body.response.getResp.reqPathResults[0]?.resolvedPathResults[0]?.resultParams['ID'], 's1', '--json prints the USP response as JSON');

  const stopped = await agent.stop();
  t.equal(stopped.code, 0, 'SIGTERM: the agent exits 0', { stderr: stopped.stderr });
  t.equal(stopped.signal, null);
  t.match(stopped.stderr, /agent stopped/);
  t.notOk(existsSync(socket), 'the admin socket is removed on stop');

  agent = await startAgent(t, dir, socket, '--data-dir', 'data');
  const again = await cli(dir, 'get', 'Device.LocalAgent.Subscription.1.ID');
  t.equal(again.code, 0);
  t.equal(again.stdout, 'Device.LocalAgent.Subscription.1.ID = s1\n', 'the subscription survived the restart');
  t.equal((await agent.stop()).code, 0);
});

t.test('with an agent running: bad input, a second start, db reset and db dump get one clear line and a non-zero exit', async (t) => {
  const dir = workdir(t);
  const socket = join(dir, 'data', 'usp-agent.sock');
  const agent = await startAgent(t, dir, socket, '--data-dir', 'data');

  const unknown = await cli(dir, 'frobnicate');
  t.not(unknown.code, 0, 'unknown command: non-zero exit');
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
  t.notMatch(unknown.stderr, /^\s+at /m);

  const malformed = await cli(dir, 'get', 'Device..DeviceInfo');
  t.equal(malformed.code, 1, 'malformed path: exit 1');
  oneCleanLine(t, malformed, 'malformed path');
  t.match(malformed.stderr, /Device\.\.DeviceInfo.*7008/);

  const readOnly = await cli(dir, 'set', 'Device.DeviceInfo.Manufacturer=Acme');
  t.not(readOnly.code, 0, 'set on a read-only parameter: non-zero exit');
  t.match(readOnly.stderr, /Device\.DeviceInfo\.Manufacturer: 7013 /, 'names the parameter and 7013');
  t.notMatch(readOnly.stderr, /^\s+at /m);

  const noValue = await cli(dir, 'set', 'Device.LocalAgent.Subscription.1.ID');
  t.not(noValue.code, 0, 'set without =value: non-zero exit');
  oneCleanLine(t, noValue, 'set without a value');
  t.match(noValue.stderr, /Name=value/);

  const depth = await cli(dir, 'get', '--depth', 'deep', 'Device.');
  t.not(depth.code, 0);
  oneCleanLine(t, depth, 'bad --depth');

  // The running agent's data folder is off limits to a second agent and to the offline db commands.
  const second = await cli(dir, 'start', '--data-dir', 'data');
  t.not(second.code, 0, 'second start: non-zero exit');
  oneCleanLine(t, second, 'second start');
  t.match(second.stderr, /already running/);
  t.ok(await answers(socket), 'the first agent still answers');

  const reset = await cli(dir, 'db', 'reset', '-d', 'data');
  t.not(reset.code, 0, 'db reset: non-zero exit');
  oneCleanLine(t, reset, 'db reset while running');
  t.match(reset.stderr, /agent is running.*stop it/);

  const dump = await cli(dir, 'db', 'dump', '-d', 'data');
  t.not(dump.code, 0, 'db dump: non-zero exit');
  t.match(dump.stderr, /usp-agent dump/, 'points to the online dump');

  const online = await cli(dir, 'dump', 'Device.LocalAgent.');
  t.equal(online.code, 0, 'online dump works');
  t.match(online.stdout, /^Device\.LocalAgent\.EndpointID = /m);

  t.equal((await agent.stop()).code, 0);
});

t.test('db init, db dump and db reset on a stopped agent; reset returns to factory defaults', async (t) => {
  const dir = workdir(t);
  const socket = join(dir, 'data', 'usp-agent.sock');

  const init = await cli(dir, 'db', 'init');
  t.equal(init.code, 0, 'db init exits 0', { stderr: init.stderr });
  t.match(init.stdout, /created from the factory defaults/);
  t.ok(existsSync(join(dir, 'data', 'usp-agent.db')), 'default data folder ./data');
  const init2 = await cli(dir, 'db', 'init');
  t.equal(init2.code, 0);
  t.match(init2.stdout, /already exists/, 'a second init changes nothing and says so');

  const agent = await startAgent(t, dir, socket);
  const add = await cli(dir, 'add', 'Device.LocalAgent.Subscription.', 'ID=s1', 'NotifType=ValueChange', 'ReferenceList=Device.DeviceInfo.');
  t.equal(add.code, 0, { stderr: add.stderr });
  t.equal((await agent.stop()).code, 0);

  const dump = await cli(dir, 'db', 'dump', 'Device.LocalAgent.Subscription.');
  t.equal(dump.code, 0, 'db dump exits 0', { stderr: dump.stderr });
  t.match(dump.stdout, /^Device\.LocalAgent\.Subscription\.1\.ID = s1$/m, 'db dump reads the stored row');

  const reset = await cli(dir, 'db', 'reset');
  t.equal(reset.code, 0, 'db reset exits 0', { stderr: reset.stderr });
  t.match(reset.stdout, /reset to factory defaults/);

  const after = await cli(dir, 'db', 'dump', 'Device.LocalAgent.');
  t.equal(after.code, 0);
  t.notMatch(after.stdout, /Subscription\.1\./, 'the subscription is gone');
  t.match(after.stdout, /^Device\.LocalAgent\.SubscriptionNumberOfEntries = 0$/m);
  t.match(after.stdout, /^Device\.LocalAgent\.MaxSubscriptionChangeAdoptionTime = 5$/m, 'factory default values are back');
});

t.test('the CLI with no agent running says so in one line', async (t) => {
  const dir = workdir(t);
  const r = await cli(dir, 'get', 'Device.DeviceInfo.');
  t.not(r.code, 0);
  t.equal(r.stdout, '');
  oneCleanLine(t, r, 'no agent');
  t.match(r.stderr, /no agent is running on .*usp-agent\.sock/);
});

t.test('start with a config file holding several errors lists each with its location', async (t) => {
  const dir = workdir(t);
  const file = join(dir, 'agent.json');
  writeFileSync(
    file,
    JSON.stringify({
      identity: { manufacturerOUI: 'xyz', serialNumber: 'has spaces' },
      log: { level: 'loud' },
      limits: { maxMessageBytes: 5 },
      colour: 'blue',
    }),
  );
  const r = await cli(dir, 'start', '--config', file, '--data-dir', 'data');
  t.not(r.code, 0, 'non-zero exit');
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace');
  t.match(r.stderr, /agent\.json: 5 problems/);
  for (const where of ['identity.manufacturerOUI:', 'identity.serialNumber:', 'log.level:', 'limits.maxMessageBytes:', 'colour: unknown setting']) {
    t.match(r.stderr, where, `names ${where}`);
  }
  t.notOk(existsSync(join(dir, 'data', 'usp-agent.sock')), 'no agent was started');

  const missing = await cli(dir, 'start', '--config', join(dir, 'nope.json'));
  t.not(missing.code, 0);
  t.match(missing.stderr, /nope\.json: 1 problem:\s+cannot read the file: no such file/);

  writeFileSync(file, '{ "log": { "level": "info", } }');
  const broken = await cli(dir, 'start', '--config', file);
  t.not(broken.code, 0);
  t.match(broken.stderr, /agent\.json: 1 problem:\s+not valid JSON: .* at line 1, column 29/, 'says where the syntax error is');
});

t.test('--help exits 0 and prints the usage', async (t) => {
  const dir = workdir(t);
  for (const cmd of [[], ['start'], ['db', 'reset']]) {
    const r = await cli(dir, ...cmd, '--help');
    t.equal(r.code, 0, `${['usp-agent', ...cmd].join(' ')} --help`);
    t.match(r.stdout, /^Usage: usp-agent/);
  }
});

t.test('db dump and db reset on a folder without a database create nothing and say so', async (t) => {
  const dir = workdir(t);
  for (const cmd of ['dump', 'reset']) {
    const r = await cli(dir, 'db', cmd, '-d', 'typo');
    t.not(r.code, 0, `db ${cmd}: non-zero exit`);
    oneCleanLine(t, r, `db ${cmd}`);
    t.match(r.stderr, /no database at .*typo\/usp-agent\.db/);
  }
  t.notOk(existsSync(join(dir, 'typo')), 'no folder was created');
});
