/**
 * The "Linux processes" execution environment: an EU is a supervised child process running
 * the DU's entrypoint in its own process group, with its own working directory and
 * environment, stdout and stderr appended to the EU's log. The process outlives an agent
 * restart (it is detached); a pid file with its start time lets the next agent adopt it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { processStartTicks, watchPid } from './pid-watch.js';
import type { ExecRuntime, RunningUnit, RuntimeInfo, UnitExit, UnitSpec } from './runtime.js';

const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Sends `sig` to the unit's process group (it is its leader); false when it is gone. */
function signalGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

export class ProcessRuntime implements ExecRuntime {
  readonly kind = 'process' as const;
  readonly name = 'Processes';
  readonly type = 'Linux processes';
  private readonly running = new Map<string, RunningUnit>();

  /** `runDir` keeps one pid file per running unit. */
  constructor(private readonly runDir: string) {}

  probe(): Promise<RuntimeInfo> {
    return Promise.resolve({
      usable: process.platform === 'linux',
      reason: process.platform === 'linux' ? '' : 'needs Linux /proc',
      vendor: 'Linux',
      version: process.version,
    });
  }

  private pidFile(id: string): string {
    return join(this.runDir, `${id}.pid`);
  }

  async start(spec: UnitSpec): Promise<RunningUnit> {
    const [file, ...args] = spec.exec.args;
    if (!file) throw new Error('the unit has no entrypoint');
    const cwd = resolve(spec.dir, spec.exec.cwd);
    const exe = isAbsolute(file) ? file : resolve(spec.dir, file);
    await mkdir(this.runDir, { recursive: true });
    const log = openSync(spec.logFile, 'a', 0o600);
    let child;
    try {
      child = spawn(exe, args, {
        cwd,
        env: { PATH: BASE_PATH, HOME: cwd, ...spec.exec.env, USP_EU_ID: spec.id },
        stdio: ['ignore', log, log],
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    const exited = new Promise<UnitExit>((done) => {
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', () => done({ code: null, signal: null }));
    });
    // A missing or non-executable entrypoint fails right away (ENOENT/EACCES): report it as a failed start.
    const pid = await new Promise<number>((ok, fail) => {
      child.once('spawn', () => ok(child.pid ?? 0));
      child.once('error', fail);
    });
    child.unref();
    await writeFile(this.pidFile(spec.id), `${pid} ${processStartTicks(pid) ?? ''}\n`);
    const unit = { pid, exited };
    this.running.set(spec.id, unit);
    void exited.then(() => this.running.get(spec.id) === unit && this.running.delete(spec.id));
    return unit;
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const unit = this.running.get(id) ?? (await this.adopt(id));
    if (!unit) return;
    if (!signalGroup(unit.pid, 'SIGTERM')) return;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((done) => {
      timer = setTimeout(() => {
        signalGroup(unit.pid, 'SIGKILL');
        done();
      }, graceMs);
    });
    await Promise.race([unit.exited, killed]);
    clearTimeout(timer);
    await unit.exited;
    // Children the unit left behind in its group go too.
    signalGroup(unit.pid, 'SIGKILL');
  }

  async adopt(id: string): Promise<RunningUnit | undefined> {
    const known = this.running.get(id);
    if (known) return known;
    const text = await readFile(this.pidFile(id), 'utf8').catch(() => '');
    const [pidText, ticks] = text.trim().split(' ');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0 || !ticks || processStartTicks(pid) !== ticks) return undefined;
    const unit = { pid, exited: watchPid(pid, ticks) };
    this.running.set(id, unit);
    void unit.exited.then(() => this.running.get(id) === unit && this.running.delete(id));
    return unit;
  }

  async remove(id: string): Promise<void> {
    this.running.delete(id);
    await rm(this.pidFile(id), { force: true });
  }
}
