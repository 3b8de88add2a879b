/**
 * The Software Module Management part of the config (`smm.*`): where installed DUs live, the
 * runc binary, the OCI network mode, and the limits that keep a hostile or broken DU from
 * filling the device (download size, unpacked size, entries, EU log size).
 */
import { resolve } from 'node:path';

export interface SmmConfig {
  /** Folder for installed DUs, EU logs and runtime state; default `<dataDir>/smm`. */
  dir: string;
  /** The runc binary; '' leaves the OCI Execution Environment out. */
  runc: string;
  /** OCI containers: `none` (own empty network namespace) or `host` (the host's network). */
  network: 'none' | 'host';
  /** Largest DU download, in bytes. */
  maxDownloadBytes: number;
  /** Largest unpacked DU, in bytes. */
  maxUnpackedBytes: number;
  /** Most files a DU may contain. */
  maxEntries: number;
  downloadTimeoutSeconds: number;
  /** An EU log is rotated past this many bytes (one older copy is kept). */
  logMaxBytes: number;
  /** An EU that exits within this many ms of starting failed to start (and an update with it rolls back). */
  startGraceMs: number;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `smm` from the raw config, adding every problem to `problems`. */
export function parseSmm(raw: unknown, dataDir: string, abs: (p: string) => string, problems: string[]): SmmConfig {
  const out: SmmConfig = {
    dir: resolve(dataDir, 'smm'),
    runc: 'runc',
    network: 'none',
    maxDownloadBytes: 256 * 1024 * 1024,
    maxUnpackedBytes: 1024 * 1024 * 1024,
    maxEntries: 100_000,
    downloadTimeoutSeconds: 120,
    logMaxBytes: 1024 * 1024,
    startGraceMs: 1000,
  };
  if (raw === undefined) return out;
  if (!isObj(raw)) {
    problems.push('smm: must be an object');
    return out;
  }
  for (const k of Object.keys(raw)) if (!(k in out) && k !== 'comment') problems.push(`smm.${k}: unknown setting`);
  const int = (
    key: 'maxDownloadBytes' | 'maxUnpackedBytes' | 'maxEntries' | 'downloadTimeoutSeconds' | 'logMaxBytes' | 'startGraceMs',
    min: number,
    max: number,
  ): void => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) problems.push(`smm.${key}: must be an integer from ${min} to ${max}`);
    else out[key] = v;
  };
  int('maxDownloadBytes', 1024, 2 ** 40);
  int('maxUnpackedBytes', 1024, 2 ** 42);
  int('maxEntries', 1, 10_000_000);
  int('downloadTimeoutSeconds', 1, 86400);
  int('logMaxBytes', 1024, 2 ** 32);
  int('startGraceMs', 50, 60_000);
  if (raw['dir'] !== undefined) {
    if (typeof raw['dir'] !== 'string' || raw['dir'] === '') problems.push('smm.dir: must be a folder path');
    else out.dir = abs(raw['dir']);
  }
  if (raw['runc'] !== undefined) {
    if (typeof raw['runc'] !== 'string') problems.push("smm.runc: must be the runc binary, or '' for no OCI containers");
    else out.runc = raw['runc'];
  }
  if (raw['network'] !== undefined) {
    if (raw['network'] !== 'none' && raw['network'] !== 'host') problems.push("smm.network: must be 'none' or 'host'");
    else out.network = raw['network'];
  }
  return out;
}
