/**
 * Part of `npm run bench` (bench/suite.ts; alone: `npm run bench:notify`): ValueChange latency, from a Set by
 * one controller to the Notify received by another, over MQTT 5 via a private Mosquitto with
 * mutual TLS on loopback. The agent runs in a child process (bench/mtp-peer.ts) with two
 * controllers, A and B, each with an MQTT controller MTP row on its own topic. B adds (over
 * MQTT, as itself, so Recipient = B) a ValueChange subscription on
 * Device.DeviceInfo.ProvisioningCode (NotifRetry false); then A sets that parameter to CHANGES
 * distinct values, one at a time, waiting for the SetResp and B's Notify before the next. A
 * change's latency runs from just before A's publish to B's receipt of the Notify carrying that
 * value. Prints p50/p99/max and the aim and returns them; asserts nothing. Skips if
 * mosquitto is missing.
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
import { guarded } from './cleanups.js';
import type { Own } from './cleanups.js';
import { spawnPeer } from './mtp-procs.js';
import { aimMax, isMain, missing, quantile, runAlone } from './figures.js';
import type { Figure } from './figures.js';
import { AGENT_EID, AGENT_TOPIC, MQTT_QOS, USP_CONTENT_TYPE } from './mtp-shared.js';
import type { TlsPaths } from './mtp-shared.js';

/** The aim: printed next to the figures, never asserted. */
const AIM_P99_MS = 100;
const STEP_TIMEOUT_MS = 10_000;
const METRIC = 'ValueChange latency p99, Set by A → Notify to B, MQTT 5';
const PARAM = 'Device.DeviceInfo.ProvisioningCode';
const A = { eid: 'proto::bench-controller-a', topic: 'usp/controller/bench-a' };
const B = { eid: 'proto::bench-controller-b', topic: 'usp/controller/bench-b' };

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

async function main(own: Own, changes: number, warmup: number): Promise<Figure> {
  if (!existsSync(MOSQUITTO_BIN)) {
    console.log(`\nValueChange latency: skipped, mosquitto is not installed (${MOSQUITTO_BIN}; set MOSQUITTO_BIN)`);
    return missing(METRIC, 'ms', `skipped: mosquitto is not installed (${MOSQUITTO_BIN})`, aimMax(AIM_P99_MS, true));
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
  for (let i = 0; i < warmup; i++) await change(a, b, `w-${i}`, `warm-${run}-${i}`);
  const lat: number[] = [];
  for (let i = 0; i < changes; i++) lat.push(await change(a, b, `s-${i}`, `bench-${run}-${i}`));
  lat.sort((x, y) => x - y);
  const q = (p: number): number => quantile(lat, p);
  const p99 = q(0.99);
  console.log(
    `\nValueChange latency over MQTT 5 (mosquitto, QoS ${MQTT_QOS}, mutual TLS, loopback; agent in a child process):\n` +
      `  Set by controller A → Notify received by controller B (${PARAM}, NotifRetry false), one change at a time\n` +
      `  ${lat.length} changes (after ${warmup} warm-up): p50 ${q(0.5).toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${(lat.at(-1) ?? NaN).toFixed(3)} ms` +
      `   aim: p99 under ${AIM_P99_MS} ms, ${p99 < AIM_P99_MS ? 'met' : 'MISSED'}`,
  );
  return {
    metric: METRIC,
    value: p99,
    unit: 'ms',
    aim: aimMax(AIM_P99_MS, true),
    detail: `p50 ${q(0.5).toFixed(3)} ms, max ${(lat.at(-1) ?? NaN).toFixed(3)} ms; ${lat.length} changes one at a time, mosquitto, mutual TLS`,
  };
}

/** Measures ValueChange latency (env BENCH_NOTIFY_CHANGES / BENCH_NOTIFY_WARMUP unless given); prints and returns the figure. */
export async function benchNotify(opts: { changes?: number; warmup?: number } = {}): Promise<Figure[]> {
  const changes = opts.changes ?? Number(process.env.BENCH_NOTIFY_CHANGES ?? 1000);
  const warmup = opts.warmup ?? Number(process.env.BENCH_NOTIFY_WARMUP ?? 50);
  return [await guarded('bench:notify', 180_000 + (changes + warmup) * 100, (own) => main(own, changes, warmup))];
}

if (isMain(import.meta.url)) await runAlone('bench:notify', benchNotify);
