/**
 * A TCP proxy on an ephemeral port that records what clients send, so tests can check STOMP
 * frames on the wire (TR-369 R-STOMP.2/4/…), and can rewrite the broker's first frame (to add
 * a CONNECTED `subscribe-dest` header, which RabbitMQ never sends) or drop connections.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface ProxyConnection {
  /** Everything the client sent, in order. */
  readonly fromClient: Buffer[];
}

export interface TcpProxy {
  readonly port: number;
  readonly connections: readonly ProxyConnection[];
  /** Destroys every open connection, both sides (a network failure as the client sees it). */
  dropConnections(): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Rewrites the server's first frame (up to and including its NUL), e.g. CONNECTED. */
  readonly rewriteFirstServerFrame?: (frame: string) => string;
}

export async function startTcpProxy(opts: TcpProxyOptions): Promise<TcpProxy> {
  const connections: ProxyConnection[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined); // either side may reset; the other side is destroyed with it
  };
  const server: Server = createServer((client) => {
    const conn: ProxyConnection = { fromClient: [] };
    connections.push(conn);
    const upstream = connect({ host: opts.targetHost, port: opts.targetPort });
    track(client);
    track(upstream);
    client.on('data', (d: Buffer) => {
      conn.fromClient.push(d);
      upstream.write(d);
    });
    let pending: Buffer | undefined = opts.rewriteFirstServerFrame ? Buffer.alloc(0) : undefined;
    upstream.on('data', (d: Buffer) => {
      if (pending === undefined) {
        client.write(d);
        return;
      }
      pending = Buffer.concat([pending, d]);
      const nul = pending.indexOf(0);
      if (nul < 0) return;
      const first = opts.rewriteFirstServerFrame!(pending.subarray(0, nul + 1).toString('utf8'));
      client.write(Buffer.concat([Buffer.from(first, 'utf8'), pending.subarray(nul + 1)]));
      pending = undefined;
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('proxy has no port');
  return {
    port: addr.port,
    connections,
    dropConnections: () => sockets.forEach((s) => s.destroy()),
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** One STOMP frame as sent: command, raw (still escaped) headers in order, body bytes. */
export interface WireFrame {
  readonly command: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** Splits a STOMP byte stream into frames (heart-beat EOLs skipped; body by content-length, else up to NUL). */
export function parseStompFrames(bytes: Buffer): WireFrame[] {
  const frames: WireFrame[] = [];
  let i = 0;
  for (;;) {
    while (i < bytes.length && (bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
    if (i >= bytes.length) return frames;
    const headEnd = bytes.indexOf('\n\n', i);
    if (headEnd < 0) return frames; // incomplete
    const lines = bytes
      .subarray(i, headEnd)
      .toString('utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''));
    const command = lines.shift() ?? '';
    const headers = lines.map((l): [string, string] => {
      const c = l.indexOf(':');
      return [l.slice(0, c), l.slice(c + 1)];
    });
    const start = headEnd + 2;
    const len = headers.find(([k]) => k === 'content-length');
    const end = len ? start + Number(len[1]) : bytes.indexOf(0, start);
    if (end < 0 || end >= bytes.length) return frames; // incomplete
    frames.push({ command, headers, body: bytes.subarray(start, end) });
    i = end + 1;
  }
}

/** The first value of a header, as on the wire. */
export function header(f: WireFrame, name: string): string | undefined {
  return f.headers.find(([k]) => k === name)?.[1];
}
