/**
 * The Linux firmware platform: images are kept as `<dir>/bank-<n>.img` and installed and selected
 * by the device's own commands (firmware.installCommand, activateCommand: e.g. a script around
 * `fw_setenv`, RAUC or swupdate). `<dir>/banks.json` remembers what each bank holds and which one
 * boots next. After a restart the running version is read back with firmware.versionCommand: the
 * bank holding that version is the running one (a boot loader that fell back shows here), else the
 * bank selected for this boot.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FirmwareConfig } from '../config-firmware.js';
import type { Logger } from '../log.js';
import { installationFailed, runArgv } from './platform.js';
import type { BankImage, FirmwarePlatform } from './platform.js';

interface BanksFile {
  boot: number;
  images: Record<string, BankImage>;
}

export interface LinuxFirmwareOptions {
  readonly config: FirmwareConfig;
  /** The version this software reports when nothing says otherwise (bank 1 on first start). */
  readonly fallbackVersion: string;
  readonly log: Logger;
}

const SECOND = 1000;

/** Reads the running version once at start-up (`versionCommand`), synchronously enough for start-up. */
async function runningVersion(cfg: FirmwareConfig, log: Logger): Promise<string | undefined> {
  if (!cfg.versionCommand) return undefined;
  try {
    const r = await runArgv(cfg.versionCommand, {}, { timeoutMs: 30 * SECOND, signal: AbortSignal.timeout(35 * SECOND) });
    const v = r.stdout.trim().split('\n').pop()?.trim();
    if (r.code === 0 && v) return v.slice(0, 64);
    log.warn('FW-W01', `firmware.versionCommand exited with ${r.code ?? '?'}: ${r.output}`);
  } catch (e) {
    log.warn('FW-W01', 'firmware.versionCommand could not run', e);
  }
  return undefined;
}

export async function linuxFirmware(opts: LinuxFirmwareOptions): Promise<FirmwarePlatform> {
  const { config: cfg, log } = opts;
  const stateFile = join(cfg.dir, 'banks.json');
  const stagingDir = join(cfg.dir, 'staging');
  mkdirSync(stagingDir, { recursive: true });
  let state: BanksFile = { boot: 1, images: {} };
  if (existsSync(stateFile)) {
    try {
      state = JSON.parse(readFileSync(stateFile, 'utf8')) as BanksFile;
    } catch (e) {
      log.warn('FW-W02', `${stateFile} is unreadable; starting with bank 1 only`, e);
    }
  }
  const version = await runningVersion(cfg, log);
  const holding = version === undefined ? undefined : Object.entries(state.images).find(([, img]) => img.version === version)?.[0];
  const running = holding ? Number(holding) : state.boot >= 1 && state.boot <= cfg.banks ? state.boot : 1;
  // The running bank shows what really runs, even when nothing was recorded for it (first start).
  state.images[String(running)] = { name: state.images[String(running)]?.name ?? 'firmware', version: version ?? state.images[String(running)]?.version ?? opts.fallbackVersion };
  const save = async (): Promise<void> => {
    await writeFile(`${stateFile}.tmp`, JSON.stringify(state));
    await rename(`${stateFile}.tmp`, stateFile);
  };
  await save();
  const run = async (argv: readonly string[], env: Record<string, string>, signal: AbortSignal, what: string): Promise<string> => {
    const r = await runArgv(argv, env, { timeoutMs: 30 * 60 * SECOND, signal });
    if (r.code !== 0) throw installationFailed(`${what} '${argv.join(' ')}' failed (exit ${r.code ?? '?'})${r.output ? `: ${r.output}` : ''}`);
    return r.stdout;
  };

  return {
    bankCount: cfg.banks,
    stagingDir,
    image: (bank) => Promise.resolve(state.images[String(bank)]),
    runningBank: () => running,
    bootBank: () => Promise.resolve(state.boot),
    async selectBoot(bank) {
      await run(cfg.activateCommand ?? [], { USP_FIRMWARE_BANK: String(bank) }, AbortSignal.timeout(60 * SECOND), 'firmware.activateCommand');
      state.boot = bank;
      await save();
    },
    async install(bank, file, name, signal) {
      if (bank === running) throw installationFailed(`bank ${bank} is running; images go only into an inactive bank`);
      const img = join(cfg.dir, `bank-${bank}.img`);
      await rename(file, img);
      delete state.images[String(bank)];
      await save();
      let out: string;
      try {
        out = await run(cfg.installCommand ?? [], { USP_FIRMWARE_IMAGE: img, USP_FIRMWARE_BANK: String(bank) }, signal, 'firmware.installCommand');
      } catch (e) {
        await rm(img, { force: true });
        throw e;
      }
      const v = out.trim().split('\n').pop()?.trim() ?? '';
      if (!v) throw installationFailed('firmware.installCommand printed no image version');
      const image = { name: name.slice(0, 64), version: v.slice(0, 64) };
      state.images[String(bank)] = image;
      await save();
      return image;
    },
    async healthCheck(bank, signal) {
      if (!cfg.healthCheckCommand) return undefined;
      const r = await runArgv(cfg.healthCheckCommand, { USP_FIRMWARE_BANK: String(bank), USP_FIRMWARE_VERSION: state.images[String(bank)]?.version ?? '' }, { timeoutMs: cfg.healthCheckTimeoutSeconds * SECOND, signal });
      return r.code === 0 ? undefined : `health check '${cfg.healthCheckCommand.join(' ')}' failed (exit ${r.code ?? '?'})${r.output ? `: ${r.output}` : ''}`;
    },
    async confirm(userMessage, signal) {
      if (!cfg.confirmCommand) return false;
      return (await runArgv(cfg.confirmCommand, { USP_FIRMWARE_MESSAGE: userMessage }, { timeoutMs: 600 * SECOND, signal })).code === 0;
    },
    idle: () => Promise.resolve(true),
  };
}
