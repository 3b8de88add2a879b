/**
 * Hand-written, linear-time scanner for USP path names (TR-369 §Architecture › Data Model Path
 * Grammar). Internal to the data model: callers use `parsePath` from path.ts, which caches.
 *
 * One left-to-right pass, no RegExp and no backtracking; every failure is an
 * `InvalidPathSyntaxError` (7008) naming what is wrong and its 0-based offset.
 */
import { InvalidPathSyntaxError } from './errors.js';
import type { ParsedPath, PathLeaf, PathSegment, RefFollow, RelStep, SearchComponent, SearchOperator, SearchValue } from './path-ast.js';

/** Longest accepted path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 8192;
/** Most segments (object segments plus a param/command/event leaf) in one path. */
export const MAX_SEGMENTS = 64;
/** Most `&&`-joined components in one bracket expression. */
export const MAX_COMPONENTS = 32;
/** Instance numbers and list indexes are TR-106 unsignedInt. */
export const MAX_INSTANCE = 4294967295;

export interface ScanResult {
  readonly path: ParsedPath;
  /** The path used `{i}`. */
  readonly supported: boolean;
  /** The path does not start with `Device.`. */
  readonly relative: boolean;
}

const OBJECT_LEAF: PathLeaf = Object.freeze({ kind: 'object' });
const WILDCARD: PathSegment = Object.freeze({ kind: 'wildcard' });
const SUPPORTED: PathSegment = Object.freeze({ kind: 'supported' });
const FOLLOW_FIRST: RefFollow = Object.freeze({ index: 'first' });
const FOLLOW_ALL: RefFollow = Object.freeze({ index: 'all' });
const TRUE_VALUE: SearchValue = Object.freeze({ kind: 'boolean', value: true });
const FALSE_VALUE: SearchValue = Object.freeze({ kind: 'boolean', value: false });
const OPERATORS: ReadonlySet<string> = new Set(['==', '!=', '~=', '<', '>', '<=', '>=']);
const OPERATOR_LIST = '==, !=, ~=, <, >, <=, >=';

// Character codes the scanner branches on.
const SPACE = 0x20, BANG = 0x21, QUOTE = 0x22, HASH = 0x23, PERCENT = 0x25, AMP = 0x26, LPAREN = 0x28, RPAREN = 0x29;
const STAR = 0x2a, PLUS = 0x2b, MINUS = 0x2d, DOT = 0x2e, COLON = 0x3a, LT = 0x3c, EQ = 0x3d, GT = 0x3e;
const LBRACKET = 0x5b, RBRACKET = 0x5d, UNDERSCORE = 0x5f, LBRACE = 0x7b, PIPE = 0x7c, TILDE = 0x7e;

// charCodeAt past the end is NaN, which every test below rejects: no bounds checks needed.
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isNameStart = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === UNDERSCORE;
// '-' is not in TR-369's `name` production, but TR-106 vendor prefixes (`X_ACME-COM_Foo`) need it.
const isNameChar = (c: number): boolean => isNameStart(c) || isDigit(c) || c === MINUS;
const isOperatorChar = (c: number): boolean => c === EQ || c === BANG || c === TILDE || c === LT || c === GT;
// Unquoted literals: numbers (`-5`, `+123`, `0123`, `1.5`) and the spec's unquoted dateTime/hexBinary examples.
const isBareChar = (c: number): boolean => isNameChar(c) || c === PLUS || c === DOT || c === COLON;

/** Scans `text` into a frozen ParsedPath or throws InvalidPathSyntaxError (7008). */
export function scanPath(text: string, allowSupported: boolean, allowRelative: boolean): ScanResult {
  checkText(text);
  return new Scanner(text, allowSupported, allowRelative).path();
}

/** Length, emptiness and control characters, before any structure is looked at. */
function checkText(text: string): void {
  // Untyped callers (decoded messages) may pass anything; only UspError may escape.
  if (typeof text !== 'string') throw new InvalidPathSyntaxError('Invalid path syntax: path is not a string');
  if (text.length === 0) throw new InvalidPathSyntaxError('Invalid path syntax: empty path', text);
  // Checked before anything else walks the string, and without echoing it back.
  if (text.length > MAX_PATH_BYTES) throw new InvalidPathSyntaxError(`Invalid path syntax: path too long (over ${MAX_PATH_BYTES} bytes)`);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < SPACE || (c >= 0x7f && c <= 0x9f)) {
      const hex = c.toString(16).toUpperCase().padStart(4, '0');
      throw new InvalidPathSyntaxError(`Invalid path syntax at offset ${i}: control character U+${hex}`, text);
    }
    // UTF-8 length: each half of a surrogate pair counts 2 of the pair's 4 bytes.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  if (bytes > MAX_PATH_BYTES) throw new InvalidPathSyntaxError(`Invalid path syntax: path too long (${bytes} bytes, limit ${MAX_PATH_BYTES})`);
}

class Scanner {
  private pos = 0;

  constructor(
    private readonly s: string,
    private readonly allowSupported: boolean,
    private readonly allowRelative: boolean,
  ) {}

  path(): ScanResult {
    const s = this.s;
    const relative = !s.startsWith('Device.');
    if (relative && !this.allowRelative) this.fail("path must start with 'Device.'", 0);
    const segs: PathSegment[] = [];
    let leaf = OBJECT_LEAF;
    let isSearch = false;
    let supported = false;
    while (this.pos < s.length) {
      const start = this.pos;
      const c = s.charCodeAt(start);
      if (segs.length >= MAX_SEGMENTS) this.fail(`more than ${MAX_SEGMENTS} segments`, start);
      if (isNameStart(c)) {
        const name = this.name();
        const next = s.charCodeAt(this.pos);
        if (next === DOT) {
          this.pos++;
          segs.push(Object.freeze({ kind: 'name', name }));
        } else if (next === PLUS || next === HASH) {
          segs.push(Object.freeze({ kind: 'ref', name, follow: this.follow() }));
          isSearch = true;
          this.expectDot('reference following');
        } else {
          leaf = this.leaf(name);
        }
        continue;
      }
      if (c === DOT) this.fail("empty segment ('..')", start);
      const prev = segs[segs.length - 1];
      const selector = isDigit(c) || c === STAR || c === LBRACKET || c === LBRACE;
      if (selector && (prev?.kind !== 'name' || (!relative && segs.length === 1))) {
        this.fail('an instance selector (number, *, [...] or {i}) must follow a table name', start);
      }
      if (isDigit(c)) {
        segs.push(Object.freeze({ kind: 'instance', instance: this.posnum('instance number') }));
      } else if (c === STAR) {
        this.pos++;
        segs.push(WILDCARD);
        isSearch = true;
      } else if (c === LBRACKET) {
        segs.push(this.expression());
        isSearch = true;
      } else if (c === LBRACE && s.startsWith('{i}', start)) {
        if (!this.allowSupported) this.fail("'{i}' is only allowed in supported data model paths (GetSupportedDM)", start);
        this.pos += 3;
        segs.push(SUPPORTED);
        supported = true;
      } else {
        this.fail(`unexpected ${this.describe(start)} where a name or instance selector was expected`, start);
      }
      this.expectDot('an instance selector');
    }
    const path: ParsedPath = Object.freeze({ raw: s, segments: Object.freeze(segs), leaf, isSearch });
    return { path, supported, relative };
  }

  /** The last segment: a parameter name, `Name()` or `Name!`; nothing may follow it. */
  private leaf(name: string): PathLeaf {
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (this.pos >= s.length) return Object.freeze({ kind: 'param', name });
    if (c === LPAREN) {
      if (s.charCodeAt(this.pos + 1) !== RPAREN) this.fail("a command path must end in '()'", this.pos + 1);
      this.pos += 2;
      if (this.pos < s.length) this.fail(`unexpected ${this.describe(this.pos)} after '()': a command must be the last segment`, this.pos);
      return Object.freeze({ kind: 'command', name });
    }
    if (c === BANG) {
      this.pos++;
      if (this.pos < s.length) this.fail(`unexpected ${this.describe(this.pos)} after '!': an event must be the last segment`, this.pos);
      return Object.freeze({ kind: 'event', name });
    }
    return this.fail(`unexpected ${this.describe(this.pos)} in name '${name}' (names are [A-Za-z_][A-Za-z0-9_-]*)`, this.pos);
  }

  /** `name := [A-Za-z_][A-Za-z0-9_-]*`; the caller has checked the first character. */
  private name(): string {
    const start = this.pos++;
    while (isNameChar(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** `posnum := [1-9][0-9]*`, at most MAX_INSTANCE. */
  private posnum(what: string): number {
    const s = this.s;
    const start = this.pos;
    if (s.charCodeAt(start) === 0x30) this.fail(`${what} must be a positive integer without leading zeros`, start);
    while (isDigit(s.charCodeAt(this.pos))) this.pos++;
    const value = this.pos - start > 10 ? Infinity : Number(s.slice(start, this.pos));
    if (value > MAX_INSTANCE) this.fail(`${what} out of range (1..${MAX_INSTANCE})`, start);
    return value;
  }

  /** `reffollow := '#' (posnum | '*') '+' | '+'`. */
  private follow(): RefFollow {
    const s = this.s;
    if (s.charCodeAt(this.pos++) === PLUS) return FOLLOW_FIRST;
    const c = s.charCodeAt(this.pos); // after '#'
    let follow = FOLLOW_ALL;
    if (c === STAR) this.pos++;
    else if (isDigit(c)) follow = Object.freeze({ index: this.posnum('list item number') });
    else this.fail(`expected a list item number or '*' after '#', found ${this.describe(this.pos)}`, this.pos);
    if (s.charCodeAt(this.pos) !== PLUS) this.fail(`expected '+' to end reference following, found ${this.describe(this.pos)}`, this.pos);
    this.pos++;
    return follow;
  }

  private expectDot(after: string): void {
    if (this.s.charCodeAt(this.pos) !== DOT) this.fail(`${after} must be followed by '.', found ${this.describe(this.pos)}`, this.pos);
    this.pos++;
  }

  /** `'[' exprcomp ('&&' exprcomp)* ']'`, with spaces tolerated around operators and '&&' (R-ARC.9a). */
  private expression(): PathSegment {
    const open = this.pos++;
    this.spaces();
    if (this.s.charCodeAt(this.pos) === RBRACKET) this.fail('empty search expression []', open);
    const components: SearchComponent[] = [];
    for (;;) {
      if (components.length === MAX_COMPONENTS) this.fail(`search expression has more than ${MAX_COMPONENTS} components`, this.pos);
      components.push(this.component(open));
      this.spaces();
      const c = this.s.charCodeAt(this.pos);
      if (c === RBRACKET) break;
      if (c !== AMP || this.s.charCodeAt(this.pos + 1) !== AMP) this.unexpected(open, "expected '&&' or ']'");
      this.pos += 2;
      this.spaces();
    }
    this.pos++;
    return Object.freeze({ kind: 'search', components: Object.freeze(components) });
  }

  /** `relpath oper value`; relpath := name (reffollow? '.' name)*. */
  private component(open: number): SearchComponent {
    const s = this.s;
    const steps: RelStep[] = [];
    for (;;) {
      if (!isNameStart(s.charCodeAt(this.pos))) {
        this.unexpected(open, 'expected a parameter name (search expressions cannot descend into child tables)');
      }
      const name = this.name();
      const c = s.charCodeAt(this.pos);
      if (c === PLUS || c === HASH) {
        const follow = this.follow();
        if (s.charCodeAt(this.pos) !== DOT) this.fail("reference following in a search expression must be followed by '.' and a name", this.pos);
        steps.push(Object.freeze({ name, follow }));
      } else {
        steps.push(Object.freeze({ name }));
      }
      if (s.charCodeAt(this.pos) !== DOT) break;
      this.pos++;
    }
    this.spaces();
    const opStart = this.pos;
    while (isOperatorChar(s.charCodeAt(this.pos))) this.pos++;
    const op = s.slice(opStart, this.pos);
    if (op === '') this.unexpected(open, `expected an operator (${OPERATOR_LIST})`);
    if (!OPERATORS.has(op)) this.fail(`unknown operator '${op}' (allowed: ${OPERATOR_LIST})`, opStart);
    this.spaces();
    const value = s.charCodeAt(this.pos) === QUOTE ? this.stringValue() : this.bareValue(open, op);
    return Object.freeze({ path: Object.freeze(steps), op: op as SearchOperator, value });
  }

  /** `"..."` with %22 and %25 decoded; any other '%' is an error (the spec requires %25). */
  private stringValue(): SearchValue {
    const s = this.s;
    const open = this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= s.length) this.fail(`unterminated string (opened at offset ${open})`, open);
      const c = s.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c === PERCENT) {
        const esc = s.slice(this.pos + 1, this.pos + 3);
        if (esc !== '22' && esc !== '25') this.fail("'%' in a string must be escaped as %25 ('\"' as %22)", this.pos);
        out += s.slice(chunk, this.pos) + (esc === '22' ? '"' : '%');
        this.pos += 3;
        chunk = this.pos;
      } else {
        this.pos++;
      }
    }
    out += s.slice(chunk, this.pos++);
    return Object.freeze({ kind: 'string', value: out });
  }

  /** `true`/`false`, or a number-like literal (kept as text; the resolver checks it against the type). */
  private bareValue(open: number, op: string): SearchValue {
    const s = this.s;
    const start = this.pos;
    while (isBareChar(s.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.unexpected(open, `expected a value after '${op}'`);
    const text = s.slice(start, this.pos);
    if (text === 'true') return TRUE_VALUE;
    if (text === 'false') return FALSE_VALUE;
    const c0 = s.charCodeAt(start);
    if (isDigit(c0) || ((c0 === PLUS || c0 === MINUS) && isDigit(s.charCodeAt(start + 1)))) {
      return Object.freeze({ kind: 'number', value: text });
    }
    return this.fail(`unquoted value '${text}': strings must be in double quotes`, start);
  }

  private spaces(): void {
    while (this.s.charCodeAt(this.pos) === SPACE) this.pos++;
  }

  /** Inside `[...]`: end of text, '||' and anything else each get their own message. */
  private unexpected(open: number, expected: string): never {
    if (this.pos >= this.s.length) this.fail(`unterminated '[' (opened at offset ${open})`, this.pos);
    if (this.s.charCodeAt(this.pos) === PIPE) this.fail("'|' found: search expressions join components with '&&' only (no OR)", this.pos);
    return this.fail(`${expected}, found ${this.describe(this.pos)}`, this.pos);
  }

  private describe(at: number): string {
    const cp = this.s.codePointAt(at);
    return cp === undefined ? 'end of path' : `'${String.fromCodePoint(cp)}'`;
  }

  private fail(what: string, at: number): never {
    throw new InvalidPathSyntaxError(`Invalid path syntax at offset ${at}: ${what}`, this.s);
  }
}
