/**
 * The execution runtime behind a Device.SoftwareModules.ExecEnv.{i} row: what runs an
 * Execution Unit. A platform hook (PlatformHooks.execRuntimes), so a vendor replaces the
 * runtimes (another container engine, a sandbox) without touching the DU/EU lifecycle in
 * agent/smm/manager.ts. The built-in ones are Linux processes (process-runtime.ts) and OCI
 * containers on runc (runc-runtime.ts).
 */

/** What kind of DU a runtime runs: a process package or an OCI image / root filesystem. */
export type DuKind = 'process' | 'oci';

/** What one Execution Unit runs, from the DU's manifest (or the OCI image config). */
export interface UnitExec {
  /** argv; for processes a relative argv[0] is inside the DU folder, for containers inside the root filesystem. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Working directory: relative to the DU folder (processes) or absolute in the container. */
  readonly cwd: string;
}

export interface UnitLimits {
  /** Memory limit in KiB; -1 for none (TR-181 AllocatedMemory). */
  readonly memoryKiB: number;
  /** CPU share in percent of one CPU; -1 for none (TR-181 AllocatedCPUPercent). */
  readonly cpuPercent: number;
}

/** Everything a runtime needs to start one unit. */
export interface UnitSpec {
  /** Unique name of the unit in its runtime (the container ID), also ExecutionUnit.{i}.ExecEnvLabel. */
  readonly id: string;
  /** The installed DU version's folder (for OCI: holds `rootfs/`). */
  readonly dir: string;
  readonly exec: UnitExec;
  readonly limits: UnitLimits;
  /** File that receives the unit's stdout and stderr (opened for append; the manager bounds its size). */
  readonly logFile: string;
}

export interface UnitExit {
  /** Exit status, or null when killed by a signal or unknown (a unit adopted after an agent restart). */
  readonly code: number | null;
  readonly signal: string | null;
}

/** A unit that is running. */
export interface RunningUnit {
  readonly pid: number;
  /** Settles once the unit has stopped, whatever the reason. */
  readonly exited: Promise<UnitExit>;
}

export interface RuntimeInfo {
  /** False when the host lacks what the runtime needs (its ExecEnv then reports Error). */
  readonly usable: boolean;
  /** Why it is not usable. */
  readonly reason: string;
  readonly vendor: string;
  readonly version: string;
}

export interface ExecRuntime {
  /** The DU kind this runtime runs. */
  readonly kind: DuKind;
  /** ExecEnv.{i}.Name (unique per device). */
  readonly name: string;
  /** ExecEnv.{i}.Type. */
  readonly type: string;
  /** What the host offers; called at start-up. */
  probe(): Promise<RuntimeInfo>;
  /** Starts the unit; rejects when it cannot be started at all. */
  start(spec: UnitSpec): Promise<RunningUnit>;
  /** Asks the unit to stop (SIGTERM), kills it after `graceMs`, and resolves once it is gone. */
  stop(id: string, graceMs: number): Promise<void>;
  /** After an agent restart: the unit if it is still running (it keeps running while the agent restarts). */
  adopt(id: string): Promise<RunningUnit | undefined>;
  /** Removes what the runtime keeps for a stopped unit (container state, pid files). */
  remove(id: string): Promise<void>;
}
