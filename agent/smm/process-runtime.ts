/**
 * The "Linux processes" execution environment: an EU is a supervised child process running
 * the DU's entrypoint in its own process group, with its own working directory and
 * environment, stdout and stderr appended to the EU's log. The process outlives an agent
 * restart (it is detached); a pid file with its start time lets the next agent adopt it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { processStartTicks, watchPid } from './pid-watch.js';
import type { ExecRuntime, RunningUnit, RuntimeInfo, UnitSpec } from './runtime.js';
import { spawnDetached, UnitTable } from './spawn.js';

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
  private readonly running = new UnitTable();

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
    const unit = await spawnDetached(exe, args, { logFile: spec.logFile, cwd, env: { PATH: BASE_PATH, HOME: cwd, ...spec.exec.env, USP_EU_ID: spec.id } });
    await writeFile(this.pidFile(spec.id), `${unit.pid} ${processStartTicks(unit.pid) ?? ''}\n`);
    this.running.track(spec.id, unit);
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
    return this.running.track(id, { pid, exited: watchPid(pid, ticks) });
  }

  async remove(id: string): Promise<void> {
    this.running.delete(id);
    await rm(this.pidFile(id), { force: true });
  }
}
