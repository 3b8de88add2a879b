/**
 * One FirmwareImage.{i}.Download() transfer (TR-181; USP-NOTES §14, TP-469 9.3/9.6): checks the
 * arguments, fetches into the staging folder (download.ts), verifies the checksum, hands the file
 * to the platform to install into the (inactive) bank, keeps the row's Status current, and reports
 * the result as Device.LocalAgent.TransferComplete! (FaultCode 0 or the failure's code). The
 * staging file is always removed. A failure leaves the running bank and its row untouched.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { InvalidCommandArgsError, UspError } from '../../datamodel/errors.js';
import type { DataModel } from '../../datamodel/model.js';
import type { CommandArgs, CommandContext } from '../../datamodel/nodes.js';
import type { Clock } from '../clock.js';
import type { FirmwareConfig } from '../config-firmware.js';
import type { TlsConfig } from '../config-transport.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../notify/events.js';
import { fetchToFile } from './download.js';
import { downloadFailed, installationFailed, noSpace, validationFailed } from './platform.js';
import type { BankImage, FirmwarePlatform } from './platform.js';
import { imageValues, setRow } from './rows.js';

/** CheckSumAlgorithm → Node hash name and hex digest length. */
const ALGORITHMS: Readonly<Record<string, { hash: string; hexLength: number }>> = {
  'SHA-1': { hash: 'sha1', hexLength: 40 },
  'SHA-224': { hash: 'sha224', hexLength: 56 },
  'SHA-256': { hash: 'sha256', hexLength: 64 },
  'SHA-384': { hash: 'sha384', hexLength: 96 },
  'SHA-512': { hash: 'sha512', hexLength: 128 },
};
const UNKNOWN_TIME = '0001-01-01T00:00:00Z';

export interface TransferDeps {
  readonly dm: DataModel;
  readonly platform: FirmwarePlatform;
  readonly config: FirmwareConfig;
  readonly tls: TlsConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: () => EventSink;
}

interface Request {
  readonly url: URL;
  readonly algorithm: string;
  readonly checksum: string;
  readonly fileSize: number;
}

function dateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The checked Download() arguments; throws 7027 (R-OPR.5) for what cannot be a valid download. */
export function checkDownloadArgs(input: CommandArgs, command: string): Request {
  let url: URL;
  try {
    url = new URL(input['URL'] ?? '');
  } catch {
    throw new InvalidCommandArgsError(`${command}: URL '${input['URL'] ?? ''}' is not a URL`, command);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidCommandArgsError(`${command}: URL scheme ${url.protocol} is not supported (http or https)`, command);
  // TR-181 Download(): the URL MUST NOT include the userinfo component; credentials go in Username/Password.
  if (url.username || url.password) throw new InvalidCommandArgsError(`${command}: the URL must not include user information; use Username and Password`, command);
  const checksum = (input['CheckSum'] ?? '').toLowerCase();
  const algorithm = input['CheckSumAlgorithm'] ?? '';
  if (checksum) {
    const alg = ALGORITHMS[algorithm];
    if (!alg) throw new InvalidCommandArgsError(`${command}: CheckSum needs a CheckSumAlgorithm (SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512)`, command);
    if (checksum.length !== alg.hexLength) throw new InvalidCommandArgsError(`${command}: a ${algorithm} CheckSum has ${alg.hexLength / 2} bytes, not ${checksum.length / 2}`, command);
  }
  return { url, algorithm: ALGORITHMS[algorithm] ? algorithm : 'SHA-256', checksum, fileSize: Number(input['FileSize'] ?? '0') || 0 };
}

function readPem(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined; // no such file: HTTPS goes without it (and fails verification if it was needed)
  }
}

/**
 * Runs the transfer into `bank` and reports TransferComplete!. Returns the installed image; throws
 * the FirmwareFault (or the cancel reason) after reporting it.
 */
export async function runTransfer(deps: TransferDeps, bank: number, input: CommandArgs, ctx: CommandContext, req: Request): Promise<BankImage> {
  const { dm, platform, config } = deps;
  const command = `${ctx.objPath}Download()`;
  const startedAt = deps.clock.now();
  const file = join(platform.stagingDir, `bank-${bank}-${randomUUID()}.part`);
  let digest = '';
  let fetched = false;
  const report = (code: number, message: string, done: boolean): void => {
    deps.events().event('Device.LocalAgent.', 'TransferComplete!', {
      Command: command,
      CommandKey: ctx.commandKey,
      Requestor: ctx.requestor,
      TransferType: 'Download',
      Affected: ctx.objPath,
      TransferURL: req.url.href,
      StartTime: dateTime(startedAt),
      CompleteTime: done ? dateTime(deps.clock.now()) : UNKNOWN_TIME,
      FaultCode: String(code),
      FaultString: message.slice(0, 256),
      CheckSumAlgorithm: req.algorithm,
      CheckSum: digest,
    });
  };
  const status = (values: Parameters<typeof setRow>[3]): Promise<void> => dm.transaction((txn) => setRow(txn, dm.tree, bank, values));
  try {
    await status({ ...imageValues('Downloading', undefined), BootFailureLog: '' });
    const fs = await statfs(platform.stagingDir);
    const free = fs.bavail * fs.bsize - config.reserveBytes;
    const cap = Math.min(config.maxImageBytes, free);
    const limitReason = cap === config.maxImageBytes ? `firmware.maxImageBytes` : `free space on ${platform.stagingDir}, keeping ${config.reserveBytes} bytes`;
    if (free <= 0) throw noSpace(`not enough free space on ${platform.stagingDir} (${Math.max(0, fs.bavail * fs.bsize)} bytes free, ${config.reserveBytes} kept)`);
    // FileSize is a hint (TR-181): it may refuse for lack of space, never fail a transfer by itself.
    if (req.fileSize > cap) throw noSpace(`FileSize ${req.fileSize} is more than the ${cap} bytes available (${limitReason})`);
    const ca = [...rootCertificates.map((c) => Buffer.from(c)), ...[readPem(deps.tls.ca), readPem(config.ca)].filter((b): b is Buffer => b !== undefined)];
    const cert = config.clientCertificate ? readPem(deps.tls.cert) : undefined;
    const key = config.clientCertificate ? readPem(deps.tls.key) : undefined;
    const got = await fetchToFile(file, {
      url: req.url.href,
      ...(input['Username'] !== undefined && input['Username'] !== '' && { username: input['Username'], password: input['Password'] ?? '' }),
      hash: ALGORITHMS[req.algorithm]?.hash ?? 'sha256',
      maxBytes: cap,
      limitReason,
      stallMs: config.stallSeconds * 1000,
      tls: { ca, ...(cert && key && { cert, key }) },
      signal: ctx.signal,
    });
    digest = got.digest;
    fetched = true;
    await status({ Status: 'Validating' });
    if (req.checksum && req.checksum !== got.digest) throw validationFailed(`${req.algorithm} checksum mismatch: expected ${req.checksum}, the file has ${got.digest}`);
    if (req.fileSize > 0 && req.fileSize !== got.bytes) deps.log.info('FW-I03', `${command}: FileSize said ${req.fileSize} bytes, the image has ${got.bytes} (a hint only)`);
    const name = decodeURIComponent(req.url.pathname.split('/').pop() ?? '') || 'firmware';
    const image = await platform.install(bank, file, name, ctx.signal);
    await status({ ...imageValues('Available', image), Available: 'true', BootFailureLog: '' });
    report(0, '', true);
    deps.log.info('FW-I04', `${command}: version ${image.version} (${got.bytes} bytes) installed into bank ${bank}`);
    return image;
  } catch (e) {
    const stopping = ctx.signal.aborted && !UspError.is(ctx.signal.reason);
    if (stopping) throw e; // the agent is stopping: the next start marks the row DownloadFailed
    const fault = UspError.is(e) ? e : fetched ? installationFailed((e as Error).message) : downloadFailed((e as Error).message);
    const bankStatus = 'status' in fault && typeof fault.status === 'string' ? fault.status : 'DownloadFailed';
    await status({ ...imageValues(bankStatus as 'DownloadFailed', undefined) });
    report(fault.code, fault.message, false);
    deps.log.warn('FW-W05', `${command} failed: ${fault.message}`);
    throw fault;
  } finally {
    await rm(file, { force: true });
  }
}
