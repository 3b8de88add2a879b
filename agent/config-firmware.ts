/**
 * The `firmware` section of the config file (agent/firmware, docs/firmware.md): which platform
 * keeps the firmware banks, limits for downloads, and the health check that decides whether a
 * newly activated image stays.
 */
import { resolve } from 'node:path';

export interface FirmwareConfig {
  /**
   * `lab`: banks as folders under `dir`; `linux`: images under `dir`, configured commands; `none`
   * (default): no FirmwareImage rows, no Download()/Activate(), SoftwareVersion is the agent's version.
   */
  readonly platform: 'lab' | 'linux' | 'none';
  /** Number of banks (FirmwareImage.{i} rows); default 2. */
  readonly banks: number;
  /** Where banks (lab) or images (linux) are kept; default `<dataDir>/firmware`. */
  readonly dir: string;
  /** Lab: the version of the factory image every bank gets on first start; default the agent's own version. */
  readonly initialVersion: string | undefined;
  /** Largest image accepted, in bytes; default 256 MiB. */
  readonly maxImageBytes: number;
  /** Free space always left on the image file system, in bytes; default 1 MiB. */
  readonly reserveBytes: number;
  /** Seconds without a byte before a download is given up; default 60. */
  readonly stallSeconds: number;
  /** HTTPS: present the agent's certificate (tls.cert/key) to servers that ask for one; default true. */
  readonly clientCertificate: boolean;
  /** HTTPS: extra trusted CA file, besides Node's public roots and tls.ca; default none. */
  readonly ca: string | undefined;
  /** Command run after a start in a newly activated image; exit 0 = healthy. Lab default: the image's own `health-check`. */
  readonly healthCheckCommand: readonly string[] | undefined;
  readonly healthCheckTimeoutSeconds: number;
  /** Starts of a newly activated image without a passed health check before rolling back; default 3. */
  readonly maxBootAttempts: number;
  /** Linux: installs `$USP_FIRMWARE_IMAGE` into bank `$USP_FIRMWARE_BANK`; prints the image version as its last line. */
  readonly installCommand: readonly string[] | undefined;
  /** Linux: makes bank `$USP_FIRMWARE_BANK` the one the next boot starts. */
  readonly activateCommand: readonly string[] | undefined;
  /** Linux: prints the running firmware version (read back after a restart). */
  readonly versionCommand: readonly string[] | undefined;
  /** Asks the user to confirm an activation (`$USP_FIRMWARE_MESSAGE`); exit 0 = confirmed. Default: nobody to ask. */
  readonly confirmCommand: readonly string[] | undefined;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const KEYS = [
  'platform', 'banks', 'dir', 'initialVersion', 'maxImageBytes', 'reserveBytes', 'stallSeconds', 'clientCertificate', 'ca',
  'healthCheckCommand', 'healthCheckTimeoutSeconds', 'maxBootAttempts', 'installCommand', 'activateCommand', 'versionCommand', 'confirmCommand',
];

/** Parses `firmware`; adds each problem to `problems` (`firmware.banks: ...`). */
export function parseFirmwareConfig(raw: unknown, dataDir: string, problems: string[], abs: (p: string) => string): FirmwareConfig {
  if (raw !== undefined && !isObj(raw)) problems.push('firmware: must be an object');
  const o = isObj(raw) ? raw : {};
  for (const k of Object.keys(o)) if (!KEYS.includes(k) && k !== 'comment') problems.push(`firmware.${k}: unknown setting`);
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    problems.push(`firmware.${key}: must be an integer from ${min} to ${max}`);
    return dflt;
  };
  const argv = (key: string): string[] | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string') && v[0] !== '') return v;
    problems.push(`firmware.${key}: must be a command as a non-empty list of strings`);
    return undefined;
  };
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    problems.push(`firmware.${key}: must be a non-empty string`);
    return undefined;
  };
  const platform = o.platform ?? 'none';
  if (platform !== 'lab' && platform !== 'linux' && platform !== 'none') problems.push(`firmware.platform: ${JSON.stringify(platform)} must be lab, linux or none`);
  const clientCertificate = o.clientCertificate ?? true;
  if (typeof clientCertificate !== 'boolean') problems.push('firmware.clientCertificate: must be true or false');
  const initialVersion = str('initialVersion');
  if (initialVersion && initialVersion.length > 64) problems.push('firmware.initialVersion: at most 64 characters');
  const dir = str('dir');
  const ca = str('ca');
  const cfg: FirmwareConfig = {
    platform: platform === 'linux' || platform === 'lab' ? platform : 'none',
    banks: int('banks', 2, 1, 16),
    dir: dir ? abs(dir) : resolve(dataDir, 'firmware'),
    initialVersion,
    maxImageBytes: int('maxImageBytes', 256 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    reserveBytes: int('reserveBytes', 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    stallSeconds: int('stallSeconds', 60, 1, 3600),
    clientCertificate: clientCertificate === true,
    ca: ca ? abs(ca) : undefined,
    healthCheckCommand: argv('healthCheckCommand'),
    healthCheckTimeoutSeconds: int('healthCheckTimeoutSeconds', 60, 1, 3600),
    maxBootAttempts: int('maxBootAttempts', 3, 1, 100),
    installCommand: argv('installCommand'),
    activateCommand: argv('activateCommand'),
    versionCommand: argv('versionCommand'),
    confirmCommand: argv('confirmCommand'),
  };
  if (cfg.platform === 'linux') {
    if (!cfg.installCommand) problems.push('firmware.installCommand: required with platform linux');
    if (!cfg.activateCommand) problems.push('firmware.activateCommand: required with platform linux');
  }
  return cfg;
}
