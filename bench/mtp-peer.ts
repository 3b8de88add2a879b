/**
 * Child process of bench/mtp.ts: the peer the benchmark client talks to, in a process of its
 * own so that its CPU time is measured apart from the client's. argv[2] is a JSON PeerSpec:
 * the real agent (createAgent), or a plain echo peer over the same broker / wss with the same
 * TLS (the floor). Control channel: Node IPC (PeerCommand / PeerEvent in mtp-shared.ts):
 * process.cpuUsage() snapshots, and the V8 sampling profiler around a measured window. On
 * 'stop', or when the parent goes away, it shuts down and exits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient } from 'mqtt';
import { WebSocketServer } from 'ws';
import type { RawData } from 'ws';
import { createAgent, loadConfig } from '../agent/agent.js';
import { stompClient } from './mtp-client.js';
import {
  AGENT_DEST,
  AGENT_EID,
  AGENT_TOPIC,
  CTRL_DEST,
  CTRL_EID,
  CTRL_TOPIC,
  ECHO_DEST,
  ECHO_TOPIC,
  MQTT_QOS,
  USP_CONTENT_TYPE,
  WS_PATH,
} from './mtp-shared.js';
import type { PeerCommand, PeerEvent, PeerSpec, TlsPaths } from './mtp-shared.js';

const START_TIMEOUT_MS = 20_000;
/** Sampling interval of the profiler, µs (--cpu-prof's default is 1000). */
const PROFILE_INTERVAL_US = 250;

const tell = (e: PeerEvent): void => {
  process.send?.(e);
};

function pems(t: TlsPaths): { cert: Buffer; key: Buffer; ca: Buffer } {
  return { cert: readFileSync(t.cert), key: readFileSync(t.key), ca: readFileSync(t.ca) };
}

/** Starts the peer; resolves with its WebSocket port (if any) and a stop function. */
type Started = { wsPort?: number; stop: () => Promise<void> };

async function startAgent(spec: Extract<PeerSpec, { mode: 'agent' }>): Promise<Started> {
  const mtps: unknown[] = [{ protocol: 'WebSocket', host: '127.0.0.1', port: 0, path: WS_PATH }];
  if (spec.mqttPort !== undefined) mtps.push({ protocol: 'MQTT', host: '127.0.0.1', port: spec.mqttPort, responseTopic: AGENT_TOPIC, retryMinWait: 1 });
  if (spec.stompPort !== undefined) mtps.push({ protocol: 'STOMP', host: '127.0.0.1', port: spec.stompPort, destination: AGENT_DEST, retryMinWait: 1 });
  const config = loadConfig(undefined, {
    dataDir: spec.dataDir,
    sets: [
      `endpointId=${AGENT_EID}`,
      'log.level=warn',
      `tls=${JSON.stringify(spec.tls)}`,
      `mtps=${JSON.stringify(mtps)}`,
      `controllers=${JSON.stringify(
        (spec.controllers ?? [{ endpointId: CTRL_EID, topic: CTRL_TOPIC }]).map((c) => ({
          endpointId: c.endpointId,
          mtps: [
            ...(spec.mqttPort === undefined ? [] : [{ protocol: 'MQTT', topic: c.topic }]),
            ...(spec.stompPort === undefined ? [] : [{ protocol: 'STOMP', destination: CTRL_DEST }]),
          ],
        })),
      )}`,
    ],
  });
  const agent = await createAgent(config);
  await agent.start();
  // Wait until every MTP is up (listening / subscribed); list() throws while a server is not listening yet.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    let list: ReturnType<typeof agent.transports.list> = [];
    try {
      list = agent.transports.list();
    } catch {
      // not listening yet
    }
    if (list.length === mtps.length && list.every((m) => m.state === 'up')) {
      return { wsPort: list.find((m) => m.kind === 'ws-server')?.port, stop: () => agent.stop() };
    }
    if (Date.now() > deadline) {
      await agent.stop();
      throw new Error(`agent MTPs not up within ${START_TIMEOUT_MS} ms: ${JSON.stringify(list)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startEchoMqtt(spec: Extract<PeerSpec, { mode: 'echo-mqtt' }>): Promise<Started> {
  const tls = pems(spec.tls);
  // Same socket as the agent's MQTT MTP (agent/mtp/mqtt-socket.ts): TLS ≥ 1.2, client certificate, Nagle off.
  const client = new MqttClient(
    () => {
      const s = tlsConnect({ host: '127.0.0.1', port: spec.mqttPort, ...tls, minVersion: 'TLSv1.2', rejectUnauthorized: true });
      s.setNoDelay(true);
      return s;
    },
    { protocolVersion: 5, clientId: `bench-echo-${process.pid}`, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
  );
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('error', (e) => process.stderr.write(`echo-mqtt: ${e.message}\n`));
  await client.subscribeAsync(ECHO_TOPIC, { qos: MQTT_QOS });
  const props = { responseTopic: ECHO_TOPIC, contentType: USP_CONTENT_TYPE };
  client.on('message', (_topic, payload, packet) => {
    const to = packet.properties?.responseTopic;
    if (to) client.publish(to, payload, { qos: MQTT_QOS, properties: props });
  });
  return { stop: () => client.endAsync() };
}

async function startEchoStomp(spec: Extract<PeerSpec, { mode: 'echo-stomp' }>): Promise<Started> {
  // Same socket as the agent's STOMP MTP (agent/mtp/stomp.ts): TLS with a client certificate, ack auto.
  const { client } = stompClient(spec.stompPort, spec.tls);
  await new Promise<void>((resolve, reject) => {
    client.onStompError = (f) => reject(new Error(`echo-stomp: ERROR ${f.headers.message ?? ''}`));
    client.onWebSocketClose = () => reject(new Error('echo-stomp: connection closed'));
    client.onConnect = () => {
      client.watchForReceipt('echo-sub', () => resolve());
      client.subscribe(
        ECHO_DEST,
        (m) => {
          const to = m.headers['reply-to-dest'];
          if (to) client.publish({ destination: to, binaryBody: m.binaryBody, headers: { 'content-type': USP_CONTENT_TYPE, 'reply-to-dest': ECHO_DEST } });
        },
        { ack: 'auto', receipt: 'echo-sub' },
      );
    };
    client.activate();
  });
  client.onWebSocketClose = () => undefined;
  return { stop: () => client.deactivate() };
}

async function startEchoWs(spec: Extract<PeerSpec, { mode: 'echo-ws' }>): Promise<Started> {
  // Same server setup as the agent's WebSocket server MTP (agent/mtp/websocket-server.ts).
  const server = createHttpsServer({ ...pems(spec.tls), minVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: true });
  const wss = new WebSocketServer({ server, path: WS_PATH, perMessageDeflate: false, handleProtocols: (p) => (p.has('v1.usp') ? 'v1.usp' : false) });
  wss.on('connection', (ws) => {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) ws.send(data as Buffer, { binary: true });
    });
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    wsPort: (server.address() as AddressInfo).port,
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as PeerSpec;
  const starters = { agent: startAgent, 'echo-mqtt': startEchoMqtt, 'echo-stomp': startEchoStomp, 'echo-ws': startEchoWs } as const;
  const started = await (starters[spec.mode] as (s: PeerSpec) => Promise<Started>)(spec);
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await started.stop();
    } finally {
      if (process.connected) process.disconnect();
      process.exit(0); // normal exit: --cpu-prof writes its profile
    }
  };
  let session: Session | undefined;
  const profiler = async (m: Extract<PeerCommand, { t: 'prof-start' | 'prof-stop' }>): Promise<void> => {
    if (m.t === 'prof-start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
      await session.post('Profiler.start');
    } else if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(m.file, JSON.stringify(profile));
      session.disconnect();
      session = undefined;
    }
  };
  process.on('message', (m: PeerCommand) => {
    if (m.t === 'cpu') {
      const u = process.cpuUsage();
      tell({ t: 'cpu', id: m.id, user: u.user, system: u.system });
    } else if (m.t === 'stop') void shutdown();
    else {
      profiler(m).then(
        () => tell({ t: 'ack', id: m.id }),
        (e: unknown) => tell({ t: 'ack', id: m.id, error: String(e) }),
      );
    }
  });
  process.on('disconnect', () => void shutdown()); // the parent died or gave up on us
  tell({ t: 'ready', ...(started.wsPort !== undefined && { wsPort: started.wsPort }) });
}

main().catch((e: unknown) => {
  const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.exitCode = 1;
  if (!process.send) process.stderr.write(`${error}\n`);
  // Disconnect once the report is written, so nothing keeps the process alive.
  process.send?.({ t: 'failed', error } satisfies PeerEvent, undefined, {}, () => {
    if (process.connected) process.disconnect();
  });
});
