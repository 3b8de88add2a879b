/**
 * The database under the data model: builds the registry (schema + built-in objects + plugins +
 * vendor registrations), opens or seeds the SQLite store behind a DataModel, and the offline
 * `usp-agent db` operations (init, dump, reset). The lowest layer of the agent's wiring: it
 * imports neither core.ts nor agent.ts, so the composition never forms an import cycle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DataModel } from '../datamodel/model.js';
import { Registry } from '../datamodel/registry.js';
import { loadTr181 } from '../datamodel/schema/index.js';
import { applyDefaults, readFactoryDefaults } from '../datamodel/seed.js';
import type { FactoryDefaults } from '../datamodel/seed.js';
import { Store } from '../datamodel/store.js';
import { buildRequest } from '../proto/index.js';
import type { DecodedMsg } from '../proto/index.js';
import { ADMIN_REQUESTER } from './admin/server.js';
import type { AgentConfig } from './config.js';
import { Dispatcher } from './dispatch.js';
import { SYSTEM_CLOCK } from './clock.js';
import type { Clock } from './clock.js';
import { linuxPlatform } from './hooks.js';
import type { PlatformHooks } from './hooks.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { NO_EVENTS } from './notify/events.js';
import type { EventSink } from './notify/events.js';
import { registerSubscriptions } from './notify/subscriptions.js';
import { registerDeviceInfo } from './objects/device-info.js';
import { registerPlatformObjects } from './objects/linux.js';
import { registerLocalAgent } from './objects/local-agent.js';
import { registerTime } from './objects/time.js';
import { pendingBootCause, recordBootCause } from './operate/boot.js';
import { loadPlugins, registerPlugins } from './plugins.js';

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
