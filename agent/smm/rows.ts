/**
 * Data-model access for Software Module Management: finding the ExecEnv, DeploymentUnit and
 * ExecutionUnit rows and writing their values in one transaction (the single writer, STYLE §2.8).
 * References are stored as TR-181 paths without the trailing dot.
 */
import { InternalError } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Txn } from '../../datamodel/txn.js';

export const SM = 'Device.SoftwareModules.';

/** `Device.X.1.` → `Device.X.1` (a reference value). */
export const ref = (objPath: string): string => (objPath.endsWith('.') ? objPath.slice(0, -1) : objPath);
/** `Device.X.1` → `Device.X.1.` (an instance path). */
export const objPathOf = (reference: string): string => (reference.endsWith('.') ? reference : `${reference}.`);

export function rows(dm: DataModel, table: 'ExecEnv' | 'DeploymentUnit' | 'ExecutionUnit'): readonly ObjInstance[] {
  return [...(dm.tree.get(SM)?.rows(table) ?? [])];
}

export function value(row: ObjInstance | undefined, name: string): string {
  return row?.values.get(name) ?? '';
}

/** Writes stored values of `objPath` (or of its single-instance child, `AutoRestart.Enable`). */
export function setValues(dm: DataModel, txn: Txn, objPath: string, values: Readonly<Record<string, string>>): void {
  for (const [name, v] of Object.entries(values)) {
    const dot = name.lastIndexOf('.');
    const path = dot < 0 ? objPath : `${objPath}${name.slice(0, dot + 1)}`;
    const leaf = dot < 0 ? name : name.slice(dot + 1);
    const inst = dm.tree.get(path);
    const p = inst?.node.params.get(leaf);
    if (!inst || !p) throw new InternalError(`${path}${leaf} is not in the data model`);
    if (inst.values.get(leaf) !== v) txn.setValue(inst, p, v);
  }
}

/** Adds a row to one of the SoftwareModules tables with `values`; returns its instance path. */
export function addRow(dm: DataModel, txn: Txn, table: 'ExecEnv' | 'DeploymentUnit' | 'ExecutionUnit', values: Readonly<Record<string, string>>): string {
  const parent = dm.tree.get(SM);
  const node = parent?.node.children.get(table);
  if (!parent || !node) throw new InternalError(`${SM}${table}. is not in the data model`);
  const row = txn.addRow(parent, node);
  setValues(dm, txn, row.path, { Alias: `cpe-${row.num}`, ...values });
  return row.path;
}

/** Deletes the row at `objPath` if it exists. */
export function deleteRow(dm: DataModel, txn: Txn, objPath: string): void {
  const row = dm.tree.get(objPath);
  if (row) txn.deleteRow(row);
}

/** The current date-time in TR-106 form. */
export function nowIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
