/**
 * Fetches a firmware image over HTTP or HTTPS into a file (TR-181 FirmwareImage.{i}.Download():
 * HTTPS MUST be supported, HTTP MAY be). The transfer itself (streaming through a hash with a
 * hard byte limit, capped redirects, credentials only to the requested origin) is agent/net/download.ts;
 * this file turns its failures into FirmwareFaults: an oversize image or a full disk is 7005
 * (noSpace), anything else about the transfer is 7022 (downloadFailed).
 */
import { downloadToFile, DownloadError } from '../net/download.js';
import type { ClientTls } from '../net/download.js';
import { downloadFailed, noSpace } from './platform.js';
import type { FirmwareFault } from './platform.js';

export interface FetchOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Node hash name (`sha256`, ...). */
  readonly hash: string;
  /** The download fails once more bytes than this arrive. */
  readonly maxBytes: number;
  /** Why maxBytes is what it is, for the FaultString. */
  readonly limitReason: string;
  readonly stallMs: number;
  readonly tls: ClientTls;
  readonly signal: AbortSignal;
}

export interface Fetched {
  readonly bytes: number;
  /** Lower-case hex digest with FetchOptions.hash. */
  readonly digest: string;
  /** The URL the image came from after redirects. */
  readonly finalUrl: string;
}

function fault(e: DownloadError, opts: FetchOptions): FirmwareFault {
  if (e.kind === 'tooLarge')
    return noSpace(e.detail !== undefined ? `the image is ${e.detail} bytes, more than ${opts.maxBytes} (${opts.limitReason})` : `the image is larger than ${opts.maxBytes} bytes (${opts.limitReason})`);
  if (e.kind === 'diskFull') return noSpace(e.message);
  return downloadFailed(e.message);
}

/**
 * Downloads `opts.url` into `file` (created; must not exist). Throws a FirmwareFault for transfer,
 * size and TLS problems, or the signal's reason when aborted. The caller removes `file` on failure.
 */
export async function fetchToFile(file: string, opts: FetchOptions): Promise<Fetched> {
  try {
    return await downloadToFile(file, {
      url: new URL(opts.url),
      ...(opts.username !== undefined && { username: opts.username, password: opts.password ?? '' }),
      hash: opts.hash,
      maxBytes: opts.maxBytes,
      stallMs: opts.stallMs,
      tls: opts.tls,
      userAgent: 'usp-agent firmware download',
      signal: opts.signal,
    });
  } catch (e) {
    throw e instanceof DownloadError ? fault(e, opts) : e;
  }
}
