/**
 * Downloads a Deployment Unit over HTTP(S) into a file, with the faults TR-181 names for
 * DUStateChange! (Fault.FaultCode): userinfo in the URL is 7004, an unreachable server or a
 * timeout 7033, a TLS failure 7034, a checksum mismatch 7035, too large 7227.
 *
 * Checksum: the URL may end in a fragment `#sha256=<64 hex>` (fragments never go to the server);
 * the file must then have that SHA-256, or the install fails before anything is unpacked.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
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

const TLS_CODES = /CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED|HOSTNAME|ALTNAME/i;

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

function get(url: URL, opts: FetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const headers: Record<string, string> = {};
  if (opts.username || opts.password) headers['authorization'] = `Basic ${Buffer.from(`${opts.username ?? ''}:${opts.password ?? ''}`).toString('base64')}`;
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(url, { headers, signal }, resolve);
    r.once('error', reject);
    r.end();
  });
}

function networkFault(e: unknown, url: URL, timedOut: boolean): SmmFaultError {
  if (e instanceof SmmFaultError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (timedOut) return new SmmFaultError(SmmFault.ServerUnreachable, `${url.host}: timed out`);
  if (TLS_CODES.test(code)) return new SmmFaultError(SmmFault.ServerInsecure, `${url.host}: TLS check failed (${code})`);
  return new SmmFaultError(SmmFault.ServerUnreachable, `${url.host} is not reachable (${code || (e as Error).message})`);
}

/** Downloads `raw` into `file` (created); verifies the URL's checksum if it has one. */
export async function fetchDu(raw: string, file: string, opts: FetchOptions): Promise<FetchedFile> {
  const { url: first, sha256: expected } = parseDuUrl(raw);
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, opts.timeoutMs);
  const onAbort = (): void => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort);
  let url = first;
  try {
    let res: IncomingMessage;
    for (let hops = 0; ; hops++) {
      res = await get(url, opts, ctl.signal);
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc && hops < 3) {
        res.resume();
        url = new URL(loc, url);
        continue;
      }
      break;
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new SmmFaultError(SmmFault.RequestDenied, `${url.href}: HTTP ${res.statusCode ?? '?'}`);
    }
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (declared > opts.maxBytes) {
      res.resume();
      throw new SmmFaultError(SmmFault.ResourcesExceeded, `the DU is ${declared} bytes; at most ${opts.maxBytes} are accepted`);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > opts.maxBytes) return done(new SmmFaultError(SmmFault.ResourcesExceeded, `the DU is larger than ${opts.maxBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(res, count, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    const sha256 = hash.digest('hex');
    if (expected && sha256 !== expected)
      throw new SmmFaultError(SmmFault.CorruptData, `checksum mismatch: the file has SHA-256 ${sha256}, the URL asks for ${expected}`);
    return { bytes, sha256 };
  } catch (e) {
    throw networkFault(e, url, timedOut);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
