/**
 * Collection: turns a profile's Parameter rows into the list of (report name, value, type) items
 * of one report, resolving every Reference against the instantiated data model at that moment
 * (TR-369 Annex A.1: a reference is a filter; what does not exist now is simply not reported).
 * References may be parameter paths, object (partial) paths, and carry `*` wildcards, search
 * expressions and reference following (datamodel/resolver.ts). Exclude rows remove what they
 * match. Call under the data-model lock, so a report never sees half a transaction.
 */
import { FULL_ACCESS, READ } from '../trust/access.js';
import type { Access } from '../trust/access.js';
import { resolveFor } from '../trust/resolve.js';
import { UspError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { ParsedPath } from '../../datamodel/path.js';
import type { BaseType } from '../../datamodel/schema/types.js';
import { toJsonValue } from '../../datamodel/types.js';
import type { ParameterRef } from './profile.js';

/** One collected parameter. */
export interface Item {
  /** Name in the report: the full path, or with the row's alternative Name in place of its fixed prefix. */
  readonly name: string;
  /** Canonical string value ('' for secured values). */
  readonly value: string;
  /** TR-106 base type (CSV ParameterType). */
  readonly type: BaseType;
  /** The JSON form (numbers and booleans unquoted). */
  readonly json: string | number | boolean;
}

/** A collected report: what was read, and when. */
export interface Collected {
  readonly atMs: number;
  readonly items: readonly Item[];
}

interface Found {
  readonly path: string;
  readonly inst: ObjInstance;
  readonly param: ParamNode;
}

/**
 * The part of a reference before its first wildcard, search expression or reference following
 * (`Device.IP.Interface.` for `Device.IP.Interface.*.Type`); the whole reference when it has none.
 * An alternative Name replaces exactly this part (TR-369 Annex A, BULK-DATA-WILD-REF).
 */
export function fixedPrefix(p: ParsedPath): string {
  const parts: string[] = [];
  for (const s of p.segments) {
    if (s.kind === 'name') parts.push(s.name);
    else if (s.kind === 'instance') parts.push(String(s.instance));
    else return `${parts.join('.')}.`;
  }
  const obj = `${parts.join('.')}.`;
  return p.leaf.kind === 'param' ? obj + p.leaf.name : obj;
}

/** The report name of `fullPath`, matched by a reference whose fixed prefix is `prefix`. */
export function reportName(fullPath: string, prefix: string, altName: string): string {
  if (altName === '') return fullPath;
  if (fullPath === prefix) return altName;
  const rest = fullPath.slice(prefix.length);
  return prefix.endsWith('.') ? `${altName}.${rest}` : `${altName}${rest}`;
}

/**
 * Every parameter a reference matches now (empty when nothing is instantiated; unknown paths
 * match nothing). Search expressions select rows only by what `rights` may read, as for the
 * controller's own messages (agent/trust/resolve.ts), so a reference cannot test hidden values.
 */
async function expand(dm: DataModel, p: ParsedPath, rights: ReaderRights): Promise<Found[]> {
  const insts: ObjInstance[] = [];
  // A plain instance path (no wildcard, search or reference following) is one lookup; the
  // resolver handles the rest (a profile of 500 concrete references collects ~5x faster).
  const prefix = fixedPrefix(p);
  const direct = p.isSearch ? undefined : dm.tree.get(p.leaf.kind === 'param' ? prefix.slice(0, prefix.length - p.leaf.name.length) : prefix);
  if (direct) {
    insts.push(direct);
  } else {
    let res;
    try {
      res = await resolveFor(dm, p, rights);
    } catch (e) {
      if (UspError.is(e)) return [];
      throw e;
    }
    for (const t of res.targets) {
      if (t.kind === 'inst') insts.push(t.inst);
      else for (const row of t.parent.rows(t.node.name)) insts.push(row);
    }
  }
  const out: Found[] = [];
  const leaf = p.leaf;
  if (leaf.kind === 'param') {
    for (const inst of insts) {
      const param = inst.node.params.get(leaf.name);
      if (param) out.push({ path: inst.path + leaf.name, inst, param });
    }
  } else if (leaf.kind === 'object') {
    for (const top of insts) walk(top, out);
  }
  return out;
}

/** Every parameter at or below `inst`, parents first; rows() also reads live (platform) tables. */
function walk(inst: ObjInstance, out: Found[]): void {
  for (const param of inst.node.params.values()) out.push({ path: inst.path + param.def.name, inst, param });
  for (const child of inst.node.children.values()) {
    if (!child.isTable) {
      const o = inst.objects.get(child.name);
      if (o) walk(o, out);
    } else {
      for (const row of inst.rows(child.name)) walk(row, out);
    }
  }
}

/** What the profile's Controller may read (its ControllerTrust rights). */
export interface ReaderRights {
  readonly access: Access;
  readonly readSecured: boolean;
}

/** A profile without a Controller (made through the admin CLI or the factory defaults) collects with full rights, secured values empty. */
const ALL_RIGHTS: ReaderRights = { access: FULL_ACCESS, readSecured: false };

/**
 * Collects the items of one report. `limit` caps the number of parameters (Device.BulkData.
 * MaxNumberOfParameterReferences, counted after expanding partial paths; -1 = none); `truncated`
 * says it was reached.
 */
export async function collect(
  dm: DataModel,
  refs: readonly ParameterRef[],
  limit: number,
  atMs: number,
  rights: ReaderRights = ALL_RIGHTS,
): Promise<Collected & { truncated: boolean }> {
  const excluded = new Set<string>();
  for (const r of refs) {
    if (!r.exclude || r.reference === '') continue;
    const p = tryParse(r.reference);
    if (p) for (const f of await expand(dm, p, rights)) excluded.add(f.path);
  }
  const seen = new Set<string>();
  const items: Item[] = [];
  const pending: Promise<void>[] = [];
  let truncated = false;
  for (const r of refs) {
    if (r.exclude || r.reference === '') continue;
    const p = tryParse(r.reference);
    if (!p) continue;
    const prefix = fixedPrefix(p);
    for (const f of await expand(dm, p, rights)) {
      if (excluded.has(f.path) || seen.has(f.path)) continue;
      // TR-181 Profile.{i}.Controller: its permissions define what the report may hold.
      if (!rights.access.full && (rights.access.param(f.inst.path, f.param.def.name) & READ) === 0) continue;
      if (limit >= 0 && items.length >= limit) {
        truncated = true;
        break;
      }
      seen.add(f.path);
      const name = reportName(f.path, prefix, r.name);
      const def = f.param.def;
      const index = items.length;
      const put = (v: string): void => {
        const value = (def.secured || def.hidden) && !rights.readSecured ? '' : v;
        items[index] = { name, value, type: def.type, json: toJsonValue(def, value) };
      };
      items.push({ name, value: '', type: def.type, json: '' });
      // Live getters may be async; plain values are read without a promise per parameter.
      let v: string | Promise<string>;
      try {
        v = dm.read(f.inst, f.param);
      } catch {
        v = '';
      }
      if (typeof v === 'string') put(v);
      else pending.push(v.then(put, () => put('')));
    }
  }
  await Promise.all(pending);
  return { atMs, items, truncated };
}

function tryParse(ref: string): ParsedPath | undefined {
  try {
    return parsePath(ref);
  } catch {
    return undefined;
  }
}
