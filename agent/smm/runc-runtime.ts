/**
 * The "OCI containers" execution environment on runc: an EU is a container whose bundle the
 * agent writes (config.json from oci-config.ts, root filesystem from the installed DU). It is
 * started with `runc run` (which creates, starts, waits for and deletes the container) as a
 * detached child, so its exit status is the container's; stop is `runc kill` TERM, then KILL
 * after the grace time. Containers outlive an agent restart and are adopted through
 * `runc state`. runc keeps its state under the agent's folder (`--root`), apart from any other
 * runc user on the host.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ociConfig } from './oci-config.js';
import type { ContainerNetwork } from './oci-config.js';
import { processStartTicks, watchPid } from './pid-watch.js';
import type { ExecRuntime, RunningUnit, RuntimeInfo, UnitSpec } from './runtime.js';
import { spawnDetached, UnitTable } from './spawn.js';

export interface RuncOptions {
  /** The runc binary (a name on PATH or a path). */
  readonly binary: string;
  /** Folder for runc's state (`runc --root`) and the bundles. */
  readonly dir: string;
  readonly network: ContainerNetwork;
  /** cgroup parent for the containers' cgroups. */
  readonly cgroupParent: string;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class RuncRuntime implements ExecRuntime {
  readonly kind = 'oci' as const;
  readonly name = 'OCI containers';
  readonly type = 'OCI runc';
  private readonly running = new UnitTable();

  constructor(private readonly opts: RuncOptions) {}

  private get stateDir(): string {
    return join(this.opts.dir, 'state');
  }

  private bundle(id: string): string {
    return join(this.opts.dir, 'bundles', id);
  }

  private runc(args: readonly string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(this.opts.binary, ['--root', this.stateDir, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : '') });
      });
    });
  }

  async probe(): Promise<RuntimeInfo> {
    const base = { vendor: 'Open Container Initiative', version: '' };
    if (process.platform !== 'linux') return { ...base, usable: false, reason: 'runc needs Linux' };
    const r = await this.runc(['--version']);
    if (r.code !== 0) return { ...base, usable: false, reason: `${this.opts.binary} is not usable: ${r.stderr.trim() || `exit ${r.code}`}` };
    const version = /runc version (\S+)/.exec(r.stdout)?.[1] ?? '';
    if (process.getuid?.() !== 0) return { ...base, version, usable: false, reason: 'runc needs the agent to run as root' };
    return { ...base, version, usable: true, reason: '' };
  }

  async start(spec: UnitSpec): Promise<RunningUnit> {
    // A container of the same name left from a crash would make `runc run` fail.
    await this.runc(['delete', '--force', spec.id]);
    const bundle = this.bundle(spec.id);
    await mkdir(bundle, { recursive: true });
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(ociConfig(spec, join(spec.dir, 'rootfs'), this.opts.network, this.opts.cgroupParent), null, 1));
    const unit = await spawnDetached(this.opts.binary, ['--root', this.stateDir, 'run', '--bundle', bundle, spec.id], { logFile: spec.logFile });
    return this.running.track(spec.id, unit);
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const unit = this.running.get(id) ?? (await this.adopt(id));
    if (unit) {
      await this.runc(['kill', id, 'TERM']);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((done) => {
        timer = setTimeout(() => done(), graceMs);
      });
      const first = await Promise.race([unit.exited.then(() => 'exited' as const), late.then(() => 'late' as const)]);
      clearTimeout(timer);
      if (first === 'late') await this.runc(['kill', '--all', id, 'KILL']);
      await unit.exited;
    }
    await this.runc(['delete', '--force', id]);
  }

  async adopt(id: string): Promise<RunningUnit | undefined> {
    const known = this.running.get(id);
    if (known) return known;
    const r = await this.runc(['state', id]);
    if (r.code !== 0) return undefined;
    let state: { status?: string; pid?: number };
    try {
      state = JSON.parse(r.stdout) as { status?: string; pid?: number };
    } catch {
      return undefined;
    }
    const ticks = state.pid ? processStartTicks(state.pid) : undefined;
    if (state.status !== 'running' || !state.pid || !ticks) {
      await this.runc(['delete', '--force', id]);
      return undefined;
    }
    const pid = state.pid;
    const unit = { pid, exited: watchPid(pid, ticks) };
    this.running.track(id, unit);
    return unit;
  }

  async remove(id: string): Promise<void> {
    this.running.delete(id);
    await this.runc(['delete', '--force', id]);
    await rm(this.bundle(id), { recursive: true, force: true });
  }
}
