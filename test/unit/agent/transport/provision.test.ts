import t from 'tap';
import type { AgentMtpConfig, ControllerConfig } from '../../../../agent/config.js';
import { desiredMtps } from '../../../../agent/transport/desired.js';
import { provisionTransports } from '../../../../agent/transport/provision.js';
import { ADMIN_REQUESTER, freshAgent } from '../../../helpers/agent.js';
import type { TestAgent } from '../../../helpers/agent.js';

const MTPS: AgentMtpConfig[] = [
  { protocol: 'WebSocket', host: '127.0.0.1', port: 9443, path: '/usp', encryption: true, keepAliveS: 30 },
  { protocol: 'MQTT', host: 'broker', port: 8883, encryption: true, version: '5.0', clientId: '', username: '', password: '', responseTopic: 'usp/agent/a', topics: ['extra/#'], qos: 1, keepAliveS: 60, retryMinWaitS: 5 },
  { protocol: 'STOMP', host: 'stomp', port: 61614, encryption: true, virtualHost: '/', username: '', password: '', destination: '/queue/a', heartbeatMs: 0, retryMinWaitS: 5 },
];
const CONTROLLERS: ControllerConfig[] = [
  { endpointId: 'proto::c1', mtps: [{ protocol: 'MQTT', topic: 'usp/controller/c1' }, { protocol: 'STOMP', destination: '/queue/c1' }, { protocol: 'WebSocket', host: 'ctrl', port: 443, path: '/x', encryption: true, keepAliveS: 60, retryMinWaitS: 5 }] },
];

async function values(agent: TestAgent, path: string): Promise<Record<string, string>> {
  const r = await agent.request({ get: { paramPaths: [path] } }, ADMIN_REQUESTER);
  const out: Record<string, string> = {};
  for (const res of r.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? []) for (const [k, v] of Object.entries(res.resultParams ?? {})) out[(res.resolvedPath ?? '') + k] = v;
  return out;
}

t.test('config MTPs and controllers become data-model rows that drive the MTPs', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  await agent.dm.transaction((txn) => provisionTransports(agent.dm, txn, MTPS, CONTROLLERS));
  const v = await values(agent, 'Device.');
  t.equal(v['Device.LocalAgent.MTP.1.Protocol'], 'WebSocket');
  t.equal(v['Device.LocalAgent.MTP.1.WebSocket.Port'], '9443');
  t.equal(v['Device.LocalAgent.MTP.2.MQTT.Reference'], 'Device.MQTT.Client.1');
  t.equal(v['Device.MQTT.Client.1.TransportProtocol'], 'TLS');
  t.equal(v['Device.MQTT.Client.1.Subscription.1.Topic'], 'extra/#');
  t.equal(v['Device.LocalAgent.MTP.3.STOMP.Reference'], 'Device.STOMP.Connection.1');
  t.equal(v['Device.LocalAgent.Controller.1.EndpointID'], 'proto::c1');
  t.equal(v['Device.LocalAgent.Controller.1.MTP.1.MQTT.AgentMTPReference'], 'Device.LocalAgent.MTP.2');
  t.equal(v['Device.LocalAgent.Controller.1.MTP.3.WebSocket.Host'], 'ctrl');
  t.strictSame(
    desiredMtps(agent.dm).map((d) => d.kind),
    ['ws-server', 'mqtt', 'stomp', 'ws-client'],
    'the MTP manager would run these four',
  );
  const mqtt = desiredMtps(agent.dm).find((d) => d.kind === 'mqtt');
  t.match(mqtt, { url: 'mqtts://broker:8883', protocolVersion: 5, responseTopicConfigured: 'usp/agent/a', subscriptions: [{ topic: 'extra/#', qos: 1 }] });
});

t.test('provisioning again is idempotent, and config rows that went away are removed; controller-made rows stay', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  await agent.dm.transaction((txn) => provisionTransports(agent.dm, txn, MTPS, CONTROLLERS));
  const add = await agent.request({ add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.MTP.', paramSettings: [{ param: 'Protocol', value: 'MQTT', required: true }] }] } });
  t.equal(add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, 'Device.LocalAgent.MTP.4.');
  const events: string[] = [];
  agent.dm.onChange((ev) => events.push(...ev.map((e) => e.kind)));
  await agent.dm.transaction((txn) => provisionTransports(agent.dm, txn, MTPS, CONTROLLERS));
  t.strictSame(events, [], 'the same config changes nothing');
  await agent.dm.transaction((txn) => provisionTransports(agent.dm, txn, [MTPS[0] as AgentMtpConfig], CONTROLLERS));
  const rows = Object.keys(await values(agent, 'Device.LocalAgent.MTP.*.Alias'));
  t.strictSame(rows, ['Device.LocalAgent.MTP.1.Alias', 'Device.LocalAgent.MTP.4.Alias'], 'cfg-2 and cfg-3 removed, the controller-made row kept');
  t.strictSame(Object.keys(await values(agent, 'Device.MQTT.Client.*.Alias')), [], 'the MQTT client of the removed MTP is gone');
});
