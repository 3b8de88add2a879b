/**
 * `npm run bench` (last part; alone: `npm run bench:notify`): ValueChange latency, from a Set by
 * one controller to the Notify received by another, over MQTT 5 via a private Mosquitto with
 * mutual TLS on loopback. The agent runs in a child process (bench/mtp-peer.ts) with two
 * controllers, A and B, each with an MQTT controller MTP row on its own topic. B adds (over
 * MQTT, as itself, so Recipient = B) a ValueChange subscription on
 * Device.DeviceInfo.ProvisioningCode (NotifRetry false); then A sets that parameter to CHANGES
 * distinct values, one at a time, waiting for the SetResp and B's Notify before the next. A
 * change's latency runs from just before A's publish to B's receipt of the Notify carrying that
 * value. Prints p50/p99/max and the aim; asserts nothing. Skips if mosquitto is missing.
 *
 * Env: BENCH_NOTIFY_CHANGES (default 1000), BENCH_NOTIFY_WARMUP (unmeasured changes first, default 50).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient } from 'mqtt';
import { createLabPki } from '../certs/pki.js';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../proto/index.js';
import type { DecodedMsg, Request } from '../proto/index.js';
import { MOSQUITTO_BIN, startMosquitto } from '../test/helpers/mosquitto.js';
import { liveChildren, spawnPeer } from './mtp-procs.js';
import { AGENT_EID, AGENT_TOPIC, MQTT_QOS, USP_CONTENT_TYPE } from './mtp-shared.js';
import type { TlsPaths } from './mtp-shared.js';

const CHANGES = Number(process.env.BENCH_NOTIFY_CHANGES ?? 1000);
const WARMUP = Number(process.env.BENCH_NOTIFY_WARMUP ?? 50);
/** The aim: printed next to the figures, never asserted. */
const AIM_P99_MS = 100;
const STEP_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 180_000 + (CHANGES + WARMUP) * 100;
const PARAM = 'Device.DeviceInfo.ProvisioningCode';
const A = { eid: 'proto::bench-controller-a', topic: 'usp/controller/bench-a' };
const B = { eid: 'proto::bench-controller-b', topic: 'usp/controller/bench-b' };

/** Cleanup steps, run last-in first-out on success, failure, timeout and Ctrl-C; each runs once. */
const cleanups: (() => Promise<void>)[] = [];
function own(fn: () => unknown): void {
  let done: Promise<void> | undefined;
  cleanups.push(
    () =>
      (done ??= Promise.resolve()
        .then(fn)
        .then(() => undefined)),
  );
}
async function cleanup(): Promise<void> {
  for (let f = cleanups.pop(); f; f = cleanups.pop()) {
    try {
      await f();
    } catch (e) {
      console.error(`bench:notify cleanup: ${(e as Error).message}`);
    }
  }
  for (const c of liveChildren) c.kill('SIGKILL');
}

/** A lean MQTT 5 controller: publishes Records to the agent with its own topic as Response Topic. */
interface Ctrl {
  /** Sends `req` as msg `msgId`; returns the time just before the publish (performance.now()). */
  send(msgId: string, req: Request): number;
  /** Called with every decoded Msg from the agent and the time it arrived. */
  onMsg: (msg: DecodedMsg, at: number) => void;
  close(): Promise<void>;
}

async function controller(port: number, tls: TlsPaths, c: { eid: string; topic: string }): Promise<Ctrl> {
  const material = { cert: readFileSync(tls.cert), key: readFileSync(tls.key), ca: readFileSync(tls.ca) };
  const client = new MqttClient(
    () => {
      const s = tlsConnect({ host: '127.0.0.1', port, ...material, minVersion: 'TLSv1.2', rejectUnauthorized: true });
      s.setNoDelay(true);
      return s;
    },
    {
      protocolVersion: 5,
      clientId: `bench-notify-${c.topic.slice(-1)}-${process.pid}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
    },
  );
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  let closing = false;
  client.on('error', (e) => closing || process.stderr.write(`bench notify client ${c.eid}: ${e.message}\n`));
  await client.subscribeAsync(c.topic, { qos: MQTT_QOS });
  const props = { responseTopic: c.topic, contentType: USP_CONTENT_TYPE };
  const ctrl: Ctrl = {
    send: (msgId, req) => {
      const bytes = encodeRecord(buildRecord({ toId: AGENT_EID, fromId: c.eid, payload: encodeMsg(buildRequest(msgId, req)) }));
      const t0 = performance.now();
      client.publish(AGENT_TOPIC, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { qos: MQTT_QOS, properties: props });
      return t0;
    },
    onMsg: () => undefined,
    close: () => {
      closing = true;
      return client.endAsync();
    },
  };
  client.on('message', (_topic, payload) => {
    const at = performance.now();
    try {
      const rec = decodeRecord(payload);
      if (rec.noSessionContext?.payload) ctrl.onMsg(decodeMsg(rec.noSessionContext.payload), at);
    } catch {
      // not a USP Record we care about
    }
  });
  return ctrl;
}

/** Resolves with the first (msg, at) for which `pick` returns true, bounded by STEP_TIMEOUT_MS. */
function waitFor(c: Ctrl, what: string, pick: (m: DecodedMsg) => boolean): Promise<{ msg: DecodedMsg; at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.onMsg = () => undefined;
      reject(new Error(`no ${what} within ${STEP_TIMEOUT_MS} ms`));
    }, STEP_TIMEOUT_MS);
    c.onMsg = (msg, at) => {
      if (!pick(msg)) return;
      clearTimeout(timer);
      c.onMsg = () => undefined;
      resolve({ msg, at });
    };
  });
}

/** One change: A sets PARAM to `value`; resolves with the Set→Notify latency in ms. */
async function change(a: Ctrl, b: Ctrl, msgId: string, value: string): Promise<number> {
  const resp = waitFor(a, `SetResp to ${msgId}`, (m) => m.header.msgId === msgId);
  const notify = waitFor(b, `Notify for ${value}`, (m) => m.body.request?.notify?.valueChange?.paramValue === value);
  const t0 = a.send(msgId, {
    set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value, required: true }] }] },
  });
  const [r, n] = await Promise.all([resp, notify]);
  if (!r.msg.body.response?.setResp) throw new Error(`Set ${msgId} failed: ${JSON.stringify(r.msg.body)}`);
  if (n.msg.body.request?.notify?.valueChange?.paramPath !== PARAM) throw new Error(`unexpected Notify: ${JSON.stringify(n.msg.body)}`);
  return n.at - t0;
}

async function main(): Promise<void> {
  if (!existsSync(MOSQUITTO_BIN)) {
    console.log(`\nValueChange latency: skipped, mosquitto is not installed (${MOSQUITTO_BIN}; set MOSQUITTO_BIN)`);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'usp-agent-bench-notify-'));
  own(() => rmSync(root, { recursive: true, force: true }));
  const pki = createLabPki({ dir: join(root, 'pki'), agentEndpointId: AGENT_EID, controllerEndpointIds: [A.eid, B.eid] });
  const tlsOf = (eid: string): TlsPaths => {
    const c = pki.controllers[eid];
    if (!c) throw new Error(`controller certificate for ${eid} missing from the lab PKI`);
    return { cert: c.cert, key: c.key, ca: pki.ca.cert };
  };
  const mosquitto = await startMosquitto({ pki });
  own(() => mosquitto.dispose());
  const dataDir = join(root, 'agent');
  mkdirSync(dataDir);
  const agent = await spawnPeer('agent', {
    mode: 'agent',
    dataDir,
    tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert },
    mqttPort: mosquitto.port,
    controllers: [
      { endpointId: A.eid, topic: A.topic },
      { endpointId: B.eid, topic: B.topic },
    ],
  });
  own(() => agent.stop());
  const a = await controller(mosquitto.port, tlsOf(A.eid), A);
  own(() => a.close());
  const b = await controller(mosquitto.port, tlsOf(B.eid), B);
  own(() => b.close());

  // B subscribes, as itself, so the agent sets Recipient = B.
  const added = waitFor(b, 'AddResp to sub-vc', (m) => m.header.msgId === 'sub-vc');
  const settings = { ID: 'vc', Enable: 'true', NotifType: 'ValueChange', ReferenceList: PARAM, NotifRetry: 'false' };
  b.send('sub-vc', {
    add: {
      allowPartial: false,
      createObjs: [
        { objPath: 'Device.LocalAgent.Subscription.', paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) },
      ],
    },
  });
  const addResp = (await added).msg;
  const created = addResp.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess;
  if (!created) throw new Error(`B's Add of the subscription failed: ${JSON.stringify(addResp.body)}`);

  const run = Date.now().toString(36);
  for (let i = 0; i < WARMUP; i++) await change(a, b, `w-${i}`, `warm-${run}-${i}`);
  const lat: number[] = [];
  for (let i = 0; i < CHANGES; i++) lat.push(await change(a, b, `s-${i}`, `bench-${run}-${i}`));
  lat.sort((x, y) => x - y);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  const p99 = q(0.99);
  console.log(
    `\nValueChange latency over MQTT 5 (mosquitto, QoS ${MQTT_QOS}, mutual TLS, loopback; agent in a child process):\n` +
      `  Set by controller A → Notify received by controller B (${PARAM}, NotifRetry false), one change at a time\n` +
      `  ${lat.length} changes (after ${WARMUP} warm-up): p50 ${q(0.5).toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${(lat.at(-1) ?? NaN).toFixed(3)} ms` +
      `   aim: p99 under ${AIM_P99_MS} ms, ${p99 < AIM_P99_MS ? 'met' : 'MISSED'}`,
  );
}

const deadline = setTimeout(() => {
  console.error(`bench:notify: not finished within ${DEADLINE_MS / 1000} s; stopping`);
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
  console.error(`bench:notify failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup();
  clearTimeout(deadline);
}
