/**
 * JSON reports (TR-369 Annex A, "Encoding of JSON Bulk Data"; USP-NOTES §16): `{"Report":[...]}`
 * with one element per report, oldest first (retained failed reports, then the current one),
 * each with an optional "CollectionTime" (JSONEncoding.ReportTimestamp) and then either
 * - ObjectHierarchy: nested JSON objects following the name's dot-separated segments (instance
 *   numbers become keys), leaves typed (numbers and booleans unquoted), or
 * - NameValuePair: one `"name": value` member per parameter.
 */
import type { Collected } from './collect.js';
import type { JsonOptions } from './profile.js';
import { timestampValue } from './timestamp.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

type Leaf = string | number | boolean;
interface Tree {
  readonly members: Map<string, Tree | Leaf>;
}

function hierarchy(c: Collected): Tree {
  const root: Tree = { members: new Map() };
  for (const item of c.items) {
    const segs = item.name.split('.').filter((s) => s !== '');
    let node: Tree | undefined = root;
    for (let i = 0; i < segs.length - 1 && node; i++) {
      const key = segs[i] as string;
      let next = node.members.get(key);
      if (next === undefined) {
        next = { members: new Map() };
        node.members.set(key, next);
      }
      // A name that is both a value and an object (alternative names can clash): the first one wins.
      node = typeof next === 'object' ? next : undefined;
    }
    const leaf = segs[segs.length - 1];
    if (node && leaf !== undefined && !node.members.has(leaf)) node.members.set(leaf, item.json);
  }
  return root;
}

function write(t: Tree): string {
  const parts: string[] = [];
  for (const [k, v] of t.members) parts.push(`${JSON.stringify(k)}:${typeof v === 'object' ? write(v) : JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

function reportObject(c: Collected, opts: JsonOptions): string {
  const head = opts.timestamp === 'None' ? [] : [`"CollectionTime":${JSON.stringify(timestampValue(c.atMs, opts.timestamp))}`];
  if (opts.format === 'NameValuePair') {
    const seen = new Set<string>();
    const members = c.items.filter((i) => !seen.has(i.name) && seen.add(i.name)).map((i) => `${JSON.stringify(i.name)}:${JSON.stringify(i.json)}`);
    return `{${[...head, ...members].join(',')}}`;
  }
  const body = write(hierarchy(c)).slice(1, -1);
  return `{${[...head, ...(body === '' ? [] : [body])].join(',')}}`;
}

/** Encodes `reports` (oldest first) as one JSON Bulk Data body. */
export function encodeJson(reports: readonly Collected[], opts: JsonOptions): string {
  return `{"Report":[${reports.map((r) => reportObject(r, opts)).join(',')}]}`;
}
