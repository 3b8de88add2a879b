/**
 * Platform hooks: everything the agent does to, or reads from, the device goes through here,
 * so a vendor replaces one object instead of patching the agent. The defaults work on any
 * Linux (and other Node platforms) without privileges.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants, freemem, totalmem, uptime } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { FirmwarePlatform } from './firmware/platform.js';
import type { Logger } from './log.js';
import type { ExecRuntime } from './smm/runtime.js';
import { linuxReadings } from './platform-linux/index.js';
import type { LinuxReadings } from './platform-linux/index.js';

/** What the agent reads from and does to the device; LinuxReadings are the DeviceInfo, IP and Ethernet tables' sources. */
export interface PlatformHooks extends LinuxReadings {
  /** Seconds since the device booted (Device.DeviceInfo.UpTime). */
  uptimeSeconds(): number;
  /** The IANA time zone the device runs in, used as the initial Device.Time.LocalTimeZone. */
  timeZone(): string;
  /** Whether the system clock is synchronised (Device.Time.Status). */
  clockSynchronized(): boolean;
  /** Physical memory in KiB (Device.DeviceInfo.MemoryStatus.Total / Free). */
  memoryKiB(): { total: number; free: number };
  /**
   * Restarts the device (Device.Reboot(), and after FactoryReset()). Called once the agent has
   * stopped: its transports are closed and its database is closed and unlocked. It must bring the
   * agent back (a device reboot, or in the lab a new agent process).
   */
  reboot(): Promise<void>;
  /**
   * Resets device settings kept outside the agent's database (Device.FactoryReset()). Called
   * with the agent stopped; the agent then resets its own database and calls reboot().
   */
  factoryReset(): Promise<void>;
  /** Firmware banks (Device.DeviceInfo.FirmwareImage.{i}); default: the one `firmware.platform` configures (agent/firmware). */
  firmware?: FirmwarePlatform;
  /**
   * The runtimes behind Device.SoftwareModules.ExecEnv.{i} (agent/smm/runtime.ts); default: Linux
   * processes and OCI containers on runc (agent/smm/manager.ts defaultRuntimes).
   */
  execRuntimes?: readonly ExecRuntime[];
}

/** Platform settings from the config file (`platform.*`). */
export interface PlatformConfig {
  /** Command (argv) that reboots the device, e.g. `["systemctl", "reboot"]`; default: restart the agent process. */
  readonly rebootCommand: readonly string[] | undefined;
  /** Command (argv) that resets device settings outside the agent; default: none. */
  readonly factoryResetCommand: readonly string[] | undefined;
}

/** Exit code with which a supervised agent process asks to be started again (EX_TEMPFAIL). */
export const RESTART_EXIT_CODE = 75;
/** Set in the environment of an agent process whose parent restarts it on RESTART_EXIT_CODE. */
export const SUPERVISED_ENV = 'USP_AGENT_SUPERVISED';

// os.uptime() is a system call costing ~10 µs; Get on Device.DeviceInfo. is a hot path, so the
// boot time is read once and uptime derived from the monotonic clock.
const bootMs = performance.now() - uptime() * 1000;

let memory = { total: 0, free: 0 };
let memoryAt = -Infinity;

const BASE_PLATFORM: Omit<PlatformHooks, 'reboot' | 'factoryReset'> = {
  ...linuxReadings(),
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

/** Runs `argv` with the agent's stdio and resolves when it exits 0. */
function runCommand(argv: readonly string[]): Promise<void> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`'${argv.join(' ')}' exited with ${code ?? signal}`))));
  });
}

/**
 * Starts the agent again as a new process. Under a supervisor (SUPERVISED_ENV set: our own, or a
 * service manager told to restart on RESTART_EXIT_CODE) this process just exits with that code.
 * Otherwise (`npm start`, a shell) this process becomes the supervisor: it re-runs its own command
 * line in a child and restarts it whenever it exits with RESTART_EXIT_CODE. It stays in the
 * foreground, so Ctrl-C and SIGTERM still reach the agent (they are forwarded once, because the
 * child has its own process group) and the agent's exit status is this process's.
 */
function restartAgentProcess(log: Logger): void {
  if (process.env[SUPERVISED_ENV] === '1') process.exit(RESTART_EXIT_CODE);
  let child: ChildProcess | undefined;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child?.kill(sig));
  const run = (): void => {
    child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
      env: { ...process.env, [SUPERVISED_ENV]: '1' },
    });
    log.info('HOOK-I01', `agent restarted as process ${child.pid ?? '?'}`);
    child.once('error', (e) => {
      log.error('HOOK-E01', 'cannot start the agent again', e);
      process.exit(1);
    });
    child.once('exit', (code, signal) => {
      if (code === RESTART_EXIT_CODE) run();
      else process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  };
  run();
}

/**
 * The hooks for a Linux host. Reboot runs `platform.rebootCommand` when one is configured (a
 * gateway); otherwise, and when that command fails, it restarts the agent process (the lab).
 * Factory reset runs `platform.factoryResetCommand` when one is configured.
 */
export function linuxPlatform(cfg: PlatformConfig, log: Logger): PlatformHooks {
  return {
    ...BASE_PLATFORM,
    async reboot() {
      if (cfg.rebootCommand) {
        try {
          await runCommand(cfg.rebootCommand);
          log.info('HOOK-I02', `reboot command '${cfg.rebootCommand.join(' ')}' accepted; waiting for the device to go down`);
          return;
        } catch (e) {
          log.error('HOOK-E02', 'the reboot command failed; restarting the agent process instead', e);
        }
      }
      restartAgentProcess(log);
    },
    async factoryReset() {
      if (cfg.factoryResetCommand) await runCommand(cfg.factoryResetCommand);
    },
  };
}
