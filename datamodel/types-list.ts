/**
 * TR-106 comma-separated lists (§3.2.3): splitting, joining and the `%2C` escape.
 *
 * Escaping rule used throughout: a comma inside an item is written `%2C` (read case-insensitively)
 * and nothing else is escaped or decoded, so values such as URLs with `%20` round-trip untouched.
 * The cost is that an item cannot contain the literal text `%2C`. Whitespace (space, tab, CR, LF)
 * around items is not significant and is trimmed on input; an all-blank string is the empty list,
 * so a list holding one empty item cannot be told apart from the empty list.
 *
 * `nestedBrackets` lists (e.g. `[7,7,6],[1,0]`) protect commas with square brackets instead:
 * splitNestedList returns the text inside each pair of brackets.
 */
import { notType } from './types-scalar.js';

const ESCAPED_COMMA = /%2C/gi;

/** Splits a TR-106 list into its items: trims each item and decodes `%2C`; `''` gives `[]`. */
export function splitList(value: string): string[] {
  if (isBlank(value)) return [];
  const items = value.split(',');
  for (let i = 0; i < items.length; i++) items[i] = decodeItem(trimXmlSpace(items[i]!));
  return items;
}

/** Joins items into a TR-106 list, escaping commas inside items as `%2C`. */
export function joinList(items: readonly string[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (i > 0) out += ',';
    out += item.includes(',') ? item.replaceAll(',', '%2C') : item;
  }
  return out;
}

/**
 * Splits a `nestedBrackets` list at commas outside brackets and returns each item without its
 * outer brackets. With `required`, every item must be bracketed; otherwise an unbracketed item is
 * read like a plain list item. Unbalanced brackets are 7011.
 */
export function splitNestedList(value: string, required: boolean, type: string): string[] {
  if (isBlank(value)) return [];
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5b) depth++;
    else if (c === 0x5d && --depth < 0) throw notType(`list of ${type}`, value, 'unbalanced ]');
    else if ((c === 0x2c && depth === 0) || i === value.length) {
      items.push(unbracket(trimXmlSpace(value.slice(start, i)), required, value, type));
      start = i + 1;
    }
  }
  if (depth !== 0) throw notType(`list of ${type}`, value, 'unbalanced [');
  return items;
}

/** Joins items of a `nestedBrackets` list: bracketed when required or when an item has a comma. */
export function joinNestedList(items: readonly string[], required: boolean): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (i > 0) out += ',';
    out += required || item.includes(',') || item.startsWith('[') ? `[${item}]` : item;
  }
  return out;
}

function unbracket(item: string, required: boolean, value: string, type: string): string {
  if (item.charCodeAt(0) === 0x5b && item.charCodeAt(item.length - 1) === 0x5d) {
    const inner = item.slice(1, -1);
    let depth = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner.charCodeAt(i);
      if (c === 0x5b) depth++;
      else if (c === 0x5d && --depth < 0) throw notType(`list of ${type}`, value, 'items must be [ … ]');
    }
    return inner;
  }
  if (required) throw notType(`list of ${type}`, value, 'every item must be enclosed in [ ]');
  return decodeItem(item);
}

function decodeItem(item: string): string {
  return item.includes('%') ? item.replace(ESCAPED_COMMA, ',') : item;
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Whole string is empty or XML whitespace. */
export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isXmlSpace(s.charCodeAt(i))) return false;
  return true;
}

function trimXmlSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isXmlSpace(s.charCodeAt(a))) a++;
  while (b > a && isXmlSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
