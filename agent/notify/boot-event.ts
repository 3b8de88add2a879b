/**
 * The arguments of `Device.Boot!` (TR-181 Device.Boot!, USP-NOTES §9, TP-469 9.10). The boot
 * cause and command_key come from whoever recorded why the device restarted (agent.ts passes
 * agent/operate/boot.ts `takeBootCause`); ParameterMap is built per recipient controller from its
 * enabled `Controller.{i}.BootParameter.{i}.ParameterName` patterns (parameter paths, object paths
 * meaning every parameter below, wildcards and search expressions) as a JSON object path → value.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { ParsedPath } from '../../datamodel/path.js';
import { coveredInstances, select } from './matcher.js';

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
export async function bootParams(dm: DataModel, controller: ObjInstance, info: BootInfo): Promise<Record<string, string>> {
  return {
    CommandKey: info.commandKey,
    Cause: info.cause,
    Reason: info.reason,
    FirmwareUpdated: String(info.firmwareUpdated),
    ParameterMap: JSON.stringify(await parameterMap(dm, controller)),
  };
}

/** Path → value of every parameter the controller's enabled BootParameter rows name; secured values read as "". */
export async function parameterMap(dm: DataModel, controller: ObjInstance): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const bp of controller.rows('BootParameter')) {
    if (bp.values.get('Enable') !== 'true') continue;
    let p: ParsedPath;
    try {
      p = parsePath(bp.values.get('ParameterName') ?? '');
    } catch {
      continue; // an empty or malformed pattern names nothing
    }
    const sel = select(dm, p);
    const leaf = p.leaf;
    if (leaf.kind === 'param') {
      for (const inst of sel.insts) {
        const param = inst.node.params.get(leaf.name);
        if (param) out[inst.path + leaf.name] = await readValue(dm, inst, param);
      }
    } else if (leaf.kind === 'object') {
      for (const inst of coveredInstances(dm, sel)) {
        for (const param of inst.node.params.values()) out[inst.path + param.def.name] = await readValue(dm, inst, param);
      }
    }
  }
  return out;
}

async function readValue(dm: DataModel, inst: ObjInstance, p: ParamNode): Promise<string> {
  if (p.def.secured || p.def.hidden) return '';
  try {
    return await dm.read(inst, p);
  } catch {
    return ''; // the data model logged the failing getter; the map still goes out
  }
}
