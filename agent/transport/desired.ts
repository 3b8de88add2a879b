/**
 * Reads the MTPs the data model asks for: the agent's own LocalAgent.MTP.{i} rows (with the
 * MQTT.Client / STOMP.Connection rows they reference) and, for the WebSocket client side,
 * the controllers' LocalAgent.Controller.{i}.MTP.{i}.WebSocket rows.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { TlsMaterial } from '../mtp/tls.js';
import { WS_BIND_PARAM } from './provision.js';

export type DesiredMtp =
  | { kind: 'ws-server'; row: string; host: string; port: number; path: string; encryption: boolean; keepAliveS: number }
  | {
      kind: 'mqtt';
      row: string;
      client: string;
      url: string;
      protocolVersion: 4 | 5;
      username: string;
      password: string;
      keepAliveS: number;
      cleanStart: boolean;
      responseTopicConfigured: string;
      subscriptions: { topic: string; qos: 0 | 1 | 2 }[];
      publishQos: 0 | 1 | 2;
      retry: { minWaitS: number; multiplierX1000: number; maxWaitS: number };
    }
  | {
      kind: 'stomp';
      row: string;
      connection: string;
      host: string;
      port: number;
      encryption: boolean;
      virtualHost: string;
      username: string;
      password: string;
      destination: string;
      heartbeat: { outgoingMs: number; incomingMs: number } | undefined;
      retry: { minWaitS: number; multiplierX1000: number; maxWaitS: number };
    }
  | {
      kind: 'ws-client';
      row: string;
      controllerEndpointId: string;
      host: string;
      port: number;
      path: string;
      encryption: boolean;
      keepAliveS: number;
      retry: { minWaitS: number; multiplierX1000: number };
    };

const v = (i: ObjInstance | undefined, name: string): string => i?.values.get(name) ?? i?.node.params.get(name)?.defaultValue ?? '';
const n = (i: ObjInstance | undefined, name: string): number => Number(v(i, name)) || 0;
const b = (i: ObjInstance | undefined, name: string): boolean => v(i, name) === 'true';
const ref = (dm: DataModel, path: string): ObjInstance | undefined => (path ? dm.tree.get(path.endsWith('.') ? path : `${path}.`) : undefined);
const qos = (x: number): 0 | 1 | 2 => (x === 0 || x === 2 ? x : 1);

export function desiredMtps(dm: DataModel): DesiredMtp[] {
  const out: DesiredMtp[] = [];
  const la = dm.tree.get('Device.LocalAgent.');
  for (const row of la?.rows('MTP') ?? []) {
    if (!b(row, 'Enable')) continue;
    const proto = v(row, 'Protocol');
    if (proto === 'WebSocket') {
      const ws = row.objects.get('WebSocket');
      out.push({ kind: 'ws-server', row: row.path, host: v(ws, WS_BIND_PARAM) || '127.0.0.1', port: n(ws, 'Port'), path: v(ws, 'Path') || '/', encryption: b(ws, 'EnableEncryption'), keepAliveS: n(ws, 'KeepAliveInterval') });
    } else if (proto === 'MQTT') {
      const m = row.objects.get('MQTT');
      const c = ref(dm, v(m, 'Reference'));
      if (!c || !b(c, 'Enable')) continue;
      const tls = v(c, 'TransportProtocol') === 'TLS';
      const subscriptions = [...c.rows('Subscription')].filter((s) => b(s, 'Enable') && v(s, 'Topic')).map((s) => ({ topic: v(s, 'Topic'), qos: qos(n(s, 'QoS')) }));
      out.push({
        kind: 'mqtt',
        row: row.path,
        client: c.path,
        url: `${tls ? 'mqtts' : 'mqtt'}://${v(c, 'BrokerAddress')}:${n(c, 'BrokerPort')}`,
        protocolVersion: v(c, 'ProtocolVersion') === '3.1.1' ? 4 : 5,
        username: v(c, 'Username'),
        password: v(c, 'Password'),
        keepAliveS: n(c, 'KeepAliveTime'),
        cleanStart: v(c, 'ProtocolVersion') === '3.1.1' ? b(c, 'CleanSession') : b(c, 'CleanStart'),
        responseTopicConfigured: v(m, 'ResponseTopicConfigured'),
        subscriptions,
        publishQos: qos(n(m, 'PublishQoS')),
        retry: { minWaitS: n(c, 'ConnectRetryTime') || 5, multiplierX1000: n(c, 'ConnectRetryIntervalMultiplier') || 2000, maxWaitS: n(c, 'ConnectRetryMaxInterval') },
      });
    } else if (proto === 'STOMP') {
      const s = row.objects.get('STOMP');
      const c = ref(dm, v(s, 'Reference'));
      if (!c || !b(c, 'Enable')) continue;
      const hb = b(c, 'EnableHeartbeats');
      out.push({
        kind: 'stomp',
        row: row.path,
        connection: c.path,
        host: v(c, 'Host'),
        port: n(c, 'Port'),
        encryption: b(c, 'EnableEncryption'),
        virtualHost: v(c, 'VirtualHost'),
        username: v(c, 'Username'),
        password: v(c, 'Password'),
        destination: v(s, 'Destination'),
        heartbeat: hb ? { outgoingMs: n(c, 'OutgoingHeartbeat'), incomingMs: n(c, 'IncomingHeartbeat') } : undefined,
        retry: { minWaitS: n(c, 'ServerRetryInitialInterval') || 60, multiplierX1000: n(c, 'ServerRetryIntervalMultiplier') || 2000, maxWaitS: n(c, 'ServerRetryMaxInterval') },
      });
    }
  }
  for (const ctrl of la?.rows('Controller') ?? []) {
    if (!b(ctrl, 'Enable') || !v(ctrl, 'EndpointID')) continue;
    for (const m of ctrl.rows('MTP')) {
      if (!b(m, 'Enable') || v(m, 'Protocol') !== 'WebSocket') continue;
      const ws = m.objects.get('WebSocket');
      if (!v(ws, 'Host')) continue;
      out.push({
        kind: 'ws-client',
        row: m.path,
        controllerEndpointId: v(ctrl, 'EndpointID'),
        host: v(ws, 'Host'),
        port: n(ws, 'Port'),
        path: v(ws, 'Path') || '/',
        encryption: b(ws, 'EnableEncryption'),
        keepAliveS: n(ws, 'KeepAliveInterval'),
        retry: { minWaitS: n(ws, 'SessionRetryMinimumWaitInterval') || 5, multiplierX1000: n(ws, 'SessionRetryIntervalMultiplier') || 2000 },
      });
    }
  }
  return out;
}

/** Identity of a desired MTP for reconciliation: a change in any field restarts that MTP. */
export function desiredKey(d: DesiredMtp, tls: TlsMaterial | undefined): string {
  return JSON.stringify(d) + (tls ? `|tls:${tls.cert.length}:${tls.ca.length}` : '');
}
