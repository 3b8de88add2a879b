/**
 * Permission Targets (TR-181 ControllerTrust.Role.{i}.Permission.{i}.Targets): which data-model
 * elements one Permission row covers.
 * - a partial (object) path covers that object and everything below it;
 * - an instance path covers that instance and everything below it;
 * - a parameter, command or event path covers just that element;
 * - `*` and `{i}` stand for any instance; a search expression `[Enable==true]` for the rows
 *   it matches now (evaluated on the agent's own values, secured ones included).
 * Reference following is refused when the Targets are written (validateTargets).
 */
import { InvalidValueError, UspError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import { parsePath } from '../../datamodel/path.js';
import type { PathLeaf, SearchComponent } from '../../datamodel/path-ast.js';
import { compareSearch } from '../../datamodel/resolver.js';
import { splitList } from '../../datamodel/types.js';

type TargetSeg = { readonly k: 'name'; readonly name: string } | { readonly k: 'num'; readonly n: string } | { readonly k: 'any' } | { readonly k: 'search'; readonly comps: readonly SearchComponent[] };

export interface CompiledTarget {
  /** Segments after `Device`. */
  readonly segs: readonly TargetSeg[];
  readonly leaf: PathLeaf;
  /** Has a search expression: what it covers changes with the data. */
  readonly dynamic: boolean;
}

/** Compiles one Targets item; throws InvalidValueError when it is not a usable target. */
export function compileTarget(text: string): CompiledTarget {
  let p;
  try {
    p = parsePath(text, { allowSupported: true });
  } catch (e) {
    throw new InvalidValueError(`'${text}' is not a path: ${UspError.is(e) ? e.message : String(e)}`);
  }
  const first = p.segments[0];
  if (first?.kind !== 'name' || first.name !== 'Device') throw new InvalidValueError(`'${text}' does not start with 'Device.'`);
  const segs: TargetSeg[] = [];
  let dynamic = false;
  for (const s of p.segments.slice(1)) {
    if (s.kind === 'name') segs.push({ k: 'name', name: s.name });
    else if (s.kind === 'instance') segs.push({ k: 'num', n: String(s.instance) });
    else if (s.kind === 'wildcard' || s.kind === 'supported') segs.push({ k: 'any' });
    else if (s.kind === 'search') {
      if (s.components.some((c) => c.path.some((step) => step.follow))) throw new InvalidValueError(`'${text}': reference following is not allowed in a permission target`);
      segs.push({ k: 'search', comps: s.components });
      dynamic = true;
    } else throw new InvalidValueError(`'${text}': reference following is not allowed in a permission target`);
  }
  return { segs, leaf: p.leaf, dynamic };
}

/** Compiles a Targets list, leaving out (and reporting through `bad`) items that do not compile. */
export function compileTargets(list: string, bad?: (item: string, why: string) => void): CompiledTarget[] {
  const out: CompiledTarget[] = [];
  for (const item of splitList(list)) {
    if (item === '') continue;
    try {
      out.push(compileTarget(item));
    } catch (e) {
      bad?.(item, (e as Error).message);
    }
  }
  return out;
}

/** Validator of Permission.{i}.Targets: every item must compile (7012 otherwise). */
export function validateTargets(list: string): void {
  for (const item of splitList(list)) if (item !== '') compileTarget(item);
}

/** An element as the checker sees it: its object path split at the dots (no `Device`), and what it is. */
export interface Element {
  /** Object path segments after `Device` (numbers or `{i}` for instances). */
  readonly segs: readonly string[];
  /** The object path itself, for looking up rows a search target tests. */
  readonly objPath: string;
  readonly kind: 'object' | 'param' | 'command' | 'event';
  /** Leaf name without `()` / `!`; '' for objects. */
  readonly name: string;
}

/** Whether `t` covers `e`. */
export function covers(dm: DataModel, t: CompiledTarget, e: Element): boolean {
  const n = t.segs.length;
  if (t.leaf.kind === 'object') {
    if (n > e.segs.length) return false;
  } else if (n !== e.segs.length || t.leaf.kind !== e.kind || t.leaf.name !== e.name) {
    return false;
  }
  for (let i = 0; i < n; i++) {
    const ts = t.segs[i] as TargetSeg;
    const es = e.segs[i] as string;
    switch (ts.k) {
      case 'name':
        if (ts.name !== es) return false;
        break;
      case 'num':
        if (ts.n !== es) return false;
        break;
      case 'any':
        if (!isInstanceSeg(es)) return false;
        break;
      case 'search': {
        // `{i}` (GetSupportedDM) has no values to test: a search target may apply to some rows.
        if (es === '{i}') break;
        if (!isInstanceSeg(es)) return false;
        const row = dm.tree.get(`Device.${e.segs.slice(0, i + 1).join('.')}.`);
        if (!row || !rowMatches(dm, row, ts.comps)) return false;
        break;
      }
    }
  }
  return true;
}

function isInstanceSeg(s: string): boolean {
  return s === '{i}' || (s.length > 0 && s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57);
}

/** A search expression on one row, from values readable without waiting (stored and derived ones). */
function rowMatches(dm: DataModel, row: ObjInstance, comps: readonly SearchComponent[]): boolean {
  for (const c of comps) {
    let inst: ObjInstance | undefined = row;
    for (const step of c.path.slice(0, -1)) inst = inst?.objects.get(step.name);
    const last = c.path[c.path.length - 1];
    const p = last && inst?.node.params.get(last.name);
    if (!inst || !p) return false;
    let v: string | Promise<string>;
    try {
      v = dm.read(inst, p);
    } catch {
      return false; // a failing getter selects nothing
    }
    if (typeof v !== 'string') {
      v.catch(() => undefined);
      return false; // live values that need waiting cannot decide a permission
    }
    try {
      if (!compareSearch(p, v, c)) return false;
    } catch {
      return false; // a literal of the wrong type matches nothing
    }
  }
  return true;
}

/** Splits an object path (`Device.A.2.`) into the Element segments (`['A', '2']`). */
export function elementOf(objPath: string, kind: Element['kind'], name: string): Element {
  const segs = objPath.split('.');
  segs.shift();
  segs.pop();
  return { segs, objPath, kind, name };
}
