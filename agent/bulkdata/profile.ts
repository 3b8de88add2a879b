/**
 * A typed view of one Device.BulkData.Profile.{i} row (TR-181 Device.BulkData, USP-NOTES §16),
 * read from committed state so that collection, encoding and sending never look at the tree.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import { UNKNOWN_TIME } from '../../datamodel/types.js';

export const PROFILE_TABLE = 'Device.BulkData.Profile.{i}.';

export interface ParameterRef {
  /** Alternative name in the report ('' = use the path). */
  readonly name: string;
  readonly reference: string;
  readonly exclude: boolean;
}

export interface JsonOptions {
  readonly format: 'ObjectHierarchy' | 'NameValuePair';
  readonly timestamp: 'Unix-Epoch' | 'ISO-8601' | 'None';
}

export interface CsvOptions {
  readonly fieldSeparator: string;
  readonly rowSeparator: string;
  readonly escape: string;
  readonly format: 'ParameterPerRow' | 'ParameterPerColumn';
  readonly timestamp: 'Unix-Epoch' | 'ISO-8601' | 'None';
}

export interface HttpOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly compression: 'None' | 'GZIP' | 'Deflate';
  readonly method: 'POST' | 'PUT';
  readonly useDateHeader: boolean;
  readonly retryEnable: boolean;
  readonly retryMinWaitS: number;
  readonly retryMultiplierX1000: number;
  readonly persistAcrossReboot: boolean;
  /** RequestURIParameter rows with a Reference. */
  readonly uriParams: readonly { readonly name: string; readonly reference: string }[];
}

export interface Profile {
  /** Instance path, e.g. `Device.BulkData.Profile.1.`. */
  readonly path: string;
  readonly enable: boolean;
  readonly name: string;
  readonly protocol: string;
  readonly encoding: string;
  readonly intervalS: number;
  /** TimeReference in ms, undefined for the Unknown Time (the agent picks the phase). */
  readonly timeRefMs: number | undefined;
  /** NumberOfRetainedFailedReports (-1 = as many as possible). */
  readonly retained: number;
  /** Instance path of the creating controller's row (trailing dot), '' when none. */
  readonly controller: string;
  readonly params: readonly ParameterRef[];
  readonly json: JsonOptions;
  readonly csv: CsvOptions;
  readonly http: HttpOptions;
}

const val = (inst: ObjInstance | undefined, name: string): string => (inst ? (inst.values.get(name) ?? inst.node.params.get(name)?.defaultValue ?? '') : '');

/**
 * Separators are written as characters or as XML character references, the form TR-181 uses for
 * the RowSeparator default (`&#13;&#10;`); both are accepted (`&#10;`, `&#x9;`, a literal `;`).
 */
export function decodeSeparator(v: string): string {
  return v.replace(/&#(x[0-9A-Fa-f]+|[0-9]+);/g, (_, n: string) => String.fromCodePoint(n.startsWith('x') ? parseInt(n.slice(1), 16) : parseInt(n, 10)));
}

export function readProfile(row: ObjInstance): Profile {
  const json = row.objects.get('JSONEncoding');
  const csv = row.objects.get('CSVEncoding');
  const http = row.objects.get('HTTP');
  const timeRef = val(row, 'TimeReference');
  const refMs = timeRef === '' || timeRef === UNKNOWN_TIME ? undefined : Date.parse(timeRef);
  const ctrl = val(row, 'Controller');
  return {
    path: row.path,
    enable: val(row, 'Enable') === 'true',
    name: val(row, 'Name'),
    protocol: val(row, 'Protocol'),
    encoding: val(row, 'EncodingType'),
    intervalS: Number(val(row, 'ReportingInterval')) || 86400,
    timeRefMs: refMs === undefined || Number.isNaN(refMs) ? undefined : refMs,
    retained: Number(val(row, 'NumberOfRetainedFailedReports')) || 0,
    controller: ctrl === '' || ctrl.endsWith('.') ? ctrl : `${ctrl}.`,
    params: [...row.rows('Parameter')].map((p) => ({ name: val(p, 'Name'), reference: val(p, 'Reference'), exclude: val(p, 'Exclude') === 'true' })),
    json: {
      format: val(json, 'ReportFormat') === 'NameValuePair' ? 'NameValuePair' : 'ObjectHierarchy',
      timestamp: timestampOption(val(json, 'ReportTimestamp')),
    },
    csv: {
      fieldSeparator: decodeSeparator(val(csv, 'FieldSeparator')) || ',',
      rowSeparator: decodeSeparator(val(csv, 'RowSeparator')) || '\r\n',
      escape: decodeSeparator(val(csv, 'EscapeCharacter')),
      format: val(csv, 'ReportFormat') === 'ParameterPerRow' ? 'ParameterPerRow' : 'ParameterPerColumn',
      timestamp: timestampOption(val(csv, 'RowTimestamp')),
    },
    http: {
      url: val(http, 'URL'),
      username: val(http, 'Username'),
      password: val(http, 'Password'),
      compression: val(http, 'Compression') === 'GZIP' ? 'GZIP' : val(http, 'Compression') === 'Deflate' ? 'Deflate' : 'None',
      method: val(http, 'Method') === 'PUT' ? 'PUT' : 'POST',
      useDateHeader: val(http, 'UseDateHeader') !== 'false',
      retryEnable: val(http, 'RetryEnable') === 'true',
      retryMinWaitS: Number(val(http, 'RetryMinimumWaitInterval')) || 5,
      retryMultiplierX1000: Number(val(http, 'RetryIntervalMultiplier')) || 2000,
      persistAcrossReboot: val(http, 'PersistAcrossReboot') === 'true',
      uriParams: http
        ? [...http.rows('RequestURIParameter')].map((r) => ({ name: val(r, 'Name'), reference: val(r, 'Reference') })).filter((r) => r.reference !== '')
        : [],
    },
  };
}

function timestampOption(v: string): 'Unix-Epoch' | 'ISO-8601' | 'None' {
  return v === 'ISO-8601' || v === 'None' ? v : 'Unix-Epoch';
}

/**
 * Why an enabled profile cannot run, or undefined when it can. A profile with a problem is
 * skipped (and Device.BulkData.Status reports Error) rather than refused at Set time, because a
 * controller fills a profile over several messages.
 */
export function profileProblem(p: Profile, protocols: readonly string[], encodings: readonly string[]): string | undefined {
  if (!protocols.includes(p.protocol)) return `Protocol '${p.protocol}' is not one of ${protocols.join(', ')}`;
  if (!encodings.includes(p.encoding)) return `EncodingType '${p.encoding}' is not one of ${encodings.join(', ')}`;
  if (p.protocol === 'HTTP' && p.http.url === '') return 'HTTP.URL is empty';
  if (p.params.every((r) => r.exclude || r.reference === '')) return 'no Parameter row has a Reference';
  return undefined;
}
