/**
 * Whether a newly activated image may stay (USP-NOTES §14: if the new image fails to boot, roll
 * back and write BootFailureLog). Activation records a pending activation (from, to, command_key)
 * in the database `meta`; the first start(s) in the new bank run the platform's health check
 * before the agent serves anyone. Healthy: the activation is done. Unhealthy, or more starts than
 * firmware.maxBootAttempts without a passed check (an image that keeps dying on its way up), or the
 * device came up in another bank: BootFailureLog says why, Status becomes ActivationFailed, and
 * the previous bank is selected again (the caller restarts into it). BootFirmwareImage is left as
 * the controller set it (TR-181: the CPE MUST NOT point it to the image it fell back to).
 */
import type { DataModel } from '../../datamodel/model.js';
import type { Store } from '../../datamodel/store.js';
import type { Logger } from '../log.js';
import { recordBootCause } from '../operate/boot.js';
import type { FirmwarePlatform } from './platform.js';
import { setRow } from './rows.js';

const PENDING_KEY = 'firmware.pendingActivation';

export interface PendingActivation {
  readonly from: number;
  readonly to: number;
  readonly commandKey: string;
  /** Starts in `to` so far. */
  readonly attempts: number;
}

export function readPending(store: Store): PendingActivation | undefined {
  const raw = store.getMeta(PENDING_KEY);
  if (!raw) return undefined;
  try {
    const p = JSON.parse(raw) as Partial<PendingActivation>;
    if (typeof p.from !== 'number' || typeof p.to !== 'number') return undefined;
    return { from: p.from, to: p.to, commandKey: typeof p.commandKey === 'string' ? p.commandKey : '', attempts: typeof p.attempts === 'number' ? p.attempts : 0 };
  } catch {
    return undefined; // unreadable: nothing reliable to roll back to
  }
}

export function writePending(store: Store, p: PendingActivation | undefined): void {
  store.setMeta(PENDING_KEY, p ? JSON.stringify(p) : '');
}

export type BootCheck =
  | { readonly kind: 'none' }
  | { readonly kind: 'confirmed'; readonly bank: number }
  /** The device came up in another bank than the one activated; nothing more to do. */
  | { readonly kind: 'fellBack'; readonly bank: number; readonly log: string }
  /** The activated image failed; the previous bank is selected and the device must restart. */
  | { readonly kind: 'rollback'; readonly from: number; readonly to: number; readonly log: string };

export interface BootCheckOptions {
  readonly maxBootAttempts: number;
  readonly healthTimeoutMs: number;
  readonly log: Logger;
}

/** Runs once per start, before the transports; see the file comment. */
export async function checkBoot(dm: DataModel, platform: FirmwarePlatform, opts: BootCheckOptions): Promise<BootCheck> {
  const store = dm.store;
  const pending = readPending(store);
  if (!pending) return { kind: 'none' };
  const running = platform.runningBank();
  const fail = async (bank: number, why: string): Promise<void> => {
    await dm.transaction((txn) => setRow(txn, dm.tree, bank, { Status: 'ActivationFailed', BootFailureLog: why.slice(0, 1024) }));
  };
  if (running !== pending.to) {
    const why = `activation of bank ${pending.to} failed: the device started bank ${running} instead`;
    writePending(store, undefined);
    await platform.selectBoot(running);
    await fail(pending.to, why);
    opts.log.warn('FW-W03', why);
    return { kind: 'fellBack', bank: running, log: why };
  }
  const attempts = pending.attempts + 1;
  writePending(store, { ...pending, attempts });
  let why: string | undefined;
  if (attempts > opts.maxBootAttempts) {
    why = `bank ${pending.to} started ${attempts - 1} times without passing its health check`;
  } else {
    try {
      why = await platform.healthCheck(pending.to, AbortSignal.timeout(opts.healthTimeoutMs + 5000));
    } catch (e) {
      why = `the health check could not run: ${(e as Error).message}`;
    }
  }
  if (why === undefined) {
    writePending(store, undefined);
    await dm.transaction((txn) => setRow(txn, dm.tree, pending.to, { BootFailureLog: '' }));
    opts.log.info('FW-I02', `bank ${pending.to} passed its health check; the activation is complete`);
    return { kind: 'confirmed', bank: pending.to };
  }
  await platform.selectBoot(pending.from);
  writePending(store, undefined);
  await fail(pending.to, why);
  recordBootCause(store, { cause: 'LocalReboot', commandKey: pending.commandKey, reason: `firmware rollback to bank ${pending.from}`, firmwareUpdated: false });
  opts.log.warn('FW-W04', `rolling back to bank ${pending.from}: ${why}`);
  return { kind: 'rollback', from: pending.from, to: pending.to, log: why };
}
