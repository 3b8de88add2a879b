/**
 * The Linux readings behind the default platform hooks (agent/hooks.ts): processes, CPU usage,
 * processors, temperature sensors and network interfaces. Each reading is reused for about a
 * second, because a Get of a whole subtree asks for it several times and /proc is not free.
 */
import { arch, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { readNetInterfaces } from './net.js';
import type { NetInterface } from './net.js';
import { cpuUsageMeter, pageSizeKiB, readProcesses } from './proc.js';
import type { ProcessInfo } from './proc.js';
import { thermalReader } from './thermal.js';
import type { TemperatureReading } from './thermal.js';

export type { NetAddress, NetInterface, NetStats } from './net.js';
export { interfaceStatus } from './net.js';
export type { ProcessInfo, ProcessState } from './proc.js';
export type { TemperatureReading } from './thermal.js';

export interface ProcessorInfo {
  /** TR-181 Processor.{i}.Architecture (`x86_64`, `arm`, ...; Node's name when TR-181 has none). */
  readonly architecture: string;
}

export interface LinuxReadings {
  /** Device.DeviceInfo.ProcessStatus.CPUUsage: percent of CPU time in use since the previous reading. */
  cpuUsagePercent(): number;
  /** Device.DeviceInfo.ProcessStatus.Process.{i}. */
  processes(): readonly ProcessInfo[];
  /** Device.DeviceInfo.Processor.{i}: one per logical CPU. */
  processors(): readonly ProcessorInfo[];
  /** Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}. */
  temperatureSensors(): readonly TemperatureReading[];
  /** Device.IP.Interface.{i} and Device.Ethernet.Interface.{i}. */
  networkInterfaces(): readonly NetInterface[];
}

// TR-181 Processor.{i}.Architecture enumeration, from Node's os.arch().
const ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', ia32: 'i386', arm: 'arm', arm64: 'arm', mips: 'mipseb', mipsel: 'mipsel', ppc: 'powerpc' };

/** `fn`'s result, reused for `ms`. */
function cached<T>(fn: () => T, ms: number): () => T {
  let value: T | undefined;
  let at = -Infinity;
  return () => {
    const now = performance.now();
    if (value === undefined || now - at >= ms) {
      value = fn();
      at = now;
    }
    return value;
  };
}

/** Readings from the given procfs and sysfs roots (tests point them at fixture folders). */
export function linuxReadings(roots: { proc: string; sys: string } = { proc: '/proc', sys: '/sys' }, maxAgeMs = 1000): LinuxReadings {
  let pageKiB: number | undefined;
  const architecture = ARCH[arch()] ?? arch();
  return {
    cpuUsagePercent: cpuUsageMeter(roots.proc, maxAgeMs),
    processes: cached(() => readProcesses(roots.proc, (pageKiB ??= pageSizeKiB(roots.proc))), maxAgeMs),
    processors: cached(() => cpus().map(() => ({ architecture })), 60_000),
    temperatureSensors: cached(thermalReader(`${roots.sys}/class/thermal`), maxAgeMs),
    networkInterfaces: cached(() => readNetInterfaces(`${roots.sys}/class/net`), maxAgeMs),
  };
}
