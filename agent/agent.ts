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
import { startAdminServer } from './admin/server.js';
import type { AgentConfig } from './config.js';
import { Dispatcher } from './dispatch.js';
import { RecordRouter } from './record/router.js';
import { requesterFor } from './transport/controllers.js';
import { mtpFactory } from './transport/factory.js';
import { TransportManager } from './transport/manager.js';
import { provisionCertificates, splitPem } from './transport/certificates.js';
import { provisionTransports } from './transport/provision.js';
import { prepareTls } from './transport/tls-setup.js';
import { LINUX_PLATFORM } from './hooks.js';
import type { PlatformHooks } from './hooks.js';
import { lockDatabase } from './lock.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { registerDeviceInfo } from './objects/device-info.js';
import { registerLocalAgent } from './objects/local-agent.js';
import { registerTime } from './objects/time.js';

export { adminRequest, AdminConnectError } from './admin/client.js';
export { runCli } from './admin/cli.js';
import { ADMIN_REQUESTER } from './admin/server.js';
import { buildRequest } from '../proto/index.js';
import type { DecodedMsg } from '../proto/index.js';
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
}

export interface Agent {
  readonly config: AgentConfig;
  readonly dm: DataModel;
  readonly dispatcher: Dispatcher;
  readonly router: RecordRouter;
  readonly transports: TransportManager;
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
function buildRegistry(config: AgentConfig, platform: PlatformHooks, info: { startedAt: number; version: string }, register?: (dm: Registry) => void): Registry {
  const registry = new Registry(loadTr181().objects);
  registerDeviceInfo(registry, config.identity, platform, info.version);
  registerLocalAgent(registry, { endpointId: config.endpointId, softwareVersion: info.version, supportedMtps: [], startedAt: info.startedAt });
  registerTime(registry, () => platform.timeZone(), () => platform.clockSynchronized());
  register?.(registry);
  registry.freeze();
  return registry;
}

/** Opens (and on first use seeds) the database behind a data model. */
export async function openDataModel(config: AgentConfig, opts: AgentOptions = {}): Promise<DataModel> {
  const log = opts.log ?? createLogger(config.log);
  const platform = { ...LINUX_PLATFORM, ...opts.platform };
  const registry = buildRegistry(config, platform, { startedAt: Date.now(), version: softwareVersion() }, opts.register);
  const store = new Store(config.database);
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
  store.clear();
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
  const tls = prepareTls(config, log);
  // Port 0 in the config means "any free port" (tests, several lab agents on one host).
  for (const m of config.mtps) if (m.protocol === 'WebSocket' && m.port === 0) m.port = await freePort(m.host);
  const dm = await openDataModel(config, { ...opts, log });
  try {
    await dm.transaction((txn) => {
      provisionTransports(dm, txn, config.mtps, config.controllers);
      if (tls) {
        const certs = [{ alias: 'cfg-agent', pem: tls.cert.toString('utf8') }, ...splitPem(tls.ca.toString('utf8')).map((pem, i) => ({ alias: `cfg-ca-${i + 1}`, pem }))];
        provisionCertificates(dm, txn, certs.map((c) => ({ ...c, pem: splitPem(c.pem)[0] ?? c.pem })));
      }
    });
  } catch (e) {
    dm.store.close();
    throw e;
  }
  const dispatcher = new Dispatcher({ dm, log, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri });
  const router = new RecordRouter({
    endpointId: config.endpointId,
    dispatcher,
    log,
    maxRecordBytes: config.limits.maxMessageBytes,
    requesterFor: (eid) => requesterFor(dm, eid),
  });
  const clientId = (row: string): string => dm.tree.get(row)?.values.get('ClientID') ?? '';
  const transports = new TransportManager({ dm, router, log, endpointId: config.endpointId, tls, create: mtpFactory(config.endpointId, tls, clientId, log) });
  let admin: Server | undefined;
  return {
    config,
    dm,
    dispatcher,
    router,
    transports,
    log,
    async start() {
      admin = await startAdminServer(config.adminSocket, dispatcher, log);
      await transports.start();
      log.info('AGT-I01', `agent ${config.endpointId} running; database ${config.database}; admin socket ${config.adminSocket}`);
    },
    async stop() {
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
}
