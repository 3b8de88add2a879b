/**
 * Downloads a Deployment Unit over HTTP(S) into a file, with the faults TR-181 names for
 * DUStateChange! (Fault.FaultCode): userinfo in the URL is 7004, an unreachable server or a
 * timeout 7033, a TLS failure 7034, a checksum mismatch 7035, too large 7227.
 *
 * The transfer (redirects, credentials only to the requested origin, size cap, hash) is
 * agent/net/download.ts; this file checks the URL and turns failures into those faults.
 *
 * Checksum: the URL may end in a fragment `#sha256=<64 hex>` (fragments never go to the server);
 * the file must then have that SHA-256, or the install fails before anything is unpacked.
 */
import { downloadToFile, DownloadError } from '../net/download.js';
import type { Downloaded } from '../net/download.js';
import { SmmFault, SmmFaultError } from './faults.js';

export interface FetchOptions {
  readonly username?: string;
  readonly password?: string;
  /** Largest download accepted, in bytes. */
  readonly maxBytes: number;
  /** Gives up after this long without completing, in ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface FetchedFile {
  readonly bytes: number;
  readonly sha256: string;
}

/** Checks a DU URL (scheme, no userinfo) and splits off the expected checksum. */
export function parseDuUrl(raw: string): { url: URL; sha256: string | undefined } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SmmFaultError(SmmFault.InvalidArguments, `'${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SmmFaultError(SmmFault.InvalidArguments, `unsupported URL scheme '${url.protocol}' (http and https only)`);
  if (url.username || url.password)
    throw new SmmFaultError(SmmFault.InvalidArguments, 'the URL must not carry userinfo; use the Username and Password arguments');
  let sha256: string | undefined;
  if (url.hash) {
    const m = /^#sha256=([0-9a-fA-F]{64})$/.exec(url.hash);
    if (!m?.[1]) throw new SmmFaultError(SmmFault.InvalidArguments, `unknown URL fragment '${url.hash}' (expected #sha256=<64 hex digits>)`);
    sha256 = m[1].toLowerCase();
    url.hash = '';
  }
  return { url, sha256 };
}

function fault(e: unknown): SmmFaultError {
  if (e instanceof SmmFaultError) return e;
  if (!(e instanceof DownloadError)) return new SmmFaultError(SmmFault.ServerUnreachable, `the download stopped (${(e as Error).message})`);
  switch (e.kind) {
    case 'status':
    case 'redirect':
      return new SmmFaultError(SmmFault.RequestDenied, e.message);
    case 'tooLarge':
      return new SmmFaultError(SmmFault.ResourcesExceeded, `the DU is ${e.message}`);
    case 'diskFull':
      return new SmmFaultError(SmmFault.ResourcesExceeded, e.message);
    case 'tls':
      return new SmmFaultError(SmmFault.ServerInsecure, e.message);
    default:
      return new SmmFaultError(SmmFault.ServerUnreachable, `${e.message} (the server is not reachable)`);
  }
}

/** Downloads `raw` into `file` (created); verifies the URL's checksum if it has one. */
export async function fetchDu(raw: string, file: string, opts: FetchOptions): Promise<FetchedFile> {
  const { url, sha256: expected } = parseDuUrl(raw);
  let got: Downloaded;
  try {
    got = await downloadToFile(file, {
      url,
      ...((opts.username || opts.password) && { username: opts.username ?? '', password: opts.password ?? '' }),
      hash: 'sha256',
      maxBytes: opts.maxBytes,
      timeoutMs: opts.timeoutMs,
      userAgent: 'usp-agent software module download',
      ...(opts.signal && { signal: opts.signal }),
    });
  } catch (e) {
    throw fault(e);
  }
  if (expected && got.digest !== expected)
    throw new SmmFaultError(SmmFault.CorruptData, `checksum mismatch: the file has SHA-256 ${got.digest}, the URL asks for ${expected}`);
  return { bytes: got.bytes, sha256: got.digest };
}
