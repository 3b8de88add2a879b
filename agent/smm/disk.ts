/**
 * Where installed DUs live on disk, and the switch between versions:
 *
 *   <smm.dir>/staging/<random>/      downloads and unpacking in progress (removed at start-up)
 *   <smm.dir>/du/<DUID>/<n>/         installed content of the DU's n-th install or update
 *   <smm.dir>/du/<DUID>/current.json which <n> is live, and its manifest
 *   <smm.dir>/logs/<EUID>.log        EU output (unit-log.ts)
 *
 * `current.json` is replaced with a rename, so a crash leaves either the old or the new version
 * live, never a mix; start-up removes every folder that no DU row or `current.json` names.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuManifest } from './package.js';

export interface Current {
  /** The live version folder number. */
  readonly n: number;
  readonly manifest: DuManifest;
}

export class DuDisk {
  constructor(readonly root: string) {}

  get logs(): string {
    return join(this.root, 'logs');
  }

  async init(): Promise<void> {
    await rm(join(this.root, 'staging'), { recursive: true, force: true });
    for (const d of ['staging', 'du', 'logs']) await mkdir(join(this.root, d), { recursive: true, mode: 0o700 });
  }

  /** A fresh staging folder. */
  staging(): Promise<string> {
    return mkdtemp(join(this.root, 'staging', 'op-'));
  }

  duDir(duid: string): string {
    return join(this.root, 'du', duid);
  }

  versionDir(duid: string, n: number): string {
    return join(this.duDir(duid), String(n));
  }

  logFile(euid: string): string {
    return join(this.logs, `${euid}.log`);
  }

  async current(duid: string): Promise<Current | undefined> {
    try {
      return JSON.parse(await readFile(join(this.duDir(duid), 'current.json'), 'utf8')) as Current;
    } catch {
      return undefined;
    }
  }

  /** Moves the unpacked `content` in as version `n` of the DU. */
  async addVersion(duid: string, n: number, content: string): Promise<string> {
    await mkdir(this.duDir(duid), { recursive: true, mode: 0o700 });
    const dir = this.versionDir(duid, n);
    await rm(dir, { recursive: true, force: true });
    await rename(content, dir);
    return dir;
  }

  /** Makes version `cur.n` the live one (atomic: write then rename). */
  async setCurrent(duid: string, cur: Current): Promise<void> {
    const tmp = join(this.duDir(duid), `current.json.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(cur));
    await rename(tmp, join(this.duDir(duid), 'current.json'));
  }

  async removeVersion(duid: string, n: number): Promise<void> {
    await rm(this.versionDir(duid, n), { recursive: true, force: true });
  }

  async removeDu(duid: string): Promise<void> {
    await rm(this.duDir(duid), { recursive: true, force: true });
  }

  /** Removes DU folders no row names, and versions that are not live; returns what it removed. */
  async collect(known: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const duid of await readdir(join(this.root, 'du')).catch(() => [] as string[])) {
      const cur = known.has(duid) ? await this.current(duid) : undefined;
      if (!cur) {
        await this.removeDu(duid);
        removed.push(duid);
        continue;
      }
      for (const f of await readdir(this.duDir(duid))) {
        if (f === 'current.json' || f === String(cur.n)) continue;
        await rm(join(this.duDir(duid), f), { recursive: true, force: true });
        removed.push(`${duid}/${f}`);
      }
    }
    return removed;
  }
}
