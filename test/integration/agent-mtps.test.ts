/**
 * The whole agent (createAgent: config → data model → MTP manager → router → handlers) over
 * every MTP with mutual TLS: real Mosquitto, real RabbitMQ with rabbitmq_stomp and certificate
 * login, and a ws controller. Each MTP sends its connect record, then runs the shared
 * scenario list; a Record whose from_id is not an enabled controller gets no answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createAgent, loadConfig } from '../../agent/agent.js';
import type { Agent } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { loadTls } from '../../agent/mtp/tls.js';
import { buildRecord, buildRequest, encodeMsg, encodeRecord } from '../../proto/index.js';
import { TestController } from '../helpers/controller.js';
import { MqttController } from '../helpers/controller-mqtt.js';
import { StompController } from '../helpers/controller-stomp.js';
import { connectWsController } from '../helpers/controller-ws.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { SHARED_AGENT_EID, SHARED_CONTROLLER_EIDS, sharedRabbitMq, skipUnlessRabbitMq } from '../helpers/rabbitmq.js';
import { runScenarios } from '../helpers/scenarios.js';

t.setTimeout(300_000);

const AGENT = SHARED_AGENT_EID;
const CTRL = SHARED_CONTROLLER_EIDS[0];
const CTRL2 = SHARED_CONTROLLER_EIDS[1];
const MQTT_CTRL_TOPIC = 'usp/controller/c1';
const MQTT_AGENT_TOPIC = 'usp/agent/a1';
const STOMP_CTRL_DEST = '/queue/usp.controller.c1';
const STOMP_AGENT_DEST = '/queue/usp.agent.a1';

t.test('one agent serves Get/Set/Add/Delete/GSDM/errors over MQTT 5, STOMP and WebSocket with mutual TLS', async (t) => {
  if (!skipUnlessRabbitMq(t)) return;
  const rabbit = await sharedRabbitMq();
  const pki = rabbit.pki;
  const ctrlFiles = pki.controllers[CTRL];
  if (!ctrlFiles) throw new Error('controller certificate missing from the shared PKI');
  const mosquitto = await startMosquitto({ pki });
  t.teardown(() => mosquitto.dispose());

  // Controllers subscribe first, so they see the agent's connect records.
  const mqttCtrl = await MqttController.connect({
    host: mosquitto.host,
    port: mosquitto.port,
    protocolVersion: 5,
    tls: { cert: ctrlFiles.cert, key: ctrlFiles.key, ca: pki.ca.cert },
    topic: MQTT_CTRL_TOPIC,
    agentTopic: MQTT_AGENT_TOPIC,
  });
  const stompCtrl = await StompController.connect({
    host: '127.0.0.1',
    port: rabbit.stompTlsPort,
    tls: loadTls({ cert: ctrlFiles.cert, key: ctrlFiles.key, ca: pki.ca.cert }),
    destination: STOMP_CTRL_DEST,
    agentDestination: STOMP_AGENT_DEST,
  });

  const dir = mkdtempSync(join(tmpdir(), 'usp-agent-mtps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig(undefined, {
    dataDir: dir,
    sets: [
      `endpointId=${AGENT}`,
      `tls=${JSON.stringify({ cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert })}`,
      `mtps=${JSON.stringify([
        { protocol: 'WebSocket', host: '127.0.0.1', port: 0, path: '/usp' },
        { protocol: 'MQTT', host: '127.0.0.1', port: mosquitto.port, responseTopic: MQTT_AGENT_TOPIC, retryMinWait: 1 },
        { protocol: 'STOMP', host: '127.0.0.1', port: rabbit.stompTlsPort, destination: STOMP_AGENT_DEST, retryMinWait: 1 },
      ])}`,
      `controllers=${JSON.stringify([
        { endpointId: CTRL, mtps: [{ protocol: 'MQTT', topic: MQTT_CTRL_TOPIC }, { protocol: 'STOMP', destination: STOMP_CTRL_DEST }] },
        { endpointId: CTRL2, mtps: [] },
      ])}`,
    ],
  });
  const agent: Agent = await createAgent(config, { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());

  const mqtt = new TestController(mqttCtrl, CTRL, AGENT);
  t.teardown(() => mqtt.close());
  await t.test('MQTT 5', async (t) => {
    const ctrl = mqtt;
    const connect = await ctrl.nextOfType('mqttConnect', 30_000);
    t.equal(connect.record.mqttConnect?.subscribedTopic, MQTT_AGENT_TOPIC, 'MQTTConnectRecord names the agent reply topic (R-MTP.6)');
    await runScenarios(t, ctrl, 'mqtt');
  });

  await t.test('STOMP', async (t) => {
    const ctrl = new TestController(stompCtrl, CTRL, AGENT);
    t.teardown(() => ctrl.close());
    const connect = await ctrl.nextOfType('stompConnect', 60_000);
    t.equal(connect.record.stompConnect?.subscribedDestination, STOMP_AGENT_DEST, 'STOMPConnectRecord names the agent destination (R-MTP.6)');
    await runScenarios(t, ctrl, 'stomp');
  });

  await t.test('WebSocket (agent as server)', async (t) => {
    const port = agent.transports.list().find((m) => m.kind === 'ws-server')?.port;
    t.ok(port, 'the server MTP listens on an ephemeral port');
    const ws = await connectWsController({
      url: `wss://127.0.0.1:${port ?? 0}/usp`,
      controllerEndpointId: CTRL,
      tls: { cert: readFileSync(ctrlFiles.cert), key: readFileSync(ctrlFiles.key), ca: readFileSync(pki.ca.cert) },
    });
    const ctrl = new TestController(ws, CTRL, AGENT);
    t.teardown(() => ctrl.close());
    await ctrl.nextOfType('websocketConnect', 10_000);
    t.pass('WebSocketConnectRecord sent on the new session (R-MTP.6)');
    await runScenarios(t, ctrl, 'websocket');
  });

  await t.test('a Record from an endpoint that is not an enabled controller gets no answer (R-SEC.0)', async (t) => {
    const bytes = encodeRecord(buildRecord({ toId: AGENT, fromId: 'proto::stranger', payload: encodeMsg(buildRequest('s-1', { get: { paramPaths: ['Device.'] } })) }));
    await t.rejects(mqtt.requestRaw(bytes, 's-1', 3000), /no reply/, 'dropped');
    // The known controller is still served on the same MTP.
    const ok = await mqtt.request({ get: { paramPaths: ['Device.LocalAgent.EndpointID'] } });
    t.equal(ok.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['EndpointID'], AGENT);
  });

  await t.test('WebSocket: a from_id that is not the certificate\'s Endpoint ID gets no answer (R-SEC.0a)', async (t) => {
    const port = agent.transports.list().find((m) => m.kind === 'ws-server')?.port ?? 0;
    const ws = await connectWsController({
      url: `wss://127.0.0.1:${port}/usp`,
      controllerEndpointId: CTRL,
      tls: { cert: readFileSync(ctrlFiles.cert), key: readFileSync(ctrlFiles.key), ca: readFileSync(pki.ca.cert) },
    });
    const ctrl = new TestController(ws, CTRL, AGENT);
    t.teardown(() => ctrl.close());
    // CTRL2 is an enabled controller, but this TLS session proved CTRL.
    const bytes = encodeRecord(buildRecord({ toId: AGENT, fromId: CTRL2, payload: encodeMsg(buildRequest('spoof-1', { get: { paramPaths: ['Device.'] } })) }));
    await t.rejects(ctrl.requestRaw(bytes, 'spoof-1', 3000), /no reply/, 'spoofed from_id dropped');
    const ok = await ctrl.request({ get: { paramPaths: ['Device.LocalAgent.EndpointID'] } });
    t.equal(ok.body.msgBody, 'response', 'the genuine controller is still served');
  });

  await t.test('MQTT broker restart: the agent reconnects, re-subscribes, sends MQTTConnect again and answers', async (t) => {
    await mqtt.close();
    await mosquitto.restart();
    const again = await MqttController.connect({
      host: mosquitto.host,
      port: mosquitto.port,
      protocolVersion: 5,
      tls: { cert: ctrlFiles.cert, key: ctrlFiles.key, ca: pki.ca.cert },
      topic: MQTT_CTRL_TOPIC,
      agentTopic: MQTT_AGENT_TOPIC,
    });
    const ctrl = new TestController(again, CTRL, AGENT);
    t.teardown(() => ctrl.close());
    const connect = await ctrl.nextOfType('mqttConnect', 60_000);
    t.equal(connect.record.mqttConnect?.subscribedTopic, MQTT_AGENT_TOPIC, 'connect record sent again after the reconnect (R-MTP.8)');
    const ok = await ctrl.request({ get: { paramPaths: ['Device.LocalAgent.EndpointID'] } });
    t.equal(ok.body.msgBody, 'response', 'the next request is answered');
  });

  const status = await agent.dispatcher.handle(
    (await import('../../proto/index.js')).decodeMsg(encodeMsg(buildRequest('st', { get: { paramPaths: ['Device.LocalAgent.MTP.*.Status', 'Device.MQTT.Client.*.Status'] } }))),
    { endpointId: '', controllerPath: undefined, readSecured: true },
  );
  const statuses = (status?.body?.response?.getResp?.reqPathResults ?? []).flatMap((r) => (r.resolvedPathResults ?? []).map((x) => Object.values(x.resultParams ?? {})[0]));
  t.strictSame(statuses, ['Up', 'Up', 'Up', 'Connected'], 'MTP status is reflected in the data model');
});
