/**
 * The shipped JSON Schema (schema/config.schema.json), the loader (agent/config*.ts) and the
 * settings reference in docs/config.md agree:
 * - every setting in the schema is accepted by the loader, with the same valid values (defaults,
 *   examples, bounds, enum members) and rejected at the same location for the same bad values
 *   (wrong type, one past a bound, outside the enum, not matching the pattern);
 * - every key the loader accepts is in the schema: each quoted name in the loader's source and in
 *   the effective config is tried in every object of the schema that lacks it, and the loader must
 *   call it an unknown setting there;
 * - the example configs name the schema in "$schema", validate against it and load;
 * - docs/config.md holds exactly the reference rendered from the schema.
 * The validator below covers the part of JSON Schema 2020-12 the config schema uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ConfigError, loadConfig } from '../../../agent/config.js';
import { configSchemaPath, deref, loadConfigSchema, renderConfigReference } from '../../../agent/admin/config-doc.js';
import type { SchemaNode } from '../../../agent/admin/config-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const schema = loadConfigSchema();

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const join2 = (path: string, k: string | number): string => (path ? `${path}.${k}` : String(k));

function typeOk(type: SchemaNode['type'], v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObj(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** Problems as `location: what`, like the loader's. */
function validate(node: SchemaNode, v: unknown, path = '', out: string[] = []): string[] {
  const n = deref(schema, node);
  const at = (what: string): number => out.push(`${path}: ${what}`);
  if (n.const !== undefined && v !== n.const) return (at(`must be ${JSON.stringify(n.const)}`), out);
  if (n.enum && !n.enum.includes(v)) return (at('not one of the allowed values'), out);
  if (!typeOk(n.type, v)) return (at(`must be ${n.type}`), out);
  if (typeof v === 'string') {
    if (n.minLength !== undefined && v.length < n.minLength) at('too short');
    if (n.maxLength !== undefined && v.length > n.maxLength) at('too long');
    if (n.pattern !== undefined && !new RegExp(n.pattern, 'u').test(v)) at('does not match the pattern');
  }
  if (typeof v === 'number') {
    if (n.minimum !== undefined && v < n.minimum) at('below the minimum');
    if (n.maximum !== undefined && v > n.maximum) at('above the maximum');
  }
  if (Array.isArray(v)) {
    if (n.minItems !== undefined && v.length < n.minItems) at('too few items');
    v.forEach((item, i) => {
      const s = n.prefixItems?.[i] ?? n.items;
      if (s) validate(s, item, join2(path, i), out);
    });
  }
  if (isObj(v)) {
    for (const k of n.required ?? []) if (v[k] === undefined) out.push(`${join2(path, k)}: required`);
    for (const [k, item] of Object.entries(v)) {
      const s = n.properties?.[k];
      if (s) validate(s, item, join2(path, k), out);
      else if (n.additionalProperties === false) out.push(`${join2(path, k)}: unknown setting`);
    }
  }
  if (n.anyOf && !n.anyOf.some((b) => validate(b, v, path).length === 0)) at('matches none of the allowed forms');
  if (n.oneOf) {
    const results = n.oneOf.map((b) => validate(b, v, path));
    if (results.filter((r) => r.length === 0).length !== 1) {
      // Report the member the value says it is (its `protocol`), as the loader does.
      const i = n.oneOf.findIndex((b) => isObj(v) && deref(schema, b).properties?.protocol?.const === v.protocol);
      if (i >= 0) out.push(...(results[i] ?? []));
      else at(isObj(v) && v.protocol === undefined ? 'protocol required' : 'matches none of the allowed forms');
    }
  }
  if (n.if && n.then && validate(n.if, v, path).length === 0) validate(n.then, v, path, out);
  return out;
}

const location = (problem: string): string => problem.slice(0, problem.indexOf(': '));

function loaderProblems(raw: Json): string[] {
  try {
    loadConfig(undefined, { sets: Object.entries(raw).map(([k, v]) => `${k}=${JSON.stringify(v)}`) });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

/** A place in the config a value can go: its location, its schema, and the whole config with `v` there. */
interface Slot {
  readonly path: string;
  readonly node: SchemaNode;
  readonly place: (v: unknown) => Json;
}

/** Values that satisfy a node on its own (for required siblings such as `protocol`). */
function sample(n: SchemaNode): unknown {
  return n.const ?? n.examples?.[0] ?? n.default ?? n.enum?.[0] ?? (n.type === 'integer' ? n.minimum : n.type === 'boolean' ? true : 'x');
}

function* slots(node: SchemaNode, path: string, place: (v: unknown) => unknown): Generator<Slot> {
  const n = deref(schema, node);
  if (path) yield { path, node: n, place: (v) => place(v) as Json };
  if (n.type === 'object' || n.properties) {
    const base: Json = Object.fromEntries((n.required ?? []).map((k) => [k, sample(deref(schema, n.properties?.[k] ?? {}))]));
    for (const [k, child] of Object.entries(n.properties ?? {})) yield* slots(child, join2(path, k), (v) => place({ ...base, [k]: v }));
  }
  if (n.type === 'array' && n.items && !n.prefixItems) {
    const item = deref(schema, n.items);
    for (const member of item.oneOf ?? [item]) yield* slots(member, `${path}.0`, (v) => place([v]));
  }
}

const ALL = [...slots(schema, '', (v) => v)];

function validSamples(n: SchemaNode): unknown[] {
  if (n.const !== undefined) return [n.const];
  const out: unknown[] = [...(n.examples ?? []), ...(n.enum ?? [])];
  if (n.default !== undefined) out.push(n.default);
  if (n.type === 'integer') out.push(n.minimum, n.maximum, ...(n.anyOf ? [65536] : []));
  if (n.type === 'boolean') out.push(true, false);
  if (n.type === 'string' && !n.pattern) out.push('x', ...(n.maxLength ? ['y'.repeat(n.maxLength)] : []));
  if (n.type === 'array' && !n.prefixItems && deref(schema, n.items ?? {}).type === 'string') out.push(['a', 'b']);
  if (n.type === 'array' && n.prefixItems) out.push(['/bin/true', '--flag', '']);
  return out.filter((v) => v !== undefined);
}

function invalidSamples(n: SchemaNode): unknown[] {
  if (n.const !== undefined || (n.type === undefined && !n.enum)) return [];
  const out: unknown[] = [];
  if (n.enum) out.push('no-such-choice', 1);
  if (n.type === 'integer') {
    out.push('5', 1.5, true);
    if (n.minimum !== undefined) out.push(n.minimum - 1);
    if (n.maximum !== undefined) out.push(n.maximum + 1);
    if (n.anyOf) out.push(100);
  }
  if (n.type === 'string') {
    out.push(5, ['x']);
    if (n.pattern && !new RegExp(n.pattern, 'u').test('')) out.push('');
    if (n.pattern && n.pattern !== '\\S') out.push('bad value!');
    if (n.minLength) out.push('');
    if (n.maxLength) out.push('y'.repeat(n.maxLength + 1));
  }
  if (n.type === 'boolean') out.push('true', 1);
  if (n.type === 'array') out.push({}, 'x', [5]);
  if (n.type === 'array' && n.prefixItems) out.push([], ['']);
  if (n.type === 'object') out.push(5, ['x']);
  return out;
}

t.test('the schema is a well-formed JSON Schema 2020-12 document for the whole config', async (t) => {
  t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.equal(schema.additionalProperties, false, 'unknown top-level settings are errors, as in the loader');
  t.ok(ALL.length > 100, `${ALL.length} places in the config are described`);
  for (const s of ALL) if (s.node.pattern) t.ok(s.node.examples?.length || s.node.default !== undefined, `${s.path}: a pattern comes with an example`);
});

t.test('every value the schema allows, the loader accepts; every value it forbids, both reject at the same place', async (t) => {
  let checked = 0;
  for (const s of ALL) {
    for (const v of validSamples(s.node)) {
      const raw = s.place(v);
      const want = validate(schema, raw).map(location).sort();
      t.same(loaderProblems(raw).map(location).sort(), want, `${s.path} = ${JSON.stringify(v)}`);
      checked++;
    }
    for (const v of invalidSamples(s.node)) {
      const raw = s.place(v);
      const inside = (loc: string): boolean => loc === s.path || loc.startsWith(`${s.path}.`);
      const fromSchema = validate(schema, raw).map(location);
      const fromLoader = loaderProblems(raw).map(location);
      t.ok(fromSchema.length > 0 && fromSchema.every(inside), `schema rejects ${s.path} = ${JSON.stringify(v)} there (${fromSchema.join(', ')})`);
      t.ok(fromLoader.length > 0 && fromLoader.every(inside), `loader rejects ${s.path} = ${JSON.stringify(v)} there (${fromLoader.join(', ')})`);
      checked++;
    }
  }
  t.ok(checked > 400, `${checked} values checked`);
});

t.test('every key the loader accepts is in the schema, and nothing else is', async (t) => {
  const sources = readdirSync(join(ROOT, 'agent')).filter((f) => /^config.*\.ts$/.test(f));
  const names = new Set<string>();
  for (const f of sources) for (const m of readFileSync(join(ROOT, 'agent', f), 'utf8').matchAll(/['"]([A-Za-z][A-Za-z0-9]*)['"]/g)) names.add(m[1] as string);
  // The effective config's own keys, and their forms without a unit suffix (keepAliveS ← keepAlive).
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        names.add(k).add(k.replace(/(S|Ms)$/, ''));
        walk(x);
      }
    }
  };
  walk(loadConfig(undefined, { dataDir: '/nonexistent', sets: ['mtps=[{"protocol":"MQTT"},{"protocol":"STOMP"},{"protocol":"WebSocket"}]'] }));
  t.ok(names.size > 100, `${names.size} candidate names`);
  let probes = 0;
  for (const s of ALL) {
    if (s.node.type !== 'object') continue;
    const known = new Set(Object.keys(s.node.properties ?? {}));
    for (const name of [...names, 'notASetting']) {
      if (known.has(name)) continue;
      const problems = loaderProblems(
        s.place({ ...Object.fromEntries((s.node.required ?? []).map((k) => [k, sample(deref(schema, s.node.properties?.[k] ?? {}))])), [name]: 1 }),
      );
      probes++;
      if (!problems.includes(`${join2(s.path, name)}: unknown setting`))
        t.fail(`the loader accepts ${join2(s.path, name)}, which the schema does not describe`);
    }
    const top = s.path.split('.')[0] as string;
    t.ok(schema.properties?.[top], `${top} is in the schema`);
  }
  t.ok(probes > 1000, `${probes} names tried where the schema lacks them`);
  t.same(validate(schema, { notASetting: 1 }), ['notASetting: unknown setting'], 'the validator itself rejects unknown keys');
});

t.test('the example configs reference the schema, validate against it and load', async (t) => {
  const dir = join(ROOT, 'examples', 'config');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  t.ok(files.length >= 2, files.join(', '));
  for (const f of files) {
    const path = join(dir, f);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Json;
    t.equal(typeof json.$schema === 'string' && resolve(dirname(path), json.$schema), configSchemaPath(), `${f}: "$schema" points at the shipped schema`);
    t.same(validate(schema, json), [], `${f}: valid`);
    t.doesNotThrow(() => loadConfig(path), `${f}: loads`);
  }
});

t.test('docs/config.md holds the reference rendered from the schema (regenerate: usp-agent config doc --update docs/config.md)', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8');
  const reference = renderConfigReference(schema);
  t.ok(doc.includes(reference), 'the generated reference is in docs/config.md, unchanged');
  for (const s of ALL) {
    const leaf = s.path.replace(/\.0(\.|$)/g, '[]$1');
    if (s.node.type !== 'object' && !/(^|\.)(comment|\$schema)$/.test(leaf) && !leaf.endsWith('.protocol') && !leaf.endsWith('[]')) {
      const rel = leaf.replace(/^[^.[]+\./, '');
      t.ok(reference.includes(`\`${leaf}\``) || reference.includes(`\`${rel}\``), `${leaf} is documented`);
    }
  }
});
