/**
 * Roles compiled into a permission checker (TR-181 ControllerTrust.Role.{i}): within one role the
 * enabled Permission with the highest Order whose Targets cover an element decides all four of
 * its strings; several roles combine by union (USP-NOTES §11). Results are cached per element
 * path; the cache lives as long as the role rows it was built from (ControllerTrust drops the
 * checker on every commit that touches them, and empties it on any commit when a target has a
 * search expression).
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import { NO_ACCESS, PermKind, bitsOf, packPermission } from './access.js';
import type { Access } from './access.js';
import { compileTargets, covers, elementOf } from './targets.js';
import type { CompiledTarget, Element } from './targets.js';

export const TRUST_PATH = 'Device.LocalAgent.ControllerTrust.';

interface CompiledPermission {
  readonly order: number;
  readonly packed: number;
  readonly targets: readonly CompiledTarget[];
}

export interface CompiledRole {
  /** Row path, e.g. `Device.LocalAgent.ControllerTrust.Role.1.`. */
  readonly path: string;
  readonly name: string;
  /** Enabled permissions, highest Order first. */
  readonly perms: readonly CompiledPermission[];
  readonly dynamic: boolean;
}

const v = (i: ObjInstance, name: string): string => i.values.get(name) ?? i.node.params.get(name)?.defaultValue ?? '';

/** A role reference as stored (`...Role.1` or `...Role.1.`) → the row path with its dot. */
export function rolePath(ref: string): string {
  return ref.endsWith('.') ? ref : `${ref}.`;
}

/** Every enabled Role row, compiled, by row path. */
export function compileRoles(dm: DataModel, bad?: (where: string, why: string) => void): Map<string, CompiledRole> {
  const out = new Map<string, CompiledRole>();
  const trust = dm.tree.get(TRUST_PATH);
  for (const role of trust?.rows('Role') ?? []) {
    if (v(role, 'Enable') !== 'true') continue;
    const perms: CompiledPermission[] = [];
    for (const p of role.rows('Permission')) {
      if (v(p, 'Enable') !== 'true') continue;
      const targets = compileTargets(v(p, 'Targets'), (item, why) => bad?.(`${p.path}Targets`, `${item}: ${why}`));
      perms.push({ order: Number(v(p, 'Order')), packed: packPermission(v(p, 'Param'), v(p, 'Obj'), v(p, 'InstantiatedObj'), v(p, 'CommandEvent')), targets });
    }
    perms.sort((a, b) => b.order - a.order);
    out.set(role.path, { path: role.path, name: v(role, 'Name'), perms, dynamic: perms.some((p) => p.targets.some((t) => t.dynamic)) });
  }
  return out;
}

/** Bound on cached element decisions per checker, so a huge model cannot grow it without limit. */
const MAX_CACHE = 100_000;

/** The checker for a set of roles. */
export class RoleAccess implements Access {
  readonly full = false;
  readonly dynamic: boolean;
  private readonly cache = new Map<string, number>();
  private readonly uniform = new Map<string, number | null>();

  constructor(
    private readonly dm: DataModel,
    readonly roles: readonly CompiledRole[],
  ) {
    this.dynamic = roles.some((r) => r.dynamic);
  }

  /** Forgets decisions that depended on values (search targets). */
  clear(): void {
    this.cache.clear();
    this.uniform.clear();
  }

  param(objPath: string, name: string): number {
    return this.paramsUniform(objPath) ?? bitsOf(this.packed(objPath + name, objPath, 'param', name), PermKind.Param);
  }

  paramsUniform(objPath: string): number | undefined {
    let u = this.uniform.get(objPath);
    if (u === undefined) {
      // Object targets cover a parameter exactly when they cover its object, so only a
      // parameter Target of this object can make one parameter differ from the others.
      const e = elementOf(objPath, 'object', '');
      const split = this.roles.some((r) => r.perms.some((p) => p.targets.some((t) => t.leaf.kind === 'param' && covers(this.dm, t, { ...e, kind: 'param', name: t.leaf.name }))));
      u = split ? null : bitsOf(this.packed(objPath, objPath, 'object', ''), PermKind.Param);
      if (this.uniform.size >= MAX_CACHE) this.uniform.clear();
      this.uniform.set(objPath, u);
    }
    return u ?? undefined;
  }

  obj(objPath: string): number {
    return bitsOf(this.packed(objPath, objPath, 'object', ''), PermKind.Obj);
  }

  instance(rowPath: string): number {
    return bitsOf(this.packed(rowPath, rowPath, 'object', ''), PermKind.Inst);
  }

  cmdEvent(objPath: string, name: string): number {
    const isEvent = name.endsWith('!');
    return bitsOf(this.packed(objPath + name, objPath, isEvent ? 'event' : 'command', name.slice(0, isEvent ? -1 : -2)), PermKind.CmdEvent);
  }

  private packed(key: string, objPath: string, kind: Element['kind'], name: string): number {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const e = elementOf(objPath, kind, name);
    let union = 0;
    for (const role of this.roles) {
      for (const perm of role.perms) {
        if (perm.targets.some((t) => covers(this.dm, t, e))) {
          union |= perm.packed; // the highest Order covering the element decides for this role
          break;
        }
      }
    }
    if (this.cache.size >= MAX_CACHE) this.cache.clear();
    this.cache.set(key, union);
    return union;
  }
}

/** The checker for `roles` (NO_ACCESS for none). */
export function accessFor(dm: DataModel, roles: readonly CompiledRole[]): Access {
  return roles.length === 0 ? NO_ACCESS : new RoleAccess(dm, roles);
}

