/**
 * GetSupportedDM (TR-369 §The GetSupportedDM Message, R-GSP.0). Paths may use `{i}`, concrete
 * instances or searches; a command, event or parameter path returns just that element and the
 * return_* flags and first_level_only are ignored (TP-469 1.105-1.107). Enum 0 values are never
 * reported.
 */
import { InvalidPathError, ObjectNotFoundError } from '../../datamodel/errors.js';
import type { ObjectNode, ParamNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { ArgListDef } from '../../datamodel/schema/types.js';
import { CmdType, ObjAccessType, ParamAccessType, ParamValueType, ValueChangeType } from '../../proto/index.js';
import type { usp } from '../../proto/index.js';
import { accessOf, asPathError } from './context.js';
import { asSeenBy } from './gsdm-access.js';
import type { HandlerContext } from './context.js';

type SupportedObjectResult = usp.GetSupportedDMResp.SupportedObjectResult.$Shape;
type Flags = Pick<usp.GetSupportedDM.$Shape, 'firstLevelOnly' | 'returnCommands' | 'returnEvents' | 'returnParams' | 'returnUniqueKeySets'>;

export function handleGetSupportedDM(req: usp.GetSupportedDM.$Shape, ctx: HandlerContext, dataModelUri: string): usp.GetSupportedDMResp.$Shape {
  const reqObjResults: usp.GetSupportedDMResp.RequestedObjectResult.$Shape[] = [];
  for (const reqObjPath of req.objPaths ?? []) {
    try {
      reqObjResults.push({ reqObjPath, errCode: 0, errMsg: '', dataModelInstUri: dataModelUri, supportedObjs: supportedFor(reqObjPath, req, ctx) });
    } catch (e) {
      reqObjResults.push({ reqObjPath, ...asPathError(e), dataModelInstUri: '', supportedObjs: [] });
    }
  }
  return { reqObjResults };
}

function supportedFor(path: string, flags: Flags, ctx: HandlerContext): SupportedObjectResult[] {
  const p = parsePath(path, { allowSupported: true });
  let node: ObjectNode = ctx.dm.registry.root;
  let atTable = false;
  let concrete = true;
  for (const seg of p.segments.slice(1)) {
    if (seg.kind === 'name') {
      const child: ObjectNode | undefined = atTable ? undefined : node.children.get(seg.name);
      if (!child) throw new InvalidPathError(`'${path}': '${seg.name}' is not a supported object under ${node.path}`, path);
      node = child;
      atTable = child.isTable;
    } else if (seg.kind === 'ref') {
      throw new InvalidPathError(`'${path}': reference following is not allowed in GetSupportedDM`, path);
    } else {
      if (!atTable) throw new InvalidPathError(`'${path}': instance selector after ${node.path}, which is not a table`, path);
      atTable = false;
      if (seg.kind !== 'instance') concrete = false;
    }
  }
  // An instantiated path must name existing instances (7016), whatever it ends in: an object,
  // a table below the instance, or a parameter, command or event of it.
  if (concrete) {
    let instPath = '';
    let checked = '';
    for (const seg of p.segments) {
      instPath += seg.kind === 'instance' ? `${seg.instance}.` : seg.kind === 'name' ? `${seg.name}.` : '';
      if (seg.kind === 'instance') checked = instPath;
    }
    if (checked !== '' && !ctx.dm.tree.get(checked)) throw new ObjectNotFoundError(`'${path}': ${checked} does not exist`, path);
  }
  const acc = accessOf(ctx.requester);
  const leaf = p.leaf;
  if (leaf.kind !== 'object') {
    const base = describeObject(node, {});
    if (leaf.kind === 'param') {
      const pn = node.params.get(leaf.name);
      if (!pn) throw new InvalidPathError(`'${path}': ${leaf.name} is not a parameter of ${node.path}`, path);
      base.supportedParams = [describeParam(pn)];
    } else if (leaf.kind === 'command') {
      // The parser's leaf name has no `()`; the registry keys commands with it (`Download()`).
      const c = node.commands.get(`${leaf.name}()`);
      if (!c) throw new InvalidPathError(`'${path}': ${leaf.name}() is not a command of ${node.path}`, path);
      base.supportedCommands = [describeCommand(c.def.name, c.def.async, c.def.input, c.def.output)];
    } else {
      // Likewise events are keyed with their `!` (`Boot!`).
      const ev = node.events.get(`${leaf.name}!`);
      if (!ev) throw new InvalidPathError(`'${path}': ${leaf.name}! is not an event of ${node.path}`, path);
      base.supportedEvents = [{ eventName: ev.def.name, argNames: argNames({ params: ev.def.args, ...(ev.def.argObjects && { objects: ev.def.argObjects }) }) }];
    }
    return [asSeenBy(acc, node, base, true) ?? base];
  }
  const out: SupportedObjectResult[] = [];
  const push = (n: ObjectNode, f: Flags): void => {
    const seen = asSeenBy(acc, n, describeObject(n, f), false);
    if (seen) out.push(seen);
  };
  push(node, flags);
  if (flags.firstLevelOnly) {
    for (const child of node.children.values()) push(child, {});
  } else {
    const walk = (n: ObjectNode): void => {
      for (const child of n.children.values()) {
        push(child, flags);
        walk(child);
      }
    };
    walk(node);
  }
  return out;
}

function describeObject(node: ObjectNode, flags: Flags): SupportedObjectResult {
  return {
    supportedObjPath: node.path,
    access: node.isTable && node.def.access === 'readWrite' ? ObjAccessType.OBJ_ADD_DELETE : ObjAccessType.OBJ_READ_ONLY,
    isMultiInstance: node.isTable,
    supportedCommands: flags.returnCommands ? [...node.commands.values()].map((c) => describeCommand(c.def.name, c.def.async, c.def.input, c.def.output)) : [],
    supportedEvents: flags.returnEvents
      ? [...node.events.values()].map((e) => ({ eventName: e.def.name, argNames: argNames({ params: e.def.args, ...(e.def.argObjects && { objects: e.def.argObjects }) }) }))
      : [],
    supportedParams: flags.returnParams ? [...node.params.values()].map(describeParam) : [],
    divergentPaths: [],
    uniqueKeySets: flags.returnUniqueKeySets ? node.uniqueKeys.map((k) => ({ keyNames: [...k.params] })) : [],
  };
}

const VALUE_TYPE: Record<string, number> = {
  base64: ParamValueType.PARAM_BASE_64,
  boolean: ParamValueType.PARAM_BOOLEAN,
  dateTime: ParamValueType.PARAM_DATE_TIME,
  decimal: ParamValueType.PARAM_DECIMAL,
  hexBinary: ParamValueType.PARAM_HEX_BINARY,
  int: ParamValueType.PARAM_INT,
  long: ParamValueType.PARAM_LONG,
  string: ParamValueType.PARAM_STRING,
  unsignedInt: ParamValueType.PARAM_UNSIGNED_INT,
  unsignedLong: ParamValueType.PARAM_UNSIGNED_LONG,
};

function describeParam(p: ParamNode): usp.GetSupportedDMResp.SupportedParamResult.$Shape {
  const writable = p.def.access !== 'readOnly' && !p.countOf && !(p.get && !p.set);
  return {
    paramName: p.def.name,
    // writeOnceReadOnly is reported as read-write (TP-469 1.104).
    access: writable ? ParamAccessType.PARAM_READ_WRITE : ParamAccessType.PARAM_READ_ONLY,
    // A list travels as a comma-separated string.
    valueType: p.def.list ? ParamValueType.PARAM_STRING : (VALUE_TYPE[p.def.type] ?? ParamValueType.PARAM_STRING),
    valueChange: p.valueChangeDenied ? ValueChangeType.VALUE_CHANGE_WILL_IGNORE : ValueChangeType.VALUE_CHANGE_ALLOWED,
  };
}

function describeCommand(name: string, isAsync: boolean, input: ArgListDef | undefined, output: ArgListDef | undefined): usp.GetSupportedDMResp.SupportedCommandResult.$Shape {
  return {
    commandName: name,
    inputArgNames: argNames(input),
    outputArgNames: argNames(output),
    commandType: isAsync ? CmdType.CMD_ASYNC : CmdType.CMD_SYNC,
  };
}

/** Relative argument names; argument objects in supported notation (`TimeWindow.{i}.Start`). */
function argNames(list: ArgListDef | undefined): string[] {
  if (!list) return [];
  const names = list.params.map((a) => a.name);
  for (const o of list.objects ?? []) for (const a of o.params) names.push(`${o.path}${a.name}`);
  return names;
}
