/**
 * Writes the transport part of the config into the data model at start-up, so that the data
 * model alone drives the MTPs (and controllers can inspect or change them over USP). Rows the
 * config owns carry the Alias `cfg-<n>`; rows a controller created are left alone.
 */
import { InternalError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Txn } from '../../datamodel/txn.js';
import { normalizeValue } from '../../datamodel/types.js';
import type { AgentMtpConfig, ControllerConfig } from '../config.js';

/** Vendor parameter: the address the WebSocket server MTP listens on (TR-181 only has IP.Interface references). */
export const WS_BIND_PARAM = 'X_USPAGENT_BindAddress';

function set(txn: Txn, inst: ObjInstance, name: string, value: string | number | boolean): void {
  const p = inst.node.params.get(name);
  if (!p) throw new InternalError(`provision: ${inst.path}${name} is not a parameter`);
  const v = normalizeValue(p.def, String(value));
  if ((inst.values.get(name) ?? p.defaultValue) !== v) txn.setValue(inst, p, v);
}

function child(inst: ObjInstance, name: string): ObjInstance {
  const c = inst.objects.get(name);
  if (!c) throw new InternalError(`provision: ${inst.path}${name}. missing`);
  return c;
}

/** Finds the row of `table` under `parent` whose `key` param equals `value`, or creates it. */
function rowBy(txn: Txn, parent: ObjInstance, table: string, key: string, value: string): ObjInstance {
  for (const r of parent.rows(table)) if (r.values.get(key) === value) return r;
  const node = parent.node.children.get(table);
  if (!node) throw new InternalError(`provision: ${parent.path}${table}. missing`);
  const row = txn.addRow(parent, node);
  set(txn, row, key, value);
  if (key !== 'Alias' && node.params.has('Alias')) set(txn, row, 'Alias', `cpe-${row.num}`);
  return row;
}

function dropExtra(txn: Txn, parent: ObjInstance, table: string, keep: ReadonlySet<ObjInstance>): void {
  for (const r of [...parent.rows(table)]) if ((r.values.get('Alias') ?? '').startsWith('cfg-') && !keep.has(r)) txn.deleteRow(r);
}

export function provisionTransports(dm: DataModel, txn: Txn, mtps: readonly AgentMtpConfig[], controllers: readonly ControllerConfig[]): void {
  const t = dm.tree;
  const la = t.get('Device.LocalAgent.') as ObjInstance;
  const mqtt = t.get('Device.MQTT.') as ObjInstance;
  const stomp = t.get('Device.STOMP.') as ObjInstance;
  const keepMtp = new Set<ObjInstance>();
  const keepClient = new Set<ObjInstance>();
  const keepConn = new Set<ObjInstance>();
  let firstMqttMtp: string | undefined;
  let firstStompConn: string | undefined;
  mtps.forEach((m, i) => {
    try {
      provisionMtp(m, i);
    } catch (e) {
      throw new Error(`config mtps.${i}: ${(e as Error).message}`);
    }
  });
  function provisionMtp(m: AgentMtpConfig, i: number): void {
    const alias = `cfg-${i + 1}`;
    const row = rowBy(txn, la, 'MTP', 'Alias', alias);
    keepMtp.add(row);
    set(txn, row, 'Protocol', m.protocol);
    set(txn, row, 'Enable', true);
    if (m.protocol === 'WebSocket') {
      const ws = child(row, 'WebSocket');
      set(txn, ws, 'Port', m.port);
      set(txn, ws, 'Path', m.path);
      set(txn, ws, 'EnableEncryption', m.encryption);
      set(txn, ws, 'KeepAliveInterval', m.keepAliveS);
      set(txn, ws, WS_BIND_PARAM, m.host);
    } else if (m.protocol === 'MQTT') {
      const c = rowBy(txn, mqtt, 'Client', 'Alias', alias);
      keepClient.add(c);
      set(txn, c, 'Enable', true);
      set(txn, c, 'BrokerAddress', m.host);
      set(txn, c, 'BrokerPort', m.port);
      set(txn, c, 'TransportProtocol', m.encryption ? 'TLS' : 'TCP/IP');
      set(txn, c, 'ProtocolVersion', m.version);
      if (m.clientId) set(txn, c, 'ClientID', m.clientId);
      set(txn, c, 'Username', m.username);
      set(txn, c, 'Password', m.password);
      set(txn, c, 'KeepAliveTime', m.keepAliveS);
      set(txn, c, 'ConnectRetryTime', m.retryMinWaitS);
      const keepSub = new Set<ObjInstance>();
      for (const topic of m.topics) {
        const s = rowBy(txn, c, 'Subscription', 'Topic', topic);
        set(txn, s, 'Enable', true);
        set(txn, s, 'QoS', m.qos);
        keepSub.add(s);
      }
      for (const s of [...c.rows('Subscription')]) if (!keepSub.has(s)) txn.deleteRow(s);
      const q = child(row, 'MQTT');
      set(txn, q, 'Reference', c.path.slice(0, -1));
      set(txn, q, 'ResponseTopicConfigured', m.responseTopic);
      set(txn, q, 'PublishQoS', m.qos);
      firstMqttMtp ??= row.path.slice(0, -1);
    } else {
      const c = rowBy(txn, stomp, 'Connection', 'Alias', alias);
      keepConn.add(c);
      set(txn, c, 'Enable', true);
      set(txn, c, 'Host', m.host);
      set(txn, c, 'Port', m.port);
      set(txn, c, 'EnableEncryption', m.encryption);
      set(txn, c, 'VirtualHost', m.virtualHost);
      set(txn, c, 'Username', m.username);
      set(txn, c, 'Password', m.password);
      set(txn, c, 'EnableHeartbeats', m.heartbeatMs > 0);
      set(txn, c, 'OutgoingHeartbeat', m.heartbeatMs);
      set(txn, c, 'IncomingHeartbeat', m.heartbeatMs);
      set(txn, c, 'ServerRetryInitialInterval', m.retryMinWaitS);
      const s = child(row, 'STOMP');
      set(txn, s, 'Reference', c.path.slice(0, -1));
      set(txn, s, 'Destination', m.destination);
      firstStompConn ??= c.path.slice(0, -1);
    }
  }
  dropExtra(txn, la, 'MTP', keepMtp);
  dropExtra(txn, mqtt, 'Client', keepClient);
  dropExtra(txn, stomp, 'Connection', keepConn);

  controllers.forEach((c, i) => {
    try {
      provisionController(c);
    } catch (e) {
      throw new Error(`config controllers.${i}: ${(e as Error).message}`);
    }
  });
  function provisionController(c: ControllerConfig): void {
    const row = rowBy(txn, la, 'Controller', 'EndpointID', c.endpointId);
    set(txn, row, 'Enable', true);
    c.mtps.forEach((m, j) => {
      const mrow = rowBy(txn, row, 'MTP', 'Protocol', m.protocol);
      set(txn, mrow, 'Enable', true);
      set(txn, mrow, 'Order', j + 1);
      if (m.protocol === 'MQTT') {
        const q = child(mrow, 'MQTT');
        set(txn, q, 'Topic', m.topic);
        if (firstMqttMtp) set(txn, q, 'AgentMTPReference', firstMqttMtp);
      } else if (m.protocol === 'STOMP') {
        const s = child(mrow, 'STOMP');
        set(txn, s, 'Destination', m.destination);
        if (firstStompConn) set(txn, s, 'Reference', firstStompConn);
      } else {
        const w = child(mrow, 'WebSocket');
        set(txn, w, 'Host', m.host);
        set(txn, w, 'Port', m.port);
        set(txn, w, 'Path', m.path);
        set(txn, w, 'EnableEncryption', m.encryption);
        set(txn, w, 'KeepAliveInterval', m.keepAliveS);
        set(txn, w, 'SessionRetryMinimumWaitInterval', m.retryMinWaitS);
      }
    });
  }
  txn.checkUniqueKeys();
}
