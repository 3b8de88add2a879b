/**
 * Delete (TR-369 §The Delete Message, R-DEL.*). A valid path that resolves to nothing is an
 * empty success, even with allow_partial=false (R-DEL.2a, TP-469 1.25/1.29). Strong references
 * to deleted rows are cleared (R-ARC.12), or their row deleted where TR-181 says so.
 */
import { NotATableError, NotDeletableError, PermissionDeniedError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { Txn } from '../../datamodel/txn.js';
import { joinList, splitList } from '../../datamodel/types.js';
import type { usp } from '../../proto/index.js';
import { WRITE } from '../trust/access.js';
import { accessOf, asPathError, notAnObjectPath } from './context.js';
import type { HandlerContext } from './context.js';
import { resolveAs } from './resolve-as.js';
import { MessageError } from './message-error.js';

type DeletedObjectResult = usp.DeleteResp.DeletedObjectResult.$Shape;

export async function handleDelete(req: usp.Delete.$Shape, ctx: HandlerContext): Promise<usp.DeleteResp.$Shape> {
  const txn = ctx.dm.begin();
  const deletedObjResults: DeletedObjectResult[] = [];
  try {
    for (const requestedPath of req.objPaths ?? []) {
      const sp = txn.savepoint();
      try {
        const affectedPaths: string[] = [];
        const unaffectedPathErrs: usp.DeleteResp.UnaffectedPathError.$Shape[] = [];
        const acc = accessOf(ctx.requester);
        for (const row of await targetRows(requestedPath, ctx)) {
          try {
            // ControllerTrust InstantiatedObj w on the row allows Delete.
            if (!acc.full && !(acc.instance(row.path) & WRITE)) throw new PermissionDeniedError(`${row.path}: permission denied (no right to delete it in this controller's roles)`, row.path);
            deleteRow(ctx.dm, txn, row);
            affectedPaths.push(row.path);
          } catch (e) {
            // R-DEL.3: with allow_partial, matched instances that fail are reported, the rest go ahead.
            if (!req.allowPartial) throw e;
            unaffectedPathErrs.push({ unaffectedPath: row.path, ...asPathError(e) });
          }
        }
        deletedObjResults.push({ requestedPath, operStatus: { operSuccess: { affectedPaths, unaffectedPathErrs } } });
      } catch (e) {
        const pe = asPathError(e);
        if (!req.allowPartial) throw new MessageError(pe.errCode, pe.errMsg, [], requestedPath);
        txn.rollbackTo(sp);
        deletedObjResults.push({ requestedPath, operStatus: { operFailure: pe } });
      }
    }
    deleteDependentRows(ctx.dm, txn);
    clearDanglingReferences(ctx.dm, txn);
    await txn.commit();
  } catch (e) {
    if (!txn.isDone) txn.rollback();
    throw e;
  }
  return { deletedObjResults };
}

async function targetRows(path: string, ctx: HandlerContext): Promise<ObjInstance[]> {
  const p = parsePath(path);
  if (p.leaf.kind !== 'object') throw notAnObjectPath(path);
  const res = await resolveAs(ctx, p);
  if (res.endsAtTable) throw new NotATableError(`'${path}' names a table, not instances; use ${path}* to delete every row`, path);
  if (res.node && !res.node.isTable) throw new NotATableError(`'${path}' is not a table row and cannot be deleted`, path);
  if (res.node && res.node.def.access !== 'readWrite') throw new NotDeletableError(`${res.node.path} rows are removed by the agent only`, path);
  const rows: ObjInstance[] = [];
  for (const t of res.targets) if (t.kind === 'inst') rows.push(t.inst);
  return rows;
}

function deleteRow(dm: DataModel, txn: Txn, row: ObjInstance): void {
  if (dm.tree.get(row.path) !== row) return; // already gone with an ancestor in this message
  const table = row.node;
  const parent = row.parent as ObjInstance;
  if (parent.rowCount(table.name) <= table.def.minEntries) throw new NotDeletableError(`${row.path} cannot be deleted: ${table.path} needs at least ${table.def.minEntries} rows`, row.path);
  table.hooks.beforeDelete?.(row.path);
  txn.deleteRow(row);
}

/**
 * References TR-181 defines as `{{reference|...|delete}}`: the row holding one is deleted when
 * the row it names is deleted, not left with an empty reference. The schema facts we generate
 * from do not record that flag, so the parameters are listed here.
 * - BulkData.Profile.{i}.Controller: the profile collects with that controller's rights; once it
 *   is gone the profile must not fall back to the full rights of a controller-less profile.
 * Subscription.{i}.Recipient has the same rule but is applied by notify/housekeeping.ts, after the
 * deletion's notifications have been queued for the deleted controller (USP-NOTES §10).
 */
const DELETED_WITH_TARGET: readonly { readonly parent: string; readonly table: string; readonly param: string }[] = [
  { parent: 'Device.BulkData.', table: 'Profile', param: 'Controller' },
];

function deleteDependentRows(dm: DataModel, txn: Txn): void {
  for (const d of DELETED_WITH_TARGET) {
    for (const row of dm.tree.get(d.parent)?.rows(d.table) ?? []) {
      const ref = row.values.get(d.param) ?? '';
      if (ref !== '' && !exists(dm, ref)) deleteRow(dm, txn, row);
    }
  }
}

/** Strong references whose target no longer exists are cleared, or their list item removed (R-ARC.12). */
function clearDanglingReferences(dm: DataModel, txn: Txn): void {
  const strong: ParamNode[] = [];
  for (const node of dm.registry.allNodes()) for (const p of node.params.values()) if (p.stored && p.def.pathRef?.refType === 'strong') strong.push(p);
  if (strong.length === 0) return;
  const owners = new Set(strong.map((p) => p.owner));
  for (const inst of dm.tree.subtree(dm.tree.root)) {
    if (!owners.has(inst.node)) continue;
    for (const p of strong) {
      if (p.owner !== inst.node) continue;
      const v = inst.values.get(p.def.name) ?? '';
      if (v === '') continue;
      const items = p.def.list ? splitList(v) : [v];
      const kept = items.filter((i) => i === '' || exists(dm, i));
      if (kept.length !== items.length) txn.setValue(inst, p, p.def.list ? joinList(kept) : '');
    }
  }
}

function exists(dm: DataModel, ref: string): boolean {
  if (dm.tree.get(ref.endsWith('.') ? ref : `${ref}.`)) return true;
  const dot = ref.lastIndexOf('.');
  return dm.tree.get(ref.slice(0, dot + 1))?.node.params.has(ref.slice(dot + 1)) ?? false;
}
