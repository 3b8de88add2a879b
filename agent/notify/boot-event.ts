/**
 * The arguments of `Device.Boot!` (TR-181 Device.Boot!, USP-NOTES §9, TP-469 9.10). The boot
 * cause and command_key come from whoever recorded why the device restarted (agent.ts passes
 * agent/operate/boot.ts `takeBootCause`); ParameterMap is built per recipient controller from its
 * enabled `Controller.{i}.BootParameter.{i}.ParameterName` patterns (parameter paths, object paths
 * meaning every parameter below, wildcards and search expressions) as a JSON object path → value.
 * The map holds only what the recipient's ControllerTrust roles let it read (Param r; a search
 * selects only by readable values), secured values "" unless it holds a SecuredRole (TP-469 2.27).
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { ParsedPath } from '../../datamodel/path.js';
import { FULL_ACCESS, READ } from '../trust/access.js';
import type { Access } from '../trust/access.js';
import { coveredInstances, select } from './matcher.js';

/** What the Boot! recipient may read; without ControllerTrust wiring, everything but secured values. */
export interface BootReader {
  readonly access: Access;
  readonly readSecured?: boolean;
}

const EVERYTHING: BootReader = { access: FULL_ACCESS, readSecured: false };

/** Why this start happened (the shape agent/operate/boot.ts records). */
export interface BootInfo {
  readonly cause: string;
  readonly commandKey: string;
  readonly reason: string;
  readonly firmwareUpdated: boolean;
}

/** A start with nothing recorded: the device was restarted locally. */
export const LOCAL_REBOOT: BootInfo = { cause: 'LocalReboot', commandKey: '', reason: '', firmwareUpdated: false };

/** The Boot! params for the controller whose row is `controller`. */
export async function bootParams(dm: DataModel, controller: ObjInstance, info: BootInfo, reader: BootReader = EVERYTHING): Promise<Record<string, string>> {
  return {
    CommandKey: info.commandKey,
    Cause: info.cause,
    Reason: info.reason,
    FirmwareUpdated: String(info.firmwareUpdated),
    ParameterMap: JSON.stringify(await parameterMap(dm, controller, reader)),
  };
}

/** Path → value of every parameter the controller's enabled BootParameter rows name and it may read. */
export async function parameterMap(dm: DataModel, controller: ObjInstance, reader: BootReader = EVERYTHING): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const acc = reader.access;
  const may = (inst: ObjInstance, name: string): boolean => acc.full || (acc.param(inst.path, name) & READ) !== 0;
  const put = async (inst: ObjInstance, param: ParamNode): Promise<void> => {
    if (may(inst, param.def.name)) out[inst.path + param.def.name] = await readValue(dm, inst, param, reader.readSecured === true);
  };
  for (const bp of controller.rows('BootParameter')) {
    if (bp.values.get('Enable') !== 'true') continue;
    let p: ParsedPath;
    try {
      p = parsePath(bp.values.get('ParameterName') ?? '');
    } catch {
      continue; // an empty or malformed pattern names nothing
    }
    const sel = select(dm, p, acc);
    const leaf = p.leaf;
    if (leaf.kind === 'param') {
      for (const inst of sel.insts) {
        const param = inst.node.params.get(leaf.name);
        if (param) await put(inst, param);
      }
    } else if (leaf.kind === 'object') {
      for (const inst of coveredInstances(dm, sel)) {
        for (const param of inst.node.params.values()) await put(inst, param);
      }
    }
  }
  return out;
}

async function readValue(dm: DataModel, inst: ObjInstance, p: ParamNode, readSecured: boolean): Promise<string> {
  if ((p.def.secured || p.def.hidden) && !readSecured) return '';
  try {
    return await dm.read(inst, p);
  } catch {
    return ''; // the data model logged the failing getter; the map still goes out
  }
}
