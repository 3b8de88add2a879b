/**
 * The firmware platform hook (STYLE §5: platform actions live only in hooks): what the agent needs
 * from the device to keep firmware banks (TR-181 Device.DeviceInfo.FirmwareImage.{i}, USP-NOTES
 * §14). agent/firmware/firmware.ts does the protocol side (Download(), Activate(), rollback); a
 * platform only stores, selects and checks images. Two real implementations: lab-platform.ts
 * (banks as folders under the data dir) and linux-platform.ts (configured commands).
 */
import { spawn } from 'node:child_process';
import { UspError, UspErrorCode } from '../../datamodel/errors.js';

/** What one bank holds. */
export interface BankImage {
  /** Descriptive name (TR-181 FirmwareImage.{i}.Name), at most 64 characters. */
  readonly name: string;
  /** Version (FirmwareImage.{i}.Version; DeviceInfo.SoftwareVersion while it runs). */
  readonly version: string;
}

export interface FirmwarePlatform {
  /** Number of banks (rows of FirmwareImage.{i}, numbered 1..bankCount). */
  readonly bankCount: number;
  /** Folder for downloads in progress, on the file system images are stored on (checked by statfs). */
  readonly stagingDir: string;
  /** The image in `bank`, or undefined when the bank is empty. */
  image(bank: number): Promise<BankImage | undefined>;
  /** The bank the device runs now (fixed for the life of this process). */
  runningBank(): number;
  /** The bank the next boot starts. */
  bootBank(): Promise<number>;
  /** Makes `bank` the one the next boot starts. */
  selectBoot(bank: number): Promise<void>;
  /**
   * Checks and installs the downloaded `file` into `bank` (never the running one). On failure the
   * bank keeps what it held and this throws a FirmwareFault (ValidationFailed or InstallationFailed).
   * `name` is a suggestion (the file name of the URL) for images that carry none.
   */
  install(bank: number, file: string, name: string, signal: AbortSignal): Promise<BankImage>;
  /** Checks that the image now running works: undefined when healthy, else why not (BootFailureLog). */
  healthCheck(bank: number, signal: AbortSignal): Promise<string | undefined>;
  /** Asks the user to confirm an activation (Activate() Mode ConfirmationNeeded); false when nobody can be asked. */
  confirm(userMessage: string, signal: AbortSignal): Promise<boolean>;
  /** Whether activating now would interrupt no service (Activate() Mode WhenIdle). */
  idle(): Promise<boolean>;
}

/** FirmwareImage.{i}.Status values (TR-181 2.19). */
export type BankStatus = 'NoImage' | 'Active' | 'Downloading' | 'Validating' | 'Available' | 'DownloadFailed' | 'ValidationFailed' | 'InstallationFailed' | 'ActivationFailed';

/**
 * A failed firmware step: the USP error code reported as OperationComplete cmd_failure and as
 * TransferComplete! FaultCode, and the Status the bank is left in.
 */
export class FirmwareFault extends UspError {
  constructor(
    code: UspErrorCode,
    readonly status: BankStatus,
    message: string,
  ) {
    super(code, message);
  }
}

/** Transfer problems: unreachable host, HTTP errors, redirects, TLS, truncation (Status DownloadFailed). */
export function downloadFailed(message: string): FirmwareFault {
  return new FirmwareFault(UspErrorCode.CommandFailure, 'DownloadFailed', message);
}

/** Size cap and free space (Status DownloadFailed, 7005). */
export function noSpace(message: string): FirmwareFault {
  return new FirmwareFault(UspErrorCode.ResourcesExceeded, 'DownloadFailed', message);
}

/** The file arrived but is not the image asked for: checksum, format, manifest (Status ValidationFailed). */
export function validationFailed(message: string): FirmwareFault {
  return new FirmwareFault(UspErrorCode.CommandFailure, 'ValidationFailed', message);
}

export function installationFailed(message: string): FirmwareFault {
  return new FirmwareFault(UspErrorCode.CommandFailure, 'InstallationFailed', message);
}

export interface RunResult {
  readonly code: number | null;
  /** The last 1 KiB of stdout and stderr together, trimmed. */
  readonly output: string;
  readonly stdout: string;
}

/** Runs `argv` (no shell) with extra environment variables; resolves with its exit code and output, never rejects for a non-zero exit. */
export function runArgv(argv: readonly string[], env: Record<string, string>, opts: { cwd?: string; timeoutMs: number; signal: AbortSignal }): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs, signal: opts.signal });
    let out = '';
    let stdout = '';
    const keep = (s: string): string => (s.length > 4096 ? s.slice(-4096) : s);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out = keep(out + d);
      stdout = keep(stdout + d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out = keep(out + d)));
    child.once('error', reject);
    child.once('close', (code, sig) => {
      const tail = out.trim().slice(-1024);
      resolve({ code: code ?? (sig ? -1 : null), output: sig && code === null ? `${tail}${tail ? '\n' : ''}killed by ${sig}` : tail, stdout });
    });
  });
}
