/**
 * `npm run bench` (second part; alone: `npm run bench:mtp`): Get Device.DeviceInfo. round trips
 * from a controller to the agent over MQTT 5 via a private Mosquitto and over WebSocket (wss to
 * the agent's server MTP), both with mutual TLS on loopback, one at a time and with 32 in
 * flight. Each agent row comes right after a floor row: the same client against a plain echo
 * peer over the same broker / wss with the same TLS, measured in the same run.
 *
 * The agent and the echo peers run in child processes (bench/mtp-peer.ts). "CPU µs/req" is the
 * child's process.cpuUsage() delta over the measured window (read in the child over the IPC
 * channel: getrusage, all threads, µs resolution) divided by the replies received; for a floor
 * row it is the echo peer's cost. Prints figures and the issue's targets; asserts nothing.
 *
 * Env: BENCH_SECONDS per row (default 3); BENCH_WARMUP_SECONDS before each row (default 1);
 * BENCH_PRIME_SECONDS of pipelined load before a peer's first row (default 5: the agent needs
 * several seconds of traffic to reach its steady state); BENCH_PROFILE=<dir>: profile the
 * peers during their measured rows (node:inspector, as --cpu-prof), keep the .cpuprofile files
 * there and print the agent's hot spots (the agent is slower while profiled).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLabPki } from '../certs/pki.js';
import { MOSQUITTO_BIN, prepareMosquitto } from '../test/helpers/mosquitto.js';
import type { BrokerPki, Mosquitto } from '../test/helpers/mosquitto.js';
import { summarizeProfile } from './cpu-profile.js';
import { load, mqttWire, requestOnce, wsWire } from './mtp-client.js';
import type { RunFigures, Wire } from './mtp-client.js';
import { findPid, liveChildren, procCpuUs, ROOT, spawnPeer } from './mtp-procs.js';
import type { Peer } from './mtp-procs.js';
import { AGENT_EID, AGENT_TOPIC, CTRL_EID, ECHO_TOPIC, MQTT_QOS, WS_PATH } from './mtp-shared.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
/** Load before a peer's first row: the agent needs several seconds of traffic to reach its steady state. */
const PRIME_SECONDS = Number(process.env.BENCH_PRIME_SECONDS ?? 5);
const PROFILE_DIR = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : undefined;
const DEPTH = 32;
/** The issue's targets: printed next to the figures, never asserted. */
const TARGET = { p50DeltaMs: 0.1, pipelinedPerSec: 7000, cpuUs: 200 };
/** Upper bound for the whole run (8 rows, start-up, shutdown). */
const DEADLINE_MS = (8 * (SECONDS + WARMUP_SECONDS + 15) + 4 * PRIME_SECONDS + 120) * 1000;

/** Cleanup steps, run last-in first-out on success, failure, timeout and Ctrl-C; each runs once. */
const cleanups: (() => Promise<void>)[] = [];
function own<T>(fn: () => Promise<T> | T): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = (): Promise<void> => (done ??= Promise.resolve().then(fn).then(() => undefined));
  cleanups.push(once);
  return once;
}
async function cleanup(): Promise<void> {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) {
    try {
      await f();
    } catch (e) {
      console.error(`bench:mtp cleanup: ${(e as Error).message}`);
    }
  }
  for (const c of liveChildren) c.kill('SIGKILL');
}

interface Target {
  readonly wire: Wire;
  readonly peer: Peer;
  /** Points the wire at this peer (MQTT: the topic to publish to). */
  readonly select: () => void;
  /** The broker in between, if any (its CPU is read from /proc). */
  readonly brokerPid?: number;
}
interface Measured extends RunFigures {
  /** Peer CPU time per reply, µs: total and the system (kernel) part. */
  readonly cpuUs: number;
  readonly sysUs: number;
  /** The same for this client process, and for the broker (NaN without one). */
  readonly clientUs: number;
  readonly brokerUs: number;
}

const num = (n: number, d = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

const primed = new Set<Target>();

async function measure(t: Target, depth: number, profileFile?: string): Promise<Measured> {
  t.select();
  if (!primed.has(t)) {
    primed.add(t);
    await load(t.wire, DEPTH, PRIME_SECONDS);
  }
  await load(t.wire, depth, WARMUP_SECONDS);
  if (profileFile) await t.peer.profileStart();
  const [c0, p0] = [await t.peer.cpuUs(), procCpuUs(t.peer.pid)];
  const [me0, b0] = [process.cpuUsage(), t.brokerPid === undefined ? NaN : procCpuUs(t.brokerPid)];
  const f = await load(t.wire, depth, SECONDS);
  const [me1, b1] = [process.cpuUsage(me0), t.brokerPid === undefined ? NaN : procCpuUs(t.brokerPid)];
  const [c1, p1] = [await t.peer.cpuUs(), procCpuUs(t.peer.pid)];
  if (profileFile) await t.peer.profileStop(profileFile);
  const used = c1.user + c1.system - c0.user - c0.system;
  // Cross-check against the kernel's tick counters: they must agree within a few ticks.
  if (Math.abs(used - (p1 - p0)) > Math.max(0.1 * used, 30_000)) {
    console.log(`  (note: ${t.peer.name} CPU ${num(used / 1000)} ms by getrusage, ${num((p1 - p0) / 1000)} ms by /proc/${t.peer.pid}/stat)`);
  }
  return { ...f, cpuUs: used / f.count, sysUs: (c1.system - c0.system) / f.count, clientUs: (me1.user + me1.system) / f.count, brokerUs: (b1 - b0) / f.count };
}

function row(label: string, m: Measured, note = ''): void {
  const cpu = `${num(m.cpuUs)} (${num(m.sysUs)})`;
  const others = `${num(m.clientUs)}${Number.isNaN(m.brokerUs) ? '' : ` + ${num(m.brokerUs)}`}`;
  console.log(`  ${label.padEnd(28)}${num(m.perSec).padStart(9)}${m.p50.toFixed(3).padStart(10)}${m.p99.toFixed(3).padStart(10)}${cpu.padStart(18)}${others.padStart(17)}   ${note}`);
}

/** Floor and agent rows of one MTP, floor right above agent, sequential then pipelined. */
async function section(title: string, slug: string, floor: Target, agent: Target): Promise<void> {
  floor.select();
  const echoed = await requestOnce(floor.wire, `check-floor-${slug}`);
  agent.select();
  const answer = await requestOnce(agent.wire, `check-agent-${slug}`);
  const objs = answer.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? [];
  const params = objs.reduce((n, r) => n + Object.keys(r.resultParams ?? {}).length, 0);
  if (params === 0) throw new Error(`the agent did not answer the Get over ${title}: ${JSON.stringify(answer.msg.body)}`);
  console.log(`${title}: request ${echoed.bytes} B; agent reply ${answer.bytes} B (GetResp, ${objs.length} objects, ${params} parameters)`);
  for (const depth of [1, DEPTH]) {
    const mode = depth === 1 ? 'sequential' : `${depth} in flight`;
    const tag = depth === 1 ? 'seq' : `x${depth}`;
    const f = await measure(floor, depth, PROFILE_DIR && join(PROFILE_DIR, `echo-${slug}-${tag}.cpuprofile`));
    row(`floor (echo), ${mode}`, f);
    const prof = PROFILE_DIR && join(PROFILE_DIR, `agent-${slug}-${tag}.cpuprofile`);
    const a = await measure(agent, depth, prof);
    const cpu = `CPU ${verdict(a.cpuUs <= TARGET.cpuUs)} (≤ ${TARGET.cpuUs}), echo +${num(a.cpuUs - f.cpuUs)}`;
    const d = a.p50 - f.p50;
    const note =
      depth === 1
        ? `p50 ${d >= 0 ? '+' : ''}${d.toFixed(3)} ms vs floor ${verdict(d <= TARGET.p50DeltaMs)} (≤ +${TARGET.p50DeltaMs}); ${cpu}`
        : `${num(a.perSec / f.perSec, 2)}× floor, ${verdict(a.perSec >= TARGET.pipelinedPerSec)} (≥ ${num(TARGET.pipelinedPerSec)}); ${cpu}`;
    row(`agent, ${mode}`, a, note);
    if (prof && depth !== 1) profiles.push({ title: `${title}, agent, ${mode}`, file: prof });
  }
}
const profiles: { title: string; file: string }[] = [];

/**
 * The tests' private broker (test/helpers/mosquitto.ts) plus `set_tcp_nodelay true`: Mosquitto 2
 * leaves Nagle on by default, and with QoS 1 every sequential round trip then waits ~40 ms for
 * a delayed ACK, for the echo and the agent alike. A USP broker would be set up this way.
 */
async function startBroker(pki: BrokerPki): Promise<Mosquitto> {
  const m = await prepareMosquitto({ pki });
  const conf = join(m.dir, 'mosquitto.conf');
  try {
    appendFileSync(conf, 'set_tcp_nodelay true\n');
    await m.start();
  } catch (e) {
    await m.dispose();
    throw e;
  }
  // The helper rewrites its config only when it has to pick new ports.
  if (!readFileSync(conf, 'utf8').includes('set_tcp_nodelay true')) console.log('note: mosquitto runs without set_tcp_nodelay (config rewritten)');
  return m;
}

function mosquittoVersion(): string {
  const r = spawnSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8', timeout: 5000 });
  return /mosquitto version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?';
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'usp-agent-bench-mtp-'));
  own(() => rmSync(root, { recursive: true, force: true }));
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const pki = createLabPki({ dir: join(root, 'pki'), agentEndpointId: AGENT_EID, controllerEndpointIds: [CTRL_EID] });
  const ctrl = pki.controllers[CTRL_EID];
  if (!ctrl) throw new Error('controller certificate missing from the lab PKI');
  const ctrlTls = { cert: ctrl.cert, key: ctrl.key, ca: pki.ca.cert };
  const agentTls = { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert };

  const haveMosquitto = existsSync(MOSQUITTO_BIN);
  const mosquitto = haveMosquitto ? await startBroker(pki) : undefined;
  if (mosquitto) own(() => mosquitto.dispose());
  const dataDir = join(root, 'agent');
  mkdirSync(dataDir);
  const agent = await spawnPeer('agent', { mode: 'agent', dataDir, tls: agentTls, ...(mosquitto && { mqttPort: mosquitto.port }) });
  own(() => agent.stop());

  console.log(
    '\ntransport round trips, Get Device.DeviceInfo.: mutual TLS on loopback, agent and echo peers in child processes\n' +
      `(${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(2)}; ${SECONDS} s per row after ${WARMUP_SECONDS} s warm-up, ` +
      `${PRIME_SECONDS} s more before a peer's first row${PROFILE_DIR ? '; PROFILED, figures not representative' : ''})`,
  );
  console.log(`  ${''.padEnd(28)}${'req/s'.padStart(9)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'CPU µs/req (sys)'.padStart(18)}${'client + broker'.padStart(17)}   vs floor / target`);

  if (mosquitto) {
    const echo = await spawnPeer('echo-mqtt', { mode: 'echo-mqtt', mqttPort: mosquitto.port, tls: agentTls });
    const stopEcho = own(() => echo.stop());
    let topic = ECHO_TOPIC;
    const wire = await mqttWire(mosquitto.port, ctrlTls, () => topic);
    const closeWire = own(() => wire.close());
    const brokerPid = findPid(join(mosquitto.dir, 'mosquitto.conf'));
    await section(
      `MQTT 5 via mosquitto ${mosquittoVersion()} (QoS ${MQTT_QOS}, set_tcp_nodelay)`,
      'mqtt',
      { wire, peer: echo, select: () => (topic = ECHO_TOPIC), brokerPid },
      { wire, peer: agent, select: () => (topic = AGENT_TOPIC), brokerPid },
    );
    await closeWire();
    await stopEcho();
  } else {
    console.log(`MQTT 5: skipped, mosquitto is not installed (${MOSQUITTO_BIN}; set MOSQUITTO_BIN)`);
  }

  const echoWs = await spawnPeer('echo-ws', { mode: 'echo-ws', tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert } });
  own(() => echoWs.stop());
  const floorWire = await wsWire(echoWs.wsPort ?? 0, WS_PATH, ctrlTls);
  own(() => floorWire.close());
  const agentWire = await wsWire(agent.wsPort ?? 0, WS_PATH, ctrlTls);
  own(() => agentWire.close());
  const noop = (): void => undefined;
  await section('WebSocket (wss, agent as server)', 'ws', { wire: floorWire, peer: echoWs, select: noop }, { wire: agentWire, peer: agent, select: noop });
  console.log(
    '  floor: a plain echo peer (mqtt.js client / ws server, same TLS) in its own process; CPU µs/req there is the echo\'s.\n' +
      '  CPU: process.cpuUsage() delta of the peer child (user + system, all threads) over the measured window / replies; (sys) = kernel part.\n' +
      '  client + broker: the same for this process (the client) and for mosquitto (/proc/<pid>/stat), µs per request.',
  );

  await cleanup(); // stop the agent before reading its profiles
  for (const p of profiles) {
    console.log(`\nagent hot spots, ${p.title} (${p.file}):`);
    for (const line of summarizeProfile(p.file, ROOT)) console.log(line);
  }
}

const deadline = setTimeout(() => {
  console.error(`bench:mtp: not finished within ${DEADLINE_MS / 1000} s; stopping`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);
deadline.unref();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void cleanup().finally(() => process.exit(130)));
}

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  console.error(`bench:mtp failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup();
  clearTimeout(deadline);
}
