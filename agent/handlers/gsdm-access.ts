/**
 * GetSupportedDM as one controller sees it (TR-181 ControllerTrust permissions, USP-NOTES §11):
 * an object needs Obj r to be described, a parameter Param r, a command or event CommandEvent r.
 * Access is narrowed to what the roles allow: a writable parameter without Param w reads as
 * read-only, a table without Obj w cannot be added to, without InstantiatedObj w not deleted from.
 */
import type { ObjectNode } from '../../datamodel/nodes.js';
import { ObjAccessType, ParamAccessType } from '../../proto/index.js';
import type { usp } from '../../proto/index.js';
import { READ, WRITE } from '../trust/access.js';
import type { Access } from '../trust/access.js';

type SupportedObjectResult = usp.GetSupportedDMResp.SupportedObjectResult.$Shape;

/** `r` narrowed for `acc`; undefined when the object itself is hidden (and `leaf` is false). */
export function asSeenBy(acc: Access, node: ObjectNode, r: SupportedObjectResult, leaf: boolean): SupportedObjectResult | undefined {
  if (acc.full) return r;
  const path = node.path;
  if (!leaf && !(acc.obj(path) & READ)) return undefined;
  let access = r.access;
  if (node.isTable && access !== ObjAccessType.OBJ_READ_ONLY) {
    // Add is checked on the table path (`X.`), Delete on its rows (`X.{i}.`).
    const add = (acc.obj(path.slice(0, -'{i}.'.length)) & WRITE) !== 0;
    const del = (acc.instance(path) & WRITE) !== 0;
    access = add && del ? ObjAccessType.OBJ_ADD_DELETE : add ? ObjAccessType.OBJ_ADD_ONLY : del ? ObjAccessType.OBJ_DELETE_ONLY : ObjAccessType.OBJ_READ_ONLY;
  }
  const supportedParams = (r.supportedParams ?? []).flatMap((p) => {
    const bits = acc.param(path, p.paramName ?? '');
    const writable = p.access === ParamAccessType.PARAM_READ_WRITE && (bits & WRITE) !== 0;
    if (bits & READ) return [{ ...p, access: writable ? ParamAccessType.PARAM_READ_WRITE : ParamAccessType.PARAM_READ_ONLY }];
    return writable ? [{ ...p, access: ParamAccessType.PARAM_WRITE_ONLY }] : [];
  });
  const supportedCommands = (r.supportedCommands ?? []).filter((c) => acc.cmdEvent(path, c.commandName ?? '') & READ);
  const supportedEvents = (r.supportedEvents ?? []).filter((e) => acc.cmdEvent(path, e.eventName ?? '') & READ);
  return { ...r, access, supportedParams, supportedCommands, supportedEvents };
}
