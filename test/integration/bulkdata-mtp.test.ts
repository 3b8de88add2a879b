/**
 * Bulk Data end to end with the whole agent (createAgent) and real parts only: Mosquitto with
 * mutual TLS carries the controller's USP messages, the agent's own MQTT client is really
 * Connected, and a node:https collector demands the agent's client certificate. The controller
 * creates the seed's DailyProfile over MQTT with a 1 s interval (bulkData.minReportingInterval=1
 * in the config) and the collector receives reports every second, aligned to the schedule; then a
 * USPEventNotif profile delivers its report as a Push! Notify to the subscribed controller.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createAgent, loadConfig } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { createLabPki } from '../../certs/pki.js';
import { buildRecord, buildResponse, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { Request } from '../../proto/index.js';
import { TestController } from '../helpers/controller.js';
import { MqttController } from '../helpers/controller-mqtt.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { startCollector } from '../unit/bulkdata/collector.js';

t.setTimeout(90_000);

const AGENT = 'proto::bulkdata-agent';
const CTRL = 'proto::data-collection-controller';
const CTRL_TOPIC = 'usp/controller/dcc';
const AGENT_TOPIC = 'usp/agent/bulk';

type Json = Record<string, unknown>;
const settings = (o: Record<string, string>): { param: string; value: string; required: boolean }[] => Object.entries(o).map(([param, value]) => ({ param, value, required: true }));

function flatten(o: Json, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object') flatten(v as Json, `${prefix}${k}.`, out);
    else out.set(prefix + k, v);
  }
  return out;
}

t.test('a controller creates the DailyProfile over MQTT; reports reach an HTTPS collector with mutual TLS every second', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-bulkdata-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createLabPki({ dir: join(dir, 'pki'), agentEndpointId: AGENT, controllerEndpointIds: [CTRL] });
  const mosquitto = await startMosquitto({ pki });
  t.teardown(() => mosquitto.dispose());
  const files = pki.controllers[CTRL];
  if (!files) throw new Error('no controller certificate');
  const mqtt = await MqttController.connect({ host: mosquitto.host, port: mosquitto.port, protocolVersion: 5, tls: { cert: files.cert, key: files.key, ca: pki.ca.cert }, topic: CTRL_TOPIC, agentTopic: AGENT_TOPIC });
  const collector = await startCollector({ tls: { cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), ca: readFileSync(pki.ca.cert), requireClientCert: true } });
  t.teardown(() => collector.close());

  const config = loadConfig(undefined, {
    dataDir: join(dir, 'data'),
    sets: [
      `endpointId=${AGENT}`,
      `tls=${JSON.stringify({ cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert })}`,
      `mtps=${JSON.stringify([{ protocol: 'MQTT', host: '127.0.0.1', port: mosquitto.port, responseTopic: AGENT_TOPIC, retryMinWait: 1 }])}`,
      `controllers=${JSON.stringify([{ endpointId: CTRL, mtps: [{ protocol: 'MQTT', topic: CTRL_TOPIC }] }])}`,
      'bulkData.minReportingInterval=1',
    ],
  });
  const agent = await createAgent(config, { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());
  // Short reads, so closing the TestController does not wait out its 60 s read.
  const ctrl = new TestController({ send: (b) => mqtt.send(b), nextRecord: (ms = 5000) => mqtt.nextRecord(Math.min(ms, 1000)), close: () => mqtt.close() }, CTRL, AGENT);
  t.teardown(() => ctrl.close());
  await ctrl.nextOfType('mqttConnect', 30_000);

  const ok = async (req: Request): Promise<NonNullable<Awaited<ReturnType<TestController['request']>>['body']['response']>> => {
    const r = await ctrl.request(req);
    if (!r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
    return r.body.response;
  };
  const add = async (objPath: string, s: Record<string, string>): Promise<string> =>
    (await ok({ add: { allowPartial: false, createObjs: [{ objPath, paramSettings: settings(s) }] } })).addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';

  const profile = await add('Device.BulkData.Profile.', {
    Enable: 'true',
    Name: 'DailyProfile',
    Protocol: 'HTTP',
    EncodingType: 'JSON',
    ReportingInterval: '1',
    NumberOfRetainedFailedReports: '1',
    'HTTP.URL': collector.url,
  });
  t.equal(profile, 'Device.BulkData.Profile.1.');
  await ok({
    add: {
      allowPartial: false,
      createObjs: [
        { Name: 'DeviceInfo', Reference: 'Device.DeviceInfo.' },
        { Name: 'MQTT', Reference: 'Device.MQTT.Client.[Status=="Connected"].' },
        { Name: 'AllIPInterfaceType', Reference: 'Device.IP.Interface.*.Type' },
      ].map((s) => ({ objPath: `${profile}Parameter.`, paramSettings: settings(s) })),
    },
  });
  const owner = await ok({ get: { paramPaths: [`${profile}Controller`] } });
  t.equal(owner.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['Controller'], 'Device.LocalAgent.Controller.1', 'Controller: the creating controller');

  const a = await collector.next(5_000);
  const b = await collector.next(5_000);
  t.equal(a.clientCn, AGENT, 'the collector authenticated the agent by its certificate (mutual TLS)');
  const [ra, rb] = [a, b].map((r) => (JSON.parse(r.body) as { Report: Json[] }).Report.at(-1) as Json);
  const [ta, tb] = [ra?.['CollectionTime'], rb?.['CollectionTime']] as [number, number];
  t.ok(tb - ta >= 1000 && (tb - ta) % 1000 === 0, `consecutive reports are whole intervals apart (${tb - ta} ms)`);
  const got = flatten(rb ?? {});
  t.equal(got.get('DeviceInfo.SerialNumber'), config.identity.serialNumber);
  t.equal(got.get('DeviceInfo.ManufacturerOUI'), config.identity.manufacturerOUI);
  const connected = [...got.entries()].filter(([k, v]) => /^MQTT\.\d+\.Status$/.test(k) && v === 'Connected');
  t.equal(connected.length, 1, 'the agent\'s MQTT client, really connected to Mosquitto, is selected by the search expression');
  t.equal(got.get(connected[0]?.[0].replace('Status', 'BrokerAddress') ?? ''), '127.0.0.1');
  const ifTypes = await ok({ get: { paramPaths: ['Device.IP.Interface.*.Type'] } });
  const expectedTypes = (ifTypes.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? []).length;
  t.equal([...got.keys()].filter((k) => k.startsWith('AllIPInterfaceType.')).length, expectedTypes, 'one AllIPInterfaceType.{i}.Type per IP interface the agent has');
  await ok({ set: { updateObjs: [{ objPath: profile, paramSettings: settings({ Enable: 'false' }) }] } });

  await t.test('Push! delivers a USPEventNotif report to the subscribed controller', async (t) => {
    const push = await add('Device.BulkData.Profile.', { Protocol: 'USPEventNotif', EncodingType: 'CSV', 'CSVEncoding.ReportFormat': 'ParameterPerRow', 'CSVEncoding.RowTimestamp': 'None' });
    await add(`${push}Parameter.`, { Reference: 'Device.DeviceInfo.SerialNumber' });
    await add('Device.LocalAgent.Subscription.', { Enable: 'true', ID: 'bulk', NotifType: 'Event', ReferenceList: `${push}Push!` });
    const op = await ok({ operate: { command: `${push}ForceCollection()`, commandKey: 'push-now', sendResp: true } });
    t.ok(op.operateResp?.operationResults?.[0]?.reqOutputArgs, 'ForceCollection() succeeds');
    for (;;) {
      const r = await ctrl.nextOther(15_000);
      const notify = r.msg?.body.request?.notify;
      if (!notify || !r.msg) continue;
      if (notify.sendResp) await mqtt.send(encodeRecord(buildRecord({ toId: AGENT, fromId: CTRL, payload: encodeMsg(buildResponse(r.msg.header.msgId, { notifyResp: { subscriptionId: notify.subscriptionId ?? '' } })) })));
      if (notify.notification !== 'event') continue;
      t.equal(notify.subscriptionId, 'bulk');
      t.same([notify.event?.objPath, notify.event?.eventName], [push, 'Push!']);
      t.equal(notify.event?.params?.['Data'], `ParameterName,ParameterValue,ParameterType\r\nDevice.DeviceInfo.SerialNumber,${config.identity.serialNumber},string\r\n`, 'Data is the CSV report');
      break;
    }
  });
});
