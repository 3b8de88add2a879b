/**
 * What every message handler receives, and the small helpers they share: per-path error
 * capture and parameter writes with the full TR-106 / TR-181 checks.
 */
import type { DataModel } from '../../datamodel/model.js';
import { InternalError, InvalidPathError, ParamReadOnlyError, PermissionDeniedError, UnsupportedParamError, UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import { normalizeValue } from '../../datamodel/types.js';
import { FULL_ACCESS, WRITE } from '../trust/access.js';
import type { Access } from '../trust/access.js';

/** The requester as the handlers see it. */
export interface Requester {
  /** Endpoint ID of the controller ('' for the local admin CLI). */
  readonly endpointId: string;
  /** Instance path of its Device.LocalAgent.Controller row, when it has one. */
  readonly controllerPath: string | undefined;
  /** May read `secured` values (SecuredRoles; always true for the admin CLI). */
  readonly readSecured: boolean;
  /**
   * What its ControllerTrust roles allow (agent/trust). Controllers reaching the agent over an
   * MTP always have one (transport/controllers.ts); in-process callers without one (the admin
   * socket, vendor code) have every right.
   */
  readonly access?: Access;
}

/** The requester's permission checker (FULL_ACCESS when it has none, see Requester.access). */
export function accessOf(requester: Requester): Access {
  return requester.access ?? FULL_ACCESS;
}

export interface HandlerContext {
  readonly dm: DataModel;
  readonly requester: Requester;
  /** Supported USP versions, e.g. `1.0,1.1,1.2,1.3,1.4`. */
  readonly supportedProtocols: string;
}

/** A per-path failure as data (STYLE §4: handlers report per-path outcomes as values). */
export interface PathError {
  readonly errCode: number;
  readonly errMsg: string;
}

/** Converts a thrown UspError into a per-path error; anything else is a bug and propagates to dispatch (7003). */
export function asPathError(e: unknown): PathError {
  if (UspError.is(e)) return { errCode: e.code, errMsg: e.message };
  throw e;
}

/** 7006 unless the requester may write `name` of `objPath` (ControllerTrust Param w: Set and Add values). */
export function checkParamWrite(requester: Requester, objPath: string, name: string): void {
  const acc = accessOf(requester);
  if (!acc.full && !(acc.param(objPath, name) & WRITE)) throw new PermissionDeniedError(`${objPath}${name}: permission denied (no write permission in this controller's roles)`, objPath + name);
}

/** Secured and hidden values read back as "" unless the requester may see them (TP-469 2.27). */
export function readForRequester(ctx: HandlerContext, inst: ObjInstance, p: ParamNode): string | Promise<string> {
  if ((p.def.secured || p.def.hidden) && !ctx.requester.readSecured) return '';
  return ctx.dm.read(inst, p);
}

/** Finds a parameter by a name relative to `inst`; may descend into single-instance children (`Stats.X`), never into tables. */
export function relativeParam(inst: ObjInstance, rel: string): { inst: ObjInstance; param: ParamNode } {
  const parts = rel.split('.');
  let cur: ObjInstance | undefined = inst;
  for (let i = 0; i < parts.length - 1 && cur; i++) cur = cur.objects.get(parts[i] as string);
  const name = parts[parts.length - 1] as string;
  const param = cur?.node.params.get(name);
  if (!cur || !param || rel === '' || rel.endsWith('.')) {
    throw new UnsupportedParamError(`${inst.path}${rel} is not a parameter`, `${inst.path}${rel}`);
  }
  return { inst: cur, param };
}

/**
 * Type-checks and validates `raw` for a write by a controller and returns the canonical value.
 * `creating` is true while the row is being added (writeOnceReadOnly may be given then).
 */
export function checkWrite(inst: ObjInstance, param: ParamNode, raw: string, creating: boolean): string {
  const full = inst.path + param.def.name;
  const d = param.def;
  if (d.access === 'readOnly' || param.countOf || (param.get && !param.set)) throw new ParamReadOnlyError(`${full} is read-only`, full);
  const isKey = inst.node.uniqueKeys.some((k) => !k.functional && k.params.includes(d.name));
  if (!creating && (d.access === 'writeOnceReadOnly' || isKey)) {
    // R-KEY.1: non-functional keys never change once set; writeOnceReadOnly may be set once.
    const current = inst.values.get(d.name) ?? '';
    if (current !== '') throw new ParamReadOnlyError(`${full} can no longer be changed`, full);
  }
  const value = normalizeValue(d, raw);
  // TR-181 USP Alias: never empty, starts with a letter.
  if (d.dataType === 'Alias' && !/^[A-Za-z]/.test(value)) {
    throw new UspError(UspErrorCode.InvalidValue, `${full}: an Alias must be non-empty and start with a letter`, full);
  }
  try {
    param.validate?.(value, { objPath: inst.path, name: d.name, stored: inst.values });
  } catch (e) {
    if (UspError.is(e)) throw e.path ? e : e.withPath(full);
    throw new InternalError(`validator of ${full} failed: ${(e as Error).message}`, full);
  }
  return value;
}

/** 7026 for a path that is not an object path where one is required. */
export function notAnObjectPath(raw: string): UspError {
  return new InvalidPathError(`'${raw}' is not an object path`, raw);
}
