/**
 * Strong references (TR-106 pathRef refType=strong, R-ARC.12): a Set or Add must name an
 * existing target, inside the declared targetParent.
 */
import { InvalidValueError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import { toSupportedPath } from '../../datamodel/path.js';
import { splitList } from '../../datamodel/types.js';

export function checkReferences(dm: DataModel, inst: ObjInstance, param: ParamNode, value: string): void {
  const ref = param.def.pathRef;
  if (!ref || ref.refType !== 'strong' || value === '') return;
  const full = inst.path + param.def.name;
  const parents = (ref.targetParent ?? '').split(' ').filter((s) => s !== '').map((tp) => absoluteParent(tp, inst));
  for (const item of param.def.list ? splitList(value) : [value]) {
    if (item === '') continue;
    const asObject = dm.tree.get(item.endsWith('.') ? item : `${item}.`);
    let exists = asObject !== undefined;
    if (!exists && ref.targetType !== 'row' && ref.targetType !== 'object' && ref.targetType !== 'single' && ref.targetType !== 'table') {
      const dot = item.lastIndexOf('.');
      const owner = dm.tree.get(item.slice(0, dot + 1));
      exists = owner?.node.params.has(item.slice(dot + 1)) ?? false;
    }
    if (!exists) throw new InvalidValueError(`${full}: '${item}' does not exist`, full);
    if (parents.length > 0) {
      const sup = toSupportedPath(item.endsWith('.') ? item : `${item}.`);
      if (!parents.some((p) => sup.startsWith(p))) throw new InvalidValueError(`${full}: '${item}' is not under ${parents.join(' or ')}`, full);
    }
  }
}

/**
 * Resolves a TR-106 pathRef targetParent against the object holding the reference; the result
 * is in `{i}` form. `.X.Y.` is relative to Device., each leading `#` goes up one object level
 * (`#.X.` = parent, `###.X.` = great-grandparent, e.g. Controller.{i}.MTP.{i}.MQTT.AgentMTPReference
 * → Device.LocalAgent.MTP.), `Device.X.` is absolute, and anything else is relative to the
 * holding object itself (DeviceInfo.BootFirmwareImage → Device.DeviceInfo.FirmwareImage.).
 */
function absoluteParent(tp: string, inst: ObjInstance): string {
  if (tp.startsWith('.')) return `Device${tp}`;
  if (tp.startsWith('#')) {
    let base: ObjInstance | undefined = inst;
    let i = 0;
    for (; tp[i] === '#'; i++) base = base?.parent;
    return toSupportedPath(base?.path ?? 'Device.') + tp.slice(i + 1);
  }
  if (tp.startsWith('Device.')) return tp;
  return toSupportedPath(inst.path) + tp;
}
