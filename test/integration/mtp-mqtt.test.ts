// agent/mtp/mqtt.ts against a real Mosquitto with mutual TLS, MQTT 5 and 3.1.1 (TR-369 §MQTT
// Binding, R-MQTT.*; USP-NOTES §13.1; TP-469 section 11). Every test starts its own broker on
// ephemeral ports and a real controller (mqtt.js with its own certificate); nothing is mocked.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { createCa, createLabPki, issueCert } from '../../certs/pki.js';
import type { CertAndKey } from '../../certs/pki.js';
import { MqttMtp } from '../../agent/mtp/mqtt.js';
import type { MqttMtpConfig } from '../../agent/mtp/mqtt.js';
import { MtpError } from '../../agent/mtp/mtp.js';
import type { InboundRecord, Mtp, MtpStatus } from '../../agent/mtp/mtp.js';
import { loadTls } from '../../agent/mtp/tls.js';
import type { TlsMaterial } from '../../agent/mtp/tls.js';
import { Inbox } from '../helpers/controller-transport.js';
import { MqttController } from '../helpers/controller-mqtt.js';
import { prepareMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import type { Mosquitto, MosquittoOptions } from '../helpers/mosquitto.js';

const AGENT_EID = 'proto::mqtt-agent';
const CONTROLLER_EID = 'proto::mqtt-controller';
const AGENT_TOPIC = 'usp/agent/mqtt-agent';
const CONTROLLER_TOPIC = 'usp/controller/mqtt-controller';
const WAIT_MS = 15_000;
/** A fixed 1 s between attempts (multiplier 1.0) keeps the retry tests short. */
const FAST_RETRY = { minWaitS: 1, multiplierX1000: 1000 };
const VERSIONS = [
  { v: 5, name: 'MQTT 5' },
  { v: 4, name: 'MQTT 3.1.1' },
] as const;

const pkiDir = mkdtempSync(join(tmpdir(), 'usp-mqtt-pki-'));
t.teardown(() => rmSync(pkiDir, { recursive: true, force: true }));
const pki = createLabPki({ dir: pkiDir, agentEndpointId: AGENT_EID, controllerEndpointIds: [CONTROLLER_EID] });
const agentTls = loadTls({ cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert });
const controllerFiles = pki.controllers[CONTROLLER_EID] ?? missing('the controller certificate');
const labCa: CertAndKey = { certPem: readFileSync(pki.ca.cert, 'utf8'), keyPem: readFileSync(pki.ca.key, 'utf8') };

/** Every status an MTP reports, with in-order waits. */
class StatusLog {
  readonly all: MtpStatus[] = [];
  private readonly inbox = new Inbox<MtpStatus>();
  constructor(mtp: Mtp) {
    mtp.onStatus((s) => {
      this.all.push(s);
      this.inbox.push(s);
    });
  }
  /** The next reported status matching `pred` (earlier non-matching ones are consumed). */
  async waitFor(pred: (s: MtpStatus) => boolean, what: string, timeoutMs = WAIT_MS): Promise<MtpStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.inbox.next(Math.max(deadline - Date.now(), 1), `status ${what} (seen: ${this.all.map((x) => x.code ?? x.state).join(', ')})`);
      if (pred(s)) return s;
    }
  }
}

async function broker(t: Test, opts: Omit<MosquittoOptions, 'pki'> = {}): Promise<Mosquitto> {
  const b = await startMosquitto({ pki, ...opts });
  t.teardown(() => b.dispose());
  return b;
}

/** An agent MQTT MTP to a broker (its TLS listener) or to a URL. */
function agentMtp(
  t: Test,
  b: Mosquitto | string,
  v: 4 | 5,
  over: Partial<MqttMtpConfig> = {},
): { mtp: MqttMtp; status: StatusLog; records: Inbox<InboundRecord> } {
  const mtp = new MqttMtp({
    id: `mqtt-test-v${v}`,
    url: typeof b === 'string' ? b : `mqtts://${b.host}:${b.port}`,
    protocolVersion: v,
    clientId: '',
    keepAliveS: 30,
    cleanStart: true,
    agentEndpointId: AGENT_EID,
    responseTopicConfigured: AGENT_TOPIC,
    subscriptions: [],
    publishQos: 1,
    tls: agentTls,
    retry: FAST_RETRY,
    ...over,
  });
  const status = new StatusLog(mtp);
  const records = new Inbox<InboundRecord>();
  mtp.onRecord((r) => records.push(r));
  t.teardown(() => mtp.stop());
  return { mtp, status, records };
}

async function controller(t: Test, b: Mosquitto, v: 4 | 5): Promise<MqttController> {
  const c = await MqttController.connect({
    host: b.host,
    port: b.port,
    protocolVersion: v,
    tls: { cert: controllerFiles.cert, key: controllerFiles.key, ca: pki.ca.cert },
    topic: CONTROLLER_TOPIC,
    agentTopic: AGENT_TOPIC,
  });
  t.teardown(() => c.close());
  return c;
}

/** Bounded poll of the broker log (mosquitto writes it asynchronously). */
async function waitForLog(b: Mosquitto, re: RegExp, timeoutMs = WAIT_MS): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(b.log());
    if (m) return m[0];
    if (Date.now() > deadline) throw new Error(`broker log never matched ${re}:\n${b.log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const upOn = (topic: string) => (s: MtpStatus) => s.state === 'up' && s.subscribedTo === topic;
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const ALL_BYTES = new Uint8Array(256).map((_, i) => i);

function missing(what: string): never {
  throw new Error(`lab PKI without ${what}`);
}

function withAgentCert(c: CertAndKey): TlsMaterial {
  return { ...agentTls, cert: Buffer.from(c.certPem), key: Buffer.from(c.keyPem) };
}

for (const { v, name } of VERSIONS) {
  t.test(
    `${name}: mutual TLS connect goes 'up' on the reply topic; Records flow both ways with reply addresses (R-MQTT.15/21-27, TP 11.13/11.14)`,
    async (t) => {
      const b = await broker(t);
      const { mtp, status, records } = agentMtp(t, b, v);
      await mtp.start();
      const up = await status.waitFor(upOn(AGENT_TOPIC), 'up');
      t.equal(up.subscribedTo, AGENT_TOPIC, 'subscribedTo is the exact reply topic for the MQTTConnectRecord');
      const ctl = await controller(t, b, v);

      await ctl.send(ALL_BYTES);
      const rec = await records.next(WAIT_MS, 'record');
      t.same([...rec.bytes], [...ALL_BYTES], 'binary payload arrives byte-identical (NULs included)');
      t.same(rec.replyTo, { kind: 'mqtt', topic: CONTROLLER_TOPIC }, v === 5 ? 'replyTo = v5 Response Topic' : 'replyTo = decoded /reply-to= suffix');
      t.equal(rec.peerEndpointId, undefined, 'the broker, not the controller, is the TLS peer');

      if (!rec.replyTo) throw new Error('no reply address');
      await mtp.send(bytes(9, 0, 9), rec.replyTo);
      const got = await ctl.nextMessage();
      t.same([...got.bytes], [9, 0, 9], 'the controller receives the Record');
      t.equal(got.replyTo, AGENT_TOPIC, 'the PUBLISH carries our reply topic (R-MQTT.22)');
      if (v === 5) {
        t.equal(got.topic, CONTROLLER_TOPIC, 'published to the Response Topic (R-MQTT.26)');
        t.equal(got.contentType, 'usp.msg', 'Content Type usp.msg (R-MQTT.27)');
      } else {
        t.equal(got.topic, `${CONTROLLER_TOPIC}/reply-to=usp%2Fagent%2Fmqtt-agent`, 'reply-to suffix with / as %2F (R-MQTT.24)');
      }

      if (v === 5) {
        await ctl.publish(bytes(1), { contentType: 'text/plain' });
        await ctl.publish(bytes(2), { contentType: 'application/vnd.bbf.usp.msg' });
        const next = await records.next(WAIT_MS, 'record');
        t.same([...next.bytes], [2], 'application/vnd.bbf.usp.msg is accepted, a foreign content type dropped (R-MQTT.27a, TP 11.15)');
      }
      await ctl.publish(bytes(3), { replyTo: null, ...(v === 5 && { contentType: null }) });
      const bare = await records.next(WAIT_MS, 'record');
      t.same([...bare.bytes], [3], 'a PUBLISH without reply address is still delivered');
      t.equal(bare.replyTo, undefined, '… with no reply address');

      await mtp.stop();
      t.equal(mtp.currentStatus.state, 'down');
      await waitForLog(b, /Client \S+ disconnected\./);
      t.notMatch(b.log(), /Client \S+ closed its connection/, 'stop() sends DISCONNECT instead of dropping the socket (R-MQTT.35)');
      await t.rejects(mtp.send(bytes(1), { kind: 'mqtt', topic: CONTROLLER_TOPIC }), { code: 'MTP_NOT_CONNECTED' }, 'send() after stop rejects');
    },
  );

  t.test(`${name}: broker restart → retry, 'up' again re-subscribed, new Records get through (R-MQTT.10/33, TP 11.6)`, async (t) => {
    const b = await broker(t);
    const { mtp, status, records } = agentMtp(t, b, v);
    await mtp.start();
    await status.waitFor(upOn(AGENT_TOPIC), 'up');
    const ups = status.all.filter((s) => s.state === 'up').length;

    await b.restart();
    const lost = await status.waitFor((s) => s.state === 'error', 'error after the broker went away');
    t.match(lost.code, /^MTP_(MQTT_DISCONNECTED|CONNECTION_LOST|CONNECT_REFUSED)$/, `connection loss reported (${lost.code})`);
    await status.waitFor(upOn(AGENT_TOPIC), 'up again');
    t.equal(status.all.filter((s) => s.state === 'up').length, ups + 1, "'up' reported again, so the record layer re-sends the connect record");
    t.equal(mtp.retryAttempts, 0, 'the back-off is reset after success');

    const ctl = await controller(t, b, v);
    await ctl.send(bytes(4, 2));
    const rec = await records.next(WAIT_MS, 'record after restart');
    t.same([...rec.bytes], [4, 2], 'the re-made subscription receives');
    if (!rec.replyTo) throw new Error('no reply address');
    await mtp.send(bytes(2, 4), rec.replyTo);
    t.same([...(await ctl.nextRecord())], [2, 4], 'and publishing works again');
  });

  t.test(`${name}: broker down at start → 'error' and retrying, then 'up' once it starts (TP 11.16)`, async (t) => {
    const b = await prepareMosquitto({ pki });
    t.teardown(() => b.dispose());
    const { mtp, status } = agentMtp(t, b, v);
    await mtp.start();
    const first = await status.waitFor((s) => s.state === 'error', 'first failure');
    t.equal(first.code, 'MTP_CONNECT_REFUSED');
    await t.rejects(mtp.send(bytes(1), { kind: 'mqtt', topic: CONTROLLER_TOPIC }), new MtpError('MTP_NOT_CONNECTED', ''), 'send() while down rejects');
    await status.waitFor((s) => s.state === 'error' && mtp.retryAttempts >= 2, 'second failure');
    t.ok(mtp.retryAttempts >= 2, 'still retrying');
    await b.start();
    await status.waitFor(upOn(AGENT_TOPIC), 'up after the broker started');
    t.equal(mtp.retryAttempts, 0);
  });

  const rejections: { what: string; tls: () => TlsMaterial; code: string }[] = [
    { what: 'no client certificate', tls: () => ({ ...agentTls, cert: Buffer.alloc(0), key: Buffer.alloc(0) }), code: 'MTP_TLS_CERT_REQUIRED' },
    {
      what: 'a certificate from another CA',
      tls: () => withAgentCert(issueCert(createCa('rogue CA'), { commonName: AGENT_EID, endpointId: AGENT_EID, clientAuth: true })),
      code: 'MTP_TLS_UNKNOWN_CA',
    },
    {
      what: 'an expired certificate',
      tls: () =>
        withAgentCert(
          issueCert(labCa, {
            commonName: AGENT_EID,
            endpointId: AGENT_EID,
            clientAuth: true,
            notBefore: new Date(Date.now() - 2 * 86_400_000),
            notAfter: new Date(Date.now() - 86_400_000),
          }),
        ),
      code: 'MTP_TLS_CERT_EXPIRED',
    },
  ];
  for (const r of rejections) {
    t.test(`${name}: agent with ${r.what} → 'error' ${r.code}, keeps retrying without crashing`, async (t) => {
      const b = await broker(t);
      const { mtp, status } = agentMtp(t, b, v, { tls: r.tls() });
      await mtp.start();
      const e1 = await status.waitFor((s) => s.state === 'error', 'first rejection');
      t.equal(e1.code, r.code, e1.detail ?? '');
      t.equal(mtp.retryAttempts, 1);
      const e2 = await status.waitFor((s) => s.state === 'error', 'second rejection');
      t.equal(e2.code, r.code, 'same code on the retry');
      t.equal(mtp.retryAttempts, 2, 'attempt count grows');
      t.notOk(
        status.all.some((s) => s.state === 'up'),
        "never 'up'",
      );
    });
  }

  t.test(`${name}: nothing to subscribe → DISCONNECT, 'error' MTP_MQTT_NOTHING_TO_SUBSCRIBE, no retry (R-MQTT.16, TP 11.10)`, async (t) => {
    const b = await broker(t);
    const { mtp, status } = agentMtp(t, b, v, { responseTopicConfigured: '', subscriptions: [] });
    await mtp.start();
    const e = await status.waitFor((s) => s.state === 'error', 'error');
    t.equal(e.code, 'MTP_MQTT_NOTHING_TO_SUBSCRIBE');
    t.equal(mtp.retryAttempts, 0, 'treated as disabled: no retry scheduled');
    await waitForLog(b, /Client \S+ disconnected\./);
    t.notMatch(b.log(), /closed its connection/, 'DISCONNECT sent');
    await t.rejects(mtp.send(bytes(1), { kind: 'mqtt', topic: CONTROLLER_TOPIC }), { code: 'MTP_NOT_CONNECTED' });
  });

  t.test(`${name}: refused SUBSCRIBE → never publish, DISCONNECT, 'error' MTP_MQTT_SUBSCRIBE_FAILED, retry (R-MQTT.17, TP 11.11)`, async (t) => {
    // Mosquitto 2.0 grants every SUBSCRIBE (its ACLs filter at delivery), so a scripted peer
    // plays the broker that refuses: 0x87 Not authorized (v5) / 0x80 Failure (v3.1.1).
    const peer = await scriptedBroker(t, v, v === 5 ? 0x87 : 0x80);
    const { mtp, status } = agentMtp(t, peer.url, v);
    await mtp.start();
    const e = await status.waitFor((s) => s.state === 'error', 'error');
    t.equal(e.code, 'MTP_MQTT_SUBSCRIBE_FAILED', e.detail ?? '');
    await t.rejects(mtp.send(bytes(1), { kind: 'mqtt', topic: CONTROLLER_TOPIC }), { code: 'MTP_NOT_CONNECTED' }, 'no publish without a successful SUBACK');
    t.same(await peer.nextTypes(3), [PKT.CONNECT, PKT.SUBSCRIBE, PKT.DISCONNECT], 'CONNECT, SUBSCRIBE, then DISCONNECT');
    await status.waitFor((s) => s.state === 'error' && mtp.retryAttempts >= 2, 'second failure');
    t.same(await peer.nextTypes(3), [PKT.CONNECT, PKT.SUBSCRIBE, PKT.DISCONNECT], 'the retry does the same');
    t.notOk(peer.types.includes(PKT.PUBLISH), 'never a PUBLISH');
    t.notOk(
      status.all.some((s) => s.state === 'up'),
      "never 'up'",
    );
  });

  t.test(`${name}: an invalid Subscription row fails the SUBSCRIBE the same way (R-MQTT.17)`, async (t) => {
    const b = await broker(t);
    const { mtp, status } = agentMtp(t, b, v, { subscriptions: [{ topic: 'usp/#/bad', qos: 1 }] });
    await mtp.start();
    const e = await status.waitFor((s) => s.state === 'error', 'error');
    t.equal(e.code, 'MTP_MQTT_SUBSCRIBE_FAILED', e.detail ?? '');
    t.notOk(
      status.all.some((s) => s.state === 'up'),
      "never 'up'",
    );
  });

  t.test(`${name}: configured Subscription rows are subscribed too, and a row covering the reply topic avoids a duplicate`, async (t) => {
    const b = await broker(t);
    const rows = [
      { topic: 'usp/agent/#', qos: 1 as const },
      { topic: 'usp/broadcast', qos: 0 as const },
    ];
    const { mtp, status, records } = agentMtp(t, b, v, { subscriptions: rows });
    await mtp.start();
    await status.waitFor(upOn(AGENT_TOPIC), 'up');
    const ctl = await controller(t, b, v);
    await ctl.publish(bytes(7), { topic: 'usp/broadcast', replyTo: null });
    t.same([...(await records.next(WAIT_MS, 'record')).bytes], [7], 'a configured row receives');
    await ctl.send(bytes(8));
    t.same([...(await records.next(WAIT_MS, 'record')).bytes], [8], 'the reply topic receives (once)');
    await ctl.publish(bytes(9), { topic: 'usp/broadcast', replyTo: null });
    t.same([...(await records.next(WAIT_MS, 'record')).bytes], [9], 'no duplicate delivery in between');
  });
}

t.test('MQTT 5: empty ClientID → the broker-assigned id is reported, stored and reused on reconnect (R-MQTT.8/9/11, TP 11.4/11.5)', async (t) => {
  const b = await broker(t);
  const assigned: string[] = [];
  const { mtp, status } = agentMtp(t, b, 5, { clientId: '', onClientIdAssigned: (id) => assigned.push(id) });
  await mtp.start();
  await status.waitFor(upOn(AGENT_TOPIC), 'up');
  t.equal(assigned.length, 1, 'onClientIdAssigned called once');
  const id = assigned[0] ?? '';
  t.match(id, /\S/, `assigned id ${id}`);
  t.equal(mtp.currentClientId, id);
  await waitForLog(b, new RegExp(`New client connected from \\S+ as ${id} \\(p5`));

  await b.restart();
  await status.waitFor((s) => s.state === 'error', 'connection lost');
  await status.waitFor(upOn(AGENT_TOPIC), 'up again');
  t.equal(assigned.length, 1, 'no new assignment: the stored id is sent');
  await waitForLog(b, new RegExp(`(New client connected from \\S+ as ${id} \\(p5[^]*){2}`));
  t.pass('the reconnect CONNECT used the assigned id');
});

t.test('MQTT 3.1.1: empty ClientID → our Endpoint ID is the client id (R-MQTT.8)', async (t) => {
  const b = await broker(t);
  const { mtp, status } = agentMtp(t, b, 4, { clientId: '' });
  await mtp.start();
  await status.waitFor(upOn(AGENT_TOPIC), 'up');
  t.equal(mtp.currentClientId, AGENT_EID);
  // Mosquitto logs MQTT 3.1.1 as protocol "p2".
  await waitForLog(b, new RegExp(`New client connected from \\S+ as ${AGENT_EID} \\(p2,`));
});

t.test('MQTT 5 CONNECT carries the ClientID, usp-endpoint-id and Request Response Information (R-MQTT.7/12/13, TP 11.2/11.8)', async (t) => {
  // Mosquitto logs neither property, so the scripted peer reads the CONNECT packet itself.
  const peer = await scriptedBroker(t, 5, 0);
  const { mtp, status } = agentMtp(t, peer.url, 5, { clientId: 'probe-id', username: 'probe-user', password: 'probe-pass' });
  await mtp.start();
  await status.waitFor(upOn(AGENT_TOPIC), 'up');
  const connect = peer.packets.find((p) => p.type === PKT.CONNECT)?.body.toString('latin1') ?? '';
  t.ok(connect.includes('\x26\x00\x0fusp-endpoint-id\x00\x11' + AGENT_EID), 'user property usp-endpoint-id = our Endpoint ID');
  t.ok(connect.includes('\x19\x01'), 'Request Response Information = 1 (property 0x19)');
  t.ok(connect.includes('\x00\x08probe-id'), 'the configured ClientID');
  t.ok(connect.includes('\x00\x0aprobe-user') && connect.includes('\x00\x0aprobe-pass'), 'Username and Password');
  const subscribe = peer.packets.find((p) => p.type === PKT.SUBSCRIBE)?.body.toString('latin1') ?? '';
  t.ok(subscribe.includes(AGENT_TOPIC), 'SUBSCRIBE to the reply topic after CONNACK (R-MQTT.15)');
});

/** MQTT control packet types (MQTT 5 §2.1.2). */
const PKT = { CONNECT: 1, PUBLISH: 3, SUBSCRIBE: 8, DISCONNECT: 14 } as const;

interface ScriptedBroker {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly packets: { type: number; body: Buffer }[];
  readonly types: number[];
  /** The types of the next `n` packets received (waits for them). */
  nextTypes(n: number): Promise<number[]>;
}

/**
 * A scripted MQTT peer on an ephemeral port: CONNACK success, then SUBACK with `subackCode` for
 * every filter. Only for what Mosquitto cannot be made to do (refuse a SUBSCRIBE) or does not
 * show (CONNECT properties). Plain TCP.
 */
async function scriptedBroker(t: Test, v: 4 | 5, subackCode: number): Promise<ScriptedBroker> {
  const { createServer } = await import('node:net');
  const packets: { type: number; body: Buffer }[] = [];
  const inbox = new Inbox<number>();
  const srv = createServer((sock) => {
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const vi = varint(buf, 1);
        if (!vi || buf.length < vi.end + vi.value) return;
        const type = (buf[0] ?? 0) >> 4;
        const body = buf.subarray(vi.end, vi.end + vi.value);
        buf = buf.subarray(vi.end + vi.value);
        packets.push({ type, body });
        inbox.push(type);
        if (type === PKT.CONNECT) sock.write(Buffer.from(v === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]));
        if (type === PKT.SUBSCRIBE) sock.write(suback(body, v, subackCode));
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const addr = srv.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    url: `mqtt://127.0.0.1:${addr.port}`,
    packets,
    get types() {
      return packets.map((p) => p.type);
    },
    async nextTypes(n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await inbox.next(WAIT_MS, 'packet'));
      return out;
    },
  };
}

function varint(b: Buffer, at: number): { value: number; end: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const byte = b[at + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return { value, end: at + i + 1 };
  }
  return undefined;
}

/** SUBACK for a SUBSCRIBE body: same packet id, `code` for each topic filter. */
function suback(body: Buffer, v: 4 | 5, code: number): Buffer {
  let at = 2;
  if (v === 5) {
    const props = varint(body, at);
    at = props ? props.end + props.value : body.length;
  }
  let filters = 0;
  while (at + 2 <= body.length) {
    at += 2 + body.readUInt16BE(at) + 1;
    filters++;
  }
  const variable = v === 5 ? [body[0] ?? 0, body[1] ?? 0, 0] : [body[0] ?? 0, body[1] ?? 0];
  const rest = [...variable, ...new Array<number>(filters).fill(code)];
  return Buffer.from([0x90, rest.length, ...rest]);
}
