/**
 * Start-up and memory of the built agent as users run it (part of `npm run bench`; alone:
 * `npm run bench:startup`): `node dist/bin/usp-agent.js start -c <config>` with a WebSocket
 * server MTP and one controller reached by the agent's WebSocket client MTP (a ws controller
 * server, test/helpers/controller-ws.ts, mutual TLS on loopback).
 *
 * - Start-up: from spawn() to the controller seeing the agent's WebSocket session (the first
 *   MTP connected); also to the agent's first log line, its "running" line (AGT-I01) and the
 *   first Record the controller gets. The first start runs on an empty data folder (the database
 *   is created and seeded), the others on the database it left (a restart).
 * - Idle RSS: VmRSS of the agent process (/proc/<pid>/status) after it has settled.
 * - RSS under load: the highest VmRSS sampled every 100 ms while a controller keeps 32 Get
 *   Device.DeviceInfo. in flight over the server MTP; VmHWM (peak) as well.
 * Baselines for the phases: `node -e 0` (Node itself) and `usp-agent --version` (Node plus
 * loading the agent's modules). Returns the figures; asserts nothing.
 *
 * Env: BENCH_STARTS (default 5), BENCH_SETTLE_SECONDS (3), BENCH_LOAD_SECONDS (5),
 * BENCH_NO_BUILD=1 (use dist/ as it is even when older than the sources).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLabPki } from '../certs/pki.js';
import { startWsControllerServer } from '../test/helpers/controller-ws.js';
import { aimMax, fmt, isMain, quantile } from './figures.js';
import type { Figure } from './figures.js';
import { load, wsWire } from './mtp-client.js';
import { ROOT } from './mtp-procs.js';
import { AGENT_EID, CTRL_EID, WS_PATH } from './mtp-shared.js';

const CLI = join(ROOT, 'dist', 'bin', 'usp-agent.js');
const START_TIMEOUT_MS = 20_000;
const AIM_START_MS = 500;
const AIM_IDLE_RSS_MB = 60;

/** Timings of one start, ms from spawn(). */
interface Start {
  firstLog: number;
  running: number;
  connected: number;
  firstRecord: number;
}

/** kB → MiB of a /proc/<pid>/status field (VmRSS, VmHWM); NaN when unreadable. */
function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Newest mtime of the .ts sources under these folders. */
function newestSource(dirs: string[]): number {
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return newest;
}

/** dist/ as the sources are now: builds when it is missing or older (unless BENCH_NO_BUILD); returns a note. */
function ensureBuilt(): string {
  const stale = !existsSync(CLI) || statSync(CLI).mtimeMs < newestSource(['agent', 'datamodel', 'proto', 'bin', 'certs']);
  if (!stale) return '';
  if (process.env.BENCH_NO_BUILD && existsSync(CLI)) return 'dist/ older than the sources (BENCH_NO_BUILD)';
  console.log('start-up: dist/ is missing or older than the sources; npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  if (r.status === 0) return '';
  if (!existsSync(CLI)) throw new Error('npm run build failed and there is no dist/');
  return 'dist/ older than the sources (build failed)';
}

/** Median wall time of a short command, ms. */
function timeCommand(args: string[], runs = 3): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status ?? r.signal})`);
    ts.push(performance.now() - t0);
  }
  return quantile(
    ts.sort((a, b) => a - b),
    0.5,
  );
}

export async function benchStartup(): Promise<Figure[]> {
  const STARTS = Math.max(1, Number(process.env.BENCH_STARTS ?? 5));
  const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 3) * 1000;
  const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
  const buildNote = ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), 'usp-agent-bench-start-'));
  const pki = createLabPki({ dir: join(root, 'pki'), agentEndpointId: AGENT_EID, controllerEndpointIds: [CTRL_EID] });
  const ctrl = pki.controllers[CTRL_EID];
  if (!ctrl) throw new Error('controller certificate missing from the lab PKI');
  const server = await startWsControllerServer({ controllerEndpointId: CTRL_EID, tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert } });
  const configFile = join(root, 'agent.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      endpointId: AGENT_EID,
      dataDir: join(root, 'data'),
      log: { level: 'info', format: 'text' },
      tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert },
      mtps: [{ protocol: 'WebSocket', host: '127.0.0.1', port: 0, path: WS_PATH }],
      controllers: [{ endpointId: CTRL_EID, mtps: [{ protocol: 'WebSocket', host: '127.0.0.1', port: server.port, path: server.path, retryMinWait: 1 }] }],
    }),
  );
  let child: ChildProcess | undefined;
  const stopChild = async (): Promise<number> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return NaN;
    const t0 = performance.now();
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    return performance.now() - t0;
  };

  /** One start: spawn, wait for every phase; leaves the agent running (in `child`). */
  /** The running agent's log so far (its stderr), and its server MTP's port as last logged. */
  let log: string[] = [];
  let lastPort = 0;
  const startOnce = async (): Promise<Start & { pid: number }> => {
    const session = server.nextSession(START_TIMEOUT_MS);
    const t0 = performance.now();
    const c = spawn(process.execPath, [CLI, 'start', '-c', configFile], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    const since = (): number => performance.now() - t0;
    log = [];
    let firstLog = NaN;
    let onPort: (port: number) => void = () => undefined;
    const wsPort = new Promise<number>((resolve) => (onPort = resolve));
    const running = new Promise<number>((resolve, reject) => {
      createInterface({ input: c.stderr ?? process.stdin }).on('line', (line) => {
        if (Number.isNaN(firstLog)) firstLog = since();
        if (log.length < 500) log.push(line);
        // TRN-I01 "ws-server:<row> up: listening on port N" (the server MTP's port, chosen by listen(0)).
        const port = /ws-server:.* listening on port (\d+)/.exec(line)?.[1];
        if (port) onPort((lastPort = Number(port)));
        if (line.includes('AGT-I01')) resolve(since());
      });
      c.once('exit', (code, sig) => reject(new Error(`agent exited (${code ?? sig}) during start:\n${log.join('\n')}`)));
    });
    const connected = session.then((s) => ({ at: since(), s }));
    const [runningAt, conn] = await Promise.all([running, connected]);
    await conn.s.nextRecord(START_TIMEOUT_MS);
    const firstRecord = since();
    let timer: NodeJS.Timeout | undefined;
    const port = await Promise.race([wsPort, new Promise<number>((r) => (timer = setTimeout(() => r(0), START_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (!port) throw new Error(`no "ws-server: … listening on port" line:\n${log.join('\n')}`);
    return { firstLog, running: runningAt, connected: conn.at, firstRecord, pid: c.pid ?? 0 };
  };

  try {
    const nodeMs = timeCommand(['-e', '0']);
    const versionMs = timeCommand([CLI, '--version']);
    console.log(`\nstart-up of the built agent (${CLI.slice(ROOT.length)} start), WebSocket client MTP to a local wss controller, mutual TLS`);
    console.log(`  baselines: node -e 0 ${fmt(nodeMs)} ms; usp-agent --version ${fmt(versionMs)} ms (Node + loading the agent's modules)`);
    console.log(
      `  ${'start'.padEnd(24)}${'first log'.padStart(11)}${'running'.padStart(10)}${'connected'.padStart(11)}${'1st record'.padStart(12)}${'stop'.padStart(8)}   (ms from spawn)`,
    );
    const starts: Start[] = [];
    let idleRss = NaN;
    let loadRss = NaN;
    let peakRss = NaN;
    let loadRate = NaN;
    let loadError = '';
    for (let i = 0; i < STARTS; i++) {
      const s = await startOnce();
      starts.push(s);
      const last = i === STARTS - 1;
      if (last) {
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        idleRss = procStatusMiB(s.pid, 'VmRSS');
        try {
          const wire = await wsWire(lastPort, WS_PATH, { cert: ctrl.cert, key: ctrl.key, ca: pki.ca.cert });
          const samples: number[] = [];
          const sampler = setInterval(() => samples.push(procStatusMiB(s.pid, 'VmRSS')), 100);
          const f = await load(wire, 32, LOAD_SECONDS).finally(() => clearInterval(sampler));
          loadRate = f.perSec;
          loadRss = Math.max(...samples.filter((x) => !Number.isNaN(x)));
          peakRss = procStatusMiB(s.pid, 'VmHWM');
          await wire.close();
        } catch (e) {
          const state = child?.exitCode !== null || child?.signalCode !== null ? `agent exited (${child?.exitCode ?? child?.signalCode})` : 'agent running';
          loadError = `${(e as Error).message}; ${state}, server MTP port ${lastPort}`;
          console.error(`start-up: load phase failed: ${loadError}; agent log:\n${log.slice(-30).join('\n')}`);
        }
      }
      const stopMs = await stopChild();
      const label = i === 0 ? 'empty data folder' : 'restart (database kept)';
      console.log(
        `  ${label.padEnd(24)}${fmt(s.firstLog).padStart(11)}${fmt(s.running).padStart(10)}${fmt(s.connected).padStart(11)}${fmt(s.firstRecord).padStart(12)}${fmt(stopMs).padStart(8)}`,
      );
    }
    console.log(
      `  idle RSS after ${SETTLE_MS / 1000} s: ${fmt(idleRss)} MiB; under load (32 Get Device.DeviceInfo. in flight over wss, ${fmt(loadRate)} req/s for ${LOAD_SECONDS} s): max VmRSS ${fmt(loadRss)} MiB, VmHWM ${fmt(peakRss)} MiB`,
    );
    const [first, ...restarts] = starts;
    const restart = restarts.length
      ? quantile(
          restarts.map((s) => s.connected).sort((a, b) => a - b),
          0.5,
        )
      : NaN;
    const note = buildNote ? `; ${buildNote}` : '';
    const phases = (s: Start | undefined): string =>
      s
        ? `first log line ${fmt(s.firstLog)} ms, AGT-I01 running ${fmt(s.running)} ms; node -e 0 takes ${fmt(nodeMs)} ms, --version ${fmt(versionMs)} ms${note}`
        : '';
    const figures: Figure[] = [
      {
        metric: 'start-up to first MTP connected, empty data folder',
        value: first?.connected ?? NaN,
        unit: 'ms',
        aim: aimMax(AIM_START_MS),
        detail: phases(first),
      },
    ];
    if (restarts.length) {
      figures.push({
        metric: 'start-up to first MTP connected, restart',
        value: restart,
        unit: 'ms',
        aim: aimMax(AIM_START_MS),
        detail: `median of ${restarts.length}; ${phases(restarts[0])}`,
      });
    }
    figures.push(
      {
        metric: 'idle RSS (built agent, after start-up)',
        value: idleRss,
        unit: 'MiB',
        aim: aimMax(AIM_IDLE_RSS_MB),
        detail: `VmRSS ${SETTLE_MS / 1000} s after the first MTP connected`,
      },
      {
        metric: 'RSS under load (32 Get Device.DeviceInfo. in flight, wss)',
        value: loadRss,
        unit: 'MiB',
        detail: loadError
          ? `failed: ${loadError}`
          : `max VmRSS sampled every 100 ms over ${LOAD_SECONDS} s at ${fmt(loadRate)} req/s; VmHWM ${fmt(peakRss)} MiB`,
      },
    );
    return figures;
  } finally {
    await stopChild();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await benchStartup();
