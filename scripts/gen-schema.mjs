#!/usr/bin/env node
// Generates datamodel/schema/tr181.json, the supported TR-181 subset, from the TR-181 facts in
// ../shared/reference/tr181-subset.json (made from the official tr-181-2-19-1-usp XML).
// The output is committed; rerun this only when the facts or the subtree selection change.
// Local changes belong in datamodel/schema/local.ts, which is applied at load time.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.argv[2] ?? join(root, '..', 'shared', 'reference', 'tr181-subset.json');
const out = join(root, 'datamodel', 'schema', 'tr181.json');

// Subtrees the agent supports (issue: Device., DeviceInfo, Time, LocalAgent, MQTT, STOMP,
// BulkData, SoftwareModules, Security, IP.Interface, Ethernet.Interface). WiFi is left out: a
// gateway without a radio driver must not claim it.
const SUBTREES = [
  'Device.',
  'Device.DeviceInfo.',
  'Device.Time.',
  'Device.LocalAgent.',
  'Device.MQTT.',
  'Device.STOMP.',
  'Device.BulkData.',
  'Device.SoftwareModules.',
  'Device.Security.',
  'Device.IP.Interface.',
  'Device.Ethernet.Interface.',
];

let facts;
try {
  facts = JSON.parse(readFileSync(src, 'utf8'));
} catch (e) {
  console.error(`gen-schema: cannot read ${src}: ${e.message}`);
  process.exit(1);
}

const KEEP_PARAM = ['name', 'type', 'dataType', 'list', 'size', 'range', 'enumeration', 'pattern', 'pathRef',
  'units', 'default', 'access', 'secured', 'hidden', 'activeNotify', 'mandatory', 'status', 'version'];
const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
const isLive = (x) => x.status !== 'deleted' && x.status !== 'obsoleted';
const args = (list) => list && {
  params: (list.params ?? []).filter(isLive).map((p) => pick(p, KEEP_PARAM)),
  ...(list.objects ? { objects: list.objects.map((o) => ({ ...o, params: o.params.filter(isLive).map((p) => pick(p, KEEP_PARAM)) })) } : {}),
};

const seen = new Set();
const objects = [];
for (const sub of SUBTREES) {
  const list = facts.subtrees[sub];
  if (!list) {
    console.error(`gen-schema: subtree ${sub} missing from ${src}`);
    process.exit(1);
  }
  for (const o of list) {
    if (!isLive(o) || seen.has(o.path)) continue;
    seen.add(o.path);
    objects.push({
      path: o.path,
      access: o.access,
      multiInstance: o.multiInstance,
      minEntries: o.minEntries,
      maxEntries: o.maxEntries,
      ...pick(o, ['numEntriesParameter', 'enableParameter', 'uniqueKeys', 'version', 'status']),
      params: o.params.filter(isLive).map((p) => pick(p, KEEP_PARAM)),
      commands: o.commands.filter(isLive).map((c) => ({
        name: c.name, async: c.async === true, version: c.version,
        ...(c.input ? { input: args(c.input) } : {}), ...(c.output ? { output: args(c.output) } : {}),
      })),
      events: o.events.filter(isLive).map((e) => ({
        name: e.name, version: e.version, args: (e.args ?? []).filter(isLive).map((p) => pick(p, KEEP_PARAM)),
        ...(e.argObjects ? { argObjects: e.argObjects } : {}),
      })),
    });
  }
}
objects.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

const schema = {
  source: { spec: facts.source.spec, model: facts.source.model, generatedFrom: 'tr181-subset.json' },
  objects,
};
writeFileSync(out, JSON.stringify(schema, null, 1) + '\n');
const n = (k) => objects.reduce((s, o) => s + o[k].length, 0);
console.log(`gen-schema: ${objects.length} objects, ${n('params')} params, ${n('commands')} commands, ${n('events')} events -> ${out}`);
