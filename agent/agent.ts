/**
 * Composition root: builds every part in order and owns start()/stop(). Nothing else wires
 * parts together (STYLE §2.6).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { DataModel } from '../datamodel/model.js';
import { Registry } from '../datamodel/registry.js';
import { loadTr181 } from '../datamodel/schema/index.js';
import { applyDefaults, readFactoryDefaults } from '../datamodel/seed.js';
import type { FactoryDefaults } from '../datamodel/seed.js';
import { Store } from '../datamodel/store.js';
import { buildRequest } from '../proto/index.js';
import type { DecodedMsg } from '../proto/index.js';
import { ADMIN_REQUESTER, startAdminServer } from './admin/server.js';
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
import { BulkDataService } from './bulkdata/service.js';
import { createFirmware } from './firmware/setup.js';
import type { Firmware } from './firmware/setup.js';
import { SYSTEM_CLOCK } from './clock.js';
import type { Clock } from './clock.js';
import { linuxPlatform } from './hooks.js';
import type { PlatformHooks } from './hooks.js';
import { lockDatabase } from './lock.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { NO_EVENTS } from './notify/events.js';
import type { EventSink } from './notify/events.js';
import { Notifier } from './notify/notifier.js';
import type { SendFn } from './notify/delivery.js';
import { registerSubscriptions } from './notify/subscriptions.js';
import { registerDevice } from './objects/device.js';
import type { DeviceControl } from './objects/device.js';
import { registerDeviceInfo } from './objects/device-info.js';
import { registerPlatformObjects } from './objects/linux.js';
import { registerLocalAgentCommands } from './objects/local-agent-commands.js';
import { registerControllerTrust } from './objects/controller-trust.js';
import { assignConfiguredRoles, provisionBuiltinRoles } from './trust/builtin.js';
import { Challenges } from './trust/challenge.js';
import { NO_ACCESS } from './trust/access.js';
import { ControllerTrust } from './trust/trust.js';
import { registerLocalAgent } from './objects/local-agent.js';
import { registerTime } from './objects/time.js';
import { pendingBootCause, recordBootCause, takeBootCause } from './operate/boot.js';
import type { BootCause } from './operate/boot.js';
import { RequestTable } from './operate/requests.js';
import { restartAfterResponse } from './operate/restart.js';
import type { RestartKind } from './operate/restart.js';
import { forwardEvents, loadPlugins, registerPlugins } from './plugins.js';
import { SoftwareModules } from './smm/manager.js';
import { registerSoftwareModules } from './smm/register.js';

export { adminRequest, AdminConnectError } from './admin/client.js';
export { runCli } from './admin/cli.js';
export { ConfigError, loadConfig } from './config.js';
export type { AgentConfig } from './config.js';
export { Registry } from '../datamodel/registry.js';
export type { Logger } from './log.js';

/** USP versions this agent speaks (GetSupportedProtocol, TP-469 1.80). */
export const SUPPORTED_USP_VERSIONS = '1.0,1.1,1.2,1.3,1.4';
const BUILTIN_DEFAULTS = new URL('../datamodel/factory-defaults.json', import.meta.url);

export interface AgentOptions {
  log?: Logger;
  platform?: Partial<PlatformHooks>;
  /** Vendor registrations, run before the registry is frozen. */
  register?: (dm: Registry) => void;
  /** Where OperationComplete and other events go until the notifier is set on `requests.events`; default: dropped. */
  events?: EventSink;
  /** Time for scheduled commands (tests pass a fake clock). */
  clock?: Clock;
}

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

/** The package version (from package.json, found from both the source and the dist layout). */
export function softwareVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'usp-agent' && pkg.version) return pkg.version;
    } catch {
      // Not at this level; try the next.
    }
  }
  return '0.0.0';
}

function factoryDefaults(config: AgentConfig): FactoryDefaults {
  return readFactoryDefaults(config.factoryDefaults ?? BUILTIN_DEFAULTS);
}

/** Builds the registry with every built-in object (and the vendor's), then freezes it. */
function buildRegistry(
  config: AgentConfig,
  platform: PlatformHooks,
  info: { startedAt: number; version: string; deviceVersion?: () => string },
  register?: (dm: Registry) => void,
  builtins?: (dm: Registry) => void,
): Registry {
  const registry = new Registry(loadTr181().objects);
  builtins?.(registry);
  registerDeviceInfo(registry, config.identity, platform, info.deviceVersion ?? info.version);
  registerPlatformObjects(registry, platform);
  registerLocalAgent(registry, {
    endpointId: config.endpointId,
    softwareVersion: info.version,
    supportedMtps: ['WebSocket', 'STOMP', 'MQTT'],
    startedAt: info.startedAt,
  });
  registerTime(
    registry,
    () => platform.timeZone(),
    () => platform.clockSynchronized(),
  );
  register?.(registry);
  registry.freeze();
  return registry;
}

/** Opens (and on first use seeds) the database behind a data model. */
export async function openDataModel(
  config: AgentConfig,
  opts: AgentOptions = {},
  builtins?: (dm: Registry) => void,
  deviceVersion?: () => string,
): Promise<DataModel> {
  const log = opts.log ?? createLogger(config.log);
  const platform = { ...linuxPlatform(config.platform, log), ...opts.platform };
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const plugins = await loadPlugins(config.plugins);
  const pluginCtx = { config, log, clock, platform, events: opts.events ?? NO_EVENTS };
  const register = (r: Registry): void => {
    registerPlugins(plugins, r, pluginCtx);
    opts.register?.(r);
  };
  const registry = buildRegistry(
    config,
    platform,
    { startedAt: Date.now(), version: softwareVersion(), ...(deviceVersion && { deviceVersion }) },
    register,
    (r) => {
      registerSubscriptions(r, clock);
      builtins?.(r);
    },
  );
  const store = new Store(config.database, { maxBytes: config.limits.maxDatabaseBytes });
  const dm = new DataModel(registry, store, (id, msg, err) => log.warn(id, msg, err));
  try {
    if (store.isEmpty()) await seed(dm, config, log);
    else dm.load();
  } catch (e) {
    store.close();
    throw e;
  }
  return dm;
}

/** The data model with the built-in commands and the Request table: an agent without transports (tests use it alone). */
export interface AgentCore {
  readonly dm: DataModel;
  readonly requests: RequestTable;
  /** Device.BulkData reporting (agent/bulkdata). */
  readonly bulkData: BulkDataService;
  /** Firmware banks, Download() and Activate() (agent/firmware); undefined with firmware.platform none. */
  readonly firmware: Firmware | undefined;
  /** Device.SoftwareModules: DUs and EUs (agent/smm). */
  readonly smm: SoftwareModules;
  /** Stops running commands and SMM timers, waits for Bulk Data to stop, then closes the database; resolves once closed (idempotent). */
  close(): Promise<void>;
}

/**
 * Opens the agent's core. Reboot() and FactoryReset() first call `shutdown` (default: close()),
 * then the platform hooks (agent/operate/restart.ts).
 */
export async function openCore(config: AgentConfig, opts: AgentOptions = {}, shutdown?: () => Promise<void>): Promise<AgentCore> {
  const log = opts.log ?? createLogger(config.log);
  const platform = { ...linuxPlatform(config.platform, log), ...opts.platform };
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const requests = new RequestTable({ clock, log, ...(opts.events && { events: opts.events }) });
  // Reboot()/FactoryReset(): record the boot cause now, go down once the response is out.
  const goDown = (kind: RestartKind) => (cause: BootCause, commandKey: string, reason: string) => {
    recordBootCause(dm.store, { cause, commandKey, reason });
    restartAfterResponse(dm, kind, {
      platform,
      log,
      shutdown: shutdown ?? (() => core.close()),
      resetDatabase: () => resetDatabase(config, log),
    });
  };
  const control: DeviceControl = { clock, reboot: goDown('reboot'), factoryReset: goDown('factoryReset') };
  const smm = new SoftwareModules({
    config: config.smm,
    ...(platform.execRuntimes && { runtimes: platform.execRuntimes }),
    clock,
    log,
    events: () => requests.events,
  });
  const bulkData = new BulkDataService({ config: config.bulkData, clock, log, events: () => requests.events });
  // Firmware activation restarts like Reboot() (agent/firmware); SoftwareVersion is the running bank's.
  const version = softwareVersion();
  const restartSteps = () => ({ platform, log, shutdown: shutdown ?? (() => core.close()), resetDatabase: () => resetDatabase(config, log) });
  const firmware = await createFirmware({
    config,
    platform: platform.firmware,
    version,
    clock,
    log,
    events: () => requests.events,
    restart: () => restartAfterResponse(dm, 'reboot', restartSteps()),
  });
  const dm = await openDataModel(
    config,
    { ...opts, log, events: forwardEvents(() => requests.events) },
    (registry) => {
      registerDevice(registry, control);
      registerLocalAgentCommands(registry, { canceler: (path) => requests.canceler(path), onBoardRequest: (path) => requests.events.onBoardRequest(path) });
      registerControllerTrust(registry, { dm: () => dm, challenges: () => challenges });
      bulkData.register(registry);
      firmware?.register(registry);
      registerSoftwareModules(registry, smm);
    },
    () => firmware?.activeVersion() ?? version,
  );
  const challenges = new Challenges(dm, clock);
  let closing: Promise<void> | undefined;
  const core: AgentCore = {
    dm,
    requests,
    bulkData,
    firmware,
    smm,
    close: () => {
      // A report cycle still running writes to the store (retained reports): the store closes after it.
      closing ??= (async () => {
        smm.close();
        firmware?.close();
        requests.stop();
        await bulkData.stop();
        dm.store.close();
      })();
      return closing;
    },
  };
  try {
    await requests.open(dm);
    bulkData.open(dm);
    await firmware?.open(dm);
    await smm.open(dm);
  } catch (e) {
    await core.close();
    throw e;
  }
  return core;
}

async function seed(dm: DataModel, config: AgentConfig, log: Logger): Promise<void> {
  const defaults = factoryDefaults(config);
  await dm.transaction((txn) => applyDefaults(dm, txn, defaults));
  dm.store.setMeta('seeded', new Date().toISOString());
  log.info('AGT-I02', `new database ${config.database} seeded from ${config.factoryDefaults ?? 'the built-in factory defaults'}`);
}

/** Creates and seeds the database if needed (`usp-agent db init`); says what it did. */
export async function initDatabase(config: AgentConfig): Promise<string> {
  const existed = existsSync(config.database);
  const dm = await openDataModel(config, { log: createLogger({ ...config.log, level: 'warn' }) });
  dm.store.close();
  return existed ? `database ${config.database} already exists` : `database ${config.database} created from the factory defaults`;
}

/** Answers a Get from the database file alone (`usp-agent db dump`), with full rights. */
export async function dumpDatabase(config: AgentConfig, path: string): Promise<DecodedMsg> {
  const log = createLogger({ ...config.log, level: 'warn' });
  const dm = await openDataModel(config, { log });
  try {
    const dispatcher = new Dispatcher({ dm, log, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri });
    const reply = await dispatcher.handle(buildRequest('db-dump', { get: { paramPaths: [path], maxDepth: 0 } }) as DecodedMsg, ADMIN_REQUESTER);
    return reply as DecodedMsg;
  } finally {
    dm.store.close();
  }
}

/** Wipes the database and seeds it again from the factory defaults (`usp-agent db reset`). */
export async function resetDatabase(config: AgentConfig, log: Logger = createLogger({ ...config.log, level: 'warn' })): Promise<void> {
  // Check the defaults before wiping anything, so a bad file never leaves an empty database.
  factoryDefaults(config);
  const store = new Store(config.database);
  // The cause FactoryReset() recorded survives the wipe; an offline `db reset` is a local factory reset.
  const pending = pendingBootCause(store);
  store.clear();
  recordBootCause(
    store,
    pending?.cause === 'RemoteFactoryReset' || pending?.cause === 'LocalFactoryReset' ? pending : { cause: 'LocalFactoryReset', commandKey: '' },
  );
  store.close();
  const dm = await openDataModel(config, { log });
  dm.store.close();
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
