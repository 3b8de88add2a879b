/**
 * The Request-URI query of an HTTP report (TR-369 Annex A "Use of the URI Query Parameters"):
 * `oui`, `pc` and `sn` from Device.DeviceInfo (R-BULK.1), then one `name=value` pair per
 * HTTP.RequestURIParameter.{i} whose Reference resolves (Name, or the Reference when Name is
 * empty). Read under the data-model lock with the rest of the report.
 */
import type { DataModel } from '../../datamodel/model.js';
import { parsePath } from '../../datamodel/path.js';
import { resolveObjects } from '../../datamodel/resolver.js';

/** The current value of the parameter `path` names (the first match), or undefined. */
async function valueOf(dm: DataModel, path: string): Promise<string | undefined> {
  try {
    const p = parsePath(path);
    if (p.leaf.kind !== 'param') return undefined;
    const name = p.leaf.name;
    const res = await resolveObjects(dm, p);
    for (const t of res.targets) {
      if (t.kind !== 'inst') continue;
      const param = t.inst.node.params.get(name);
      if (param) return param.def.secured || param.def.hidden ? '' : await dm.read(t.inst, param);
    }
  } catch {
    // A reference that no longer resolves adds nothing to the query.
  }
  return undefined;
}

export async function uriQuery(dm: DataModel, params: readonly { readonly name: string; readonly reference: string }[]): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const [k, path] of [
    ['oui', 'Device.DeviceInfo.ManufacturerOUI'],
    ['pc', 'Device.DeviceInfo.ProductClass'],
    ['sn', 'Device.DeviceInfo.SerialNumber'],
  ] as const) {
    out.push([k, (await valueOf(dm, path)) ?? '']);
  }
  for (const r of params) {
    const v = await valueOf(dm, r.reference);
    if (v !== undefined) out.push([r.name === '' ? r.reference : r.name, v]);
  }
  return out;
}
