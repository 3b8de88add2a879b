/**
 * GetInstances (TR-369 §The GetInstances Message, R-GIN.*): the rows of the addressed tables
 * with their unique keys; with first_level_only=false also every nested row (TP-469 1.66/1.67).
 */
import { NotATableError, ObjectNotFoundError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import { parsePath } from '../../datamodel/path.js';
import type { usp } from '../../proto/index.js';
import { READ } from '../trust/access.js';
import { accessOf, asPathError, notAnObjectPath, readForRequester } from './context.js';
import type { HandlerContext } from './context.js';
import { resolveAs } from './resolve-as.js';

type CurrInstance = usp.GetInstancesResp.CurrInstance.$Shape;

export async function handleGetInstances(req: usp.GetInstances.$Shape, ctx: HandlerContext): Promise<usp.GetInstancesResp.$Shape> {
  const reqPathResults: usp.GetInstancesResp.RequestedPathResult.$Shape[] = [];
  for (const requestedPath of req.objPaths ?? []) {
    try {
      reqPathResults.push({ requestedPath, errCode: 0, errMsg: '', currInsts: await instancesOf(requestedPath, req.firstLevelOnly ?? false, ctx) });
    } catch (e) {
      reqPathResults.push({ requestedPath, ...asPathError(e), currInsts: [] });
    }
  }
  return { reqPathResults };
}

async function instancesOf(path: string, firstLevelOnly: boolean, ctx: HandlerContext): Promise<CurrInstance[]> {
  const p = parsePath(path);
  if (p.leaf.kind !== 'object') throw notAnObjectPath(path);
  const res = await resolveAs(ctx, p);
  if (res.node && !res.node.isTable) throw new NotATableError(`'${path}' is not a table (multi-instance object)`, path);
  if (!res.isSearch && res.missing) throw new ObjectNotFoundError(`'${path}' does not exist`, path);
  const rows: ObjInstance[] = [];
  for (const t of res.targets) {
    if (t.kind === 'inst') rows.push(t.inst);
    else rows.push(...t.parent.rows(t.node.name));
  }
  const out: CurrInstance[] = [];
  for (const row of rows) {
    await describe(row, ctx, out);
    if (!firstLevelOnly) await nested(row, ctx, out);
  }
  return out;
}

async function nested(inst: ObjInstance, ctx: HandlerContext, out: CurrInstance[]): Promise<void> {
  for (const child of inst.objects.values()) await nested(child, ctx, out);
  for (const rows of inst.tableRows()) {
    for (const row of rows.values()) {
      await describe(row, ctx, out);
      await nested(row, ctx, out);
    }
  }
}

/**
 * Adds `row` with its unique keys, when the requester may see it (ControllerTrust
 * InstantiatedObj r); a key parameter it may not read (Param r) is left out. Rows below a
 * hidden row are still listed when they are visible themselves.
 */
async function describe(row: ObjInstance, ctx: HandlerContext, out: CurrInstance[]): Promise<void> {
  const acc = accessOf(ctx.requester);
  if (!acc.full && !(acc.instance(row.path) & READ)) return;
  const uniqueKeys: Record<string, string> = {};
  for (const k of row.node.uniqueKeys) {
    for (const name of k.params) {
      const p = row.node.params.get(name);
      if (!p || name in uniqueKeys || (!acc.full && !(acc.param(row.path, name) & READ))) continue;
      uniqueKeys[name] = await readForRequester(ctx, row, p);
    }
  }
  out.push({ instantiatedObjPath: row.path, uniqueKeys });
}
