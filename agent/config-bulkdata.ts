/**
 * The Bulk Data part of the config (`bulkData.*`): the device limits that Device.BulkData.
 * reports (MinReportingInterval, MaxNumberOfProfiles, MaxNumberOfParameterReferences) and the
 * HTTP request timeout. Lower limits make tests and benchmarks quick; a gateway keeps the defaults.
 */

export interface BulkDataConfig {
  /** Device.BulkData.MinReportingInterval in seconds (0 = no minimum). */
  minReportingInterval: number;
  /** Device.BulkData.MaxNumberOfProfiles (-1 = no limit). */
  maxProfiles: number;
  /** Device.BulkData.MaxNumberOfParameterReferences, across all profiles (-1 = no limit). */
  maxParameterReferences: number;
  /** Longest one HTTP transfer may take, in seconds, before it counts as failed. */
  httpTimeoutSeconds: number;
}

export const BULKDATA_DEFAULTS: BulkDataConfig = { minReportingInterval: 60, maxProfiles: 32, maxParameterReferences: 10_000, httpTimeoutSeconds: 30 };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `bulkData` from the raw config, adding every problem to `problems`. */
export function parseBulkData(raw: unknown, problems: string[]): BulkDataConfig {
  if (raw === undefined) return { ...BULKDATA_DEFAULTS };
  if (!isObj(raw)) {
    problems.push('bulkData: must be an object');
    return { ...BULKDATA_DEFAULTS };
  }
  const out = { ...BULKDATA_DEFAULTS };
  const int = (key: keyof BulkDataConfig, min: number, max: number, hint: string): void => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) problems.push(`bulkData.${key}: must be an integer from ${hint}`);
    else out[key] = v;
  };
  for (const k of Object.keys(raw)) if (!(k in BULKDATA_DEFAULTS) && k !== 'comment') problems.push(`bulkData.${k}: unknown setting`);
  int('minReportingInterval', 0, 86400, '0 (no minimum) to 86400');
  int('maxProfiles', -1, 100_000, '-1 (no limit) to 100000');
  int('maxParameterReferences', -1, 10_000_000, '-1 (no limit) to 10000000');
  int('httpTimeoutSeconds', 1, 3600, '1 to 3600');
  return out;
}
