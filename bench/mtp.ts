/**
 * Transport round trips (part of `npm run bench`; alone: `npm run bench:mtp`): Get and Set from a
 * controller to the agent over MQTT 5 via a private Mosquitto, over STOMP via a private RabbitMQ
 * (rabbitmq_stomp, certificate login) and over WebSocket (wss to the agent's server MTP), all
 * with mutual TLS on loopback, one at a time and with 32 in flight. Each MTP starts with floor
 * rows: the same client against a plain echo peer over the same broker / wss with the same TLS,
 * measured in the same run, right above the agent's Get Device.DeviceInfo. rows; then Get of a
 * single parameter and Set of a parameter (a new value each time) through the agent.
 *
 * The agent and the echo peers run in child processes (bench/mtp-peer.ts). "CPU µs/req" is the
 * child's process.cpuUsage() delta over the measured window (read in the child over the IPC
 * channel: getrusage, all threads, µs resolution) divided by the replies received; for a floor
 * row it is the echo peer's cost. Prints figures and returns them; asserts nothing.
 *
 * Env: BENCH_SECONDS per row (default 3); BENCH_WARMUP_SECONDS before each row (default 1);
 * BENCH_PRIME_SECONDS of pipelined load before a peer's first row (default 5: the agent needs
 * several seconds of traffic to reach its steady state); BENCH_MTPS: which MTPs (default
 * `mqtt,stomp,ws`); BENCH_PROFILE=<dir>: profile the peers during their measured rows
 * (node:inspector, as --cpu-prof), keep the .cpuprofile files there and print the agent's hot
 * spots (the agent is slower while profiled).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLabPki } from '../certs/pki.js';
import { MOSQUITTO_BIN } from '../test/helpers/mosquitto.js';
import { rabbitMqUnavailable, startRabbitMq } from '../test/helpers/rabbitmq.js';
import { guarded } from './cleanups.js';
import type { Own } from './cleanups.js';
import { summarizeProfile } from './cpu-profile.js';
import { aimMin, isMain, latency, missing, runAlone } from './figures.js';
import type { Figure } from './figures.js';
import { mosquittoVersion, rabbitMqPid, rabbitMqVersion, startMosquittoNoDelay } from './mtp-brokers.js';
import { getRecord, load, mqttWire, requestOnce, requestRecord, stompWire, wsWire } from './mtp-client.js';
import type { RecordOf, RunFigures, Wire } from './mtp-client.js';
import { findPid, procCpuUs, ROOT, spawnPeer } from './mtp-procs.js';
import type { Peer } from './mtp-procs.js';
import type { PeerSpec } from './mtp-shared.js';
import { AGENT_DEST, AGENT_EID, AGENT_TOPIC, CTRL_EID, ECHO_DEST, ECHO_TOPIC, MQTT_QOS, WS_PATH } from './mtp-shared.js';

const DEPTH = 32;
/** The transport issue's targets for Get Device.DeviceInfo.: printed next to the figures, never asserted. */
const TARGET = { p50DeltaMs: 0.1, pipelinedPerSec: 7000, cpuUs: 200 };
const ONE_PARAM = 'Device.DeviceInfo.SoftwareVersion';
const getOne: RecordOf = (id) => requestRecord(id, { get: { paramPaths: [ONE_PARAM] } });
const setOne: RecordOf = (id) =>
  requestRecord(id, {
    set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value: id, required: true }] }] },
  });

interface Target {
  readonly wire: Wire;
  readonly peer: Peer;
  /** Points the wire at this peer (brokers: the topic / destination to send to). */
  readonly select: () => void;
  /** The broker in between, if any (its CPU is read from /proc). */
  readonly brokerPid?: number | undefined;
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

/** Measures and prints the rows of every MTP in `BENCH_MTPS`; returns one figure per MTP and request kind. */
export async function benchMtp(opts: { seconds?: number } = {}): Promise<Figure[]> {
  const SECONDS = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 3);
  const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
  const PRIME_SECONDS = Number(process.env.BENCH_PRIME_SECONDS ?? 5);
  const PROFILE_DIR = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : undefined;
  const MTPS = (process.env.BENCH_MTPS ?? 'mqtt,stomp,ws').split(',');
  /** Upper bound for the whole run (8 rows and 2 primes per MTP, brokers, start-up, shutdown). */
  const DEADLINE_MS = (MTPS.length * (8 * (SECONDS + WARMUP_SECONDS + 15) + 2 * PRIME_SECONDS) + 240) * 1000;

  const primed = new Set<Target>();
  const profiles: { title: string; file: string }[] = [];
  const figures: Figure[] = [];

  async function measure(t: Target, depth: number, recordOf: RecordOf, profileFile?: string): Promise<Measured> {
    t.select();
    if (!primed.has(t)) {
      primed.add(t);
      await load(t.wire, DEPTH, PRIME_SECONDS);
    }
    await load(t.wire, depth, WARMUP_SECONDS, recordOf);
    if (profileFile) await t.peer.profileStart();
    const [c0, p0] = [await t.peer.cpuUs(), procCpuUs(t.peer.pid)];
    const [me0, b0] = [process.cpuUsage(), t.brokerPid === undefined ? NaN : procCpuUs(t.brokerPid)];
    const f = await load(t.wire, depth, SECONDS, recordOf);
    const [me1, b1] = [process.cpuUsage(me0), t.brokerPid === undefined ? NaN : procCpuUs(t.brokerPid)];
    const [c1, p1] = [await t.peer.cpuUs(), procCpuUs(t.peer.pid)];
    if (profileFile) await t.peer.profileStop(profileFile);
    const used = c1.user + c1.system - c0.user - c0.system;
    // Cross-check against the kernel's tick counters: they must agree within a few ticks.
    if (Math.abs(used - (p1 - p0)) > Math.max(0.1 * used, 30_000)) {
      console.log(`  (note: ${t.peer.name} CPU ${num(used / 1000)} ms by getrusage, ${num((p1 - p0) / 1000)} ms by /proc/${t.peer.pid}/stat)`);
    }
    return {
      ...f,
      cpuUs: used / f.count,
      sysUs: (c1.system - c0.system) / f.count,
      clientUs: (me1.user + me1.system) / f.count,
      brokerUs: (b1 - b0) / f.count,
    };
  }

  function row(label: string, m: Measured, note = ''): void {
    const cpu = `${num(m.cpuUs)} (${num(m.sysUs)})`;
    const others = `${num(m.clientUs)}${Number.isNaN(m.brokerUs) ? '' : ` + ${num(m.brokerUs)}`}`;
    console.log(
      `  ${label.padEnd(40)}${num(m.perSec).padStart(9)}${m.p50.toFixed(3).padStart(10)}${m.p99.toFixed(3).padStart(10)}${cpu.padStart(18)}${others.padStart(17)}   ${note}`,
    );
  }

  /** Floor and agent rows of one MTP (floor right above agent, sequential then pipelined), then Get of one parameter and Set. */
  async function section(mtp: string, title: string, slug: string, floor: Target, agent: Target): Promise<void> {
    floor.select();
    const echoed = await requestOnce(floor.wire, `check-floor-${slug}`);
    agent.select();
    const answer = await requestOnce(agent.wire, `check-agent-${slug}`);
    const objs = answer.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? [];
    const params = objs.reduce((n, r) => n + Object.keys(r.resultParams ?? {}).length, 0);
    if (params === 0) throw new Error(`the agent did not answer the Get over ${title}: ${JSON.stringify(answer.msg.body)}`);
    const setAnswer = await requestOnce(agent.wire, `check-set-${slug}`, 10_000, setOne);
    if (!setAnswer.msg.body.response?.setResp) throw new Error(`the agent did not answer the Set over ${title}: ${JSON.stringify(setAnswer.msg.body)}`);
    console.log(`\n${title}: request ${echoed.bytes} B; agent reply ${answer.bytes} B (GetResp, ${objs.length} objects, ${params} parameters)`);
    const seq: Partial<Record<string, Measured>> = {};
    for (const depth of [1, DEPTH]) {
      const mode = depth === 1 ? 'sequential' : `${depth} in flight`;
      const tag = depth === 1 ? 'seq' : `x${depth}`;
      const f = await measure(floor, depth, getRecord, PROFILE_DIR && join(PROFILE_DIR, `echo-${slug}-${tag}.cpuprofile`));
      row(`floor (echo), ${mode}`, f);
      const prof = PROFILE_DIR && join(PROFILE_DIR, `agent-${slug}-${tag}.cpuprofile`);
      const a = await measure(agent, depth, getRecord, prof);
      const cpu = `CPU ${verdict(a.cpuUs <= TARGET.cpuUs)} (≤ ${TARGET.cpuUs}), echo +${num(a.cpuUs - f.cpuUs)}`;
      const d = a.p50 - f.p50;
      const note =
        depth === 1
          ? `p50 ${d >= 0 ? '+' : ''}${d.toFixed(3)} ms vs floor ${verdict(d <= TARGET.p50DeltaMs)} (≤ +${TARGET.p50DeltaMs}); ${cpu}`
          : `${num(a.perSec / f.perSec, 2)}× floor, ${verdict(a.perSec >= TARGET.pipelinedPerSec)} (≥ ${num(TARGET.pipelinedPerSec)}); ${cpu}`;
      row(`agent Get DeviceInfo., ${mode}`, a, note);
      if (prof && depth !== 1) profiles.push({ title: `${title}, agent, ${mode}`, file: prof });
      if (depth === 1) seq.get = a;
      else figures.push(mtpFigure(mtp, 'Get Device.DeviceInfo.', seq.get, a, `floor ${num(f.perSec)} req/s`));
    }
    for (const [what, recordOf] of [
      [`Get ${ONE_PARAM}`, getOne],
      ['Set Device.DeviceInfo.ProvisioningCode', setOne],
    ] as const) {
      const s = await measure(agent, 1, recordOf);
      row(`agent ${what.replace('Device.DeviceInfo.', '')}, sequential`, s);
      const p = await measure(agent, DEPTH, recordOf);
      row(`agent ${what.replace('Device.DeviceInfo.', '')}, ${DEPTH} in flight`, p);
      figures.push(mtpFigure(mtp, what, s, p));
    }
  }

  async function main(own: Own): Promise<void> {
    const root = mkdtempSync(join(tmpdir(), 'usp-agent-bench-mtp-'));
    own(() => rmSync(root, { recursive: true, force: true }));
    if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
    const pki = createLabPki({ dir: join(root, 'pki'), agentEndpointId: AGENT_EID, controllerEndpointIds: [CTRL_EID] });
    const ctrl = pki.controllers[CTRL_EID];
    if (!ctrl) throw new Error('controller certificate missing from the lab PKI');
    const ctrlTls = { cert: ctrl.cert, key: ctrl.key, ca: pki.ca.cert };
    const agentTls = { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert };

    const noMosquitto = !MTPS.includes('mqtt')
      ? 'not selected (BENCH_MTPS)'
      : existsSync(MOSQUITTO_BIN)
        ? undefined
        : `mosquitto is not installed (${MOSQUITTO_BIN}; set MOSQUITTO_BIN)`;
    const noRabbit = !MTPS.includes('stomp') ? 'not selected (BENCH_MTPS)' : rabbitMqUnavailable();
    const [mosquitto, rabbit] = await Promise.all([
      noMosquitto ? undefined : startMosquittoNoDelay(pki),
      noRabbit ? undefined : startRabbitMq({ pki, clientCerts: [pki.agent.cert, ctrl.cert] }),
    ]);
    if (mosquitto) own(() => mosquitto.dispose());
    if (rabbit) own(() => rabbit.dispose());
    if (rabbit) console.log(`RabbitMQ ${rabbitMqVersion()} started in ${(rabbit.lastStartMs / 1000).toFixed(1)} s`);
    const dataDir = join(root, 'agent');
    mkdirSync(dataDir);
    const agent = await spawnPeer('agent', {
      mode: 'agent',
      dataDir,
      tls: agentTls,
      ...(mosquitto && { mqttPort: mosquitto.port }),
      ...(rabbit && { stompPort: rabbit.stompTlsPort }),
    });
    const stopAgent = own(() => agent.stop());

    console.log(
      '\ntransport round trips: mutual TLS on loopback, agent and echo peers in child processes\n' +
        `(${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(2)}; ${SECONDS} s per row after ${WARMUP_SECONDS} s warm-up, ` +
        `${PRIME_SECONDS} s more before a peer's first row${PROFILE_DIR ? '; PROFILED, figures not representative' : ''})`,
    );
    console.log(
      `  ${''.padEnd(40)}${'req/s'.padStart(9)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'CPU µs/req (sys)'.padStart(18)}${'client + broker'.padStart(17)}   vs floor / target`,
    );

    /** One broker MTP: an echo peer on the same broker as the floor, one client wire pointed at the echo or the agent. */
    const viaBroker = async (
      mtp: string,
      title: string,
      echoSpec: PeerSpec,
      wireTo: (target: () => string) => Promise<Wire>,
      dests: { echo: string; agent: string },
      brokerPid: number | undefined,
    ): Promise<void> => {
      const echo = await spawnPeer(echoSpec.mode, echoSpec);
      const stopEcho = own(() => echo.stop());
      let dest = dests.echo;
      const wire = await wireTo(() => dest);
      const closeWire = own(() => wire.close());
      const floor = { wire, peer: echo, select: () => (dest = dests.echo), brokerPid };
      await section(mtp, title, echoSpec.mode.slice(5), floor, { wire, peer: agent, select: () => (dest = dests.agent), brokerPid });
      await closeWire();
      await stopEcho();
    };
    const skipped = (mtp: string, why: string): void => {
      console.log(`${mtp}: skipped, ${why}`);
      figures.push(missing(`${mtp}: Get Device.DeviceInfo., 32 in flight`, 'req/s', `skipped: ${why}`));
    };
    if (mosquitto) {
      await viaBroker(
        'MQTT 5',
        `MQTT 5 via mosquitto ${mosquittoVersion()} (QoS ${MQTT_QOS}, set_tcp_nodelay)`,
        { mode: 'echo-mqtt', mqttPort: mosquitto.port, tls: agentTls },
        (target) => mqttWire(mosquitto.port, ctrlTls, target),
        { echo: ECHO_TOPIC, agent: AGENT_TOPIC },
        findPid(join(mosquitto.dir, 'mosquitto.conf')),
      );
    } else skipped('MQTT 5', noMosquitto ?? '');
    if (rabbit) {
      await viaBroker(
        'STOMP',
        `STOMP 1.2 via RabbitMQ ${rabbitMqVersion()} (TLS, certificate login)`,
        { mode: 'echo-stomp', stompPort: rabbit.stompTlsPort, tls: agentTls },
        (target) => stompWire(rabbit.stompTlsPort, ctrlTls, target),
        { echo: ECHO_DEST, agent: AGENT_DEST },
        rabbitMqPid(rabbit),
      );
    } else skipped('STOMP', noRabbit ?? '');

    if (MTPS.includes('ws')) {
      const echoWs = await spawnPeer('echo-ws', { mode: 'echo-ws', tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert } });
      own(() => echoWs.stop());
      const floorWire = await wsWire(echoWs.wsPort ?? 0, WS_PATH, ctrlTls);
      own(() => floorWire.close());
      const agentWire = await wsWire(agent.wsPort ?? 0, WS_PATH, ctrlTls);
      own(() => agentWire.close());
      const noop = (): void => undefined;
      await section(
        'WebSocket',
        'WebSocket (wss, agent as server)',
        'ws',
        { wire: floorWire, peer: echoWs, select: noop },
        { wire: agentWire, peer: agent, select: noop },
      );
    }
    console.log(
      "  floor: a plain echo peer (mqtt.js / stompjs client, ws server; same TLS) in its own process; CPU µs/req there is the echo's.\n" +
        '  CPU: process.cpuUsage() delta of the peer child (user + system, all threads) over the measured window / replies; (sys) = kernel part.\n' +
        '  client + broker: the same for this process (the client) and for the broker (/proc/<pid>/stat), µs per request.',
    );

    await stopAgent(); // before reading its profiles
    for (const p of profiles) {
      console.log(`\nagent hot spots, ${p.title} (${p.file}):`);
      for (const line of summarizeProfile(p.file, ROOT)) console.log(line);
    }
  }

  await guarded('bench:mtp', DEADLINE_MS, main);
  return figures;
}

/** One table row: req/s with 32 in flight (the aim applies to Get Device.DeviceInfo.), latencies of both modes. */
function mtpFigure(mtp: string, what: string, seq: Measured | undefined, pipelined: Measured, extra?: string): Figure {
  const isGetInfo = what === 'Get Device.DeviceInfo.';
  return {
    metric: `${mtp}: ${what}, ${DEPTH} in flight`,
    value: pipelined.perSec,
    unit: 'req/s',
    detail: [
      `${DEPTH} in flight ${latency(pipelined.p50, pipelined.p99)}`,
      seq && `one at a time ${latency(seq.p50, seq.p99)}`,
      `agent CPU ${num(pipelined.cpuUs)} µs/req`,
      extra,
    ]
      .filter(Boolean)
      .join('; '),
    ...(isGetInfo && { aim: aimMin(TARGET.pipelinedPerSec) }),
  };
}

if (isMain(import.meta.url)) await runAlone('bench:mtp', benchMtp);
