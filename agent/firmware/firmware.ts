/**
 * Firmware management (TR-181 Device.DeviceInfo.FirmwareImage.{i}, USP-NOTES §14, TP-469 9.x):
 * the bank rows, DeviceInfo.ActiveFirmwareImage / BootFirmwareImage, Download() (transfer.ts)
 * and Activate() (windows.ts), both async. Activation selects the bank through the platform
 * hook (platform.ts), records the boot cause (Boot! with FirmwareUpdated=true and the command_key)
 * and the pending activation (boot-check.ts), and restarts the device once the command's
 * OperationComplete is out. Images only ever go into a bank that is not running, and one Download
 * runs at a time.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandFailureError, InternalError, InvalidConfigurationError, InvalidValueError, UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { DataModel } from '../../datamodel/model.js';
import type { CommandContext } from '../../datamodel/nodes.js';
import type { Registry } from '../../datamodel/registry.js';
import { recordBootCause } from '../operate/boot.js';
import { checkBoot, writePending } from './boot-check.js';
import type { BootCheck } from './boot-check.js';
import type { BankImage, FirmwarePlatform } from './platform.js';
import { bankOf, bankRef, FW_TABLE, rowValue, setRow, syncRows } from './rows.js';
import { checkDownloadArgs, runTransfer } from './transfer.js';
import type { TransferDeps } from './transfer.js';
import { awaitWindow, parseWindows } from './windows.js';

const BOOT_IMAGE_KEY = 'firmware.bootImage';
const MAX_WINDOWS = 5;

export interface FirmwareDeps extends Omit<TransferDeps, 'dm'> {
  /** Shuts the agent down and restarts the device (agent/operate/restart.ts). */
  readonly restart: () => void;
}

export class Firmware {
  private model: DataModel | undefined;
  private running: BankImage | undefined;
  /** Bank a Download is writing into. */
  private downloading: number | undefined;
  private activating = false;
  /** A BootFirmwareImage set that the platform has not applied yet: the parameter reads it meanwhile. */
  private bootTarget: number | undefined;
  /** Boot selections (BootFirmwareImage sets, activations) run one at a time, in order. */
  private bootQueue: Promise<unknown> = Promise.resolve();
  /** Drops the wait for an activation's Request row (agent stop); see requestDone(). */
  private dropRestart: (() => void) | undefined;

  constructor(private readonly deps: FirmwareDeps) {}

  private get dm(): DataModel {
    if (!this.model) throw new InternalError('firmware: not open');
    return this.model;
  }

  private get platform(): FirmwarePlatform {
    return this.deps.platform;
  }

  /** The running image's version (DeviceInfo.SoftwareVersion, TR-181: equal to the active FirmwareImage's Version); undefined before open(). */
  activeVersion(): string | undefined {
    return this.running?.version;
  }

  register(r: Registry): void {
    r.param(`${FW_TABLE}{i}.Available`, {
      validate: (value, ctx) => {
        const bank = bankOf(ctx.objPath) ?? 0;
        // TR-181: cannot be false for the active image or the one BootFirmwareImage names.
        if (value === 'false' && (bank === this.platform.runningBank() || bank === this.bootImage())) throw new InvalidValueError(`${ctx.objPath} is the active or boot firmware image`);
      },
    });
    r.param('Device.DeviceInfo.ActiveFirmwareImage', { get: () => bankRef(this.platform.runningBank()) });
    r.param('Device.DeviceInfo.MaxNumberOfActivateTimeWindows', { get: () => String(MAX_WINDOWS) });
    r.param('Device.DeviceInfo.BootFirmwareImage', {
      get: () => bankRef(this.bootImage()),
      validate: (value) => {
        const bank = bankOf(value);
        const tree = this.dm.tree;
        if (bank === undefined || !tree.get(`${FW_TABLE}${bank}.`)) throw new InvalidValueError(`'${value}' is not a ${FW_TABLE}{i} row`);
        if (rowValue(tree, bank, 'Available') !== 'true' || !['Available', 'Active', 'ActivationFailed'].includes(rowValue(tree, bank, 'Status')))
          throw new InvalidValueError(`${bankRef(bank)} holds no image that may boot (Available must be true, Status ${rowValue(tree, bank, 'Status')})`);
      },
      set: (_ctx, value) => this.requestBoot(bankOf(value) ?? this.platform.runningBank()),
    });
    r.command(`${FW_TABLE}{i}.Download()`, { mode: 'async', run: (input, ctx) => this.download(input, ctx) });
    r.command(`${FW_TABLE}{i}.Activate()`, { mode: 'async', run: (input, ctx) => this.activate(input, ctx) });
  }

  /** Start-up: rows in line with the platform, leftovers of interrupted downloads removed. */
  async open(dm: DataModel): Promise<void> {
    this.model = dm;
    await mkdir(this.platform.stagingDir, { recursive: true });
    for (const f of await readdir(this.platform.stagingDir)) await rm(join(this.platform.stagingDir, f), { recursive: true, force: true });
    await syncRows(dm, this.platform);
    this.running = await this.platform.image(this.platform.runningBank());
  }

  /** Before serving anyone: confirms or rolls back a pending activation (boot-check.ts); a rollback restarts the device. */
  async checkBoot(): Promise<BootCheck> {
    const r = await checkBoot(this.dm, this.platform, { maxBootAttempts: this.deps.config.maxBootAttempts, healthTimeoutMs: this.deps.config.healthCheckTimeoutSeconds * 1000, log: this.deps.log });
    if (r.kind === 'rollback') setImmediate(() => this.deps.restart());
    return r;
  }

  private bootImage(): number {
    if (this.bootTarget !== undefined) return this.bootTarget;
    const v = Number(this.model?.store.getMeta(BOOT_IMAGE_KEY) ?? '');
    return Number.isInteger(v) && v >= 1 && v <= this.platform.bankCount ? v : this.platform.runningBank();
  }

  private bank(ctx: CommandContext): number {
    const bank = bankOf(ctx.objPath);
    if (bank === undefined) throw new InternalError(`${ctx.objPath} is not a firmware bank`);
    return bank;
  }

  private async download(input: Readonly<Record<string, string>>, ctx: CommandContext): Promise<Record<string, string>> {
    const bank = this.bank(ctx);
    const command = `${ctx.objPath}Download()`;
    // TP-469 9.7: a multi-bank device may refuse to overwrite the image it runs.
    if (bank === this.platform.runningBank()) throw new InvalidConfigurationError(`${command}: bank ${bank} is the running firmware; download into an inactive bank`);
    if (this.downloading !== undefined) throw new UspError(UspErrorCode.RequestDenied, `${command}: a download into ${bankRef(this.downloading)} is in progress; try again when it has finished`);
    if (this.activating) throw new UspError(UspErrorCode.RequestDenied, `${command}: an activation is in progress`);
    const req = checkDownloadArgs(input, command);
    this.downloading = bank;
    try {
      await runTransfer({ ...this.deps, dm: this.dm }, bank, input, ctx, req);
    } finally {
      this.downloading = undefined;
    }
    if (input['AutoActivate'] === 'true') await this.switchTo(bank, ctx, 'Download()');
    return {};
  }

  private async activate(input: Readonly<Record<string, string>>, ctx: CommandContext): Promise<Record<string, string>> {
    const bank = this.bank(ctx);
    const command = `${ctx.objPath}Activate()`;
    const windows = parseWindows(input, command);
    this.checkActivatable(bank, command);
    const ok = await awaitWindow(windows, { clock: this.deps.clock, startedAt: ctx.startedAt, signal: ctx.signal, platform: this.platform });
    if (!ok) throw new CommandFailureError(`${command}: no time window allowed the activation`);
    this.checkActivatable(bank, command);
    await this.switchTo(bank, ctx, 'Activate()');
    return {};
  }

  private checkActivatable(bank: number, command: string): void {
    const tree = this.dm.tree;
    if (bank === this.platform.runningBank()) throw new CommandFailureError(`${command}: bank ${bank} is already the running firmware`);
    if (this.downloading === bank) throw new UspError(UspErrorCode.RequestDenied, `${command}: a download into this bank is in progress`);
    if (this.activating) throw new UspError(UspErrorCode.RequestDenied, `${command}: another activation is in progress`);
    const status = rowValue(tree, bank, 'Status');
    if (!['Available', 'ActivationFailed'].includes(status)) throw new CommandFailureError(`${command}: bank ${bank} holds no image to activate (Status ${status})`);
    if (rowValue(tree, bank, 'Available') !== 'true') throw new CommandFailureError(`${command}: bank ${bank} is marked not Available`);
  }

  /** Agent stop: nothing waits to restart the device any more. */
  close(): void {
    this.dropRestart?.();
  }

  private serialBoot<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.bootQueue.then(fn, fn);
    this.bootQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * BootFirmwareImage set. The data model applies a live value after the commit while it holds its
   * lock, and the platform's boot selection may take a minute (firmware.activateCommand): that runs
   * here after the lock is released, so no message waits for it. Until it is done the parameter
   * reads the requested bank; a failure shows in that bank's BootFailureLog (and Status
   * ActivationFailed unless it is the running bank), and BootFirmwareImage reads the old bank again.
   */
  private requestBoot(bank: number): void {
    this.bootTarget = bank;
    this.serialBoot(() => this.applyBoot(bank)).catch((e: unknown) => this.deps.log.warn('FW-W07', `recording the boot selection of ${bankRef(bank)} failed`, e));
  }

  private async applyBoot(bank: number): Promise<void> {
    try {
      await this.selectForBoot(bank, '');
    } catch (e) {
      const why = `selecting ${bankRef(bank)} for the next boot failed: ${(e as Error).message}`;
      this.deps.log.warn('FW-W06', why);
      const dm = this.dm;
      await dm.transaction((txn) => setRow(txn, dm.tree, bank, { ...(bank !== this.platform.runningBank() && { Status: 'ActivationFailed' }), BootFailureLog: why.slice(0, 1024) }));
    } finally {
      if (this.bootTarget === bank) this.bootTarget = undefined;
    }
  }

  /** The next boot starts `bank` (platform first, then the record of it); a different bank is checked like an activation. */
  private async selectForBoot(bank: number, commandKey: string): Promise<void> {
    const running = this.platform.runningBank();
    await this.platform.selectBoot(bank);
    // In line with the data model's other writers: the choice and the pending activation are stored together.
    await this.dm.transaction(() => {
      this.dm.store.setMeta(BOOT_IMAGE_KEY, String(bank));
      writePending(this.dm.store, bank === running ? undefined : { from: running, to: bank, commandKey, attempts: 0 });
    });
  }

  /** Activation proper: select, record, and restart once the command's Request row is gone (its OperationComplete sent). */
  private async switchTo(bank: number, ctx: CommandContext, name: string): Promise<void> {
    this.activating = true;
    try {
      await this.serialBoot(() => this.selectForBoot(bank, ctx.commandKey));
    } catch (e) {
      this.activating = false;
      const why = `activation failed: ${(e as Error).message}`;
      await this.dm.transaction((txn) => {
        writePending(this.dm.store, undefined);
        const row = this.dm.tree.get(`${FW_TABLE}${bank}.`);
        const p = row?.node.params.get('BootFailureLog');
        if (row && p) txn.setValue(row, p, why.slice(0, 1024));
      });
      throw new CommandFailureError(`${ctx.objPath}${name}: ${why}`);
    }
    recordBootCause(this.dm.store, { cause: 'RemoteReboot', commandKey: ctx.commandKey, reason: `firmware activation of bank ${bank}`, firmwareUpdated: true });
    this.deps.log.info('FW-I05', `bank ${bank} selected for the next boot (${ctx.objPath}${name}); restarting`);
    this.requestDone(ctx, name)
      .then((reported) => {
        this.activating = false;
        if (reported) setImmediate(() => this.deps.restart());
        else this.deps.log.info('FW-I06', `the agent stopped before ${ctx.objPath}${name} was reported; bank ${bank} starts at the next boot`);
      })
      .catch((e: unknown) => this.deps.log.warn('FW-W08', `restarting after ${ctx.objPath}${name} failed`, e));
  }

  /**
   * Resolves true once the Request row of this command is deleted (OperationComplete follows
   * synchronously), false when the agent stops first (the row then stays until the next start).
   */
  private requestDone(ctx: CommandContext, name: string): Promise<boolean> {
    const dm = this.dm;
    const command = ctx.objPath + name;
    const row = [...(dm.tree.get('Device.LocalAgent.')?.rows('Request') ?? [])].find(
      (r) => r.values.get('Command') === command && r.values.get('CommandKey') === ctx.commandKey && r.values.get('Originator') === ctx.requestor,
    );
    if (!row) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (reported: boolean): void => {
        off();
        ctx.signal.removeEventListener('abort', dropped);
        this.dropRestart = undefined;
        if (reported) setImmediate(() => resolve(true));
        else resolve(false);
      };
      const dropped = (): void => finish(false);
      const off = dm.onChange((events) => {
        if (events.some((e) => e.kind === 'deleted' && e.objPath === row.path)) finish(true);
      });
      ctx.signal.addEventListener('abort', dropped, { once: true });
      this.dropRestart = dropped;
    });
  }
}
