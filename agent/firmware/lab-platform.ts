/**
 * The lab firmware platform: banks are folders `<dir>/bank-<n>/`, and an image is a tar file
 * (plain or gzip) holding `manifest.json` (`{"name": "...", "version": "..."}`) and whatever the
 * image carries, e.g. an executable `health-check`. `<dir>/boot` names the bank the next start
 * runs; the agent process is the "device": a start reads `boot` once, and that bank is running
 * until the next restart (agent/hooks.ts restarts the agent process), so its version is
 * DeviceInfo.SoftwareVersion. On first start every bank gets the factory image (the configured
 * initial version), as dual-bank devices ship, and bank 1 boots.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { installationFailed, runArgv, validationFailed } from './platform.js';
import type { BankImage, FirmwarePlatform } from './platform.js';

export interface LabFirmwareOptions {
  readonly dir: string;
  readonly banks: number;
  /** Bank 1 on first start. */
  readonly initialImage: BankImage;
  readonly healthCheckCommand: readonly string[] | undefined;
  readonly healthCheckTimeoutMs: number;
  readonly confirmCommand: readonly string[] | undefined;
  readonly log: Logger;
}

const MANIFEST = 'manifest.json';

/** The image a manifest describes, or undefined when it is missing or malformed. */
export function readManifest(text: string): BankImage | undefined {
  try {
    const m = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (typeof m.version !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(m.version)) return undefined;
    const name = typeof m.name === 'string' && m.name.length > 0 ? m.name.slice(0, 64) : '';
    return { name, version: m.version };
  } catch {
    return undefined;
  }
}

export function labFirmware(opts: LabFirmwareOptions): FirmwarePlatform {
  const { dir, log } = opts;
  const bankDir = (n: number): string => join(dir, `bank-${n}`);
  const bootFile = join(dir, 'boot');
  const stagingDir = join(dir, 'staging');
  mkdirSync(stagingDir, { recursive: true });
  // An install killed between its two renames left `.old-<n>` (the previous image) without `bank-<n>`.
  for (const f of readdirSync(dir)) {
    const old = /^\.old-(\d+)$/.exec(f);
    if (old?.[1] && !existsSync(bankDir(Number(old[1])))) renameSync(join(dir, f), bankDir(Number(old[1])));
    else if (f.startsWith('.old-') || f.startsWith('.install-')) rmSync(join(dir, f), { recursive: true, force: true });
  }
  const hasImage = (n: number): boolean => existsSync(join(bankDir(n), MANIFEST));
  if (!Array.from({ length: opts.banks }, (_, i) => hasImage(i + 1)).some(Boolean)) {
    for (let n = 1; n <= opts.banks; n++) {
      mkdirSync(bankDir(n), { recursive: true });
      writeFileSync(join(bankDir(n), MANIFEST), JSON.stringify(opts.initialImage));
    }
    writeFileSync(bootFile, '1\n');
    log.info('FW-I01', `lab firmware: ${opts.banks} bank(s) provisioned with version ${opts.initialImage.version} in ${dir}; bank 1 boots`);
  }
  const readBoot = (): number => {
    const n = Number(existsSync(bootFile) ? readFileSync(bootFile, 'utf8').trim() : '1');
    return Number.isInteger(n) && n >= 1 && n <= opts.banks && hasImage(n) ? n : (Array.from({ length: opts.banks }, (_, i) => i + 1).find(hasImage) ?? 1);
  };
  // The lab "boot loader": this start runs the selected bank.
  const running = readBoot();

  return {
    bankCount: opts.banks,
    stagingDir,
    async image(bank) {
      try {
        return readManifest(await readFile(join(bankDir(bank), MANIFEST), 'utf8'));
      } catch {
        return undefined;
      }
    },
    runningBank: () => running,
    bootBank: () => Promise.resolve(readBoot()),
    async selectBoot(bank) {
      const tmp = `${bootFile}.tmp`;
      await writeFile(tmp, `${bank}\n`);
      await rename(tmp, bootFile);
    },
    async install(bank, file, name, signal) {
      if (bank === running) throw installationFailed(`bank ${bank} is running; images go only into an inactive bank`);
      const work = await mkdtemp(join(dir, `.install-${bank}-`));
      try {
        const tar = await runArgv(['tar', '-xf', file, '-C', work, '--no-same-owner', '--no-same-permissions'], {}, { timeoutMs: 120_000, signal });
        if (tar.code !== 0) throw validationFailed(`the image is not a tar archive: ${tar.output || `tar exited with ${tar.code}`}`);
        let image: BankImage | undefined;
        try {
          image = readManifest(await readFile(join(work, MANIFEST), 'utf8'));
        } catch {
          throw validationFailed(`the image has no ${MANIFEST}`);
        }
        if (!image) throw validationFailed(`the image's ${MANIFEST} has no valid version (1-64 printable characters)`);
        const result = { name: image.name || name, version: image.version };
        await writeFile(join(work, MANIFEST), JSON.stringify(result));
        const old = join(dir, `.old-${bank}`);
        if (existsSync(bankDir(bank))) await rename(bankDir(bank), old);
        await rename(work, bankDir(bank));
        await rm(old, { recursive: true, force: true });
        return result;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    async healthCheck(bank, signal) {
      const own = join(bankDir(bank), 'health-check');
      const argv = opts.healthCheckCommand ?? (existsSync(own) ? [own] : undefined);
      if (!argv) return undefined;
      const image = await this.image(bank);
      const r = await runArgv(argv, { USP_FIRMWARE_BANK: String(bank), USP_FIRMWARE_DIR: bankDir(bank), USP_FIRMWARE_VERSION: image?.version ?? '' }, { cwd: bankDir(bank), timeoutMs: opts.healthCheckTimeoutMs, signal });
      return r.code === 0 ? undefined : `health check '${argv.join(' ')}' failed (exit ${r.code ?? '?'})${r.output ? `: ${r.output}` : ''}`;
    },
    async confirm(userMessage, signal) {
      if (!opts.confirmCommand) return false;
      const r = await runArgv(opts.confirmCommand, { USP_FIRMWARE_MESSAGE: userMessage }, { timeoutMs: 600_000, signal });
      return r.code === 0;
    },
    idle: () => Promise.resolve(true),
  };
}
