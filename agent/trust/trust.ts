/**
 * ControllerTrust at run time (TR-369 §Authentication and Authorization, USP-NOTES §11): which
 * roles each controller has and the compiled permission checker for them.
 * - Roles = AssignedRole ∪ InheritedRole; a controller with neither gets UntrustedRole (TP-469
 *   2.9). A controller holding BannedRole is refused altogether.
 * - SecuredRoles: a controller with one of them reads `secured` values (TP-469 2.27).
 * - Checkers are cached per Controller row and dropped on every commit that touches
 *   ControllerTrust, the Controller table or the Certificate table (R-SEC.1: authorization is
 *   checked before every action, against committed state). Nothing is kept across restarts
 *   (R-SEC.21).
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ChangeEvent } from '../../datamodel/txn.js';
import { splitList } from '../../datamodel/types.js';
import type { Logger } from '../log.js';
import { NO_ACCESS } from './access.js';
import type { Access } from './access.js';
import { inheritedRoles } from './credentials.js';
import { accessFor, compileRoles, rolePath, RoleAccess, TRUST_PATH } from './roles.js';
import type { CompiledRole } from './roles.js';

/** What one controller may do. */
export interface ControllerRights {
  readonly access: Access;
  /** May read `secured` parameter values (SecuredRoles). */
  readonly readSecured: boolean;
  /** Holds BannedRole: refuse its messages and send it nothing. */
  readonly banned: boolean;
  /** Row paths of the roles that apply (for logs and tests). */
  readonly roles: readonly string[];
}

const NONE: ControllerRights = { access: NO_ACCESS, readSecured: false, banned: false, roles: [] };
const CONTROLLER_PATH = 'Device.LocalAgent.Controller.';
const CERTIFICATE_PATH = 'Device.LocalAgent.Certificate.';

export class ControllerTrust {
  private roles: Map<string, CompiledRole> | undefined;
  /** Goes up on every commit that may change a controller's rights (callers caching rights compare it). */
  generation = 0;
  private readonly rights = new Map<string, ControllerRights>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly dm: DataModel,
    private readonly log?: Logger,
  ) {
    this.unsubscribe = dm.onChange((events) => this.committed(events));
  }

  stop(): void {
    this.unsubscribe();
  }

  /** The rights of the controller whose Device.LocalAgent.Controller.{i} row is `controllerPath`. */
  rightsOf(controllerPath: string): ControllerRights {
    const hit = this.rights.get(controllerPath);
    if (hit) return hit;
    const row = this.dm.tree.get(controllerPath);
    const r = row ? this.compute(row) : NONE;
    this.rights.set(controllerPath, r);
    return r;
  }

  /** Rights of a Controller row, also one a commit just deleted (the notifier still reaches it once). */
  rightsOfRow(row: ObjInstance): ControllerRights {
    return this.dm.tree.get(row.path) === row ? this.rightsOf(row.path) : this.compute(row);
  }

  /** The Controller row with this Endpoint ID. */
  controllerRow(endpointId: string): ObjInstance | undefined {
    for (const c of this.dm.tree.get('Device.LocalAgent.')?.rows('Controller') ?? []) if (c.values.get('EndpointID') === endpointId) return c;
    return undefined;
  }

  private compute(row: ObjInstance): ControllerRights {
    const roles = (this.roles ??= compileRoles(this.dm, (where, why) => this.log?.warn('TRU-W01', `${where}: ignored target ${why}`)));
    const trust = this.dm.tree.get(TRUST_PATH);
    const list = (i: ObjInstance | undefined, name: string): string[] => splitList(i?.values.get(name) ?? '').filter((s) => s !== '').map(rolePath);
    let mine = [...new Set([...list(row, 'AssignedRole'), ...inheritedRoles(this.dm, row)])];
    if (mine.length === 0) mine = list(trust, 'UntrustedRole');
    const banned = list(trust, 'BannedRole');
    const secured = new Set(list(trust, 'SecuredRoles'));
    const compiled = mine.flatMap((p) => roles.get(p) ?? []);
    return {
      access: accessFor(this.dm, compiled),
      readSecured: mine.some((p) => secured.has(p)),
      banned: mine.some((p) => banned.includes(p)),
      roles: compiled.map((r) => r.path),
    };
  }

  private committed(events: readonly ChangeEvent[]): void {
    const relevant = events.some((e) => e.objPath.startsWith(TRUST_PATH) || e.objPath.startsWith(CONTROLLER_PATH) || e.objPath.startsWith(CERTIFICATE_PATH));
    if (relevant) {
      this.roles = undefined;
      this.rights.clear();
      this.generation++;
      return;
    }
    // Search targets depend on values anywhere in the model.
    for (const r of this.rights.values()) if (r.access instanceof RoleAccess && r.access.dynamic) r.access.clear();
  }
}
