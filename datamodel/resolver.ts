/**
 * Expands a parsed path against the live instances (TR-369 §Path Names, Searching, Reference
 * Following): instance numbers, unique-key addressing, `*`, search expressions and `+`/`#n+`
 * reference following. Uses local state only (no network while resolving).
 */
import { InvalidPathError, InvalidPathSyntaxError, UspError } from './errors.js';
import type { ObjInstance } from './instances.js';
import type { DataModel } from './model.js';
import type { ObjectNode, ParamNode } from './nodes.js';
import type { ParsedPath, PathSegment, RefFollow, SearchComponent } from './path-ast.js';
import { compareValues, listContains, splitList } from './types.js';

/** A place the path reached: an object instance, or a table (the path named the table itself). */
export type Target =
  | { readonly kind: 'inst'; readonly inst: ObjInstance }
  | { readonly kind: 'table'; readonly parent: ObjInstance; readonly node: ObjectNode };

export interface Resolution {
  /** Supported node of the last object level (undefined only when reference following reached nothing). */
  readonly node: ObjectNode | undefined;
  /** The path ended on a table name, with no instance selector. */
  readonly endsAtTable: boolean;
  readonly targets: readonly Target[];
  /** True when the path has wildcards, searches or reference following (zero matches is then success, R-MSG.4a). */
  readonly isSearch: boolean;
  /** A concrete instance number or unique key named a row that does not exist. */
  readonly missing: boolean;
}

/** What the requester may see while a path is resolved (the permission filter hook). */
export interface ResolveOptions {
  /**
   * Secured and hidden values take part in search expressions. Without it they compare as ""
   * (what such a requester reads, TP-469 2.27), so a search cannot be used to guess them.
   */
  readonly readSecured: boolean;
}

interface State {
  readonly readSecured: boolean;
  node: ObjectNode | undefined;
  atTable: boolean;
  targets: Target[];
  search: boolean;
  missing: boolean;
}

/** Resolves the object part of `p` (everything before a param/command/event leaf) as seen by a requester with `opts`. */
export async function resolveObjects(dm: DataModel, p: ParsedPath, opts: ResolveOptions = { readSecured: false }): Promise<Resolution> {
  const first = p.segments[0];
  if (!first || first.kind !== 'name' || first.name !== 'Device') throw new InvalidPathError(`'${p.raw}' does not start with 'Device.'`, p.raw);
  const st: State = { readSecured: opts.readSecured, node: dm.registry.root, atTable: false, targets: [{ kind: 'inst', inst: dm.tree.root }], search: false, missing: false };
  for (let i = 1; i < p.segments.length; i++) await step(dm, st, p.segments[i] as PathSegment, p.raw);
  return { node: st.node, endsAtTable: st.atTable, targets: st.targets, isSearch: st.search, missing: st.missing };
}

async function step(dm: DataModel, st: State, seg: PathSegment, raw: string): Promise<void> {
  switch (seg.kind) {
    case 'name': {
      if (st.atTable) throw new InvalidPathError(`'${raw}': '${seg.name}' follows a table name where an instance is expected`, raw);
      const child = st.node?.children.get(seg.name);
      if (st.node && !child) throw new InvalidPathError(`'${raw}': '${seg.name}' is not an object of ${st.node.path}`, raw);
      st.node = child;
      st.atTable = child?.isTable ?? false;
      st.targets = st.targets.flatMap((t): Target[] => {
        if (t.kind !== 'inst') return [];
        const c = t.inst.node.children.get(seg.name);
        if (!c) return [];
        if (c.isTable) return [{ kind: 'table', parent: t.inst, node: c }];
        const obj = t.inst.objects.get(seg.name);
        return obj ? [{ kind: 'inst', inst: obj }] : [];
      });
      return;
    }
    case 'instance':
    case 'wildcard':
    case 'search': {
      if (!st.atTable) throw new InvalidPathError(`'${raw}': an instance selector follows ${st.node?.path ?? 'an object'}, which is not a table`, raw);
      st.atTable = false;
      if (seg.kind === 'search' && st.node) checkSearch(st.node, seg.components, raw);
      const keyAddressing = seg.kind === 'search' && st.node !== undefined && isKeyAddressing(st.node, seg.components);
      if (seg.kind === 'wildcard' || (seg.kind === 'search' && !keyAddressing)) st.search = true;
      const next: Target[] = [];
      for (const t of st.targets) {
        if (t.kind !== 'table') continue;
        if (seg.kind === 'instance') {
          const row = t.parent.row(t.node.name, seg.instance);
          if (row) next.push({ kind: 'inst', inst: row });
          else st.missing = true;
          continue;
        }
        for (const row of t.parent.rows(t.node.name)) {
          if (seg.kind === 'wildcard' || (await matches(dm, row, seg.components, raw, st.readSecured))) next.push({ kind: 'inst', inst: row });
        }
      }
      if (keyAddressing && next.length === 0) st.missing = true;
      st.targets = next;
      return;
    }
    case 'ref': {
      if (st.atTable) throw new InvalidPathError(`'${raw}': reference following on a table`, raw);
      st.search = true;
      const param = st.node?.params.get(seg.name);
      if (st.node && (!param || !param.def.pathRef)) throw new InvalidPathError(`'${raw}': ${seg.name} is not a reference parameter of ${st.node.path}`, raw);
      const next: Target[] = [];
      for (const t of st.targets) {
        if (t.kind !== 'inst' || !param) continue;
        for (const inst of await follow(dm, t.inst, param, seg.follow)) next.push({ kind: 'inst', inst });
      }
      st.targets = next;
      const nodes = new Set(next.map((t) => (t.kind === 'inst' ? t.inst.node : undefined)));
      if (nodes.size > 1) throw new InvalidPathError(`'${raw}': '${seg.name}+' leads to objects of different types`, raw);
      st.node = next[0]?.kind === 'inst' ? next[0].inst.node : undefined;
      return;
    }
    case 'supported':
      throw new InvalidPathSyntaxError(`'${raw}': '{i}' is only allowed in GetSupportedDM`, raw);
  }
}

/**
 * Checks a search expression against the supported data model, so a bad parameter name (7026,
 * R-GET.0: not in the supported DM) or a literal of the wrong kind (7008) fails the same way
 * whether or not the table has rows; otherwise an empty table would turn either into an empty
 * success (R-GET.1a). Steps after reference following are checked against live targets only.
 */
function checkSearch(node: ObjectNode, comps: readonly SearchComponent[], raw: string): void {
  for (const c of comps) {
    let cur: ObjectNode | undefined = node;
    for (let i = 0; i < c.path.length - 1 && cur; i++) {
      const s = c.path[i] as (typeof c.path)[number];
      if (s.follow) {
        cur = undefined;
        break;
      }
      const child: ObjectNode | undefined = cur.children.get(s.name);
      if (!child || child.isTable) throw new InvalidPathError(`'${raw}': search path '${s.name}' must name a single-instance child object`, raw);
      cur = child;
    }
    const last = c.path[c.path.length - 1];
    if (!cur || !last) continue;
    const p = cur.params.get(last.name);
    if (!p) throw new InvalidPathError(`'${raw}': '${last.name}' is not a parameter of ${cur.path}`, raw);
    checkLiteral(p, c, raw);
  }
}

/** Unique-key addressing: `==` components covering exactly one complete unique-key set. */
function isKeyAddressing(node: ObjectNode, comps: readonly SearchComponent[]): boolean {
  if (comps.some((c) => c.op !== '==' || c.path.length !== 1 || c.path[0]?.follow)) return false;
  const names = new Set(comps.map((c) => c.path[0]?.name));
  return node.uniqueKeys.some((k) => k.params.length === names.size && k.params.every((n) => names.has(n)));
}

/** Dereferences a reference parameter (`+`, `#n+`, `#*+`) to existing instances. */
async function follow(dm: DataModel, inst: ObjInstance, param: ParamNode, how: RefFollow): Promise<ObjInstance[]> {
  const items = splitList(await dm.read(inst, param)).filter((s) => s !== '');
  const chosen = how.index === 'all' ? items : how.index === 'first' ? items.slice(0, 1) : items.slice(how.index - 1, how.index);
  const out: ObjInstance[] = [];
  for (const ref of chosen) {
    const target = dm.tree.get(ref.endsWith('.') ? ref : `${ref}.`);
    if (target) out.push(target);
  }
  return out;
}

/** Evaluates a search expression (all components joined by `&&`) on one row. */
async function matches(dm: DataModel, row: ObjInstance, comps: readonly SearchComponent[], raw: string, readSecured: boolean): Promise<boolean> {
  for (const c of comps) {
    const values = await relativeValues(dm, row, c, raw, readSecured);
    if (values.length === 0) return false;
    const { param } = values[0] as { param: ParamNode };
    checkLiteral(param, c, raw);
    let ok = false;
    for (const v of values) {
      if (compareSearch(param, v.value, c)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

async function relativeValues(dm: DataModel, row: ObjInstance, c: SearchComponent, raw: string, readSecured: boolean): Promise<{ param: ParamNode; value: string }[]> {
  let insts: ObjInstance[] = [row];
  const steps = c.path;
  for (let i = 0; i < steps.length - 1; i++) {
    const s = steps[i] as (typeof steps)[number];
    const next: ObjInstance[] = [];
    for (const inst of insts) {
      if (s.follow) {
        const p = inst.node.params.get(s.name);
        if (!p?.def.pathRef) throw new InvalidPathError(`'${raw}': ${s.name} is not a reference parameter`, raw);
        next.push(...(await follow(dm, inst, p, s.follow)));
      } else {
        const child = inst.node.children.get(s.name);
        if (!child || child.isTable) throw new InvalidPathError(`'${raw}': search path '${s.name}' must name a single-instance child object`, raw);
        const o = inst.objects.get(s.name);
        if (o) next.push(o);
      }
    }
    insts = next;
  }
  const last = steps[steps.length - 1];
  if (!last) throw new InvalidPathSyntaxError(`'${raw}': empty search expression`, raw);
  const out: { param: ParamNode; value: string }[] = [];
  for (const inst of insts) {
    const p = inst.node.params.get(last.name);
    if (!p) throw new InvalidPathError(`'${raw}': '${last.name}' is not a parameter of ${inst.node.path}`, raw);
    out.push({ param: p, value: (p.def.secured || p.def.hidden) && !readSecured ? '' : await dm.read(inst, p) });
  }
  if (insts.length === 0 && !row.node.params.has(last.name) && steps.length === 1) {
    throw new InvalidPathError(`'${raw}': '${last.name}' is not a parameter of ${row.node.path}`, raw);
  }
  return out;
}

const NUMERIC = new Set(['int', 'unsignedInt', 'long', 'unsignedLong', 'decimal']);

/**
 * Literal kinds must fit the parameter type: strings quoted, numbers and booleans unquoted
 * (`[Enable==true]`; `[Enable=="true"]` is invalid). TR-369's own examples also write booleans
 * as `1`/`0` and dateTimes unquoted, so those are accepted too.
 */
function checkLiteral(param: ParamNode, c: SearchComponent, raw: string): void {
  const t = param.def.type;
  const k = c.value.kind;
  const ok = param.def.list !== undefined || (t === 'boolean' ? k === 'boolean' || k === 'number' : NUMERIC.has(t) ? k === 'number' : t === 'dateTime' ? k !== 'boolean' : k === 'string');
  if (!ok) throw new InvalidPathSyntaxError(`'${raw}': ${param.def.name} is ${t}; the value must be ${t === 'boolean' || NUMERIC.has(t) ? `an unquoted ${t}` : 'quoted'}`, raw);
  const ordered = c.op === '<' || c.op === '>' || c.op === '<=' || c.op === '>=';
  if (ordered && !NUMERIC.has(t) && t !== 'dateTime') throw new InvalidPathSyntaxError(`'${raw}': '${c.op}' is not defined for ${t} ${param.def.name}`, raw);
  if (c.op === '~=' && !param.def.list) throw new InvalidPathSyntaxError(`'${raw}': '~=' needs a list parameter, ${param.def.name} is not one`, raw);
}

/** One search-expression component against a parameter value (typed, R-ARC.9); shared with the notifier. */
export function compareSearch(param: ParamNode, value: string, c: SearchComponent): boolean {
  const lit = c.value.kind === 'boolean' ? String(c.value.value) : c.value.value;
  if (c.op === '~=') return listContains(param.def, value, lit);
  let r: number;
  try {
    r = param.def.list ? (value === lit ? 0 : 1) : compareValues(param.def, value, lit);
  } catch (e) {
    // A literal that does not parse as the type can never match (and a bad stored value neither).
    if (UspError.is(e)) return c.op === '!=';
    throw e;
  }
  switch (c.op) {
    case '==':
      return r === 0;
    case '!=':
      return r !== 0;
    case '<':
      return r < 0;
    case '>':
      return r > 0;
    case '<=':
      return r <= 0;
    case '>=':
      return r >= 0;
  }
}
