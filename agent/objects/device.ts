/**
 * Device. commands (TR-181 Device:2; USP-NOTES §9): Reboot() and FactoryReset() (sync: the
 * response goes out first, then the device goes down, TP-469 1.61) and ScheduleTimer() (async,
 * OperationComplete after DelaySeconds, kept across restarts, TP-469 1.79).
 */
import type { Registry } from '../../datamodel/registry.js';
import { waitUntil } from '../clock.js';
import type { Clock } from '../clock.js';

/** What the device commands need from the agent (wired in agent.ts). */
export interface DeviceControl {
  readonly clock: Clock;
  /** Records the boot cause and command key, and reboots once the response is out. */
  reboot(cause: 'LocalReboot' | 'RemoteReboot', commandKey: string, reason: string): void;
  /** Records the boot cause and command key, and resets to factory defaults and reboots once the response is out. */
  factoryReset(cause: 'LocalFactoryReset' | 'RemoteFactoryReset', commandKey: string, reason: string): void;
}

/** TR-181 2.18 Reboot()/FactoryReset() Reason: "When absent the implementation must set Reason to 'Unknown'". */
function reason(input: Readonly<Record<string, string>>): string {
  return input['Reason'] ?? 'Unknown';
}

export function registerDevice(dm: Registry, control: DeviceControl): void {
  dm.command('Device.Reboot()', {
    run: (input, ctx) => {
      // TR-181: without a Cause the device SHOULD report RemoteReboot.
      control.reboot(input['Cause'] === 'LocalReboot' ? 'LocalReboot' : 'RemoteReboot', ctx.commandKey, reason(input));
      return {};
    },
  });
  dm.command('Device.FactoryReset()', {
    run: (input, ctx) => {
      control.factoryReset(input['Cause'] === 'LocalFactoryReset' ? 'LocalFactoryReset' : 'RemoteFactoryReset', ctx.commandKey, reason(input));
      return {};
    },
  });
  dm.command('Device.ScheduleTimer()', {
    mode: 'async',
    persistent: true,
    // Due at request time + DelaySeconds; after a restart the remaining time only (startedAt is the original request time).
    run: async (input, ctx) => {
      await waitUntil(control.clock, ctx.startedAt + Number(input['DelaySeconds']) * 1000, ctx.signal);
      return {};
    },
  });
}
