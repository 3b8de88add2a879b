/**
 * Device.BulkData. through the Registry (TR-181 Device.BulkData, USP-NOTES §16): the read-only
 * capabilities and limits, Status, validators that refuse bad profile settings with the USP error
 * of the failing parameter, the Controller of a new Profile row, the profile and parameter
 * limits, and Profile.{i}.ForceCollection().
 *
 * Error codes: a value that is out of range or not supported (ReportingInterval below
 * MinReportingInterval, a Protocol or EncodingType the agent does not offer, a URL that is not
 * http(s), a wildcard when wildcards are off) is 7012 Invalid Value; a Reference that is not a
 * USP path is 7008 and one outside the supported data model 7026 (as for Subscription
 * ReferenceList); an Add beyond MaxNumberOfProfiles or MaxNumberOfParameterReferences is 7005
 * Resources Exceeded.
 */
import { InvalidPathError, InvalidValueError, ResourcesExceededError } from '../../datamodel/errors.js';
import type { InstanceTree } from '../../datamodel/instances.js';
import type { ObjectNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { ParsedPath } from '../../datamodel/path.js';
import type { Registry } from '../../datamodel/registry.js';
import type { BulkDataConfig } from '../config-bulkdata.js';
import { PROFILE_TABLE } from './profile.js';

export const PROTOCOLS = ['HTTP', 'USPEventNotif'] as const;
export const ENCODINGS = ['JSON', 'CSV'] as const;
export const COMPRESSIONS = ['GZIP', 'Deflate'] as const;
export const METHODS = ['POST', 'PUT'] as const;

/** What the registration needs from the running service. */
export interface BulkDataObjectsDeps {
  readonly config: BulkDataConfig;
  /** The instantiated tree, once the data model is open (for the row limits). */
  tree(): InstanceTree | undefined;
  status(): 'Enabled' | 'Disabled' | 'Error';
  /** ForceCollection() on the profile at `path`: collect and send now, after the response. */
  force(path: string): void;
}

export function registerBulkData(dm: Registry, deps: BulkDataObjectsDeps): void {
  const { config } = deps;
  const fixed = (path: string, value: string): void => void dm.param(path, { get: () => value });
  dm.param('Device.BulkData.Status', { get: () => deps.status() });
  fixed('Device.BulkData.MinReportingInterval', String(config.minReportingInterval));
  fixed('Device.BulkData.Protocols', PROTOCOLS.join(','));
  fixed('Device.BulkData.EncodingTypes', ENCODINGS.join(','));
  fixed('Device.BulkData.ParameterWildCardSupported', 'true');
  fixed('Device.BulkData.MaxNumberOfProfiles', String(config.maxProfiles));
  fixed('Device.BulkData.MaxNumberOfParameterReferences', String(config.maxParameterReferences));
  fixed(`${PROFILE_TABLE}HTTP.CompressionsSupported`, COMPRESSIONS.join(','));
  fixed(`${PROFILE_TABLE}HTTP.MethodsSupported`, METHODS.join(','));

  dm.table(PROFILE_TABLE, {
    initRow: (row) => {
      const profiles = deps.tree()?.get('Device.BulkData.')?.rowCount('Profile') ?? 0;
      // The new row is already in the table when initRow runs.
      if (config.maxProfiles >= 0 && profiles > config.maxProfiles) {
        throw new ResourcesExceededError(`Device.BulkData.MaxNumberOfProfiles is ${config.maxProfiles}`, row.objPath);
      }
      // TR-181 Profile.{i}.Controller: "automatically populated ... using the reference to the USP Controller that created the instance".
      const ctrl = row.creator.controllerPath;
      if (ctrl) row.set('Controller', ctrl.endsWith('.') ? ctrl.slice(0, -1) : ctrl);
    },
  });
  dm.table(`${PROFILE_TABLE}Parameter.{i}.`, {
    initRow: (row) => {
      if (config.maxParameterReferences < 0) return;
      let n = 0;
      for (const p of deps.tree()?.get('Device.BulkData.')?.rows('Profile') ?? []) n += p.rowCount('Parameter');
      if (n > config.maxParameterReferences)
        throw new ResourcesExceededError(`Device.BulkData.MaxNumberOfParameterReferences is ${config.maxParameterReferences}`, row.objPath);
    },
  });
  dm.param(`${PROFILE_TABLE}ReportingInterval`, {
    validate: (v) => {
      // TR-181: "The CPE MAY reject a request to set ReportingInterval to less than MinReportingInterval."
      if (Number(v) < config.minReportingInterval)
        throw new InvalidValueError(`ReportingInterval ${v} is below Device.BulkData.MinReportingInterval (${config.minReportingInterval} s)`);
    },
  });
  const oneOf = (path: string, allowed: readonly string[], what: string, empty = false): void =>
    void dm.param(path, {
      validate: (v) => {
        if (!(allowed.includes(v) || (empty && v === ''))) throw new InvalidValueError(`${what} '${v}' is not supported; use one of ${allowed.join(', ')}`);
      },
    });
  // enumerationRef targetParam="#.Protocols" / "#.EncodingTypes" / CompressionsSupported / MethodsSupported (TR-106).
  oneOf(`${PROFILE_TABLE}Protocol`, PROTOCOLS, 'Protocol', true);
  oneOf(`${PROFILE_TABLE}EncodingType`, ENCODINGS, 'EncodingType', true);
  oneOf(`${PROFILE_TABLE}HTTP.Compression`, ['None', ...COMPRESSIONS], 'Compression');
  oneOf(`${PROFILE_TABLE}HTTP.Method`, METHODS, 'Method');
  dm.param(`${PROFILE_TABLE}HTTP.URL`, { validate: (v) => checkUrl(v) });
  const checkRef = (v: string): void => checkReference(dm, v);
  dm.param(`${PROFILE_TABLE}Parameter.{i}.Reference`, { validate: checkRef });
  dm.param(`${PROFILE_TABLE}HTTP.RequestURIParameter.{i}.Reference`, {
    validate: (v) => {
      checkRef(v);
      if (v !== '' && parsePath(v).leaf.kind !== 'param') throw new InvalidValueError(`RequestURIParameter Reference '${v}' must name a parameter`);
    },
  });
  for (const sep of ['FieldSeparator', 'RowSeparator']) {
    dm.param(`${PROFILE_TABLE}CSVEncoding.${sep}`, {
      validate: (v) => {
        if (v === '') throw new InvalidValueError(`CSVEncoding.${sep} must not be empty`);
      },
    });
  }
  dm.command(`${PROFILE_TABLE}ForceCollection()`, {
    // Sync per TR-181; the collection itself needs the data-model lock, which the Operate
    // message holds, so it runs right after the response.
    run: (_input, ctx) => {
      deps.force(ctx.objPath);
      return {};
    },
  });
}

/** HTTP.URL: empty (not configured yet) or an absolute http/https URL with a host. */
export function checkUrl(v: string): void {
  if (v === '') return;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidValueError(`HTTP.URL '${v}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidValueError(`HTTP.URL '${v}' must be an http or https URL`);
  if (u.hostname === '') throw new InvalidValueError(`HTTP.URL '${v}' has no host`);
}

/**
 * A Parameter Reference: a USP parameter or object path (wildcards, search expressions and
 * reference following allowed, ParameterWildCardSupported is true) within the supported data
 * model. Whether it matches anything is decided at each collection.
 */
export function checkReference(dm: Registry, v: string): void {
  if (v === '') return;
  const p = parsePath(v);
  const node = supportedNode(dm, p);
  if (node && p.leaf.kind === 'param' && !node.params.has(p.leaf.name)) throw new InvalidPathError(`'${v}': ${p.leaf.name} is not a parameter of ${node.path}`);
  if (p.leaf.kind === 'command' || p.leaf.kind === 'event')
    throw new InvalidValueError(`'${v}' names a ${p.leaf.kind}; a Reference names a parameter or an object`);
}

/** The supported object a path ends on; undefined after reference following (known only at run time). */
function supportedNode(dm: Registry, p: ParsedPath): ObjectNode | undefined {
  let node: ObjectNode = dm.root;
  let atTable = false;
  for (const seg of p.segments.slice(1)) {
    if (seg.kind === 'name') {
      if (atTable) throw new InvalidPathError(`'${p.raw}': '${seg.name}' follows a table name where an instance is expected`);
      const child = node.children.get(seg.name);
      if (!child) throw new InvalidPathError(`'${p.raw}': '${seg.name}' is not an object of ${node.path}`);
      node = child;
      atTable = child.isTable;
    } else if (seg.kind === 'ref') {
      return undefined;
    } else {
      if (!atTable) throw new InvalidPathError(`'${p.raw}': an instance selector follows ${node.path}, which is not a table`);
      atTable = false;
    }
  }
  if (atTable && p.leaf.kind === 'param') throw new InvalidPathError(`'${p.raw}': ${node.path} is a table; name an instance before '${p.leaf.name}'`);
  return node;
}
