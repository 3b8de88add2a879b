/**
 * The Device.DeviceInfo.FirmwareImage.{i} rows (TR-181 DeviceInfo, a static table: one row per
 * bank, made by the agent). At start-up they are brought in line with what the platform holds;
 * a Download or activation that a restart interrupted shows as failed, never as still running.
 */
import { InternalError } from '../../datamodel/errors.js';
import type { InstanceTree } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Txn } from '../../datamodel/txn.js';
import type { BankImage, BankStatus, FirmwarePlatform } from './platform.js';

export const DEVICE_INFO = 'Device.DeviceInfo.';
export const FW_TABLE = 'Device.DeviceInfo.FirmwareImage.';

export type RowValues = Partial<Record<'Name' | 'Version' | 'Available' | 'Status' | 'BootFailureLog', string>>;

/** `Device.DeviceInfo.FirmwareImage.<n>` (a reference value: no trailing dot). */
export function bankRef(bank: number): string {
  return `${FW_TABLE}${bank}`;
}

/** The bank number of a row path or reference, or undefined. */
export function bankOf(path: string): number | undefined {
  const m = /^Device\.DeviceInfo\.FirmwareImage\.(\d+)\.?$/.exec(path);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Statuses that TR-181 shows Name and Version with. */
const SHOWS_IMAGE: readonly string[] = ['Active', 'Available', 'InstallationFailed', 'ActivationFailed'];
const FAILED: readonly string[] = ['DownloadFailed', 'ValidationFailed', 'InstallationFailed', 'ActivationFailed'];

/** Values for a bank in `status` holding `image`: Name and Version only where TR-181 shows them. */
export function imageValues(status: BankStatus, image: BankImage | undefined): RowValues {
  const show = image && SHOWS_IMAGE.includes(status);
  return { Status: status, Name: show ? image.name : '', Version: show ? image.version : '' };
}

export function setRow(txn: Txn, tree: InstanceTree, bank: number, values: RowValues): void {
  const row = tree.get(`${FW_TABLE}${bank}.`);
  if (!row) throw new InternalError(`${FW_TABLE}${bank}. does not exist`);
  for (const [name, value] of Object.entries(values)) {
    const p = row.node.params.get(name);
    if (!p) throw new InternalError(`${row.path}${name} is not in the data model`);
    if (value !== undefined && row.values.get(name) !== value) txn.setValue(row, p, value);
  }
}

/** Stored value of one row parameter ('' when unset or no row). */
export function rowValue(tree: InstanceTree, bank: number, name: string): string {
  const row = tree.get(`${FW_TABLE}${bank}.`);
  return row?.values.get(name) ?? row?.node.params.get(name)?.defaultValue ?? '';
}

/** Start-up: one row per bank, each showing what the platform holds. */
export async function syncRows(dm: DataModel, platform: FirmwarePlatform): Promise<void> {
  const images = await Promise.all(Array.from({ length: platform.bankCount }, (_, i) => platform.image(i + 1)));
  const running = platform.runningBank();
  await dm.transaction((txn) => {
    const parent = dm.tree.get(DEVICE_INFO);
    const table = parent?.node.children.get('FirmwareImage');
    if (!parent || !table) throw new InternalError(`${FW_TABLE}{i}. is not in the data model`);
    for (const row of [...parent.rows('FirmwareImage')]) if (row.num > platform.bankCount) txn.deleteRow(row);
    for (let bank = 1; bank <= platform.bankCount; bank++) {
      const image = images[bank - 1];
      let row = dm.tree.get(`${FW_TABLE}${bank}.`);
      const fresh = !row;
      if (!row) row = txn.addRow(parent, table, bank);
      const stored = fresh ? '' : (row.values.get('Status') ?? '');
      let status: BankStatus;
      if (bank === running) status = 'Active';
      else if (stored === 'Downloading' || stored === 'Validating') status = 'DownloadFailed';
      else if (FAILED.includes(stored)) status = stored as BankStatus;
      else status = image ? 'Available' : 'NoImage';
      const values: RowValues = { ...imageValues(status, image) };
      if (fresh) values.Available = image ? 'true' : 'false';
      if (bank === running) values.Available = 'true';
      setRow(txn, dm.tree, bank, values);
      const alias = row.node.params.get('Alias');
      if (alias && !row.values.get('Alias')) txn.setValue(row, alias, `cpe-${bank}`);
    }
  });
}
