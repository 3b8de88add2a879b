/** Loads the generated TR-181 schema (tr181.json, made by scripts/gen-schema.mjs) and applies local.ts. */
import { readFileSync } from 'node:fs';
import { applyLocalOverrides } from './local.js';
import type { ObjectDef, SchemaFile } from './types.js';

let cached: { uri: string; objects: readonly ObjectDef[] } | undefined;

/** The supported TR-181 objects and the data model URI reported in GetSupportedDM. */
export function loadTr181(): { uri: string; objects: readonly ObjectDef[] } {
  if (!cached) {
    const file = JSON.parse(readFileSync(new URL('./tr181.json', import.meta.url), 'utf8')) as SchemaFile;
    cached = { uri: file.source.spec, objects: applyLocalOverrides(file.objects) };
  }
  return cached;
}
