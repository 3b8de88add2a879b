/**
 * Runs the MTPs the data model asks for and connects them to the record layer: inbound
 * Records go through the router and replies go back on the same MTP and connection
 * (R-MSG.0a); each (re)connect sends the MTP's connect record to the controllers reachable
 * over it (R-MTP.6, R-MTP.8); status is reflected in the data model. One MTP's failure or
 * slow connect never blocks another: each runs on its own events.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import { normalizeValue } from '../../datamodel/types.js';
import { encodeRecord, mqttConnectRecord, MqttVersion, stompConnectRecord, websocketConnectRecord } from '../../proto/index.js';
import type { UspRecord } from '../../proto/index.js';
import type { Logger } from '../log.js';
import type { Mtp, MtpAddress, MtpStatus } from '../mtp/mtp.js';
import type { TlsMaterial } from '../mtp/tls.js';
import type { RecordRouter } from '../record/router.js';
import { desiredKey, desiredMtps } from './desired.js';
import type { DesiredMtp } from './desired.js';
import type { RecordTrace } from './trace.js';

export type MtpFactory = (d: DesiredMtp, hooks: { onMqttClientId: (id: string) => void; onStompDestination: (dest: string) => void }) => Mtp;

interface Running {
  readonly key: string;
  readonly desired: DesiredMtp;
  readonly mtp: Mtp;
  status: MtpStatus;
}

export interface TransportOptions {
  readonly dm: DataModel;
  readonly router: RecordRouter;
  readonly log: Logger;
  readonly endpointId: string;
  readonly tls: TlsMaterial | undefined;
  readonly create: MtpFactory;
  /** The protocol trace (`--trace`): sees every Record's bytes as they enter and leave an MTP. */
  readonly trace?: RecordTrace | undefined;
}

const v = (i: ObjInstance | undefined, name: string): string => i?.values.get(name) ?? i?.node.params.get(name)?.defaultValue ?? '';

export class TransportManager {
  private readonly running = new Map<string, Running>();
  private unsubscribe: (() => void) | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly reachableListeners = new Set<(endpointId: string) => void>();

  constructor(private readonly opts: TransportOptions) {}

  /**
   * Tells `listener` each time a controller becomes reachable over an MTP: after the MTP's connect
   * record went to it (R-MTP.6), so anything sent from then on follows that record. The notifier
   * uses it to deliver what could not be routed earlier. Returns the unsubscribe function.
   */
  onControllerReachable(listener: (endpointId: string) => void): () => void {
    this.reachableListeners.add(listener);
    return () => this.reachableListeners.delete(listener);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.opts.dm.onChange((events) => {
      // Only configuration changes matter; our own status writes must not restart anything.
      if (events.some((e) => e.kind !== 'value' || !STATUS_PARAMS.has(e.name))) this.scheduleReconcile();
    });
    await this.reconcile();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.reconciling;
    await Promise.all([...this.running.values()].map((r) => this.stopOne(r)));
    this.running.clear();
  }

  /** MTPs currently running, for tests and status output. */
  list(): { id: string; kind: string; state: string; port?: number }[] {
    return [...this.running.values()].map((r) => ({ id: r.mtp.id, kind: r.desired.kind, state: r.status.state, ...portOf(r.mtp) }));
  }

  /**
   * Sends a Record to a controller over its preferred reachable MTP (Controller.{i}.MTP.{i}.Order);
   * false when no running MTP reaches it. `controllerRow` is its Controller row when that is no
   * longer in the data model (the ObjectDeletion about its own deletion, USP-NOTES §10).
   */
  async sendToController(endpointId: string, record: UspRecord, controllerRow?: ObjInstance): Promise<boolean> {
    const ctrl = controllerRow ?? [...(this.opts.dm.tree.get('Device.LocalAgent.')?.rows('Controller') ?? [])].find((c) => v(c, 'EndpointID') === endpointId);
    if (!ctrl) return false;
    const rows = [...ctrl.rows('MTP')].filter((m) => v(m, 'Enable') === 'true').sort((a, b) => Number(v(a, 'Order')) - Number(v(b, 'Order')));
    const bytes = encodeRecord(record);
    for (const m of rows) {
      for (const r of this.running.values()) {
        if (r.status.state !== 'up') continue;
        const to = addressFor(r, m, endpointId);
        if (!to) continue;
        try {
          await this.send(r.mtp, bytes, to);
          return true;
        } catch (e) {
          this.opts.log.warn('TRN-W01', `sending to ${endpointId} over ${r.mtp.id} failed`, e);
        }
      }
    }
    return false;
  }

  /** Every Record leaves through here, so the trace sees it. */
  private send(mtp: Mtp, bytes: Uint8Array, to: MtpAddress): Promise<void> {
    this.opts.trace?.('out', { mtp: mtp.id, address: to }, bytes);
    return mtp.send(bytes, to);
  }

  private scheduleReconcile(): void {
    if (this.stopped) return;
    this.reconciling = this.reconciling.then(() => this.reconcile()).catch((e: unknown) => this.opts.log.error('TRN-E01', 'reconfiguring MTPs failed', e));
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const want = new Map(desiredMtps(this.opts.dm).map((d) => [desiredKey(d, this.opts.tls), d]));
    for (const [key, r] of [...this.running]) {
      if (want.has(key)) continue;
      this.running.delete(key);
      await this.stopOne(r);
    }
    for (const [key, d] of want) {
      if (this.running.has(key)) continue;
      this.startOne(key, d);
    }
  }

  private startOne(key: string, d: DesiredMtp): void {
    const { log, router } = this.opts;
    let mtp: Mtp;
    try {
      mtp = this.opts.create(d, {
        onMqttClientId: (id) => this.writeStatus(d.kind === 'mqtt' ? d.client : '', { ClientID: id }),
        onStompDestination: (dest) => this.writeStatus(`${d.row}STOMP.`, { DestinationFromServer: dest }),
      });
    } catch (e) {
      log.error('TRN-E02', `cannot create the ${d.kind} MTP for ${d.row}`, e);
      this.writeStatus(d.row, { Status: 'Error' });
      return;
    }
    const r: Running = { key, desired: d, mtp, status: { state: 'down' } };
    this.running.set(key, r);
    mtp.onRecord((rec) => {
      this.opts.trace?.('in', { mtp: mtp.id, address: rec.replyTo }, rec.bytes);
      const to = rec.replyTo;
      const closeBad = to?.kind === 'websocket' ? (mtp as { closeBadRecord?: (eid: string) => void }).closeBadRecord : undefined;
      const peer = {
        ...(rec.peerEndpointId !== undefined && { certEndpointId: rec.peerEndpointId }),
        ...(closeBad && to?.kind === 'websocket' && { onUndecodable: () => closeBad.call(mtp, to.endpointId) }),
      };
      router
        .handle(rec.bytes, peer)
        .then(async (reply) => {
          if (!reply) return;
          if (!rec.replyTo) return log.warn('TRN-W02', `no return path on ${mtp.id} for a reply`);
          await this.send(mtp, reply, rec.replyTo);
        })
        .catch((e: unknown) => log.warn('TRN-W03', `handling a record on ${mtp.id} failed`, e));
    });
    mtp.onStatus((s) => {
      // A WebSocket server reports its listener and, separately, each controller session.
      const session = d.kind === 'ws-server' && s.peerEndpointId !== undefined;
      if (!session) r.status = s;
      const why = s.detail ? `: ${s.detail}${s.code ? ` (${s.code})` : ''}` : '';
      if (s.state === 'error') log.warn('TRN-W04', `${mtp.id} ${s.state}${why}`);
      else log.info('TRN-I01', `${mtp.id} ${s.state}${s.peerEndpointId ? ` (${s.peerEndpointId})` : ''}${why}`);
      if (!session) this.reflect(d, s);
      if (s.state === 'up' && (d.kind !== 'ws-server' || session)) void this.sendConnectRecords(r, s);
    });
    mtp.start().catch((e: unknown) => {
      log.error('TRN-E03', `${mtp.id} could not start`, e);
      this.reflect(d, { state: 'error', detail: (e as Error).message });
    });
  }

  private async stopOne(r: Running): Promise<void> {
    try {
      await r.mtp.stop();
    } catch (e) {
      this.opts.log.warn('TRN-W05', `stopping ${r.mtp.id} failed`, e);
    }
    if (!this.stopped) this.reflect(r.desired, { state: 'down' });
  }

  /** R-MTP.6/8: the MTP's connect record to every controller reachable over it, after every (re)connect. */
  private async sendConnectRecords(r: Running, s: MtpStatus): Promise<void> {
    const { dm, endpointId, log } = this.opts;
    const d = r.desired;
    const targets: { to: string; record: UspRecord; addr: MtpAddress }[] = [];
    if (d.kind === 'ws-server' || d.kind === 'ws-client') {
      const peer = s.peerEndpointId ?? (d.kind === 'ws-client' ? d.controllerEndpointId : undefined);
      if (peer) targets.push({ to: peer, record: websocketConnectRecord({ toId: peer, fromId: endpointId }), addr: { kind: 'websocket', endpointId: peer } });
    } else {
      for (const c of dm.tree.get('Device.LocalAgent.')?.rows('Controller') ?? []) {
        const eid = v(c, 'EndpointID');
        if (v(c, 'Enable') !== 'true' || !eid) continue;
        for (const m of c.rows('MTP')) {
          const addr = addressFor(r, m, eid);
          if (!addr || v(m, 'Enable') !== 'true') continue;
          const record =
            d.kind === 'mqtt'
              ? mqttConnectRecord({ toId: eid, fromId: endpointId, version: d.protocolVersion === 5 ? MqttVersion.V5 : MqttVersion.V3_1_1, subscribedTopic: s.subscribedTo ?? '' })
              : stompConnectRecord({ toId: eid, fromId: endpointId, subscribedDestination: s.subscribedTo ?? '' });
          targets.push({ to: eid, record, addr });
        }
      }
    }
    for (const t of targets) {
      try {
        await this.send(r.mtp, encodeRecord(t.record), t.addr);
      } catch (e) {
        log.warn('TRN-W06', `connect record to ${t.to} over ${r.mtp.id} failed`, e);
        continue;
      }
      for (const l of this.reachableListeners) {
        try {
          l(t.to);
        } catch (e) {
          log.error('TRN-E04', `a reachability listener failed for ${t.to}`, e);
        }
      }
    }
  }

  /** Mirrors MTP state into LocalAgent.MTP.{i}.Status and the MQTT client / STOMP connection rows. */
  private reflect(d: DesiredMtp, s: MtpStatus): void {
    const up = s.state === 'up';
    if (d.kind !== 'ws-client') this.writeStatus(d.row, { Status: up ? 'Up' : s.state === 'error' ? 'Error' : 'Down' });
    if (d.kind === 'mqtt') {
      this.writeStatus(d.client, { Status: up ? 'Connected' : s.state === 'connecting' ? 'Connecting' : s.state === 'error' ? 'Error_BrokerUnreachable' : 'Disabled' });
    } else if (d.kind === 'stomp') {
      this.writeStatus(d.connection, { Status: up ? 'Enabled' : s.state === 'connecting' ? 'Connecting' : s.state === 'error' ? 'ServerNotPresent' : 'Disabled' });
    } else if (d.kind === 'ws-client') {
      this.writeStatus(`${d.row}WebSocket.`, { CurrentRetryCount: up ? '0' : undefined });
    }
  }

  private writeStatus(objPath: string, values: Record<string, string | undefined>): void {
    if (!objPath || this.stopped) return;
    const { dm, log } = this.opts;
    dm.transaction((txn) => {
      const inst = dm.tree.get(objPath);
      if (!inst) return;
      for (const [name, value] of Object.entries(values)) {
        const p = inst.node.params.get(name);
        if (!p?.stored || value === undefined) continue;
        const canonical = normalizeValue(p.def, value);
        if ((inst.values.get(name) ?? p.defaultValue) !== canonical) txn.setValue(inst, p, canonical);
      }
    }).catch((e: unknown) => log.warn('TRN-W07', `recording the status of ${objPath} failed`, e));
  }
}

/** Parameters the manager itself writes; changes to them never trigger reconfiguration. */
const STATUS_PARAMS = new Set(['Status', 'ClientID', 'DestinationFromServer', 'CurrentRetryCount', 'ResponseTopicDiscovered', 'LastChangeDate']);

/** How to reach controller MTP row `m` of controller `eid` through running MTP `r`, if it can. */
function addressFor(r: Running, m: ObjInstance, eid: string): MtpAddress | undefined {
  const proto = v(m, 'Protocol');
  const d = r.desired;
  if (proto === 'MQTT' && d.kind === 'mqtt') {
    const q = m.objects.get('MQTT');
    const agentRef = v(q, 'AgentMTPReference');
    if (agentRef && `${agentRef}.` !== d.row) return undefined;
    const topic = v(q, 'Topic');
    return topic ? { kind: 'mqtt', topic } : undefined;
  }
  if (proto === 'STOMP' && d.kind === 'stomp') {
    const s = m.objects.get('STOMP');
    const connRef = v(s, 'Reference');
    if (connRef && `${connRef}.` !== d.connection) return undefined;
    const destination = v(s, 'Destination');
    return destination ? { kind: 'stomp', destination } : undefined;
  }
  if (proto === 'WebSocket' && (d.kind === 'ws-server' || (d.kind === 'ws-client' && d.controllerEndpointId === eid))) {
    return { kind: 'websocket', endpointId: eid };
  }
  return undefined;
}

function portOf(mtp: Mtp): { port?: number } {
  const p = (mtp as { port?: unknown }).port;
  return typeof p === 'number' ? { port: p } : {};
}
