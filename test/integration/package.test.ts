/**
 * Packaging (issue 9 must-show): `npm pack` makes the tarball (its `prepare` builds dist/), it
 * installs with `npm install -g` into a temporary prefix, and the installed `usp-agent` answers
 * `--help`, runs `start` with the lab example config (plus the compiled example plugin) until
 * SIGTERM, and the library API imports by package name.
 *
 * better-sqlite3's install script first looks for a prebuilt binary and otherwise compiles SQLite
 * (~2 minutes here). The test serves it the binary this checkout already built, over HTTP through
 * prebuild-install's documented mirror setting (npm_config_better_sqlite3_binary_host_mirror), so
 * the install runs its real download-and-unpack path in seconds. The other dependencies come from
 * npm's cache (--prefer-offline), or the registry when missing.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { exited } from '../helpers/child.js';

t.setTimeout(240_000);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The environment a user's shell would give npm: no test-runner or npm-script variables. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_OPTIONS|TAP|_TAPJS|npm_)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

t.test('npm pack → npm install -g → usp-agent --help and start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-package-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  let t0 = performance.now();
  await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, env: userEnv(), maxBuffer: 16 << 20 });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'npm pack wrote a tarball');
  t.comment(`npm pack (with build): ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The prebuilt better-sqlite3 binary, packed the way prebuild-install expects it.
  const sqlite = join(ROOT, 'node_modules', 'better-sqlite3');
  const prebuilt = join(dir, 'prebuilt.tar.gz');
  await run('tar', ['-czf', prebuilt, '-C', sqlite, 'build/Release/better_sqlite3.node']);
  const fetched: string[] = [];
  const mirror = createServer((req, res) => {
    fetched.push(req.url ?? '');
    if (!req.url?.endsWith('.tar.gz')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/gzip' });
    createReadStream(prebuilt).pipe(res);
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  t.teardown(() => mirror.close());

  const prefix = join(dir, 'prefix');
  t0 = performance.now();
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tarball ?? '')], {
    env: userEnv({ npm_config_better_sqlite3_binary_host_mirror: `http://127.0.0.1:${(mirror.address() as AddressInfo).port}` }),
    maxBuffer: 16 << 20,
  });
  t.comment(`npm install -g: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t.ok(fetched.some((u) => u.includes(`better-sqlite3-v`) && u.includes(`-node-v${process.versions.modules}-`)), `prebuild-install fetched the binary (${fetched.join(', ')})`);
  const pkg = join(prefix, 'lib', 'node_modules', 'usp-agent');
  const bin = join(prefix, 'bin', 'usp-agent');
  t.ok(existsSync(bin), 'the usp-agent command is installed');
  for (const f of ['dist/agent/index.js', 'dist/agent/index.d.ts', 'dist/proto/generated/usp-msg.js', 'dist/datamodel/schema/tr181.json', 'dist/datamodel/factory-defaults.json', 'dist/examples/vendor-plugin/widget.js', 'examples/config/lab-pi.json', 'examples/systemd/usp-agent.service', 'docs/vendor-api.md']) {
    t.ok(existsSync(join(pkg, f)), `the package has ${f}`);
  }

  const help = await run(bin, ['--help'], { env: userEnv() });
  t.match(help.stdout, /Usage: usp-agent/);
  t.match(help.stdout, /start/);

  // The library API, imported by package name through the "exports" map.
  const app = join(dir, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(app, 'node_modules', 'usp-agent'));
  const lib = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('usp-agent'); console.log([typeof m.createAgent, typeof m.loadConfig, typeof m.Registry, m.RESTART_EXIT_CODE].join(' '))"], { cwd: app, env: userEnv() });
  t.equal(lib.stdout.trim(), 'function function function 75');

  // start: the lab example config, its WebSocket port free for this run, the compiled example plugin.
  const data = join(dir, 'data');
  const plugin = join(pkg, 'dist', 'examples', 'vendor-plugin', 'widget.js');
  const child = spawn(bin, ['start', '--config', join(pkg, 'examples', 'config', 'lab-pi.json'), '--data-dir', data, '--set', 'mtps.0.port=0', '--set', `plugins=${JSON.stringify([plugin])}`], {
    env: userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = exited(child);
  t.teardown(() => child.kill('SIGKILL'));
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not report running:\n${log}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('AGT-I01')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before running:\n${log}`)));
  });
  t.match(log, /PLG-I01 plugin .*widget\.js registered/);
  const label = await run(bin, ['get', 'Device.X_EXAMPLE-COM_Widget.Label', '--data-dir', data], { env: userEnv() });
  t.match(label.stdout, /widget/, 'the admin CLI reads the plugin parameter from the running agent');
  child.kill('SIGTERM');
  const end = await done;
  t.equal(end.code, 0, 'SIGTERM → exit 0');
  t.match(end.stderr, /AGT-I03 agent stopped/);
});
