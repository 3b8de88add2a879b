/**
 * Device.LocalAgent.ControllerTrust behaviour (TR-181 LocalAgent:1, USP-NOTES §11): permission
 * strings and Targets are checked when written, the built-in roles cannot be changed or deleted
 * by anyone (agent/trust/builtin.ts rewrites them at start), InheritedRole is computed from the
 * Credential table, and RequestChallenge()/ChallengeResponse() run the challenge flow
 * (agent/trust/challenge.ts).
 */
import { InternalError, InvalidValueError, NotCreatableError, NotDeletableError, ParamReadOnlyError, UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Registry } from '../../datamodel/registry.js';
import { joinList, normalizeValue, splitList } from '../../datamodel/types.js';
import { builtinRoleOf } from '../trust/builtin.js';
import type { Challenges } from '../trust/challenge.js';
import { inheritedRoles } from '../trust/credentials.js';
import { TRUST_PATH } from '../trust/roles.js';
import { validateTargets } from '../trust/targets.js';

const ROLE = `${TRUST_PATH}Role.{i}.`;
const PERMISSION = `${ROLE}Permission.{i}.`;
const PERM_STRING = /^[r-][w-][x-][n-]$/;

export interface ControllerTrustDeps {
  /** The data model (set once it is open; the registry is built before it). */
  readonly dm: () => DataModel;
  readonly challenges: () => Challenges;
}

export function registerControllerTrust(reg: Registry, deps: ControllerTrustDeps): void {
  const readOnlyIfBuiltin = (objPath: string, name: string): void => {
    if (builtinRoleOf(deps.dm(), objPath)) throw new ParamReadOnlyError(`${objPath}${name}: the built-in roles cannot be changed; create a role of your own`, objPath + name);
  };
  for (const name of ['Enable', 'Name']) reg.param(ROLE + name, { validate: (_v, ctx) => readOnlyIfBuiltin(ctx.objPath, ctx.name) });
  reg.param(`${PERMISSION}Enable`, { validate: (_v, ctx) => readOnlyIfBuiltin(ctx.objPath, ctx.name) });
  reg.param(`${PERMISSION}Order`, { validate: (_v, ctx) => readOnlyIfBuiltin(ctx.objPath, ctx.name) });
  reg.param(`${PERMISSION}Targets`, {
    validate: (value, ctx) => {
      readOnlyIfBuiltin(ctx.objPath, ctx.name);
      validateTargets(value);
    },
  });
  for (const name of ['Param', 'Obj', 'InstantiatedObj', 'CommandEvent']) {
    reg.param(PERMISSION + name, {
      validate: (value, ctx) => {
        readOnlyIfBuiltin(ctx.objPath, ctx.name);
        if (!PERM_STRING.test(value)) throw new InvalidValueError(`${ctx.objPath}${name}: '${value}' is not a permission string (4 characters rwxn, '-' for none, e.g. r--n)`);
      },
    });
  }
  reg.object(ROLE, { beforeDelete: (path) => refuseBuiltin(deps.dm(), path) });
  reg.object(PERMISSION, {
    beforeDelete: (path) => refuseBuiltin(deps.dm(), path),
    initRow: (row) => {
      if (builtinRoleOf(deps.dm(), row.objPath)) throw new NotCreatableError(`the built-in role ${row.objPath.replace(/Permission\.\d+\.$/, '')} cannot get permissions`, row.objPath);
    },
  });
  reg.param('Device.LocalAgent.Controller.{i}.InheritedRole', {
    get: (ctx) => {
      const row = deps.dm().tree.get(ctx.objPath);
      return row ? joinList(inheritedRoles(deps.dm(), row).map((p) => p.slice(0, -1))) : '';
    },
  });
  registerChallengeCommands(reg, deps);
}

function refuseBuiltin(dm: DataModel, path: string): void {
  if (builtinRoleOf(dm, path)) throw new NotDeletableError(`${path} belongs to a built-in role and cannot be deleted`, path);
}

function registerChallengeCommands(reg: Registry, deps: ControllerTrustDeps): void {
  /** The requesting controller's row; the admin CLI and unknown endpoints have none. */
  const controllerOf = (requestor: string): string => {
    for (const c of deps.dm().tree.get('Device.LocalAgent.')?.rows('Controller') ?? []) if (c.values.get('EndpointID') === requestor && requestor !== '') return c.path;
    throw new UspError(UspErrorCode.RequestDenied, 'only a controller known to this agent can take a challenge');
  };
  reg.command(`${TRUST_PATH}RequestChallenge()`, {
    run: (input, ctx) => {
      const raw = input.RequestExpiration;
      const exp = raw === undefined || raw === '' ? undefined : Number(raw);
      if (exp !== undefined && !(Number.isInteger(exp) && exp >= 0)) throw new InvalidValueError(`RequestExpiration '${raw}' is not a number of seconds`);
      return { ...deps.challenges().request(controllerOf(ctx.requestor), input.ChallengeRef ?? '', exp) };
    },
  });
  reg.command(`${TRUST_PATH}ChallengeResponse()`, {
    run: async (input, ctx) => {
      const controller = controllerOf(ctx.requestor);
      const roles = deps.challenges().respond(controller, input.ChallengeID ?? '', input.Value ?? '');
      await ctx.transaction((txn, tree) => {
        const row = tree.get(controller);
        const p = row?.node.params.get('AssignedRole');
        if (!row || !p) throw new InternalError(`${controller} is gone`);
        const have = splitList(row.values.get('AssignedRole') ?? '').filter((s) => s !== '');
        const norm = (s: string): string => s.replace(/\.$/, '');
        for (const r of roles) if (tree.get(`${norm(r)}.`) && !have.some((h) => norm(h) === norm(r))) have.push(norm(r));
        txn.setValue(row, p, normalizeValue(p.def, joinList(have)));
      });
      return {};
    },
  });
}
