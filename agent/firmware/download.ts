/**
 * Fetches a firmware image over HTTP or HTTPS into a file (TR-181 FirmwareImage.{i}.Download():
 * HTTPS MUST be supported, HTTP MAY be). The body streams to disk through a hash (never the whole
 * image in memory) with a hard byte limit (size cap and free space), so an oversize image stops at
 * the limit instead of filling the disk. Redirects are followed a few times; credentials go only to
 * the origin of the requested URL. Every failure is a FirmwareFault saying what went wrong.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFailed, FirmwareFault, noSpace } from './platform.js';

/** Redirects followed before giving up (a loop ends here too). */
export const MAX_REDIRECTS = 5;

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
  readonly tls: { readonly ca?: readonly Buffer[]; readonly cert?: Buffer; readonly key?: Buffer };
  readonly signal: AbortSignal;
}

export interface Fetched {
  readonly bytes: number;
  /** Lower-case hex digest with FetchOptions.hash. */
  readonly digest: string;
  /** The URL the image came from after redirects. */
  readonly finalUrl: string;
}

/** Counts and hashes what passes; errors once more than `max` bytes went through. */
class Meter extends Transform {
  bytes = 0;
  constructor(
    readonly hash: Hash,
    private readonly max: number,
    private readonly reason: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) return done(noSpace(`the image is larger than ${this.max} bytes (${this.reason})`));
    this.hash.update(chunk);
    done(null, chunk);
  }
}

function describe(e: unknown, url: URL): string {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve host ${url.hostname}`;
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot connect to ${url.host} (${code})`;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code) || /certificate|handshake|alert/i.test(err.message)) return `TLS failure with ${url.host}: ${err.message}`;
  return `transfer from ${url.host} failed: ${err.message}`;
}

/** One GET; resolves with the response headers (the body unread). */
function get(url: URL, opts: FetchOptions, withAuth: boolean, onStall: (f: FirmwareFault) => void): Promise<IncomingMessage> {
  const headers: Record<string, string> = { 'user-agent': 'usp-agent firmware download', accept: '*/*' };
  if (withAuth && opts.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    // No connection pooling: a download is rare, and a pooled socket would outlive it.
    const common = { method: 'GET', headers, signal: opts.signal, timeout: opts.stallMs, agent: false };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...common, ...(opts.tls.ca && { ca: [...opts.tls.ca] }), ...(opts.tls.cert && { cert: opts.tls.cert }), ...(opts.tls.key && { key: opts.tls.key }) })
        : httpRequest(url, common);
    // The socket timeout covers the whole exchange: connecting, waiting for headers, and a body that stops coming.
    req.once('timeout', () => {
      const f = downloadFailed(`the transfer from ${url.host} stalled: nothing for ${Math.round(opts.stallMs / 1000)} s`);
      onStall(f);
      req.destroy(f);
    });
    req.once('response', resolve);
    req.once('error', (e) => reject(isFault(e) ? e : opts.signal.aborted ? abortError(opts.signal) : downloadFailed(describe(e, url))));
    req.end();
  });
}

function isFault(e: unknown): e is FirmwareFault {
  return e instanceof FirmwareFault;
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(String(r));
}

/**
 * Downloads `opts.url` into `file` (created; must not exist). Throws a FirmwareFault for transfer,
 * size and TLS problems, or the signal's reason when aborted. The caller removes `file` on failure.
 */
export async function fetchToFile(file: string, opts: FetchOptions): Promise<Fetched> {
  const origin = new URL(opts.url);
  let url = origin;
  let res: IncomingMessage | undefined;
  // Destroying a request mid-body surfaces as a closed connection; remember that it was a stall.
  let stalled: FirmwareFault | undefined;
  for (let hop = 0; ; hop++) {
    res = await get(url, opts, url.origin === origin.origin, (f) => (stalled = f));
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw downloadFailed(`HTTP ${status} from ${url.host} without a Location`);
      if (hop >= MAX_REDIRECTS) throw downloadFailed(`more than ${MAX_REDIRECTS} redirects (last to ${location}); a redirect loop?`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw downloadFailed(`redirect to an unsupported URL scheme ${next.protocol}`);
      url = next;
      continue;
    }
    if (status !== 200) {
      res.resume();
      const why = status === 401 || status === 403 ? ' (authentication failed)' : '';
      throw downloadFailed(`HTTP ${status} ${res.statusMessage ?? ''}${why} from ${url.href}`.replace(/\s+\(/, ' ('));
    }
    break;
  }
  const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
  if (declared !== undefined && declared > opts.maxBytes) {
    res.destroy();
    throw noSpace(`the image is ${declared} bytes, more than ${opts.maxBytes} (${opts.limitReason})`);
  }
  const meter = new Meter(createHash(opts.hash), opts.maxBytes, opts.limitReason);
  try {
    await pipeline(res, meter, createWriteStream(file, { flags: 'wx' }), { signal: opts.signal });
  } catch (e) {
    if (opts.signal.aborted) throw abortError(opts.signal);
    if (stalled) throw stalled;
    if (isFault(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw noSpace(`the disk is full after ${meter.bytes} bytes`);
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error).message === 'aborted')
      throw downloadFailed(`truncated transfer: the connection closed after ${meter.bytes}${declared !== undefined ? ` of ${declared}` : ''} bytes`);
    throw downloadFailed(describe(e, url));
  }
  if (declared !== undefined && meter.bytes !== declared) throw downloadFailed(`truncated transfer: ${meter.bytes} of ${declared} bytes arrived`);
  return { bytes: meter.bytes, digest: meter.hash.digest('hex'), finalUrl: url.href };
}
