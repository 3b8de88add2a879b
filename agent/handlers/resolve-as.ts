/**
 * Path resolution as one requester may see it. A search expression (`Table.[Param=="x"].`) may
 * select rows only by parameters the requester may read (ControllerTrust Param r, USP-NOTES
 * §11): a row whose selecting parameter it may not read counts as not matching, whatever the
 * value, so a search cannot be used to test hidden values. (Secured values already compare as
 * "" in the resolver for requesters without SecuredRoles.)
 */
import type { ParsedPath, SearchComponent } from '../../datamodel/path-ast.js';
import { resolveObjects } from '../../datamodel/resolver.js';
import type { Resolution } from '../../datamodel/resolver.js';
import { READ } from '../trust/access.js';
import type { Access } from '../trust/access.js';
import { accessOf } from './context.js';
import type { HandlerContext } from './context.js';

export async function resolveAs(ctx: HandlerContext, p: ParsedPath): Promise<Resolution> {
  const res = await resolveObjects(ctx.dm, p, ctx.requester);
  const acc = accessOf(ctx.requester);
  if (acc.full || !p.segments.some((s) => s.kind === 'search')) return res;
  const firstRef = p.segments.findIndex((s) => s.kind === 'ref');
  if (firstRef >= 0) {
    // After reference following the target path no longer mirrors the requested one: check the
    // searches on the supported path, and refuse a search that follows a reference outright.
    if (p.segments.slice(firstRef).some((s) => s.kind === 'search')) return { ...res, targets: [] };
    let sup = '';
    for (const s of p.segments.slice(0, firstRef)) {
      sup += s.kind === 'name' ? `${s.name}.` : '{i}.';
      if (s.kind === 'search' && !readable(acc, sup, s.components)) return { ...res, targets: [] };
    }
    return res;
  }
  const targets = res.targets.filter((t) => {
    const parts = (t.kind === 'inst' ? t.inst.path : t.parent.path).split('.');
    return p.segments.every((s, k) => s.kind !== 'search' || readable(acc, `${parts.slice(0, k + 1).join('.')}.`, s.components));
  });
  return targets.length === res.targets.length ? res : { ...res, targets };
}

/** Every parameter the components compare may be read on the row `rowPath`. */
function readable(acc: Access, rowPath: string, comps: readonly SearchComponent[]): boolean {
  return comps.every((c) => {
    // A reference followed inside the expression reaches values elsewhere: not for restricted roles.
    if (c.path.some((s) => s.follow)) return false;
    const steps = c.path.map((s) => s.name);
    const name = steps.pop() ?? '';
    const objPath = steps.length > 0 ? `${rowPath}${steps.join('.')}.` : rowPath;
    return (acc.param(objPath, name) & READ) !== 0;
  });
}
