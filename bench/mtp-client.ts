/**
 * The controller side of the transport benchmark: a lean USP client over MQTT 5 (mqtt.js),
 * STOMP 1.2 (@stomp/stompjs over the agent's own StompSocket) or wss (ws), with the
 * controller's certificate. It sends Get Records and matches replies by
 * msg_id, read straight from the protobuf bytes (Record.no_session_context.payload →
 * Msg.header.msg_id), so the client does the same small amount of work per reply whether the
 * peer is the agent or the echo (the floor). Used by bench/mtp.ts and bench/startup.ts.
 */
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Client, Versions } from '@stomp/stompjs';
import { MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../proto/index.js';
import type { DecodedMsg, Request } from '../proto/index.js';
import { StompSocket } from '../agent/mtp/stomp-socket.js';
import { loadTls } from '../agent/mtp/tls.js';
import { AGENT_EID, CTRL_DEST, CTRL_EID, CTRL_TOPIC, MQTT_QOS, USP_CONTENT_TYPE } from './mtp-shared.js';
import type { TlsPaths } from './mtp-shared.js';

/** One connection; `send` takes whole Records, `onRecord` gets whole Records. */
export interface Wire {
  send(bytes: Uint8Array): void;
  onRecord: (bytes: Uint8Array) => void;
  close(): Promise<void>;
}

const pems = (t: TlsPaths): { cert: Buffer; key: Buffer; ca: Buffer } => ({ cert: readFileSync(t.cert), key: readFileSync(t.key), ca: readFileSync(t.ca) });

/** MQTT 5 over TLS, subscribed to CTRL_TOPIC; publishes to `target()` with Response Topic and Content Type. */
export async function mqttWire(port: number, tls: TlsPaths, target: () => string): Promise<Wire> {
  const material = pems(tls);
  const client = new MqttClient(
    () => {
      const s = tlsConnect({ host: '127.0.0.1', port, ...material, minVersion: 'TLSv1.2', rejectUnauthorized: true });
      s.setNoDelay(true);
      return s;
    },
    { protocolVersion: 5, clientId: `bench-ctrl-${process.pid}`, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
  );
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  let closing = false;
  client.on('error', (e) => closing || process.stderr.write(`bench mqtt client: ${e.message}\n`));
  await client.subscribeAsync(CTRL_TOPIC, { qos: MQTT_QOS });
  const props = { responseTopic: CTRL_TOPIC, contentType: USP_CONTENT_TYPE };
  const wire: Wire = {
    send: (bytes) => {
      client.publish(target(), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { qos: MQTT_QOS, properties: props });
    },
    onRecord: () => undefined,
    close: () => {
      closing = true; // a PUBACK racing the DISCONNECT is not worth a message
      return client.endAsync();
    },
  };
  client.on('message', (_topic, payload) => wire.onRecord(payload));
  return wire;
}

/** A STOMP 1.2 client over the agent's StompSocket (TLS with this certificate, which is the broker login), no heart-beats or reconnects. */
export function stompClient(port: number, tls: TlsPaths): { client: Client; lastError: () => string | undefined } {
  let socket: StompSocket | undefined;
  const client = new Client({
    webSocketFactory: () => (socket = new StompSocket({ host: '127.0.0.1', port, tls: loadTls(tls), openWith: 'STOMP' })),
    stompVersions: new Versions([Versions.V1_2]),
    connectHeaders: { host: '/' },
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    debug: () => undefined,
  });
  return { client, lastError: () => socket?.lastError?.message };
}

/**
 * STOMP 1.2 over TLS with the controller's certificate (its SAN URI is the broker login),
 * subscribed to CTRL_DEST (ack auto); SENDs to `target()` with reply-to-dest (R-STOMP.18–22).
 */
export async function stompWire(port: number, tls: TlsPaths, target: () => string): Promise<Wire> {
  const { client, lastError } = stompClient(port, tls);
  const wire: Wire = {
    send: (bytes) => client.publish({ destination: target(), binaryBody: bytes, headers: { 'content-type': USP_CONTENT_TYPE, 'reply-to-dest': CTRL_DEST } }),
    onRecord: () => undefined,
    close: async () => {
      const t = setTimeout(() => void client.deactivate({ force: true }), 2000);
      await client.deactivate();
      clearTimeout(t);
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('STOMP client not subscribed within 10 s')), 10_000);
    function fail(e: Error): void {
      clearTimeout(timer);
      void client.deactivate({ force: true });
      reject(e);
    }
    client.onStompError = (f) => fail(new Error(`STOMP ERROR: ${f.headers.message ?? ''} ${f.body}`));
    client.onWebSocketClose = () => fail(new Error(`STOMP connection closed: ${lastError() ?? 'by the broker'}`));
    client.onConnect = () => {
      client.watchForReceipt('bench-sub', () => {
        clearTimeout(timer);
        client.onWebSocketClose = () => undefined;
        resolve();
      });
      client.subscribe(CTRL_DEST, (m) => wire.onRecord(m.binaryBody), { ack: 'auto', receipt: 'bench-sub' });
    };
    client.activate();
  });
  return wire;
}

/** wss with mutual TLS and subprotocol v1.usp, like a controller reaching the agent's server MTP. */
export async function wsWire(port: number, path: string, tls: TlsPaths): Promise<Wire> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${path}?eid=${CTRL_EID}`, ['v1.usp'], { ...pems(tls), perMessageDeflate: false, handshakeTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', (e) => process.stderr.write(`bench ws client: ${e.message}\n`));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const wire: Wire = {
    send: (bytes) => ws.send(bytes, { binary: true }),
    onRecord: () => undefined,
    close: async () => {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      const t = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(t);
    },
  };
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) wire.onRecord(data as Buffer);
  });
  return wire;
}

/** Bytes of length-delimited field `field` of the protobuf message in `b`, or undefined. */
function lenField(b: Uint8Array, field: number): Uint8Array | undefined {
  let i = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const x = b[i++] ?? 0;
      v += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return v;
    }
    return v;
  };
  while (i < b.length) {
    const key = varint();
    const wt = key & 7;
    if (wt === 0) varint();
    else if (wt === 1) i += 8;
    else if (wt === 5) i += 4;
    else if (wt === 2) {
      const len = varint();
      if (key >>> 3 === field) return b.subarray(i, i + len);
      i += len;
    } else return undefined;
  }
  return undefined;
}

/** msg_id of a no_session_context Record (field 7 → payload 2 → Msg.header 1 → msg_id 1); undefined for other Records. */
export function msgIdOf(record: Uint8Array): string | undefined {
  const nsc = lenField(record, 7);
  const payload = nsc && lenField(nsc, 2);
  const header = payload && lenField(payload, 1);
  const id = header && lenField(header, 1);
  return id && Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** Builds the Record of one request from its msg_id. */
export type RecordOf = (msgId: string) => Uint8Array;

/** The Record of `req` with this msg_id, from the controller to the agent. */
export function requestRecord(msgId: string, req: Request): Uint8Array {
  return encodeRecord(buildRecord({ toId: AGENT_EID, fromId: CTRL_EID, payload: encodeMsg(buildRequest(msgId, req)) }));
}

/** The Record of a Get Device.DeviceInfo. with this msg_id, from the controller to the agent. */
export const getRecord: RecordOf = (msgId) => requestRecord(msgId, { get: { paramPaths: ['Device.DeviceInfo.'] } });

/** Sends one request and returns the fully decoded reply Msg (checks, not timing). */
export function requestOnce(wire: Wire, msgId: string, timeoutMs = 10_000, recordOf: RecordOf = getRecord): Promise<{ msg: DecodedMsg; bytes: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${msgId} within ${timeoutMs} ms`)), timeoutMs);
    wire.onRecord = (bytes) => {
      if (msgIdOf(bytes) !== msgId) return;
      clearTimeout(timer);
      const rec = decodeRecord(bytes);
      resolve({ msg: decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array()), bytes: bytes.length });
    };
    wire.send(recordOf(msgId));
  });
}

export interface RunFigures {
  readonly count: number;
  readonly seconds: number;
  readonly perSec: number;
  readonly p50: number;
  readonly p99: number;
}

let runSeq = 0;

/**
 * Keeps `depth` requests in flight (1 = sequential) for `seconds` (or until `maxCount` were
 * sent), then waits for the last replies. Latency is send → matching reply. Rejects if no
 * reply comes for `stallMs`.
 */
export function load(wire: Wire, depth: number, seconds: number, recordOf: RecordOf = getRecord, maxCount = 2_000_000, stallMs = 10_000): Promise<RunFigures> {
  const prefix = `r${++runSeq}-`;
  const sentAt = new Map<string, number>();
  const lat: number[] = [];
  let n = 0;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const end = start + seconds * 1000;
    let last = start;
    const sendOne = (): void => {
      const id = prefix + ++n;
      const bytes = recordOf(id);
      sentAt.set(id, performance.now());
      wire.send(bytes);
    };
    const watchdog = setInterval(() => {
      if (performance.now() - last > stallMs) {
        clearInterval(watchdog);
        wire.onRecord = () => undefined;
        reject(new Error(`no reply for ${stallMs} ms (${sentAt.size} in flight, ${lat.length} answered)`));
      }
    }, 250);
    wire.onRecord = (bytes) => {
      const id = msgIdOf(bytes);
      const t0 = id === undefined ? undefined : sentAt.get(id);
      if (id === undefined || t0 === undefined) return; // connect records, replies from an earlier run
      const now = performance.now();
      sentAt.delete(id);
      lat.push(now - t0);
      last = now;
      if (now < end && n < maxCount) sendOne();
      else if (sentAt.size === 0) {
        clearInterval(watchdog);
        wire.onRecord = () => undefined;
        const elapsed = (now - start) / 1000;
        lat.sort((a, b) => a - b);
        const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
        resolve({ count: lat.length, seconds: elapsed, perSec: lat.length / elapsed, p50: q(0.5), p99: q(0.99) });
      }
    };
    for (let i = 0; i < depth; i++) sendOne();
  });
}
