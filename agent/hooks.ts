/**
 * Platform hooks: everything the agent does to, or reads from, the device goes through here,
 * so a vendor replaces one object instead of patching the agent. The defaults work on any
 * Linux (and other Node platforms) without privileges.
 */
import { existsSync } from 'node:fs';
import { freemem, totalmem, uptime } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface PlatformHooks {
  /** Seconds since the device booted (Device.DeviceInfo.UpTime). */
  uptimeSeconds(): number;
  /** The IANA time zone the device runs in, used as the initial Device.Time.LocalTimeZone. */
  timeZone(): string;
  /** Whether the system clock is synchronised (Device.Time.Status). */
  clockSynchronized(): boolean;
  /** Physical memory in KiB (Device.DeviceInfo.MemoryStatus.Total / Free). */
  memoryKiB(): { total: number; free: number };
}

// os.uptime() is a system call costing ~10 µs; Get on Device.DeviceInfo. is a hot path, so the
// boot time is read once and uptime derived from the monotonic clock.
const bootMs = performance.now() - uptime() * 1000;

let memory = { total: 0, free: 0 };
let memoryAt = -Infinity;

export const LINUX_PLATFORM: PlatformHooks = {
  uptimeSeconds: () => Math.floor((performance.now() - bootMs) / 1000),
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  // systemd-timesyncd creates this file once it has synchronised the clock.
  clockSynchronized: () => existsSync('/run/systemd/timesync/synchronized'),
  memoryKiB: () => {
    // os.freemem() reads /proc/meminfo (~30 µs); one reading a second is plenty for a Get.
    const now = performance.now();
    if (now - memoryAt > 1000) {
      memory = { total: Math.floor(totalmem() / 1024), free: Math.floor(freemem() / 1024) };
      memoryAt = now;
    }
    return memory;
  },
};
