/**
 * The built-in roles, written at every start so they always say what this file says (an older
 * database gets them too): "Full Access" and "Untrusted". Controllers cannot change or delete
 * them (controller-trust.ts refuses it); operators make their own roles next to them.
 *
 * Untrusted (TR-181 ControllerTrust.UntrustedRole, TP-469 2.9) grants only what onboarding
 * needs: reading who the device is, seeing the Challenge rows, and running RequestChallenge()
 * and ChallengeResponse() to earn a role (R-SEC.16).
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Txn } from '../../datamodel/txn.js';
import { normalizeValue } from '../../datamodel/types.js';
import { TRUST_PATH } from './roles.js';

interface PermissionSpec {
  readonly Alias: string;
  readonly Order: string;
  readonly Targets: string;
  readonly Param: string;
  readonly Obj: string;
  readonly InstantiatedObj: string;
  readonly CommandEvent: string;
}

interface RoleSpec {
  readonly alias: string;
  readonly name: string;
  readonly permissions: readonly PermissionSpec[];
}

export const FULL_ACCESS_ALIAS = 'full-access';
export const UNTRUSTED_ALIAS = 'untrusted';
const IDENTITY = ['Manufacturer', 'ManufacturerOUI', 'ModelName', 'ProductClass', 'SerialNumber', 'SoftwareVersion'].map((n) => `Device.DeviceInfo.${n}`);

export const BUILTIN_ROLES: readonly RoleSpec[] = [
  {
    alias: FULL_ACCESS_ALIAS,
    name: 'Full Access',
    permissions: [{ Alias: 'all', Order: '1', Targets: 'Device.', Param: 'rw-n', Obj: 'rw-n', InstantiatedObj: 'rw-n', CommandEvent: 'r-xn' }],
  },
  {
    alias: UNTRUSTED_ALIAS,
    name: 'Untrusted',
    permissions: [
      { Alias: 'identity', Order: '1', Targets: [...IDENTITY, 'Device.LocalAgent.EndpointID', 'Device.LocalAgent.SupportedProtocols'].join(','), Param: 'r---', Obj: '----', InstantiatedObj: '----', CommandEvent: '----' },
      { Alias: 'challenges', Order: '2', Targets: `${TRUST_PATH}Challenge.`, Param: 'r---', Obj: 'r---', InstantiatedObj: 'r---', CommandEvent: '----' },
      { Alias: 'answer', Order: '3', Targets: `${TRUST_PATH}RequestChallenge(),${TRUST_PATH}ChallengeResponse()`, Param: '----', Obj: '----', InstantiatedObj: '----', CommandEvent: 'r-x-' },
    ],
  },
];

const BUILTIN_ALIASES = new Set(BUILTIN_ROLES.map((r) => r.alias));
const ROLE_ROW = /^Device\.LocalAgent\.ControllerTrust\.Role\.\d+\./;

/** The built-in Role row `path` is, or is below; undefined for anything else. */
export function builtinRoleOf(dm: DataModel, path: string): ObjInstance | undefined {
  const m = ROLE_ROW.exec(path);
  const role = m ? dm.tree.get(m[0]) : undefined;
  return role && BUILTIN_ALIASES.has(role.values.get('Alias') ?? '') ? role : undefined;
}

/** Reference to a row as stored in a path list (no trailing dot). */
export const refTo = (row: ObjInstance): string => row.path.slice(0, -1);

function setValues(txn: Txn, row: ObjInstance, values: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(values)) {
    const p = row.node.params.get(name);
    if (!p) continue;
    const canonical = normalizeValue(p.def, value);
    if ((row.values.get(name) ?? p.defaultValue) !== canonical) txn.setValue(row, p, canonical);
  }
}

/** Creates or restores the built-in roles; fills UntrustedRole when it is empty. */
export function provisionBuiltinRoles(dm: DataModel, txn: Txn): void {
  const trust = dm.tree.get(TRUST_PATH);
  const table = trust?.node.children.get('Role');
  if (!trust || !table) return;
  for (const spec of BUILTIN_ROLES) {
    let role = [...trust.rows('Role')].find((r) => r.values.get('Alias') === spec.alias);
    if (!role) {
      // A role an operator made with the same Name would break the unique key: rename it aside.
      const clash = [...trust.rows('Role')].find((r) => r.values.get('Name') === spec.name);
      if (clash) setValues(txn, clash, { Name: `${spec.name} (renamed ${clash.num})` });
      role = txn.addRow(trust, table);
      setValues(txn, role, { Alias: spec.alias });
    }
    setValues(txn, role, { Name: spec.name, Enable: 'true' });
    const permTable = role.node.children.get('Permission');
    if (!permTable) continue;
    const have = [...role.rows('Permission')];
    const same = have.length === spec.permissions.length && spec.permissions.every((ps) => have.some((r) => r.values.get('Enable') === 'true' && Object.entries(ps).every(([k, val]) => (r.values.get(k) ?? '') === val)));
    if (same) continue;
    for (const r of have) txn.deleteRow(r);
    for (const ps of spec.permissions) setValues(txn, txn.addRow(role, permTable), { ...ps, Enable: 'true' });
  }
  const untrusted = [...trust.rows('Role')].find((r) => r.values.get('Alias') === UNTRUSTED_ALIAS);
  if (untrusted && (trust.values.get('UntrustedRole') ?? '') === '') setValues(txn, trust, { UntrustedRole: refTo(untrusted) });
}

/**
 * Controllers named in the agent's own configuration file are set up by the device's operator
 * (the same trust as the admin socket): they get Full Access when they have no AssignedRole yet.
 * A role given later (over USP or the admin CLI) is kept.
 */
export function assignConfiguredRoles(dm: DataModel, txn: Txn, endpointIds: readonly string[]): void {
  const full = [...(dm.tree.get(TRUST_PATH)?.rows('Role') ?? [])].find((r) => r.values.get('Alias') === FULL_ACCESS_ALIAS);
  if (!full) return;
  const wanted = new Set(endpointIds);
  for (const c of dm.tree.get('Device.LocalAgent.')?.rows('Controller') ?? []) {
    if (wanted.has(c.values.get('EndpointID') ?? '') && (c.values.get('AssignedRole') ?? '') === '') setValues(txn, c, { AssignedRole: refTo(full) });
  }
}
