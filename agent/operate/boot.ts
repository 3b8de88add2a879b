/**
 * Why the agent (re)started, for the `Device.Boot!` event (TR-181 Device.Boot!, USP-NOTES §9).
 * Reboot() and FactoryReset() record the cause and their command_key in the database `meta`
 * before the device goes down; the notifier takes it once at the next start-up. A start with
 * nothing recorded is a LocalReboot.
 */
import type { Store } from '../../datamodel/store.js';

export type BootCause = 'LocalReboot' | 'RemoteReboot' | 'LocalFactoryReset' | 'RemoteFactoryReset';

export interface BootInfo {
  readonly cause: BootCause;
  /** command_key of the Reboot()/FactoryReset() (or firmware Activate()) that caused the boot, else ''. */
  readonly commandKey: string;
  /** Free text (Reboot()/FactoryReset() input `Reason`, TR-181 2.18). */
  readonly reason: string;
  /** This boot runs different software than the previous one. */
  readonly firmwareUpdated: boolean;
}

const CAUSE_KEY = 'bootCause';
const VERSION_KEY = 'softwareVersion';
const CAUSES: readonly string[] = ['LocalReboot', 'RemoteReboot', 'LocalFactoryReset', 'RemoteFactoryReset'];

/** Records why the device is about to restart (overwrites an earlier record). */
export function recordBootCause(store: Store, info: Pick<BootInfo, 'cause' | 'commandKey'> & Partial<BootInfo>): void {
  store.setMeta(CAUSE_KEY, JSON.stringify({ cause: info.cause, commandKey: info.commandKey, reason: info.reason ?? '', firmwareUpdated: info.firmwareUpdated ?? false }));
}

/** The recorded cause, without taking it (undefined when none or unreadable). */
export function pendingBootCause(store: Store): BootInfo | undefined {
  const raw = store.getMeta(CAUSE_KEY);
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Record<keyof BootInfo, unknown>>;
    if (typeof v.cause !== 'string' || !CAUSES.includes(v.cause)) return undefined;
    return {
      cause: v.cause as BootCause,
      commandKey: typeof v.commandKey === 'string' ? v.commandKey : '',
      reason: typeof v.reason === 'string' ? v.reason : '',
      firmwareUpdated: v.firmwareUpdated === true,
    };
  } catch {
    // A record we cannot read says nothing reliable: treat the boot as local.
    return undefined;
  }
}

/**
 * Takes the boot cause for this start (call once, at start-up) and clears it, so the next start
 * without a recorded cause is a LocalReboot. With `softwareVersion`, FirmwareUpdated is also true
 * when it differs from the version the previous start recorded.
 */
export function takeBootCause(store: Store, softwareVersion?: string): BootInfo {
  const info = pendingBootCause(store) ?? { cause: 'LocalReboot', commandKey: '', reason: '', firmwareUpdated: false };
  store.setMeta(CAUSE_KEY, '');
  if (softwareVersion === undefined) return info;
  const last = store.getMeta(VERSION_KEY);
  store.setMeta(VERSION_KEY, softwareVersion);
  return last !== undefined && last !== softwareVersion ? { ...info, firmwareUpdated: true } : info;
}
