/**
 * TR-106 `pattern` facets: XML Schema regular expressions (XSD Part 2, Appendix F) translated to
 * JavaScript `v`-flag regexes, anchored as full matches and compiled once.
 *
 * Translation rules (XSD → JS):
 * - every pattern is implicitly anchored: `^(?:…)$`; groups become non-capturing;
 * - `^` and `$` are ordinary characters in XSD, so they are matched literally;
 * - `.` is any character but `\n` and `\r`;
 * - `\d` is `\p{Nd}` (any Unicode decimal digit, as XSD says, not just 0-9), `\w` is "not
 *   punctuation, separator or other", `\s` is space, tab, CR, LF only; `\i`/`\c` are the XML
 *   name-start / name characters;
 * - `\p{Lu}`-style categories map to JS Unicode property escapes; `\p{IsBlock}` supports the few
 *   blocks in BLOCKS; character-class subtraction `[a-z-[aeiou]]` maps to `v`-flag `--`.
 * - a `?` after a quantifier (not XSD, but TR-181 has `[0-9]{1,15}?`) is dropped: laziness cannot
 *   change which strings match in full.
 * Anything else (back-references, `(?…)`, unknown escapes) is not XSD and fails to compile.
 *
 * A pattern that does not translate or compile is a schema bug and throws `InternalError`
 * (7003). Catastrophic backtracking is kept in check by length limits: patterns longer than
 * MAX_PATTERN_LENGTH are refused and values longer than MAX_PATTERN_SUBJECT are not matched.
 */
import { InternalError, type UspError } from './errors.js';

/** Longest pattern source accepted from a schema. */
export const MAX_PATTERN_LENGTH = 1024;
/** Longest value tested against a pattern; longer values are rejected (7012) without matching. */
export const MAX_PATTERN_SUBJECT = 4096;

/** XSD general categories (all have JS `\p{…}` equivalents). */
const CATEGORIES: ReadonlySet<string> = new Set(
  'L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po Z Zs Zl Zp S Sm Sc Sk So C Cc Cf Co Cn'.split(' '),
);

/** Unicode blocks usable as `\p{IsName}`; others are refused rather than guessed. */
const BLOCKS: ReadonlyMap<string, string> = new Map([
  ['BasicLatin', '\\u{0}-\\u{7F}'],
  ['Latin-1Supplement', '\\u{80}-\\u{FF}'],
  ['LatinExtended-A', '\\u{100}-\\u{17F}'],
  ['LatinExtended-B', '\\u{180}-\\u{24F}'],
  ['GreekandCoptic', '\\u{370}-\\u{3FF}'],
  ['Greek', '\\u{370}-\\u{3FF}'],
  ['Cyrillic', '\\u{400}-\\u{4FF}'],
]);

const NAME_START =
  '\\u{3A}A-Z\\u{5F}a-z\\u{C0}-\\u{D6}\\u{D8}-\\u{F6}\\u{F8}-\\u{2FF}\\u{370}-\\u{37D}\\u{37F}-\\u{1FFF}' +
  '\\u{200C}-\\u{200D}\\u{2070}-\\u{218F}\\u{2C00}-\\u{2FEF}\\u{3001}-\\u{D7FF}\\u{F900}-\\u{FDCF}' +
  '\\u{FDF0}-\\u{FFFD}\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\u{2D}\\u{2E}0-9\\u{B7}\\u{300}-\\u{36F}\\u{203F}-\\u{2040}`;

const MULTI_ESCAPES: Readonly<Record<string, string>> = {
  s: '[\\u{20}\\u{9}\\u{A}\\u{D}]',
  S: '[^\\u{20}\\u{9}\\u{A}\\u{D}]',
  d: '\\p{Nd}',
  D: '\\P{Nd}',
  w: '[^\\p{P}\\p{Z}\\p{C}]',
  W: '[\\p{P}\\p{Z}\\p{C}]',
  i: `[${NAME_START}]`,
  I: `[^${NAME_START}]`,
  c: `[${NAME_CHAR}]`,
  C: `[^${NAME_CHAR}]`,
};
const SINGLE_ESCAPES: Readonly<Record<string, number>> = { n: 0x0a, r: 0x0d, t: 0x09 };

const compiled = new Map<string, RegExp>();
const byFacet = new WeakMap<readonly string[], readonly RegExp[]>();

/** The compiled, anchored regex for one XSD pattern (cached by source text). */
export function compilePattern(xsd: string): RegExp {
  let re = compiled.get(xsd);
  if (re === undefined) {
    if (xsd.length > MAX_PATTERN_LENGTH) throw patternError(xsd, `longer than ${MAX_PATTERN_LENGTH} characters`);
    const source = new XsdRegexTranslator(xsd).translate();
    try {
      re = new RegExp(`^(?:${source})$`, 'v');
    } catch (e) {
      throw patternError(xsd, (e as Error).message);
    }
    compiled.set(xsd, re);
  }
  return re;
}

/** True when `value` fully matches at least one pattern of the facet (an empty facet allows all). */
export function matchesAnyPattern(patterns: readonly string[], value: string): boolean {
  let res = byFacet.get(patterns);
  if (res === undefined) {
    res = patterns.map(compilePattern);
    byFacet.set(patterns, res);
  }
  if (res.length === 0) return true;
  for (let i = 0; i < res.length; i++) if (res[i]!.test(value)) return true;
  return false;
}

function patternError(xsd: string, why: string): UspError {
  return new InternalError(`schema pattern ${JSON.stringify(xsd.slice(0, 80))} is unusable: ${why}`);
}

/** Literal code point as JS regex source that is valid both inside and outside `v` classes. */
function lit(cp: number): string {
  const isAlnum = (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return isAlnum ? String.fromCharCode(cp) : `\\u{${cp.toString(16).toUpperCase()}}`;
}

/** Recursive-descent translation following the XSD regex grammar (regExp, branch, piece, atom). */
class XsdRegexTranslator {
  private pos = 0;

  constructor(private readonly src: string) {}

  translate(): string {
    const out = this.regExp();
    if (this.pos < this.src.length) this.fail(`unexpected ${this.src[this.pos]}`);
    return out;
  }

  private regExp(): string {
    let out = this.branch();
    while (this.peek() === '|') {
      this.pos++;
      out += `|${this.branch()}`;
    }
    return out;
  }

  private branch(): string {
    let out = '';
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) out += this.piece();
    return out;
  }

  private piece(): string {
    const atom = this.atom();
    const quantifier = this.quantifier();
    // Not XSD, but TR-181 has `[0-9]{1,15}?`: a lazy mark cannot change what a full match accepts.
    if (quantifier !== '' && this.peek() === '?') this.pos++;
    return atom + quantifier;
  }

  private quantifier(): string {
    const c = this.peek();
    if (c === '?' || c === '*' || c === '+') {
      this.pos++;
      return c;
    }
    if (c !== '{') return '';
    const m = /^\{(\d{1,6})(,(\d{1,6})?)?\}/.exec(this.src.slice(this.pos));
    if (m === null) return this.fail('malformed {n,m} quantifier');
    if (m[3] !== undefined && Number(m[3]) < Number(m[1])) this.fail('quantifier {n,m} with m < n');
    this.pos += m[0].length;
    return m[0];
  }

  private atom(): string {
    const cp = this.next();
    switch (cp) {
      case 0x28: {
        const inner = this.regExp();
        if (this.next() !== 0x29) this.fail('unclosed (');
        return `(?:${inner})`;
      }
      case 0x5b:
        return this.charClass();
      case 0x2e:
        return '[^\\u{A}\\u{D}]';
      case 0x5c:
        return this.escape();
      case 0x3f: case 0x2a: case 0x2b: case 0x7b: case 0x7d: case 0x29: case 0x5d: case 0x7c:
        return this.fail(`unexpected ${String.fromCodePoint(cp)}`);
      default:
        return lit(cp);
    }
  }

  /** After `\`: a single-character escape as a literal, or a multi-character/category escape. */
  private escape(): string {
    const single = this.singleEscape();
    return single >= 0 ? lit(single) : this.multiEscape();
  }

  /** Returns the escaped code point, or -1 (position unchanged) when a multi/category escape follows. */
  private singleEscape(): number {
    const c = this.peek();
    if (c === undefined) return this.fail('dangling \\');
    const mapped = SINGLE_ESCAPES[c];
    if (mapped !== undefined) {
      this.pos++;
      return mapped;
    }
    if (c === 'p' || c === 'P' || MULTI_ESCAPES[c] !== undefined) return -1;
    const cp = c.charCodeAt(0);
    // XSD only allows \ before its metacharacters; other ASCII punctuation is accepted as a literal too.
    if (cp < 0x80 && !/[A-Za-z0-9]/.test(c)) {
      this.pos++;
      return cp;
    }
    return this.fail(`unknown escape \\${c}`);
  }

  private multiEscape(): string {
    const c = this.src[this.pos++]!;
    const multi = MULTI_ESCAPES[c];
    if (multi !== undefined) return multi;
    const m = /^\{([A-Za-z0-9-]+)\}/.exec(this.src.slice(this.pos));
    if (m === null) return this.fail(`malformed \\${c}{…}`);
    this.pos += m[0].length;
    const name = m[1]!;
    if (CATEGORIES.has(name)) return `\\${c}{${name}}`;
    const block = name.startsWith('Is') ? BLOCKS.get(name.slice(2)) : undefined;
    if (block === undefined) return this.fail(`unsupported category or block \\${c}{${name}}`);
    return c === 'p' ? `[${block}]` : `[^${block}]`;
  }

  /** After `[`: `[^…]`, ranges, escapes and an optional trailing subtraction `-[…]`. */
  private charClass(): string {
    let neg = '';
    if (this.peek() === '^') {
      neg = '^';
      this.pos++;
    }
    let items = '';
    let count = 0;
    for (;;) {
      const c = this.peek();
      if (c === undefined) return this.fail('unclosed [');
      if (c === ']') {
        if (count === 0) this.fail('empty character class');
        this.pos++;
        return `[${neg}${items}]`;
      }
      if (c === '-' && this.src[this.pos + 1] === '[') {
        if (count === 0) this.fail('subtraction from an empty class');
        this.pos += 2;
        const subtrahend = this.charClass();
        if (this.next() !== 0x5d) this.fail('a subtraction must end the character class');
        return `[[${neg}${items}]--${subtrahend}]`;
      }
      if (c === '-' && count > 0 && this.src[this.pos + 1] !== ']') this.fail('unescaped - inside a character class');
      if (c === '[') this.fail('unescaped [ inside a character class');
      count++;
      let start: number;
      if (c === '\\') {
        this.pos++;
        start = this.singleEscape();
        if (start < 0) {
          items += this.multiEscape();
          continue;
        }
      } else {
        start = this.next();
      }
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== '[') {
        this.pos++;
        const end = this.rangeEnd();
        if (end < start) this.fail('character range out of order');
        items += `${lit(start)}-${lit(end)}`;
      } else {
        items += lit(start);
      }
    }
  }

  private rangeEnd(): number {
    const c = this.peek();
    if (c === undefined || c === '[') return this.fail('bad character range');
    if (c !== '\\') return this.next();
    this.pos++;
    const cp = this.singleEscape();
    return cp >= 0 ? cp : this.fail('a range cannot end in a multi-character escape');
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private next(): number {
    const cp = this.src.codePointAt(this.pos);
    if (cp === undefined) return this.fail('unexpected end');
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private fail(why: string): never {
    throw patternError(this.src, `${why} at offset ${this.pos}`);
  }
}
