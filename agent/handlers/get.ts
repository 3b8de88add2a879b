/**
 * Get (TR-369 §The Get Message, R-GET.*): one RequestedPathResult per requested path, in
 * order; per-path errors stay inside their result and never become an Error message.
 */
import { InvalidPathError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import { parsePath } from '../../datamodel/path.js';
import type { usp } from '../../proto/index.js';
import { READ } from '../trust/access.js';
import { accessOf, asPathError, readForRequester } from './context.js';
import type { HandlerContext } from './context.js';
import { resolveAs } from './resolve-as.js';

type ResolvedPathResult = usp.GetResp.ResolvedPathResult.$Shape;
type RequestedPathResult = usp.GetResp.RequestedPathResult.$Shape;

export async function handleGet(req: usp.Get.$Shape, ctx: HandlerContext): Promise<usp.GetResp.$Shape> {
  const maxDepth = req.maxDepth ?? 0;
  const reqPathResults: RequestedPathResult[] = [];
  for (const path of req.paramPaths ?? []) {
    try {
      reqPathResults.push({ requestedPath: path, errCode: 0, errMsg: '', resolvedPathResults: await getOne(path, maxDepth, ctx) });
    } catch (e) {
      reqPathResults.push({ requestedPath: path, ...asPathError(e), resolvedPathResults: [] });
    }
  }
  return { reqPathResults };
}

async function getOne(path: string, maxDepth: number, ctx: HandlerContext): Promise<ResolvedPathResult[]> {
  const p = parsePath(path);
  if (p.leaf.kind === 'command' || p.leaf.kind === 'event') throw new InvalidPathError(`'${path}' names a ${p.leaf.kind}; Get takes object and parameter paths`, path);
  const res = await resolveAs(ctx, p);
  // R-GET.0: a path without search elements that matches nothing instantiated is invalid.
  if (!res.isSearch && res.missing) throw new InvalidPathError(`'${path}' does not exist in the instantiated data model`, path);
  const out: ResolvedPathResult[] = [];
  if (p.leaf.kind === 'param') {
    const name = p.leaf.name;
    if (res.endsAtTable) throw new InvalidPathError(`'${path}': a parameter needs an instance`, path);
    const param = res.node?.params.get(name);
    if (res.node && !param) throw new InvalidPathError(`'${path}': ${name} is not a parameter of ${res.node.path}`, path);
    const acc = accessOf(ctx.requester);
    for (const t of res.targets) {
      if (t.kind !== 'inst') continue;
      const pn = t.inst.node.params.get(name);
      // A parameter the requester may not read is left out silently (ControllerTrust Param r).
      if (!pn || (!acc.full && !(acc.param(t.inst.path, name) & READ))) continue;
      out.push({ resolvedPath: t.inst.path, resultParams: { [name]: await readForRequester(ctx, t.inst, pn) } });
    }
    return out;
  }
  const pending: Promise<void>[] = [];
  for (const t of res.targets) {
    if (t.kind === 'inst') collect(t.inst, maxDepth === 0 ? Infinity : maxDepth, ctx, out, pending);
    else for (const row of t.parent.rows(t.node.name)) collect(row, maxDepth === 0 ? Infinity : maxDepth, ctx, out, pending);
  }
  if (pending.length > 0) await Promise.all(pending);
  return out;
}

/**
 * One ResolvedPathResult per object and sub-object instance (USP ≥1.2), params keyed by name
 * relative to that object; `depth` 1 means the object's own params only (R-GET.5). Parameters
 * the requester may not read (ControllerTrust Param r) are left out, and so is an object with
 * none left unless its Obj r lets the requester resolve it.
 */
function collect(inst: ObjInstance, depth: number, ctx: HandlerContext, out: ResolvedPathResult[], pending: Promise<void>[]): void {
  const acc = accessOf(ctx.requester);
  const resultParams: Record<string, string> = {};
  // One lookup for the whole object unless some permission names one of its parameters.
  const uniform = acc.full ? READ : acc.paramsUniform(inst.path);
  const all = uniform !== undefined && (uniform & READ) !== 0;
  let shown = all;
  for (const p of inst.node.params.values()) {
    const name = p.def.name;
    if (!all) {
      if (uniform !== undefined || !(acc.param(inst.path, name) & READ)) continue;
      shown = true;
    }
    try {
      const v = readForRequester(ctx, inst, p);
      // Synchronous values (stored, derived, most getters) are written at once; only async getters wait.
      if (typeof v === 'string') resultParams[name] = v;
      else pending.push(v.then((x) => void (resultParams[name] = x), () => undefined));
    } catch {
      // A failing live getter leaves that one parameter out rather than failing the whole object (logged by the model).
    }
  }
  if (shown || acc.obj(inst.path) & READ) out.push({ resolvedPath: inst.path, resultParams });
  if (depth <= 1) return;
  for (const child of inst.objects.values()) collect(child, depth - 1, ctx, out, pending);
  for (const rows of inst.tableRows()) for (const row of rows.values()) collect(row, depth - 1, ctx, out, pending);
}
