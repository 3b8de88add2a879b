/**
 * Immutable parsed USP paths (TR-369 §Architecture › Path Names, Searching, Reference Following,
 * Data Model Path Grammar): object, instance, parameter, command and event paths with instance
 * numbers, `*`, `[...]` expressions, reference following and, for GetSupportedDM, `{i}`.
 *
 * Parsing is a single linear pass (path-scan.ts); results are deep-frozen and cached, so the same
 * object may be handed to many callers.
 */
import { InvalidPathSyntaxError } from './errors.js';
import type { ParsedPath, PathSegment, RefFollow, SearchComponent, SearchValue } from './path-ast.js';
import { scanPath } from './path-scan.js';

export type * from './path-ast.js';
export { MAX_COMPONENTS, MAX_INSTANCE, MAX_PATH_BYTES, MAX_SEGMENTS } from './path-scan.js';

export interface ParsePathOptions {
  /** Accept `{i}` as an instance selector (GetSupportedDM requests and the supported-DM schema). */
  readonly allowSupported?: boolean;
  /** Accept paths that do not start with `Device.` (relative paths, TR-369 §Relative Paths). */
  readonly allowRelative?: boolean;
}

/**
 * Cache of parse results, two generations of 1000 texts each (at most 2000 entries): hits in the
 * older generation move to the recent one, and when the recent one is full the older one is
 * dropped whole. Approximate LRU with O(1) hits that never write; `Map` delete+re-insert per hit
 * degrades badly under churn in V8.
 */
const GENERATION_SIZE = 1000;
/** Longer texts are parsed every time, so the cache stays small (at most ~2 MB of keys). */
const CACHEABLE_LENGTH = 1024;
const NEEDS_SUPPORTED = 1;
const NEEDS_RELATIVE = 2;

interface CacheEntry {
  readonly path: ParsedPath;
  /** Which options the text needs (NEEDS_* bits); a hit without them re-parses, which throws. */
  readonly needs: number;
}

let recent = new Map<string, CacheEntry>();
let older = new Map<string, CacheEntry>();

function remember(text: string, entry: CacheEntry): void {
  if (recent.size >= GENERATION_SIZE) {
    older = recent;
    recent = new Map();
  }
  recent.set(text, entry);
}

/**
 * Parses a USP path (TR-369 §Data Model Path Grammar) into a deep-frozen {@link ParsedPath}.
 *
 * - Paths must start with `Device.` unless `allowRelative`; then `Stats.BytesSent` gives
 *   segments `[Stats]` and leaf param `BytesSent`, and `Enable` gives no segments at all.
 * - `{i}` is accepted only with `allowSupported`.
 * - Object and instance paths end in `.`. Reference values are stored without the trailing dot
 *   (`Device.IP.Interface.1`), so parse them as `parsePath(value + '.')`.
 * - Names are `[A-Za-z_][A-Za-z0-9_-]*`: TR-369's grammar plus `-`, which TR-106 vendor prefixes
 *   (`X_ACME-COM_Foo`) use. Instance numbers are 1..4294967295 without leading zeros.
 * - In `[...]`, spaces are tolerated around operators and `&&` (R-ARC.9a). Strings are quoted with
 *   `%22`/`%25` decoded. `true`/`false` are booleans. Unquoted literals starting with a digit or a
 *   sign followed by a digit (`5`, `-1`, `+123`, `0123`, `1.5`, `2021-06-06T08:00:00Z`) are kept as
 *   text with kind `number`. Whether a literal fits the parameter's type is the resolver's check.
 * - Limits: 8192 UTF-8 bytes, 64 segments (the leaf counts), 32 components per expression.
 *
 * Results are cached (about the 1000–2000 most recently used texts of at most 1024 characters)
 * and shared, because they are immutable.
 *
 * @throws InvalidPathSyntaxError (7008) naming the problem and its 0-based offset; never anything else.
 */
export function parsePath(text: string, opts?: ParsePathOptions): ParsedPath {
  const allowSupported = opts?.allowSupported === true;
  const allowRelative = opts?.allowRelative === true;
  let hit = recent.get(text);
  if (hit === undefined) {
    hit = older.get(text);
    if (hit !== undefined) remember(text, hit);
  }
  if (hit !== undefined && (hit.needs & ~((allowSupported ? NEEDS_SUPPORTED : 0) | (allowRelative ? NEEDS_RELATIVE : 0))) === 0) {
    return hit.path;
  }
  const r = scanPath(text, allowSupported, allowRelative);
  if (text.length <= CACHEABLE_LENGTH) {
    remember(text, { path: r.path, needs: (r.supported ? NEEDS_SUPPORTED : 0) | (r.relative ? NEEDS_RELATIVE : 0) });
  }
  return r.path;
}

/**
 * Parses a relative parameter name as used in Add/Set `param_settings` (TR-369 §Relative Paths):
 * `Enable` or `Stats.BytesSent`. Only plain names are allowed: no instance selectors, reference
 * following, `{i}`, commands or events.
 *
 * @throws InvalidPathSyntaxError (7008)
 */
export function parseRelativeParam(name: string): ParsedPath {
  const p = parsePath(name, { allowRelative: true });
  if (p.leaf.kind !== 'param') {
    throw new InvalidPathSyntaxError(`Invalid path syntax: '${name}' is not a relative parameter name`, name);
  }
  if (p.segments.some((s) => s.kind !== 'name')) {
    throw new InvalidPathSyntaxError(`Invalid path syntax: relative parameter name '${name}' may only contain names`, name);
  }
  return p;
}

/**
 * Canonical text of a parsed path: no whitespace, strings re-escaped (`%` → `%25`, `"` → `%22`).
 * `parsePath(formatPath(p))` is structurally equal to `p`, and canonical input comes back unchanged.
 */
export function formatPath(p: ParsedPath): string {
  const obj = objectPathOf(p);
  switch (p.leaf.kind) {
    case 'object':
      return obj;
    case 'param':
      return obj + p.leaf.name;
    case 'command':
      return `${obj}${p.leaf.name}()`;
    case 'event':
      return `${obj}${p.leaf.name}!`;
  }
}

/** Canonical text of the object part (every segment, each followed by `.`): `Device.A.1.` for `Device.A.1.B`. */
export function objectPathOf(p: ParsedPath): string {
  let out = '';
  for (const seg of p.segments) out += `${formatSegment(seg)}.`;
  return out;
}

function formatSegment(seg: PathSegment): string {
  switch (seg.kind) {
    case 'name':
      return seg.name;
    case 'instance':
      return String(seg.instance);
    case 'wildcard':
      return '*';
    case 'supported':
      return '{i}';
    case 'ref':
      return seg.name + formatFollow(seg.follow);
    case 'search':
      return `[${seg.components.map(formatComponent).join('&&')}]`;
  }
}

function formatFollow(f: RefFollow): string {
  return f.index === 'first' ? '+' : f.index === 'all' ? '#*+' : `#${f.index}+`;
}

function formatComponent(c: SearchComponent): string {
  const rel = c.path.map((st) => (st.follow === undefined ? st.name : st.name + formatFollow(st.follow))).join('.');
  return rel + c.op + formatValue(c.value);
}

function formatValue(v: SearchValue): string {
  if (v.kind === 'string') return `"${v.value.replaceAll('%', '%25').replaceAll('"', '%22')}"`;
  return String(v.value);
}

/** True for Object and Object Instance paths (ending in `.`), false for param, command and event paths. */
export function isObjectPath(p: ParsedPath): boolean {
  return p.leaf.kind === 'object';
}

/** True for an object path whose last segment selects instances (number, `*`, `[...]` or `{i}`). */
export function isInstancePath(p: ParsedPath): boolean {
  const last = p.segments[p.segments.length - 1];
  return p.leaf.kind === 'object' && last !== undefined && isSelector(last);
}

/** True when any segment selects instances: a number, `*`, `[...]` or `{i}` (reference following does not count). */
export function hasInstanceSelectors(p: ParsedPath): boolean {
  return p.segments.some(isSelector);
}

function isSelector(s: PathSegment): boolean {
  return s.kind === 'instance' || s.kind === 'wildcard' || s.kind === 'search' || s.kind === 'supported';
}

/**
 * Splits a full parameter path at its last dot: `Device.A.1.B` → `{ objPath: 'Device.A.1.', name: 'B' }`.
 * Meant for instantiated paths the agent built itself, so it does not validate; the name must
 * contain no dot (a `[...]` in the last segment would be split wrongly).
 *
 * @throws InvalidPathSyntaxError (7008) when there is no dot or nothing after the last one.
 */
export function splitParamPath(fullParamPath: string): { objPath: string; name: string } {
  const dot = fullParamPath.lastIndexOf('.');
  if (dot <= 0 || dot === fullParamPath.length - 1) {
    throw new InvalidPathSyntaxError(`Invalid path syntax: '${fullParamPath}' is not a parameter path`, fullParamPath);
  }
  return { objPath: fullParamPath.slice(0, dot + 1), name: fullParamPath.slice(dot + 1) };
}

/**
 * Maps an instantiated path to supported-DM notation (TR-369 §GetSupportedDM): every instance
 * selector segment (a number, `*` or `[...]`) becomes `{i}`, so
 * `Device.LocalAgent.Controller.3.MTP.1.` → `Device.LocalAgent.Controller.{i}.MTP.{i}.`.
 * One pass, no allocation when nothing changes. Does not validate: parse first if the text is untrusted.
 */
export function toSupportedPath(instancePath: string): string {
  const s = instancePath;
  const n = s.length;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    let end: number;
    let selector: boolean;
    if (c === 0x5b) {
      // '[': skip to the matching ']' outside double quotes (quotes inside strings are %22).
      let quoted = false;
      end = i + 1;
      while (end < n) {
        const d = s.charCodeAt(end++);
        if (d === 0x22) quoted = !quoted;
        else if (d === 0x5d && !quoted) break;
      }
      selector = true;
    } else {
      end = s.indexOf('.', i);
      if (end < 0) end = n;
      selector = c === 0x2a ? end === i + 1 : allDigits(s, i, end);
    }
    if (selector) {
      out += `${s.slice(copied, i)}{i}`;
      copied = end;
    }
    i = end + 1;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

function allDigits(s: string, from: number, to: number): boolean {
  if (from === to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
