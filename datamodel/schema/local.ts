/**
 * Local overrides applied on top of the generated TR-181 schema (tr181.json), so that what
 * this agent claims in GetSupportedDM is what it really implements. Edit this file, not the
 * generated JSON.
 */
import type { ObjectDef } from './types.js';

/** Subtrees removed from the generated schema, with why. */
export const EXCLUDED_SUBTREES: readonly string[] = [
  // Device.MQTT.Broker is for devices that run an MQTT broker; this agent is an MQTT client.
  'Device.MQTT.Broker.{i}.',
];

/**
 * Defaults for read-only status parameters whose first enumeration value (what the type's zero
 * value would pick) claims a state nothing has reached yet.
 */
export const PARAM_DEFAULTS: Readonly<Record<string, string>> = {
  'Device.LocalAgent.MTP.{i}.Status': 'Down',
  'Device.MQTT.Client.{i}.Status': 'Disabled',
  'Device.MQTT.Client.{i}.Subscription.{i}.Status': 'Unsubscribed',
  'Device.STOMP.Connection.{i}.Status': 'Disabled',
  // The TR-181 default is "&#13;&#10;" (CR LF); the copy of the XML the schema is generated from lost it to a space.
  'Device.BulkData.Profile.{i}.CSVEncoding.RowSeparator': '&#13;&#10;',
};

/** Attribute changes to generated objects, keyed by supported path. */
export const OBJECT_PATCHES: Readonly<Record<string, Partial<Pick<ObjectDef, 'maxEntries' | 'minEntries' | 'access'>>>> = {};

export function applyLocalOverrides(objects: readonly ObjectDef[]): ObjectDef[] {
  const out: ObjectDef[] = [];
  const excluded = (path: string): boolean => EXCLUDED_SUBTREES.some((x) => path.startsWith(x));
  // Counters of excluded tables go too (e.g. Device.MQTT.BrokerNumberOfEntries).
  const droppedCounters = new Map<string, Set<string>>();
  for (const o of objects) {
    if (!excluded(o.path) || !o.numEntriesParameter) continue;
    const trimmed = o.path.slice(0, -4);
    const parent = trimmed.slice(0, trimmed.lastIndexOf('.', trimmed.length - 2) + 1);
    if (!droppedCounters.has(parent)) droppedCounters.set(parent, new Set());
    droppedCounters.get(parent)?.add(o.numEntriesParameter);
  }
  for (const o of objects) {
    if (excluded(o.path)) continue;
    const drop = droppedCounters.get(o.path);
    const patched = { ...o, ...OBJECT_PATCHES[o.path] };
    const params = (drop ? o.params.filter((p) => !drop.has(p.name)) : o.params).map((p) => {
      const d = PARAM_DEFAULTS[o.path + p.name];
      return d === undefined ? p : { ...p, default: { type: 'object' as const, value: d } };
    });
    out.push({ ...patched, params });
  }
  return out;
}
