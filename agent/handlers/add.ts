/**
 * Add (TR-369 §The Add Message, R-ADD.*). A search obj_path that matches several tables gets
 * one CreatedObjectResult per table (TP-469 1.95). Unique keys the controller left out are
 * generated (Alias `cpe-N`, R-ADD.5) and every key is returned; unique-key params are
 * implicitly required.
 */
import { InternalError, InvalidPathError, NotATableError, NotCreatableError, PermissionDeniedError, ResourcesExceededError, UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { ObjectNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { Txn } from '../../datamodel/txn.js';
import { normalizeValue } from '../../datamodel/types.js';
import type { usp } from '../../proto/index.js';
import { READ, WRITE } from '../trust/access.js';
import { accessOf, asPathError, checkParamWrite, checkWrite, notAnObjectPath, readForRequester, relativeParam } from './context.js';
import type { HandlerContext } from './context.js';
import { resolveAs } from './resolve-as.js';
import { MessageError } from './message-error.js';
import { checkReferences } from './references.js';

type CreatedObjectResult = usp.AddResp.CreatedObjectResult.$Shape;
type ParameterError = usp.AddResp.ParameterError.$Shape;
type Setting = usp.Add.CreateParamSetting.$Shape;

class RequiredFailure extends UspError {
  constructor(
    message: string,
    readonly rowPath: string,
    readonly paramErrs: ParameterError[],
  ) {
    super(UspErrorCode.RequiredParameterFailed, message, rowPath);
  }
}

export async function handleAdd(req: usp.Add.$Shape, ctx: HandlerContext): Promise<usp.AddResp.$Shape> {
  const txn = ctx.dm.begin();
  const createdObjResults: CreatedObjectResult[] = [];
  try {
    for (const obj of req.createObjs ?? []) {
      const requestedPath = obj.objPath ?? '';
      const sp = txn.savepoint();
      try {
        const tables = await targetTables(requestedPath, ctx);
        const results: CreatedObjectResult[] = [];
        for (const { parent, node } of tables) results.push(await addRow(txn, parent, node, requestedPath, obj.paramSettings ?? [], ctx));
        txn.checkUniqueKeys(sp);
        // A search path matching no table still gets its result: an empty success (R-MSG.4a), so
        // every CreateObject is answered (§The Add Message: one result per create_objs entry).
        if (results.length === 0) results.push({ requestedPath, operStatus: { operSuccess: {} } });
        createdObjResults.push(...results);
      } catch (e) {
        const pe = asPathError(e);
        if (!req.allowPartial) {
          const details = e instanceof RequiredFailure ? e.paramErrs.map((p) => ({ paramPath: e.rowPath + p.param, errCode: p.errCode ?? 0, errMsg: p.errMsg ?? '' })) : [];
          throw new MessageError(pe.errCode, pe.errMsg, details, requestedPath);
        }
        txn.rollbackTo(sp);
        createdObjResults.push({ requestedPath, operStatus: { operFailure: pe } });
      }
    }
    await txn.commit();
  } catch (e) {
    if (!txn.isDone) txn.rollback();
    throw e;
  }
  return { createdObjResults };
}

async function targetTables(path: string, ctx: HandlerContext): Promise<{ parent: ObjInstance; node: ObjectNode }[]> {
  const p = parsePath(path);
  if (p.leaf.kind !== 'object') throw notAnObjectPath(path);
  const res = await resolveAs(ctx, p);
  if (!res.endsAtTable) throw new NotATableError(`'${path}' is not a table (multi-instance object) path`, path);
  if (res.node && res.node.def.access !== 'readWrite') throw new NotCreatableError(`${res.node.path} rows are created by the agent only`, path);
  if (!res.isSearch && res.targets.length === 0) throw new InvalidPathError(`the parent of '${path}' does not exist`, path);
  return res.targets.flatMap((t) => (t.kind === 'table' ? [{ parent: t.parent, node: t.node }] : []));
}

async function addRow(
  txn: Txn,
  parent: ObjInstance,
  table: ObjectNode,
  requestedPath: string,
  settings: readonly Setting[],
  ctx: HandlerContext,
): Promise<CreatedObjectResult> {
  // ControllerTrust Obj w on the table (e.g. Device.LocalAgent.Controller.) allows Add.
  const acc = accessOf(ctx.requester);
  const tablePath = `${parent.path}${table.name}.`;
  if (!acc.full && !(acc.obj(tablePath) & WRITE)) throw new PermissionDeniedError(`${tablePath}: permission denied (no right to add rows in this controller's roles)`, requestedPath);
  if (parent.rowCount(table.name) >= table.maxEntries) {
    throw new ResourcesExceededError(`${parent.path}${table.name}. is full (at most ${table.maxEntries} rows)`, requestedPath);
  }
  const row = txn.addRow(parent, table);
  table.hooks.initRow?.({ objPath: row.path, creator: { controllerPath: ctx.requester.controllerPath }, set: (name, value) => initValue(txn, row, name, value) });
  const keyParams = new Set(table.uniqueKeys.flatMap((k) => k.params));
  const paramErrs: ParameterError[] = [];
  const requiredErrs: ParameterError[] = [];
  const given = new Set<string>();
  for (const s of settings) {
    const rel = s.param ?? '';
    try {
      const { inst, param } = relativeParam(row, rel);
      checkParamWrite(ctx.requester, inst.path, param.def.name);
      const value = checkWrite(inst, param, s.value ?? '', true);
      checkReferences(ctx.dm, inst, param, value);
      txn.setValue(inst, param, value);
      given.add(rel);
    } catch (e) {
      const err = { param: rel, ...asPathError(e) };
      (s.required || keyParams.has(rel) ? requiredErrs : paramErrs).push(err);
    }
  }
  if (requiredErrs.length > 0) throw new RequiredFailure(`a required parameter of the new ${table.path} row failed`, row.path, requiredErrs);
  generateKeys(txn, row, given);
  const uniqueKeys: Record<string, string> = {};
  for (const name of keyParams) {
    const p = row.node.params.get(name);
    // A key the requester may not read is left out of its own AddResp too.
    if (p && (acc.full || acc.param(row.path, name) & READ)) uniqueKeys[name] = await readForRequester(ctx, row, p);
  }
  return { requestedPath, operStatus: { operSuccess: { instantiatedPath: row.path, paramErrs, uniqueKeys } } };
}

/** A value an initRow hook gives the new row: canonicalised, no controller access checks (agent-owned values). */
function initValue(txn: Txn, row: ObjInstance, name: string, value: string): void {
  const p = row.node.params.get(name);
  if (!p?.stored) throw new InternalError(`initRow: ${row.path}${name} is not a stored parameter`, row.path + name);
  txn.setValue(row, p, normalizeValue(p.def, value));
}

/** Fills writable string key params the controller left empty with a unique `cpe-N` value (R-ADD.5, TP-469 1.81). */
function generateKeys(txn: Txn, row: ObjInstance, given: ReadonlySet<string>): void {
  const parent = row.parent as ObjInstance;
  for (const key of row.node.uniqueKeys) {
    for (const name of key.params) {
      const p = row.node.params.get(name);
      if (!p || given.has(name) || !p.stored || p.def.access === 'readOnly') continue;
      if (p.def.type !== 'string' || p.def.pathRef || p.def.enumeration || (row.values.get(name) ?? '') !== '') continue;
      const taken = new Set<string>();
      for (const r of parent.rows(row.node.name)) if (r !== row) taken.add(r.values.get(name) ?? '');
      let value = `cpe-${row.num}`;
      for (let n = 2; taken.has(value); n++) value = `cpe-${row.num}-${n}`;
      txn.setValue(row, p, value);
    }
  }
}
