/**
 * Set (TR-369 §The Set Message, R-SET.*). Each requested object path is handled
 * holistically: when a search path matches several objects, one failure undoes the whole
 * path (R-SET.2a), even with allow_partial=true. With allow_partial=false any failure rolls
 * back the entire message and becomes an Error (§Using Allow Partial and Required Parameters).
 */
import { InvalidPathError, ObjectNotFoundError, UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import { parsePath } from '../../datamodel/path.js';
import type { Txn } from '../../datamodel/txn.js';
import type { usp } from '../../proto/index.js';
import { checkReferences } from './references.js';
import { READ } from '../trust/access.js';
import { accessOf, asPathError, checkParamWrite, checkWrite, notAnObjectPath, relativeParam } from './context.js';
import type { HandlerContext } from './context.js';
import { resolveAs } from './resolve-as.js';
import { MessageError } from './message-error.js';

type UpdatedObjectResult = usp.SetResp.UpdatedObjectResult.$Shape;
type ParameterError = usp.SetResp.ParameterError.$Shape;
type UpdatedInstanceResult = usp.SetResp.UpdatedInstanceResult.$Shape;

/** Failure of one requested path, with the instance-level details. */
class PathFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly instFailures: { affectedPath: string; paramErrs: ParameterError[] }[] = [],
  ) {
    super(message);
  }
}

export async function handleSet(req: usp.Set.$Shape, ctx: HandlerContext): Promise<usp.SetResp.$Shape> {
  const txn = ctx.dm.begin();
  const updatedObjResults: UpdatedObjectResult[] = [];
  try {
    for (const obj of req.updateObjs ?? []) {
      const requestedPath = obj.objPath ?? '';
      const sp = txn.savepoint();
      try {
        const results = await setOne(txn, requestedPath, obj.paramSettings ?? [], ctx);
        txn.checkUniqueKeys(sp);
        updatedObjResults.push({ requestedPath, operStatus: { operSuccess: { updatedInstResults: results } } });
      } catch (e) {
        const f = e instanceof PathFailure ? e : toFailure(e);
        if (!req.allowPartial) {
          throw new MessageError(f.code, f.message, f.instFailures.flatMap((i) => i.paramErrs.map((pe) => ({ paramPath: i.affectedPath + pe.param, errCode: pe.errCode ?? 0, errMsg: pe.errMsg ?? '' }))), requestedPath);
        }
        txn.rollbackTo(sp);
        updatedObjResults.push({
          requestedPath,
          operStatus: { operFailure: { errCode: f.code, errMsg: f.message, updatedInstFailures: f.instFailures } },
        });
      }
    }
    await txn.commit();
  } catch (e) {
    if (!txn.isDone) txn.rollback();
    throw e;
  }
  return { updatedObjResults };
}

function toFailure(e: unknown): PathFailure {
  const pe = asPathError(e);
  const path = UspError.is(e) ? e.path : undefined;
  return new PathFailure(pe.errCode, pe.errMsg, path && pe.errCode === (UspErrorCode.DuplicateUniqueKey as number) ? [{ affectedPath: path, paramErrs: [] }] : []);
}

async function setOne(
  txn: Txn,
  path: string,
  settings: readonly usp.Set.UpdateParamSetting.$Shape[],
  ctx: HandlerContext,
): Promise<UpdatedInstanceResult[]> {
  const p = parsePath(path);
  if (p.leaf.kind !== 'object') throw notAnObjectPath(path);
  const res = await resolveAs(ctx, p);
  if (res.endsAtTable) throw new InvalidPathError(`'${path}' names a table; Set needs instances`, path);
  if (!res.isSearch && (res.missing || res.targets.length === 0)) throw new ObjectNotFoundError(`'${path}' does not exist`, path);
  const results: UpdatedInstanceResult[] = [];
  for (const t of res.targets) {
    if (t.kind !== 'inst') continue;
    results.push(setInstance(txn, t.inst, settings, ctx));
  }
  return results;
}

function setInstance(
  txn: Txn,
  inst: ObjInstance,
  settings: readonly usp.Set.UpdateParamSetting.$Shape[],
  ctx: HandlerContext,
): UpdatedInstanceResult {
  const paramErrs: ParameterError[] = [];
  const requiredErrs: ParameterError[] = [];
  const updatedParams: Record<string, string> = {};
  for (const s of settings) {
    const rel = s.param ?? '';
    try {
      const { inst: owner, param } = relativeParam(inst, rel);
      checkParamWrite(ctx.requester, owner.path, param.def.name);
      const value = checkWrite(owner, param, s.value ?? '', false);
      checkReferences(ctx.dm, owner, param, value);
      txn.setValue(owner, param, value);
      // R-SET.3: updated_params leaves out what the requester may not read (Param r); secured
      // values read back as "" without SecuredRoles (TP-469 2.27).
      const acc = accessOf(ctx.requester);
      if (!acc.full && !(acc.param(owner.path, param.def.name) & READ)) continue;
      updatedParams[rel] = !(param.def.secured || param.def.hidden) || ctx.requester.readSecured ? value : '';
    } catch (e) {
      const err = { param: rel, ...asPathError(e) };
      (s.required ? requiredErrs : paramErrs).push(err);
    }
  }
  if (requiredErrs.length > 0) {
    throw new PathFailure(UspErrorCode.RequiredParameterFailed, `a required parameter of ${inst.path} failed`, [{ affectedPath: inst.path, paramErrs: requiredErrs }]);
  }
  return { affectedPath: inst.path, paramErrs, updatedParams };
}
