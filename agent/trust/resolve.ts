/**
 * Path resolution as one reader may see it: the handlers (for the requester of a message), Bulk
 * Data (for a profile's Controller) and the notifier (for a subscription's Recipient) all use it.
 * A search expression (`Table.[Param=="x"].`) may select rows only by parameters the reader may
 * read (ControllerTrust Param r, USP-NOTES §11): a row whose selecting parameter it may not read
 * counts as not matching, whatever the value, so a search cannot be used to test hidden values.
 * Secured values already compare as "" in the resolver for readers without SecuredRoles.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { ParsedPath, SearchComponent } from '../../datamodel/path-ast.js';
import { resolveObjects } from '../../datamodel/resolver.js';
import type { Resolution } from '../../datamodel/resolver.js';
import { READ } from './access.js';
import type { Access } from './access.js';

/** Who resolves: its permission checker and whether it reads secured values. */
export interface Reader {
  readonly access: Access;
  readonly readSecured: boolean;
}

export async function resolveFor(dm: DataModel, p: ParsedPath, reader: Reader): Promise<Resolution> {
  const res = await resolveObjects(dm, p, { readSecured: reader.readSecured });
  return searchesReadable(p, res, reader.access);
}

/** `res` (a resolution of `p`) without the targets a search selected by values `acc` may not read. */
export function searchesReadable(p: ParsedPath, res: Resolution, acc: Access): Resolution {
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
export function readable(acc: Access, rowPath: string, comps: readonly SearchComponent[]): boolean {
  return comps.every((c) => {
    // A reference followed inside the expression reaches values elsewhere: not for restricted roles.
    if (c.path.some((s) => s.follow)) return false;
    const steps = c.path.map((s) => s.name);
    const name = steps.pop() ?? '';
    const objPath = steps.length > 0 ? `${rowPath}${steps.join('.')}.` : rowPath;
    return (acc.param(objPath, name) & READ) !== 0;
  });
}
