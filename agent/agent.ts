/**
 * Composition root: builds every part in order and owns start()/stop(). Nothing else wires
 * parts together (STYLE §2.6).
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import type { DataModel } from '../datamodel/model.js';
import { loadTr181 } from '../datamodel/schema/index.js';
import { startAdminServer } from './admin/server.js';
import type { AgentConfig } from './config.js';
import { Dispatcher } from './dispatch.js';
import { RecordRouter } from './record/router.js';
import { requesterFor } from './transport/controllers.js';
import { mtpFactory } from './transport/factory.js';
import { TransportManager } from './transport/manager.js';
import { createRecordTrace } from './transport/trace.js';
import { provisionCertificates, splitPem } from './transport/certificates.js';
import { provisionTransports } from './transport/provision.js';
import { prepareTls } from './transport/tls-setup.js';
import { SYSTEM_CLOCK } from './clock.js';
import { lockDatabase } from './lock.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import type { EventSink } from './notify/events.js';
import { Notifier } from './notify/notifier.js';
import type { SendFn } from './notify/delivery.js';
import { assignConfiguredRoles, provisionBuiltinRoles } from './trust/builtin.js';
import { NO_ACCESS } from './trust/access.js';
import { ControllerTrust } from './trust/trust.js';
import { takeBootCause } from './operate/boot.js';
import type { RequestTable } from './operate/requests.js';
import { openCore } from './core.js';
import { softwareVersion, SUPPORTED_USP_VERSIONS } from './database.js';
import type { AgentOptions } from './database.js';

export { adminRequest, AdminConnectError } from './admin/client.js';
export { runCli } from './admin/cli.js';
export { ConfigError, loadConfig } from './config.js';
export type { AgentConfig } from './config.js';
export { Registry } from '../datamodel/registry.js';
export type { Logger } from './log.js';
export { openCore } from './core.js';
export type { AgentCore } from './core.js';
export { dumpDatabase, initDatabase, openDataModel, resetDatabase, softwareVersion, SUPPORTED_USP_VERSIONS } from './database.js';
export type { AgentOptions } from './database.js';

export interface Agent {
  readonly config: AgentConfig;
  readonly dm: DataModel;
  readonly dispatcher: Dispatcher;
  /** Running commands and Device.LocalAgent.Request.{i}. */
  readonly requests: RequestTable;
  readonly router: RecordRouter;
  readonly transports: TransportManager;
  /** Subscriptions and notifications (agent/notify). */
  readonly notifier: Notifier;
  /** Where subsystems report events and completed commands: the notifier. */
  readonly events: EventSink;
  readonly log: Logger;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export async function createAgent(config: AgentConfig, opts: AgentOptions = {}): Promise<Agent> {
  const log = opts.log ?? createLogger(config.log);
  const unlock = lockDatabase(config.database);
  try {
    return await buildAgent(config, opts, log, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function buildAgent(config: AgentConfig, opts: AgentOptions, log: Logger, unlock: () => void): Promise<Agent> {
  const tls = await prepareTls(config, log);
  // Port 0 in the config means "any free port" (tests, several lab agents on one host).
  for (const m of config.mtps) if (m.protocol === 'WebSocket' && m.port === 0) m.port = await freePort(m.host);
  let stopAgent = (): Promise<void> => Promise.resolve();
  const core = await openCore(config, { ...opts, log }, () => stopAgent());
  const { dm, requests } = core;
  core.bulkData.tls = tls;
  try {
    await dm.transaction((txn) => {
      provisionTransports(dm, txn, config.mtps, config.controllers);
      provisionBuiltinRoles(dm, txn);
      assignConfiguredRoles(
        dm,
        txn,
        config.controllers.map((c) => c.endpointId),
      );
      if (tls) {
        const certs = [
          { alias: 'cfg-agent', pem: tls.cert.toString('utf8') },
          ...splitPem(tls.ca.toString('utf8')).map((pem, i) => ({ alias: `cfg-ca-${i + 1}`, pem })),
        ];
        provisionCertificates(
          dm,
          txn,
          certs.map((c) => ({ ...c, pem: splitPem(c.pem)[0] ?? c.pem })),
        );
      }
    });
  } catch (e) {
    await core.close();
    throw e;
  }
  // Notifications: built before the dispatcher (which hands it the NotifyResps); it sends through
  // the transports, which exist only further down: until then nothing is reachable.
  let sendRecord: SendFn = () => Promise.resolve(false);
  // ControllerTrust: roles compiled per controller, dropped on every commit that changes them.
  const trust = new ControllerTrust(dm, log);
  core.bulkData.rightsOf = (controllerPath) => {
    const row = dm.tree.get(controllerPath);
    // A profile whose Controller row is gone collects nothing rather than everything.
    return row ? trust.rightsOfRow(row) : { access: NO_ACCESS, readSecured: false };
  };
  const notifier = new Notifier({
    rightsOf: (row) => trust.rightsOfRow(row),
    dm,
    log,
    clock: opts.clock ?? SYSTEM_CLOCK,
    endpointId: config.endpointId,
    send: (eid, record, row) => sendRecord(eid, record, row),
    supportedProtocols: SUPPORTED_USP_VERSIONS,
    liveSampleMs: config.notify.liveSampleSeconds * 1000,
    bootInfo: () => takeBootCause(dm.store, core.firmware?.activeVersion() ?? softwareVersion()),
  });
  requests.events = notifier;
  try {
    await notifier.init();
  } catch (e) {
    await notifier.stop();
    await core.close();
    throw e;
  }
  const dispatcher = new Dispatcher({
    dm,
    log,
    supportedProtocols: SUPPORTED_USP_VERSIONS,
    dataModelUri: loadTr181().uri,
    requests,
    onResponse: (msg, requester) => notifier.handleResponse(msg, requester),
  });
  const router = new RecordRouter({
    endpointId: config.endpointId,
    dispatcher,
    log,
    maxRecordBytes: config.limits.maxMessageBytes,
    rate: config.limits.rate,
    ...(opts.clock && { clock: opts.clock }),
    requesterFor: (eid) => requesterFor(trust, eid),
  });
  const clientId = (row: string): string => dm.tree.get(row)?.values.get('ClientID') ?? '';
  const trace = config.log.trace ? createRecordTrace(config.log) : undefined;
  const transports = new TransportManager({
    dm,
    router,
    log,
    endpointId: config.endpointId,
    tls,
    create: mtpFactory(config.endpointId, tls, clientId, log),
    trace,
  });
  sendRecord = (eid, record, row) => transports.sendToController(eid, record, row);
  transports.onControllerReachable((eid) => notifier.controllerReachable(eid));
  let admin: Server | undefined;
  let stopped = false;
  const agent: Agent = {
    config,
    dm,
    dispatcher,
    requests,
    router,
    transports,
    notifier,
    events: notifier,
    log,
    async start() {
      admin = await startAdminServer(config.adminSocket, dispatcher, log);
      // A newly activated firmware image that fails its health check rolls back and restarts first.
      if ((await core.firmware?.checkBoot())?.kind === 'rollback') return;
      await transports.start();
      await notifier.start();
      log.info('AGT-I01', `agent ${config.endpointId} running; database ${config.database}; admin socket ${config.adminSocket}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      requests.stop();
      trust.stop();
      // AutoRestart timers and the unit-log check would otherwise write to the closed database.
      core.smm.close();
      core.firmware?.close();
      await core.bulkData.stop();
      await notifier.stop();
      await transports.stop();
      if (admin) await new Promise<void>((resolve) => admin?.close(() => resolve()));
      admin = undefined;
      // Let any message in progress finish its transaction before closing the database.
      await dm.lock(() => undefined);
      dm.store.close();
      unlock();
      log.info('AGT-I03', 'agent stopped');
    },
  };
  stopAgent = () => agent.stop();
  return agent;
}
