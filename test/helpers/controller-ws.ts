/**
 * The controller side of the WebSocket binding for tests (TR-369 §WebSocket Binding), written
 * with plain `ws` independently of agent/mtp/websocket-*.ts so it checks them:
 * - {@link connectWsController}: a controller that connects to the agent's server MTP (R-WS.6);
 * - {@link startWsControllerServer}: a controller (https + mutual TLS, or plain) that the agent's
 *   client MTP connects to (R-WS.5).
 * Both implement {@link ControllerTransport}, and expose the WebSocket details tests check
 * (subprotocol, extension echo, pings, close codes, fragmented and text frames).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import type { ClientOptions, RawData } from 'ws';
import { Inbox } from './controller-transport.js';
import type { ControllerTransport } from './controller-transport.js';

export type { ControllerTransport } from './controller-transport.js';

/** PEM text or a path to a PEM file. */
export type Pem = string | Buffer;
export interface TlsPems {
  readonly cert: Pem;
  readonly key: Pem;
  readonly ca: Pem;
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

const DEFAULT_TIMEOUT_MS = 5000;
const URN = 'urn:bbf:usp:id:';

function pem(p: Pem): Buffer {
  if (Buffer.isBuffer(p)) return p;
  return p.startsWith('-----BEGIN') ? Buffer.from(p) : readFileSync(p);
}

function tlsOptions(t: TlsPems): { cert: Buffer; key: Buffer; ca: Buffer } {
  return { cert: pem(t.cert), key: pem(t.key), ca: pem(t.ca) };
}

function uspEids(san: string | undefined): string[] {
  return (san ?? '')
    .split(/,\s*/)
    .filter((e) => e.startsWith(`URI:${URN}`))
    .map((e) => e.slice(4 + URN.length));
}

/** One open WebSocket seen from the controller: records, pings and the close frame it got. */
export class WsControllerSession implements ControllerTransport {
  private readonly records = new Inbox<Uint8Array>();
  private readonly pings = new Inbox<number>();
  /** Text messages the agent sent (it never should, R-WS.14). */
  readonly texts: string[] = [];
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<CloseInfo>;

  constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) this.records.push(new Uint8Array(buf));
      else this.texts.push(buf.toString());
    });
    ws.on('ping', () => this.pings.push(Date.now()));
    ws.on('error', () => undefined); // failures show up as 'close'
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(bytes, { binary: true }, (e) => (e ? reject(e) : resolve())));
  }

  /** Sends `bytes` as one message split over `parts` frames (a binary frame then continuations, RFC 6455 §5.4). */
  async sendFragmented(bytes: Uint8Array, parts: number): Promise<void> {
    const size = Math.ceil(bytes.length / parts);
    for (let i = 0; i < parts; i++) {
      const chunk = bytes.subarray(i * size, Math.min((i + 1) * size, bytes.length));
      await new Promise<void>((resolve, reject) => this.ws.send(chunk, { binary: true, fin: i === parts - 1 }, (e) => (e ? reject(e) : resolve())));
    }
  }

  sendText(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(text, { binary: false }, (e) => (e ? reject(e) : resolve())));
  }

  /** Sends an unsolicited Pong (the agent must ignore it, R-WS.18 / RFC 6455 §5.5.3). */
  pong(): void {
    this.ws.pong();
  }

  nextRecord(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Uint8Array> {
    return this.records.next(timeoutMs, 'record from the agent');
  }

  /** Resolves with the time of the next Ping from the agent. */
  nextPing(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    return this.pings.next(timeoutMs, 'ping from the agent');
  }

  /** Runs the close handshake (or waits for the one in progress); idempotent. */
  async close(code = 1000, reason = 'controller closing'): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    await this.closed;
  }

  /** Drops the TCP connection without a close frame (a crash). */
  kill(): void {
    this.ws.terminate();
  }
}

export interface WsControllerClientOptions {
  /** `ws://host:port/path` or `wss://…` of the agent's server MTP, without query. */
  readonly url: string;
  readonly controllerEndpointId: string;
  /** Controller certificate (with its URN SAN), key and CA; needed for wss. */
  readonly tls?: Partial<TlsPems>;
  /** Subprotocols to offer; default ['v1.usp']. */
  readonly subprotocols?: string[];
  /** The `eid` query value; default the controller EID; null sends none. */
  readonly eid?: string | null;
  /** Offer `bbf-usp-protocol; eid="…"` (R-WS.10a). */
  readonly offerExtension?: boolean;
  readonly timeoutMs?: number;
}

/** A controller connected to the agent's server MTP. */
export class WsControllerClient extends WsControllerSession {
  constructor(
    ws: WebSocket,
    /** The Sec-WebSocket-Extensions header of the agent's 101 response, if any. */
    readonly extensionHeader: string | undefined,
  ) {
    super(ws);
  }

  /** The subprotocol the agent chose. */
  get protocol(): string {
    return this.ws.protocol;
  }
}

/** Connects like a controller to the agent's server MTP (R-WS.6); rejects with ws's error (with `code` for TLS failures). */
export async function connectWsController(o: WsControllerClientOptions): Promise<WsControllerClient> {
  const eid = o.eid === undefined ? o.controllerEndpointId : o.eid;
  const url = eid === null ? o.url : `${o.url}?eid=${eid.replace(/%/g, '%25')}`;
  const opts: ClientOptions = {
    perMessageDeflate: false,
    handshakeTimeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    headers: o.offerExtension ? { 'Sec-WebSocket-Extensions': `bbf-usp-protocol; eid="${o.controllerEndpointId}"` } : {},
  };
  if (o.tls) {
    Object.assign(opts, {
      ...(o.tls.cert !== undefined && { cert: pem(o.tls.cert) }),
      ...(o.tls.key !== undefined && { key: pem(o.tls.key) }),
      ...(o.tls.ca !== undefined && { ca: pem(o.tls.ca) }),
    });
  }
  const ws = new WebSocket(url, o.subprotocols ?? ['v1.usp'], opts);
  let extension: string | undefined;
  ws.on('upgrade', (res) => {
    const h = res.headers['sec-websocket-extensions'];
    extension = h;
    delete res.headers['sec-websocket-extensions']; // ws rejects extensions it did not negotiate (ENVIRONMENT-NOTES §4c)
  });
  return new Promise((resolve, reject) => {
    const failed = (e: Error): void => reject(e);
    ws.once('error', failed);
    ws.once('open', () => {
      ws.off('error', failed);
      resolve(new WsControllerClient(ws, extension));
    });
  });
}

/** What the controller server saw in one opening handshake. */
export interface WsHandshake {
  /** Request target, e.g. `/usp?eid=proto::agent`. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The decoded `eid` query value. */
  readonly eid: string | undefined;
  /** Endpoint IDs in the agent's client certificate (mTLS). */
  readonly certEndpointIds: string[];
}

/** A TLS handshake the controller server refused; `authorizationError` is the verify code (CERT_HAS_EXPIRED, …). */
export interface TlsFailure {
  readonly error: NodeJS.ErrnoException;
  readonly authorizationError?: string;
}

export interface WsControllerServerOptions {
  readonly controllerEndpointId: string;
  /** Server certificate, key and CA: https with requestCert + rejectUnauthorized. Omit for plain ws. */
  readonly tls?: TlsPems;
  /** Port to listen on (0 / omitted = ephemeral; give the old port to restart "the same" controller). */
  readonly port?: number;
  readonly path?: string;
  /** Answer `v1.usp` when offered (default) or never name a subprotocol (to test R-WS.12). */
  readonly answerSubprotocol?: boolean;
  /** Echo `bbf-usp-protocol; eid="<controller EID>"`: when offered (default 'offered'), always, or never. */
  readonly echoExtension?: 'offered' | 'always' | 'never';
}

/** A controller listening for the agent's client MTP; `send`/`nextRecord` use the latest session. */
export class WsControllerServer implements ControllerTransport {
  private readonly sessions = new Inbox<WsControllerSession>();
  private latest: WsControllerSession | undefined;
  private readonly all = new Set<WsControllerSession>();
  /** Every opening handshake that reached the WebSocket layer. */
  readonly handshakes: WsHandshake[] = [];
  /** TLS handshake failures (the agent's certificate refused, …). */
  readonly tlsErrors: TlsFailure[] = [];
  private readonly tlsErrorInbox = new Inbox<TlsFailure>();
  private stopped = false;
  private listenPort = 0;

  private constructor(
    private readonly server: HttpServer,
    private readonly wss: WebSocketServer,
    readonly opts: WsControllerServerOptions,
  ) {
    wss.on('connection', (ws) => {
      const s = new WsControllerSession(ws);
      this.all.add(s);
      void s.closed.then(() => this.all.delete(s));
      this.latest = s;
      this.sessions.push(s);
    });
    server.on('tlsClientError', (e: NodeJS.ErrnoException, socket: TLSSocket) => {
      const why = socket.authorizationError as unknown;
      const f: TlsFailure = {
        error: e,
        ...(why !== null && why !== undefined && { authorizationError: typeof why === 'string' ? why : String((why as Error).message) }),
      };
      this.tlsErrors.push(f);
      this.tlsErrorInbox.push(f);
    });
  }

  static async start(o: WsControllerServerOptions): Promise<WsControllerServer> {
    const server: HttpServer = o.tls
      ? createHttpsServer({ ...tlsOptions(o.tls), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' })
      : createHttpServer();
    const path = o.path ?? '/usp';
    const wss = new WebSocketServer({
      server,
      path,
      perMessageDeflate: false,
      handleProtocols: (offered) => (o.answerSubprotocol !== false && offered.has('v1.usp') ? 'v1.usp' : false),
    });
    const c = new WsControllerServer(server, wss, o);
    wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const offered = /bbf-usp-protocol/i.test(String(req.headers['sec-websocket-extensions'] ?? ''));
      const mode = o.echoExtension ?? 'offered';
      if (mode === 'always' || (mode === 'offered' && offered)) headers.push(`Sec-WebSocket-Extensions: bbf-usp-protocol; eid="${o.controllerEndpointId}"`);
      const raw = /[?&]eid=([^&]*)/.exec(req.url ?? '')?.[1];
      c.handshakes.push({
        url: req.url ?? '',
        headers: req.headers,
        eid: raw === undefined ? undefined : decodeURIComponent(raw),
        certEndpointIds: req.socket instanceof TLSSocket ? uspEids(req.socket.getPeerX509Certificate()?.subjectAltName) : [],
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    c.listenPort = (server.address() as AddressInfo).port;
    return c;
  }

  /** The listening port (still known after close(), to restart on it). */
  get port(): number {
    return this.listenPort;
  }

  get path(): string {
    return this.opts.path ?? '/usp';
  }

  /** The next session the agent opens. */
  nextSession(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<WsControllerSession> {
    return this.sessions.next(timeoutMs, 'WebSocket session from the agent');
  }

  /** The next TLS handshake failure on the server side. */
  nextTlsError(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<TlsFailure> {
    return this.tlsErrorInbox.next(timeoutMs, 'TLS client error');
  }

  /** Open sessions right now. */
  get openSessions(): number {
    return [...this.all].filter((s) => s.open).length;
  }

  send(bytes: Uint8Array): Promise<void> {
    if (!this.latest?.open) return Promise.reject(new Error('no open session with the agent'));
    return this.latest.send(bytes);
  }

  nextRecord(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Uint8Array> {
    if (!this.latest) return Promise.reject(new Error('no session with the agent'));
    return this.latest.nextRecord(timeoutMs);
  }

  /** Closes every session with 1001 (close handshake) and stops listening; idempotent. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.all].map((s) => s.close(1001, 'controller shutting down')));
    await this.shutdown();
  }

  /** Drops every connection without a close frame and stops listening (a crash). */
  async kill(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.all) s.kill();
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Starts a controller that the agent's client MTP connects to (R-WS.5). */
export function startWsControllerServer(o: WsControllerServerOptions): Promise<WsControllerServer> {
  return WsControllerServer.start(o);
}
