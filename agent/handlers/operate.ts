/**
 * Operate (TR-369 §The Operate Message, R-OPR.*). The command path may be a search path: one
 * OperationResult per matched object (R-OPR.2), none when nothing matches (R-MSG.4a). Path
 * problems are whole-message Errors (7026, 7008, 7016); everything about one command (its
 * arguments, its run) is that result's cmd_failure (R-OPR.1). Only commands that have an
 * implementation are in the supported data model (Registry.freeze), so an unimplemented TR-181
 * command is an invalid path (7026) here and absent from GetSupportedDM.
 */
import { InvalidPathError, ObjectNotFoundError, PermissionDeniedError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { CommandNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { usp } from '../../proto/index.js';
import { checkInputArgs } from '../operate/args.js';
import type { RequestTable } from '../operate/requests.js';
import { EXEC } from '../trust/access.js';
import { accessOf, asPathError } from './context.js';
import type { HandlerContext } from './context.js';
import { resolveAs } from './resolve-as.js';

type OperationResult = usp.OperateResp.OperationResult.$Shape;

export async function handleOperate(req: usp.Operate.$Shape, ctx: HandlerContext, requests: RequestTable): Promise<usp.OperateResp.$Shape> {
  const command = req.command ?? '';
  const operationResults: OperationResult[] = [];
  const acc = accessOf(ctx.requester);
  for (const { inst, cmd } of await targets(command, ctx)) {
    const executedCommand = inst.path + cmd.def.name;
    // ControllerTrust CommandEvent x allows Operate; refused per command (R-OPR.1).
    if (!acc.full && !(acc.cmdEvent(inst.path, cmd.def.name) & EXEC)) {
      operationResults.push({ executedCommand, cmdFailure: asPathError(new PermissionDeniedError(`${executedCommand}: permission denied (no execute permission in this controller's roles)`, executedCommand)) });
      continue;
    }
    const inv = { cmd, objPath: inst.path, commandKey: req.commandKey ?? '', originator: ctx.requester.endpointId };
    let input: Record<string, string>;
    try {
      input = checkInputArgs(cmd.def.input, req.inputArgs ?? {}, executedCommand);
    } catch (e) {
      operationResults.push({ executedCommand, cmdFailure: asPathError(e) });
      continue;
    }
    if (cmd.def.async) {
      try {
        operationResults.push({ executedCommand, reqObjPath: await requests.startAsync({ ...inv, input }) });
      } catch (e) {
        operationResults.push({ executedCommand, cmdFailure: asPathError(e) });
      }
      continue;
    }
    const r = await requests.runSync({ ...inv, input });
    operationResults.push(r.ok ? { executedCommand, reqOutputArgs: { outputArgs: { ...r.outputArgs } } } : { executedCommand, cmdFailure: { errCode: r.errCode, errMsg: r.errMsg } });
  }
  return { operationResults };
}

/** The objects the command path names, each with its command; throws for message-level path errors. */
async function targets(command: string, ctx: HandlerContext): Promise<{ inst: ObjInstance; cmd: CommandNode }[]> {
  const p = parsePath(command);
  if (p.leaf.kind !== 'command') throw new InvalidPathError(`'${command}' is not a command path (Operate needs a path ending in 'Name()')`, command);
  const res = await resolveAs(ctx, p);
  const name = `${p.leaf.name}()`;
  if (res.endsAtTable) throw new InvalidPathError(`'${command}': ${res.node?.path ?? 'the table'} needs an instance before ${name}`, command);
  if (res.node && !res.node.commands.has(name)) throw new InvalidPathError(`'${command}': ${res.node.path} has no command ${name} in this agent's supported data model`, command);
  if (!res.isSearch && res.missing) throw new ObjectNotFoundError(`'${command}': the object does not exist`, command);
  const out: { inst: ObjInstance; cmd: CommandNode }[] = [];
  for (const t of res.targets) {
    const cmd = t.kind === 'inst' ? t.inst.node.commands.get(name) : undefined;
    if (t.kind === 'inst' && cmd) out.push({ inst: t.inst, cmd });
  }
  return out;
}
