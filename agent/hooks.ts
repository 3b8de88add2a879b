/**
 * Platform hooks: everything the agent does to, or reads from, the device goes through here,
 * so a vendor replaces one object instead of patching the agent. The defaults work on any
 * Linux (and other Node platforms) without privileges.
 */
import { existsSync } from 'node:fs';
import { uptime } from 'node:os';

export interface PlatformHooks {
  /** Seconds since the device booted (Device.DeviceInfo.UpTime). */
  uptimeSeconds(): number;
  /** The IANA time zone the device runs in, used as the initial Device.Time.LocalTimeZone. */
  timeZone(): string;
  /** Whether the system clock is synchronised (Device.Time.Status). */
  clockSynchronized(): boolean;
}

export const LINUX_PLATFORM: PlatformHooks = {
  uptimeSeconds: () => Math.floor(uptime()),
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  // systemd-timesyncd creates this file once it has synchronised the clock.
  clockSynchronized: () => existsSync('/run/systemd/timesync/synchronized'),
};
