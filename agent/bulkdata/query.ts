/**
 * The Request-URI query of an HTTP report (TR-369 Annex A "Use of the URI Query Parameters"):
 * `oui`, `pc` and `sn` from Device.DeviceInfo (R-BULK.1), then one `name=value` pair per
 * HTTP.RequestURIParameter.{i} whose Reference resolves (Name, or the Reference when Name is
 * empty). Read under the data-model lock with the rest of the report. The RequestURIParameter
 * values are read with the profile Controller's rights (TR-181 Profile.{i}.Controller), like the
 * report itself: what it may not read is left out, and a search in a Reference selects only by
 * what it may read; the R-BULK.1 identity is the agent's own and always sent.
 */
import type { DataModel } from '../../datamodel/model.js';
import { parsePath } from '../../datamodel/path.js';
import { FULL_ACCESS, READ } from '../trust/access.js';
import { resolveFor } from '../trust/resolve.js';
import type { ReaderRights } from './collect.js';

const ALL_RIGHTS: ReaderRights = { access: FULL_ACCESS, readSecured: false };

/** The current value of the parameter `path` names (the first match), or undefined. */
async function valueOf(dm: DataModel, path: string, rights: ReaderRights): Promise<string | undefined> {
  try {
    const p = parsePath(path);
    if (p.leaf.kind !== 'param') return undefined;
    const name = p.leaf.name;
    const res = await resolveFor(dm, p, rights);
    const acc = rights.access;
    for (const t of res.targets) {
      if (t.kind !== 'inst') continue;
      const param = t.inst.node.params.get(name);
      if (!param || (!acc.full && (acc.param(t.inst.path, name) & READ) === 0)) continue;
      return (param.def.secured || param.def.hidden) && !rights.readSecured ? '' : await dm.read(t.inst, param);
    }
  } catch {
    // A reference that no longer resolves adds nothing to the query.
  }
  return undefined;
}

export async function uriQuery(
  dm: DataModel,
  params: readonly { readonly name: string; readonly reference: string }[],
  rights: ReaderRights = ALL_RIGHTS,
): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const [k, path] of [
    ['oui', 'Device.DeviceInfo.ManufacturerOUI'],
    ['pc', 'Device.DeviceInfo.ProductClass'],
    ['sn', 'Device.DeviceInfo.SerialNumber'],
  ] as const) {
    out.push([k, (await valueOf(dm, path, ALL_RIGHTS)) ?? '']);
  }
  for (const r of params) {
    const v = await valueOf(dm, r.reference, rights);
    if (v !== undefined) out.push([r.name === '' ? r.reference : r.name, v]);
  }
  return out;
}
