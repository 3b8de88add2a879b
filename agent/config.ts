/**
 * Typed agent configuration: a JSON file over embedded defaults, validated once at start-up.
 * Every problem is reported at once, each with its location (`identity.serialNumber: ...`).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseBulkData } from './config-bulkdata.js';
import { jsonErrorWhere } from './config-json.js';
import { parseFirmwareConfig } from './config-firmware.js';
import type { FirmwareConfig } from './config-firmware.js';
import type { BulkDataConfig } from './config-bulkdata.js';
import { parseSmm } from './config-smm.js';
import type { SmmConfig } from './config-smm.js';
import { parseLimits } from './config-limits.js';
import type { LimitsConfig } from './config-limits.js';
import { parsePlugins } from './config-plugins.js';
import { applyOverrides, parseAgentMtps, parseControllers, parseTls } from './config-transport.js';
import type { AgentMtpConfig, ControllerConfig, TlsConfig } from './config-transport.js';
import type { PlatformConfig } from './hooks.js';
import type { LogLevel } from './log.js';

export type { AgentMtpConfig, ControllerConfig, ControllerMtpConfig, TlsConfig } from './config-transport.js';

export interface IdentityConfig {
  manufacturer: string;
  /** IEEE OUI, 6 hex digits (Device.DeviceInfo.ManufacturerOUI). */
  manufacturerOUI: string;
  modelName: string;
  description: string;
  productClass: string;
  serialNumber: string;
  hardwareVersion: string;
}

export interface AgentConfig {
  /** Folder for the database and the admin socket unless they are given explicitly. */
  dataDir: string;
  database: string;
  adminSocket: string;
  /** Device.LocalAgent.EndpointID; default `os::<OUI>-<SerialNumber>` (TR-369 §Endpoint Identifier). */
  endpointId: string;
  identity: IdentityConfig;
  /** JSON file that seeds a new database (and `db reset`); default: the built-in one. */
  factoryDefaults: string | undefined;
  /** `trace`: print every USP Record in and out, decoded (agent/transport/trace.ts). */
  log: { level: LogLevel; format: 'text' | 'json'; trace: boolean };
  /** Record size, database size and per-controller rate limits (agent/config-limits.ts). */
  limits: LimitsConfig;
  notify: {
    /** How often live (getter) parameters watched by enabled ValueChange subscriptions are read, in seconds; 0 = never. */
    liveSampleSeconds: number;
  };
  tls: TlsConfig;
  /** The agent's own MTPs (LocalAgent.MTP.{i}); default: a WebSocket server on 127.0.0.1:8443 with mutual TLS. */
  mtps: AgentMtpConfig[];
  /** Controllers the agent knows (LocalAgent.Controller.{i}); default: the lab controller proto::controller-1. */
  controllers: ControllerConfig[];
  /** Device commands for Reboot() and FactoryReset() (agent/hooks.ts); by default the agent restarts its own process. */
  platform: PlatformConfig;
  /** Vendor plugin modules (absolute paths) loaded at start-up (agent/plugins.ts). */
  plugins: string[];
  /** Device.BulkData limits (agent/config-bulkdata.ts). */
  bulkData: BulkDataConfig;
  /** Device.SoftwareModules: DU folder, runc, limits (agent/config-smm.ts). */
  smm: SmmConfig;
  /** Firmware banks, downloads and activation checks (agent/config-firmware.ts). */
  firmware: FirmwareConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[], source: string) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const DOC_OUI = '00256D';
const LEVELS = ['error', 'warn', 'info', 'debug'];

/** A serial number that is stable for this machine when none is configured. */
function defaultSerial(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    if (/^[0-9a-f]{12,}$/i.test(id)) return id.slice(0, 12).toUpperCase();
  } catch {
    // No machine-id (containers, other OSes): fall back to the host name below.
  }
  return hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 32) || 'unknown';
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Builds the config from an optional JSON file (relative paths in it are relative to the file)
 * and overrides from the command line. Throws ConfigError listing every problem.
 */
export interface ConfigOverrides {
  dataDir?: string;
  /** `key.path=value` assignments applied over the file (`--set`, and `USP_AGENT_SET` separated by ';'). */
  sets?: readonly string[];
}

export function loadConfig(file?: string, overrides: ConfigOverrides = {}): AgentConfig {
  let raw: Json = {};
  const source = file ?? 'built-in defaults';
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError([`cannot read the file: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`], file);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObj(parsed)) throw new ConfigError(['the top level must be a JSON object'], file);
      raw = parsed;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError([`not valid JSON: ${jsonErrorWhere(text, (e as Error).message)}`], file);
    }
  }
  const problems: string[] = [];
  // Defaults for the lists go in before the overrides, so `--set mtps.0.port=9443` edits the default MTP.
  raw.mtps ??= [{ protocol: 'WebSocket' }];
  raw.controllers ??= [{ endpointId: 'proto::controller-1' }];
  applyOverrides(raw, overrides.sets ?? [], problems);
  const str = (obj: Json, key: string, where: string, dflt: string, pattern?: RegExp, hint?: string): string => {
    const v = obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string') problems.push(`${where}${key}: must be a string`);
    else if (pattern && !pattern.test(v)) problems.push(`${where}${key}: '${v}' ${hint ?? 'is not valid'}`);
    else return v;
    return dflt;
  };
  const unknown = (obj: Json, allowed: string[], where: string): void => {
    for (const k of Object.keys(obj)) if (!allowed.includes(k) && !(k === '$schema' && where === '') && k !== 'comment') problems.push(`${where}${k}: unknown setting`);
  };
  unknown(raw, ['dataDir', 'database', 'adminSocket', 'endpointId', 'identity', 'factoryDefaults', 'log', 'limits', 'tls', 'mtps', 'controllers', 'platform', 'notify', 'bulkData', 'plugins', 'firmware', 'smm'], '');
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const dataDir = overrides.dataDir ? resolve(overrides.dataDir) : abs(str(raw, 'dataDir', '', 'data'));

  const idRaw = raw.identity === undefined ? {} : raw.identity;
  if (!isObj(idRaw)) problems.push('identity: must be an object');
  const id = isObj(idRaw) ? idRaw : {};
  unknown(id, ['manufacturer', 'manufacturerOUI', 'modelName', 'description', 'productClass', 'serialNumber', 'hardwareVersion'], 'identity.');
  const identity: IdentityConfig = {
    manufacturer: str(id, 'manufacturer', 'identity.', 'usp-agent project'),
    manufacturerOUI: str(id, 'manufacturerOUI', 'identity.', DOC_OUI, /^[0-9A-F]{6}$/, 'must be 6 upper-case hex digits'),
    modelName: str(id, 'modelName', 'identity.', 'usp-agent'),
    description: str(id, 'description', 'identity.', 'TR-369 USP Agent'),
    productClass: str(id, 'productClass', 'identity.', 'Gateway', /^[A-Za-z0-9_.-]{0,64}$/, 'may use only letters, digits, - _ .'),
    serialNumber: str(id, 'serialNumber', 'identity.', defaultSerial(), /^[A-Za-z0-9_.-]{1,64}$/, 'may use only letters, digits, - _ . (1-64)'),
    hardwareVersion: str(id, 'hardwareVersion', 'identity.', '1.0'),
  };
  // R-ARC.5/6: instance-id characters and length.
  const endpointId = str(raw, 'endpointId', '', `os::${identity.manufacturerOUI}-${identity.serialNumber}`, /^[a-z]+:[A-Za-z0-9.]{0,16}:[A-Za-z0-9._%-]{1,50}$/, 'is not an Endpoint ID (scheme:authority:instance, R-ARC.5/6)');

  const logRaw = raw.log === undefined ? {} : raw.log;
  if (!isObj(logRaw)) problems.push('log: must be an object');
  const logObj = isObj(logRaw) ? logRaw : {};
  unknown(logObj, ['level', 'format', 'trace'], 'log.');
  const level = str(logObj, 'level', 'log.', 'info', /^(error|warn|info|debug)$/, `must be one of ${LEVELS.join(', ')}`) as LogLevel;
  const format = str(logObj, 'format', 'log.', 'text', /^(text|json)$/, 'must be text or json') as 'text' | 'json';
  if (logObj.trace !== undefined && typeof logObj.trace !== 'boolean') problems.push('log.trace: must be true or false');
  const trace = logObj.trace === true;

  const limits = parseLimits(raw.limits, problems);
  const platRaw = raw.platform === undefined ? {} : raw.platform;
  if (!isObj(platRaw)) problems.push('platform: must be an object');
  const plat = isObj(platRaw) ? platRaw : {};
  unknown(plat, ['rebootCommand', 'factoryResetCommand'], 'platform.');
  const argv = (key: string): string[] | undefined => {
    const v = plat[key];
    if (v === undefined) return undefined;
    if (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string') && v[0] !== '') return v;
    problems.push(`platform.${key}: must be a command as a non-empty list of strings, e.g. ["systemctl", "reboot"]`);
    return undefined;
  };
  const platform: PlatformConfig = { rebootCommand: argv('rebootCommand'), factoryResetCommand: argv('factoryResetCommand') };
  const notRaw = raw.notify === undefined ? {} : raw.notify;
  if (!isObj(notRaw)) problems.push('notify: must be an object');
  const notObj = isObj(notRaw) ? notRaw : {};
  unknown(notObj, ['liveSampleSeconds'], 'notify.');
  let liveSampleSeconds = 5;
  if (notObj.liveSampleSeconds !== undefined) {
    const v = notObj.liveSampleSeconds;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 86400) problems.push('notify.liveSampleSeconds: must be an integer from 0 (never) to 86400');
    else liveSampleSeconds = v;
  }
  const fd = str(raw, 'factoryDefaults', '', '');
  const config: AgentConfig = {
    dataDir,
    database: abs(str(raw, 'database', '', resolve(dataDir, 'usp-agent.db'))),
    adminSocket: abs(str(raw, 'adminSocket', '', resolve(dataDir, 'usp-agent.sock'))),
    endpointId,
    identity,
    factoryDefaults: fd ? abs(fd) : undefined,
    log: { level, format, trace },
    limits,
    notify: { liveSampleSeconds },
    tls: parseTls(raw.tls, { cert: resolve(dataDir, 'pki', 'agent.crt'), key: resolve(dataDir, 'pki', 'agent.key'), ca: resolve(dataDir, 'pki', 'ca.crt'), createLabPki: true }, problems, abs),
    mtps: parseAgentMtps(raw.mtps, endpointId, problems),
    controllers: parseControllers(raw.controllers, problems),
    platform,
    plugins: parsePlugins(raw.plugins, problems, abs),
    bulkData: parseBulkData(raw.bulkData, problems),
    smm: parseSmm(raw.smm, dataDir, abs, problems),
    firmware: parseFirmwareConfig(raw.firmware, dataDir, problems, abs),
  };
  if (problems.length > 0) throw new ConfigError(problems, source);
  return config;
}
