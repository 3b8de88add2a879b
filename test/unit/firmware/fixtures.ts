/**
 * Firmware test fixtures: real lab images (tar.gz with manifest.json and an optional
 * health-check script, made with the system tar), a real node:http(s) image server with the
 * misbehaviours the bad-input tests need, and an EventSink that keeps event parameters.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EventSink, OperationResult } from '../../../agent/notify/events.js';
import { Queue } from '../../helpers/operate.js';

export interface Image {
  readonly file: string;
  readonly bytes: Buffer;
  readonly sha256: string;
}

/**
 * A lab firmware image: manifest.json with `version`, `padding` random bytes of filler,
 * and, with `health`, an executable health-check that exits 0 (for 'ok') or else prints the text and exits 1.
 */
export function makeImage(dir: string, version: string, opts: { health?: string; padding?: number; manifest?: string } = {}): Image {
  const src = mkdtempSync(join(dir, 'img-src-'));
  writeFileSync(join(src, 'manifest.json'), opts.manifest ?? JSON.stringify({ name: `lab-image-${version}`, version }));
  // Random bytes: gzip cannot shrink them, so the image really has about `padding` bytes.
  if (opts.padding) writeFileSync(join(src, 'payload.bin'), randomBytes(opts.padding));
  if (opts.health !== undefined) {
    const script = opts.health === 'ok' ? '#!/bin/sh\nexit 0\n' : `#!/bin/sh\necho '${opts.health}' >&2\nexit 1\n`;
    writeFileSync(join(src, 'health-check'), script);
    chmodSync(join(src, 'health-check'), 0o755);
  }
  mkdirSync(join(dir, 'images'), { recursive: true });
  const file = join(dir, 'images', `fw-${version}-${Math.random().toString(36).slice(2, 8)}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', src, '.']);
  const bytes = readFileSync(file);
  return { file, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export interface ImageServer {
  readonly port: number;
  readonly base: string;
  /** Paths requested, in order. */
  readonly hits: string[];
  /** Serves `bytes` at `path`; `throttle` sends `chunk` bytes every `everyMs`. */
  serve(path: string, bytes: Buffer, opts?: { throttle?: { chunk: number; everyMs: number }; chunked?: boolean; auth?: string }): void;
  close(): Promise<void>;
}

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** With `ca`, clients must present a certificate it signed (mutual TLS). */
  readonly ca?: Buffer;
}

/**
 * Built-in routes: `/404`, `/loop` (redirects to itself), `/redirect/<path>` (302 to `<path>`),
 * `/truncated/<path>` (full Content-Length, half the body, then the connection closes),
 * `/stall/<path>` (half the body, then nothing while the connection stays open).
 */
export async function startImageServer(tls?: ServerTls): Promise<ImageServer> {
  const files = new Map<string, { bytes: Buffer; throttle?: { chunk: number; everyMs: number }; chunked?: boolean; auth?: string }>();
  const hits: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    hits.push(path);
    if (path === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (path.startsWith('/redirect/')) return void res.writeHead(302, { location: path.slice('/redirect'.length) }).end();
    const truncated = path.startsWith('/truncated/');
    const stall = path.startsWith('/stall/');
    const f = files.get(truncated ? path.slice('/truncated'.length) : stall ? path.slice('/stall'.length) : path);
    if (!f) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    if (f.auth && req.headers.authorization !== `Basic ${Buffer.from(f.auth).toString('base64')}`) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fw"' }).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(!f.chunked && { 'content-length': String(f.bytes.length) }) });
    if (truncated) {
      res.write(f.bytes.subarray(0, f.bytes.length >> 1), () => res.destroy());
      return;
    }
    if (stall) return void res.write(f.bytes.subarray(0, f.bytes.length >> 1));
    const throttle = f.throttle;
    if (!throttle) return void res.end(f.bytes);
    let at = 0;
    const tick = (): void => {
      if (res.destroyed) return;
      const next = Math.min(f.bytes.length, at + throttle.chunk);
      res.write(f.bytes.subarray(at, next));
      at = next;
      if (at >= f.bytes.length) return void res.end();
      const t = setTimeout(() => {
        timers.delete(t);
        tick();
      }, throttle.everyMs);
      timers.add(t);
    };
    tick();
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits,
    serve: (path, bytes, opts = {}) => void files.set(path, { bytes, ...opts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SeenEvent {
  readonly objPath: string;
  readonly eventName: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface SeenCompletion {
  readonly objPath: string;
  readonly commandName: string;
  readonly commandKey: string;
  readonly result: OperationResult;
}

/** Keeps events with their parameters and OperationCompletes, each in a queue to wait on. */
export class EventLog implements EventSink {
  readonly events = new Queue<SeenEvent>();
  readonly completions = new Queue<SeenCompletion>();

  event(objPath: string, eventName: string, params: Readonly<Record<string, string>>): void {
    this.events.push({ objPath, eventName, params: { ...params } });
  }

  operationComplete(objPath: string, commandName: string, commandKey: string, result: OperationResult): void {
    this.completions.push({ objPath, commandName, commandKey, result });
  }

  onBoardRequest(): void {
    // not used by firmware tests
  }
}
