/**
 * Factory defaults: a JSON object mapping object instance paths to parameter values, applied
 * in file order to a new (or reset) database. Rows are created with the instance numbers given.
 *
 *   { "Device.Time.": { "LocalTimeZone": "UTC" },
 *     "Device.LocalAgent.Controller.1.": { "EndpointID": "proto::controller-1", "Enable": "true" } }
 */
import { readFileSync } from 'node:fs';
import { InvalidPathError, UnsupportedParamError, UspError } from './errors.js';
import type { DataModel } from './model.js';
import type { Txn } from './txn.js';
import { normalizeValue } from './types.js';

export type FactoryDefaults = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Reads and shape-checks a factory-defaults file; the content is checked when applied. */
export function readFactoryDefaults(file: string | URL): FactoryDefaults {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('factory defaults must be a JSON object');
  for (const [path, params] of Object.entries(parsed)) {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new Error(`${path}: must map parameter names to values`);
    for (const [k, v] of Object.entries(params as object)) if (typeof v !== 'string') throw new Error(`${path}${k}: values must be strings`);
  }
  return parsed as FactoryDefaults;
}

/** Applies `defaults` inside `txn`; any unknown path or bad value fails the whole seed. */
export function applyDefaults(dm: DataModel, txn: Txn, defaults: FactoryDefaults): void {
  for (const [path, params] of Object.entries(defaults)) {
    let inst = dm.tree.get(path);
    if (!inst) {
      const m = /^(.*\.)([A-Za-z_][A-Za-z0-9_-]*)\.([1-9][0-9]*)\.$/.exec(path);
      const parent = m ? dm.tree.get(m[1] as string) : undefined;
      const table = parent?.node.children.get((m as RegExpExecArray)[2] as string);
      if (!m || !parent || !table?.isTable) throw new InvalidPathError(`factory defaults: '${path}' is not an object or a row of an existing table`, path);
      inst = txn.addRow(parent, table, Number(m[3]));
    }
    for (const [name, raw] of Object.entries(params)) {
      const p = inst.node.params.get(name);
      if (!p || !p.stored) throw new UnsupportedParamError(`factory defaults: ${path}${name} is not a stored parameter`, path + name);
      try {
        txn.setValue(inst, p, normalizeValue(p.def, raw));
      } catch (e) {
        if (UspError.is(e)) throw new UspError(e.code, `factory defaults: ${path}${name}: ${e.message}`, path + name);
        throw e;
      }
    }
  }
  txn.checkUniqueKeys();
}
