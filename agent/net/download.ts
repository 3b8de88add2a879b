/**
 * One HTTP(S) GET into a new file, shared by firmware Download() (agent/firmware) and SMM
 * InstallDU()/Update() (agent/smm): both fetch large files from servers the device does not
 * control. The body streams to disk through a hash with a hard byte limit (an oversize or endless
 * body stops at the limit instead of filling the disk); redirects are followed at most
 * MAX_REDIRECTS times, to http/https only; Basic credentials go only to the origin (scheme, host
 * and port) of the requested URL, so a redirect to another host or from https down to http never
 * sees them; connections are not pooled. Each failure is a DownloadError whose `kind` the caller
 * turns into its own fault (TR-181 FaultCode); an abort of the caller's signal throws its reason.
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

/** Redirects followed before giving up (a loop ends here too). */
export const MAX_REDIRECTS = 5;

export type DownloadFailure =
  /** A final status other than 200 (`status` says which). */
  | 'status'
  /** Too many redirects, or one without a Location or to another scheme. */
  | 'redirect'
  /** More than maxBytes, declared or sent. */
  | 'tooLarge'
  /** Nothing arrived for stallMs, or the whole transfer took longer than timeoutMs. */
  | 'timeout'
  /** The connection closed before the whole body arrived. */
  | 'truncated'
  /** The local disk filled up. */
  | 'diskFull'
  | 'tls'
  /** Name resolution, connection refused or another network error. */
  | 'network';

export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
    /** HTTP status for `status`; the declared size for `tooLarge` when the server gave one. */
    readonly detail?: number,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface ClientTls {
  readonly ca?: readonly Buffer[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface DownloadOptions {
  readonly url: URL;
  readonly username?: string;
  readonly password?: string;
  /** Node hash name (`sha256`, ...). */
  readonly hash: string;
  /** The download fails once more bytes than this arrive. */
  readonly maxBytes: number;
  /** Fails when nothing arrives for this long (connecting, waiting for headers, or mid-body). */
  readonly stallMs?: number;
  /** Fails when the whole transfer takes longer than this. */
  readonly timeoutMs?: number;
  readonly tls?: ClientTls;
  readonly userAgent?: string;
  readonly signal?: AbortSignal;
}

export interface Downloaded {
  readonly bytes: number;
  /** Lower-case hex digest with DownloadOptions.hash. */
  readonly digest: string;
  /** The URL the body came from after redirects. */
  readonly finalUrl: string;
}

/** Counts and hashes what passes; errors once more than `max` bytes went through. */
class Meter extends Transform {
  bytes = 0;
  constructor(
    readonly hash: Hash,
    private readonly max: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) return done(new DownloadError('tooLarge', `larger than ${this.max} bytes`));
    this.hash.update(chunk);
    done(null, chunk);
  }
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/i;

/** A network-level error as a DownloadError. */
function classify(e: unknown, url: URL): DownloadError {
  if (e instanceof DownloadError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new DownloadError('network', `cannot resolve host ${url.hostname}`);
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new DownloadError('network', `cannot connect to ${url.host} (${code})`);
  if (TLS_CODES.test(code) || /certificate|handshake|alert/i.test(err.message)) return new DownloadError('tls', `TLS failure with ${url.host}: ${err.message}`);
  return new DownloadError('network', `transfer from ${url.host} failed: ${err.message}`);
}

interface Watch {
  readonly signal: AbortSignal;
  /** Set when our own timer or a stall ended the transfer (not the caller). */
  ended: DownloadError | undefined;
}

/** One GET; resolves with the response headers (the body unread). */
function get(url: URL, opts: DownloadOptions, withAuth: boolean, watch: Watch): Promise<IncomingMessage> {
  const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'usp-agent download', accept: '*/*' };
  if (withAuth && (opts.username || opts.password)) headers.authorization = `Basic ${Buffer.from(`${opts.username ?? ''}:${opts.password ?? ''}`).toString('base64')}`;
  const tls = opts.tls ?? {};
  return new Promise((resolve, reject) => {
    // No connection pooling: a download is rare, and a pooled socket would outlive it.
    const common = { method: 'GET', headers, signal: watch.signal, agent: false as const, ...(opts.stallMs !== undefined && { timeout: opts.stallMs }) };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...common, ...(tls.ca && { ca: [...tls.ca] }), ...(tls.cert && { cert: tls.cert }), ...(tls.key && { key: tls.key }) })
        : httpRequest(url, common);
    // The socket timeout covers the whole exchange: connecting, waiting for headers, and a body that stops coming.
    req.once('timeout', () => {
      watch.ended ??= new DownloadError('timeout', `the transfer from ${url.host} stalled: nothing for ${Math.round((opts.stallMs ?? 0) / 1000)} s`);
      req.destroy(watch.ended);
    });
    req.once('response', resolve);
    req.once('error', (e) => reject(watch.ended ?? classify(e, url)));
    req.end();
  });
}

function reasonOf(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(String(r));
}

/** Follows redirects to the final 200 response. */
async function respond(opts: DownloadOptions, watch: Watch): Promise<{ res: IncomingMessage; url: URL }> {
  const origin = opts.url.origin;
  let url = opts.url;
  for (let hop = 0; ; hop++) {
    const res = await get(url, opts, url.origin === origin, watch);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw new DownloadError('redirect', `HTTP ${status} from ${url.host} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new DownloadError('redirect', `more than ${MAX_REDIRECTS} redirects (last to ${location}); a redirect loop?`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new DownloadError('redirect', `redirect to an unsupported URL scheme ${next.protocol}`);
      url = next;
      continue;
    }
    if (status !== 200) {
      res.resume();
      const why = status === 401 || status === 403 ? ' (authentication failed)' : '';
      const text = res.statusMessage ? ` ${res.statusMessage}` : '';
      throw new DownloadError('status', `HTTP ${status}${text}${why} from ${url.href}`, status);
    }
    return { res, url };
  }
}

/** Downloads `opts.url` into `file` (created with mode 0600; must not exist). The caller removes `file` on failure. */
export async function downloadToFile(file: string, opts: DownloadOptions): Promise<Downloaded> {
  const ctl = new AbortController();
  const watch: Watch = { signal: ctl.signal, ended: undefined };
  const onAbort = (): void => ctl.abort(opts.signal?.reason);
  if (opts.signal?.aborted) throw reasonOf(opts.signal);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          watch.ended ??= new DownloadError('timeout', `${opts.url.host}: no complete transfer within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`);
          ctl.abort(watch.ended);
        }, opts.timeoutMs);
  const failure = (e: unknown, url: URL): Error => (opts.signal?.aborted ? reasonOf(opts.signal) : (watch.ended ?? classify(e, url)));
  let url = opts.url;
  try {
    let res: IncomingMessage;
    try {
      ({ res, url } = await respond(opts, watch));
    } catch (e) {
      throw failure(e, url);
    }
    const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
    if (declared !== undefined && declared > opts.maxBytes) {
      res.destroy();
      throw new DownloadError('tooLarge', `${declared} bytes, more than ${opts.maxBytes}`, declared);
    }
    const meter = new Meter(createHash(opts.hash), opts.maxBytes);
    try {
      await pipeline(res, meter, createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal: ctl.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw reasonOf(opts.signal);
      if (watch.ended) throw watch.ended;
      if (e instanceof DownloadError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new DownloadError('diskFull', `the disk is full after ${meter.bytes} bytes`);
      if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error).message === 'aborted')
        throw new DownloadError('truncated', `truncated transfer: the connection closed after ${meter.bytes}${declared !== undefined ? ` of ${declared}` : ''} bytes`);
      throw failure(e, url);
    }
    if (declared !== undefined && meter.bytes !== declared) throw new DownloadError('truncated', `truncated transfer: ${meter.bytes} of ${declared} bytes arrived`);
    return { bytes: meter.bytes, digest: meter.hash.digest('hex'), finalUrl: url.href };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
