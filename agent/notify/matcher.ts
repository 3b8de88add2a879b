/**
 * What a subscription's ReferenceList item selects, resolved synchronously against the committed
 * instance tree, so matching happens at the instant a change is committed (a later transaction
 * cannot change the answer). It follows the rules of datamodel/resolver.ts: instance numbers,
 * unique-key addressing, `*`, search expressions with typed comparison (types.ts) and reference
 * following (`+`, `#n+`, `#*+`). Secured and hidden values compare as "" (what a controller without
 * SecuredRoles reads, TP-469 2.27). One difference: a value that a live getter only returns
 * asynchronously cannot be compared here, so a search component over it matches nothing.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import type { ParsedPath, RefFollow, SearchComponent } from '../../datamodel/path.js';
import { compareSearch } from '../../datamodel/resolver.js';
import { splitList } from '../../datamodel/types.js';
import { UspError } from '../../datamodel/errors.js';
import type { Access } from '../trust/access.js';
import { readable } from '../trust/resolve.js';

/** The objects a path's object part selects. */
export interface Selection {
  /** Object instances (rows and single-instance objects). */
  readonly insts: readonly ObjInstance[];
  /** Tables the path names itself (`Device.LocalAgent.Subscription.`), as `<parent path><Name>.`. */
  readonly tables: readonly { readonly parent: ObjInstance; readonly name: string; readonly prefix: string }[];
}

type Target = { kind: 'inst'; inst: ObjInstance } | { kind: 'table'; parent: ObjInstance; name: string };

/**
 * Resolves the object part of `p` (everything before its param/command/event leaf). With `acc`
 * (a restricted reader: a notification's recipient) a search expression selects rows only by
 * parameters it may read, and never after reference following, as for its own messages
 * (agent/trust/resolve.ts, USP-NOTES §11): a subscription cannot test hidden values.
 */
export function select(dm: DataModel, p: ParsedPath, acc?: Access): Selection {
  const restricted = acc !== undefined && !acc.full;
  let followed = false;
  let targets: Target[] = [{ kind: 'inst', inst: dm.tree.root }];
  for (let i = 1; i < p.segments.length; i++) {
    const seg = p.segments[i];
    if (!seg) break;
    const next: Target[] = [];
    for (const t of targets) {
      if (seg.kind === 'name') {
        if (t.kind !== 'inst') continue;
        const child = t.inst.node.children.get(seg.name);
        if (child?.isTable) next.push({ kind: 'table', parent: t.inst, name: seg.name });
        else {
          const obj = t.inst.objects.get(seg.name);
          if (obj) next.push({ kind: 'inst', inst: obj });
        }
      } else if (seg.kind === 'ref') {
        followed = true;
        if (t.kind !== 'inst') continue;
        const param = t.inst.node.params.get(seg.name);
        if (param) for (const inst of follow(dm, t.inst, param, seg.follow)) next.push({ kind: 'inst', inst });
      } else if (t.kind === 'table') {
        if (seg.kind === 'instance') {
          const row = t.parent.row(t.name, seg.instance);
          if (row) next.push({ kind: 'inst', inst: row });
        } else if (seg.kind === 'wildcard' || seg.kind === 'search') {
          for (const row of t.parent.rows(t.name)) {
            if (seg.kind === 'search' && restricted && (followed || !readable(acc, row.path, seg.components))) continue;
            if (seg.kind === 'wildcard' || matches(dm, row, seg.components)) next.push({ kind: 'inst', inst: row });
          }
        }
      }
    }
    targets = next;
  }
  const insts: ObjInstance[] = [];
  const tables: { parent: ObjInstance; name: string; prefix: string }[] = [];
  for (const t of targets) {
    if (t.kind === 'inst') insts.push(t.inst);
    else tables.push({ parent: t.parent, name: t.name, prefix: `${t.parent.path}${t.name}.` });
  }
  return { insts, tables };
}

/** True when `objPath` is a selected instance or lies below one (object paths act as prefix filters). */
export function coversPrefix(sel: Selection, objPath: string): boolean {
  return sel.insts.some((i) => objPath.startsWith(i.path)) || sel.tables.some((t) => objPath.startsWith(t.prefix));
}

/** True when `objPath` is one of the selected instances. */
export function selects(sel: Selection, objPath: string): boolean {
  return sel.insts.some((i) => i.path === objPath);
}

/** Every row the selection names: selected table rows, and all rows of selected tables. */
export function selectedRows(sel: Selection): ObjInstance[] {
  const out = sel.insts.filter((i) => i.node.isTable);
  for (const t of sel.tables) out.push(...t.parent.rows(t.name));
  return out;
}

/** Every instance the selection covers as a prefix: selected objects and table rows, with everything below them. */
export function* coveredInstances(dm: DataModel, sel: Selection): Generator<ObjInstance> {
  for (const i of sel.insts) yield* dm.tree.subtree(i);
  for (const t of sel.tables) for (const row of t.parent.rows(t.name)) yield* dm.tree.subtree(row);
}

/** A value as a controller without SecuredRoles reads it, when it is available synchronously. */
export function readNow(dm: DataModel, inst: ObjInstance, p: ParamNode): string | undefined {
  if (p.def.secured || p.def.hidden) return '';
  let v: string | Promise<string>;
  try {
    v = dm.read(inst, p);
  } catch {
    // A getter that fails has no value to compare; the data model has logged it.
    return undefined;
  }
  if (typeof v === 'string') return v;
  v.catch(() => undefined);
  return undefined;
}

function follow(dm: DataModel, inst: ObjInstance, param: ParamNode, how: RefFollow): ObjInstance[] {
  if (!param.def.pathRef) return [];
  const items = splitList(readNow(dm, inst, param) ?? '').filter((s) => s !== '');
  const chosen = how.index === 'all' ? items : how.index === 'first' ? items.slice(0, 1) : items.slice(how.index - 1, how.index);
  const out: ObjInstance[] = [];
  for (const ref of chosen) {
    const target = dm.tree.get(ref.endsWith('.') ? ref : `${ref}.`);
    if (target) out.push(target);
  }
  return out;
}

function matches(dm: DataModel, row: ObjInstance, comps: readonly SearchComponent[]): boolean {
  for (const c of comps) {
    let insts: ObjInstance[] = [row];
    for (let i = 0; i < c.path.length - 1; i++) {
      const s = c.path[i];
      if (!s) break;
      const next: ObjInstance[] = [];
      for (const inst of insts) {
        if (s.follow) {
          const p = inst.node.params.get(s.name);
          if (p) next.push(...follow(dm, inst, p, s.follow));
        } else {
          const o = inst.objects.get(s.name);
          if (o) next.push(o);
        }
      }
      insts = next;
    }
    const last = c.path[c.path.length - 1];
    let ok = false;
    for (const inst of insts) {
      const p = last ? inst.node.params.get(last.name) : undefined;
      const v = p ? readNow(dm, inst, p) : undefined;
      if (p && v !== undefined && compare(p, v, c)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

function compare(param: ParamNode, value: string, c: SearchComponent): boolean {
  try {
    return compareSearch(param, value, c);
  } catch (e) {
    // As in the resolver: a value that does not parse as the type never matches.
    if (UspError.is(e)) return false;
    throw e;
  }
}
