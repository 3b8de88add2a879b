/**
 * The byte pipe under @stomp/stompjs: its `IStompSocket` (a WebSocket look-alike) over a plain
 * `node:net` or a mutual-TLS `node:tls` connection. We own this instead of
 * `@stomp/tcp-wrapper`, which has no TLS and signals "open" on the TCP connect rather than
 * once the TLS handshake is done.
 *
 * It also makes stompjs open with a `STOMP` frame (TR-369 R-STOMP.2): stompjs 7.5 hard-codes
 * `CONNECT`, and the two frames differ only in the command line, so the first frame written is
 * rewritten here (see `openWith`).
 */
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { StompSocketState } from '@stomp/stompjs';
import type { IStompSocket } from '@stomp/stompjs';
import type { TlsMaterial } from './tls.js';

export interface StompSocketOptions {
  readonly host: string;
  readonly port: number;
  /** Mutual TLS when set. An empty `cert`/`key` means "no client certificate" (login/passcode over TLS). */
  readonly tls?: TlsMaterial | undefined;
  /** TLS SNI and certificate host name; defaults to `host` unless that is an IP address. */
  readonly serverName?: string | undefined;
  /** `'STOMP'`: send the first frame as `STOMP` instead of stompjs' `CONNECT` (R-STOMP.2). */
  readonly openWith?: 'STOMP' | 'CONNECT';
}

/** What `onclose` receives: a WebSocket-like close event plus the socket error, if any. */
export interface StompSocketCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  readonly error: Error | undefined;
}

type Handler<T> = ((ev: T) => unknown) | undefined | null;

const CONNECT_LINE = Buffer.from('CONNECT\n');
const STOMP_LINE = Buffer.from('STOMP\n');
/** After close() has sent FIN, how long the peer gets to close its side before we destroy. */
const CLOSE_GRACE_MS = 2000;

export class StompSocket implements IStompSocket {
  readonly url: string;
  binaryType = 'arraybuffer';
  onopen: Handler<void> = null;
  onclose: Handler<StompSocketCloseEvent> = null;
  onerror: Handler<Error> = null;
  onmessage: Handler<{ data: ArrayBuffer }> = null;
  /** The first socket error (e.g. a TLS alert); kept because it may arrive after "open". */
  lastError: Error | undefined;

  private state: StompSocketState = StompSocketState.CONNECTING;
  private readonly socket: Socket;
  private firstFrame = true;

  constructor(private readonly opts: StompSocketOptions) {
    const { host, port, tls } = opts;
    this.url = `${tls ? 'stomp+ssl' : 'stomp'}://${host}:${port}`;
    if (tls) {
      const servername = opts.serverName ?? (isIP(host) ? undefined : host);
      const withCert = tls.cert.length > 0 && tls.key.length > 0;
      this.socket = tlsConnect({
        host,
        port,
        ...(servername !== undefined && { servername }),
        ca: tls.ca,
        ...(withCert && { cert: tls.cert, key: tls.key }),
        minVersion: tls.minVersion,
        rejectUnauthorized: true,
      });
      this.socket.once('secureConnect', () => this.opened());
    } else {
      this.socket = netConnect({ host, port });
      this.socket.once('connect', () => this.opened());
    }
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      // stompjs wants a standalone ArrayBuffer; a Buffer may be a view into a shared pool.
      const data = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer;
      this.onmessage?.({ data });
    });
    this.socket.on('error', (err: Error) => {
      this.lastError ??= err;
      this.onerror?.(err);
    });
    this.socket.once('close', (hadError: boolean) => {
      this.state = StompSocketState.CLOSED;
      const error = this.lastError;
      this.onclose?.({ code: hadError ? 1006 : 1000, reason: error?.message ?? 'closed', wasClean: !hadError, error });
    });
  }

  get readyState(): number {
    return this.state;
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (this.state !== StompSocketState.OPEN) throw new Error(`STOMP socket ${this.url} is not open`);
    let buf = toBuffer(data);
    if (this.firstFrame) {
      this.firstFrame = false;
      if (this.opts.openWith === 'STOMP' && buf.subarray(0, CONNECT_LINE.length).equals(CONNECT_LINE)) {
        buf = Buffer.concat([STOMP_LINE, buf.subarray(CONNECT_LINE.length)]);
      }
    }
    this.socket.write(buf);
  }

  /** Half-closes (FIN) and lets the peer finish; destroys if it does not within a grace period. */
  close(): void {
    if (this.state === StompSocketState.CLOSED || this.state === StompSocketState.CLOSING) return;
    this.state = StompSocketState.CLOSING;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the connection at once (stompjs `discardWebsocket`, our timeouts). */
  terminate(): void {
    this.destroy();
  }

  /** Drops the connection at once; `err` becomes `lastError` (e.g. a connect timeout). */
  destroy(err?: Error): void {
    if (err) this.lastError ??= err;
    if (this.state !== StompSocketState.CLOSED) this.state = StompSocketState.CLOSING;
    this.socket.destroy();
  }

  private opened(): void {
    this.state = StompSocketState.OPEN;
    this.onopen?.();
  }
}

function toBuffer(data: string | ArrayBufferLike | Blob | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return Buffer.from(data);
  throw new TypeError('StompSocket.send: Blob is not supported');
}
