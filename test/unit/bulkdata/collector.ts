/**
 * A real Bulk Data collector for tests: a node:http (or node:https) server that records every
 * request (method, URL, headers, decoded body) and answers with the status the test sets.
 * Waits are for requests, never for time.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface ReceivedReport {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** The body after Content-Encoding is undone. */
  readonly body: string;
  /** Bytes on the wire. */
  readonly rawBytes: number;
  /** Subject CN of the client certificate (HTTPS with requestCert). */
  readonly clientCn: string | undefined;
}

export interface Collector {
  readonly port: number;
  readonly url: string;
  /** Status for the next requests (default 200). */
  status: number;
  readonly received: ReceivedReport[];
  /** The next request not yet taken. */
  next(timeoutMs?: number): Promise<ReceivedReport>;
  /** Stops accepting connections (the collector is "down"); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface CollectorOptions {
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer; readonly requireClientCert: boolean };
  readonly path?: string;
  /** Require HTTP Digest (RFC 7616, MD5, qop=auth) with these credentials. */
  readonly digest?: { readonly user: string; readonly password: string };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Checks a Digest Authorization header against the credentials (the RFC 7616 computation, written independently of the agent's). */
function digestOk(header: string | undefined, method: string, user: string, password: string): boolean {
  if (!header?.startsWith('Digest ')) return false;
  const f: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) f[m[1] as string] = m[2] ?? m[3] ?? '';
  const ha1 = md5(`${user}:${f['realm'] ?? ''}:${password}`);
  const ha2 = md5(`${method}:${f['uri'] ?? ''}`);
  return f['username'] === user && f['nonce'] === NONCE && f['response'] === md5(`${ha1}:${NONCE}:${f['nc'] ?? ''}:${f['cnonce'] ?? ''}:auth:${ha2}`);
}
const NONCE = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';

export async function startCollector(opts: CollectorOptions = {}): Promise<Collector> {
  const queue: ReceivedReport[] = [];
  const waiters: ((r: ReceivedReport) => void)[] = [];
  const received: ReceivedReport[] = [];
  let port = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const enc = req.headers['content-encoding'];
      const body = (enc === 'gzip' ? gunzipSync(raw) : enc === 'deflate' ? inflateSync(raw) : raw).toString('utf8');
      const peer = (req.socket as Partial<TLSSocket>).getPeerCertificate?.();
      const cn = peer && 'subject' in peer ? (peer.subject?.CN as string | undefined) : undefined;
      const r: ReceivedReport = { method: req.method ?? '', url: new URL(req.url ?? '/', `http://127.0.0.1:${port}`), headers: req.headers, body, rawBytes: raw.length, clientCn: cn };
      received.push(r);
      if (opts.digest && !digestOk(req.headers.authorization, req.method ?? '', opts.digest.user, opts.digest.password)) {
        res.statusCode = 401;
        res.setHeader('WWW-Authenticate', `Digest realm="bulk@example", qop="auth", algorithm=MD5, nonce="${NONCE}", opaque="5ccc069c403ebaf9f0171e9517f40e41"`);
        res.end();
        return;
      }
      res.statusCode = self.status;
      res.end();
      const w = waiters.shift();
      if (w) w(r);
      else queue.push(r);
    });
  };
  const make = (): Server =>
    opts.tls
      ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: opts.tls.requireClientCert, rejectUnauthorized: opts.tls.requireClientCert }, handler)
      : createServer(handler);
  let server: Server | undefined;
  const listen = async (): Promise<void> => {
    const s = make();
    s.listen(port, '127.0.0.1');
    await once(s, 'listening');
    const a = s.address();
    port = typeof a === 'object' && a ? a.port : 0;
    server = s;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  const self: Collector = {
    port,
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}${opts.path ?? '/bulk'}`,
    status: 200,
    received,
    next: (timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const r = queue.shift();
        if (r) return resolve(r);
        const timer = setTimeout(() => reject(new Error(`no report within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((x) => {
          clearTimeout(timer);
          resolve(x);
        });
      }),
    stop,
    start: listen,
    close: stop,
  };
  return self;
}
