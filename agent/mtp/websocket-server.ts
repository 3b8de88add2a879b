/**
 * WebSocket MTP, server side (TR-369 R-WS.6): the agent accepts sessions from controllers
 * (`Device.LocalAgent.MTP.{i}.WebSocket`), one per controller (R-WS.4). It moves bytes only
 * (STYLE §2.3); the record layer sends a WebSocketConnectRecord on each per-controller 'up'.
 */
import { createServer as createHttpServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import type { RawData } from 'ws';
import { SILENT_LOGGER } from '../log.js';
import type { Logger } from '../log.js';
import type { InboundRecord, Mtp, MtpAddress, MtpStatus } from './mtp.js';
import { MtpError } from './mtp.js';
import { describeTlsError, endpointIdOf } from './tls.js';
import type { TlsMaterial } from './tls.js';
import { extensionHeader, offersUspExtension, recordBytes, startKeepAlive, WS_CLOSE, WS_SUBPROTOCOL } from './websocket-common.js';

export interface WsServerConfig {
  /** Stable id for logs, e.g. `ws-server:Device.LocalAgent.MTP.2.`. */
  readonly id: string;
  /** Interface to listen on; default 127.0.0.1 (LocalAgent.MTP.{i}.WebSocket.Interfaces). */
  readonly host?: string;
  /** LocalAgent.MTP.{i}.WebSocket.Port; 0 picks a free port (read it from {@link WebSocketServerMtp.port}). */
  readonly port: number;
  /** LocalAgent.MTP.{i}.WebSocket.Path, e.g. `/usp`. */
  readonly path: string;
  /** LocalAgent.MTP.{i}.WebSocket.EnableEncryption: https with a required, verified client certificate. */
  readonly encryption: boolean;
  readonly agentEndpointId: string;
  /** LocalAgent.MTP.{i}.WebSocket.KeepAliveInterval, seconds (0 = no pings). */
  readonly keepAliveS: number;
  /** Required when `encryption`. */
  readonly tls?: TlsMaterial;
  /**
   * Lab mode: accept a controller that proves no identity (plain ws, or a certificate without
   * a `urn:bbf:usp:id:` SAN) and take its Endpoint ID from the `eid` query parameter. Default false.
   */
  readonly allowUnauthenticated?: boolean;
  readonly logger?: Logger;
}

interface Session {
  readonly ws: WebSocket;
  readonly endpointId: string;
  /** True when the Endpoint ID comes from a verified certificate. */
  readonly authenticated: boolean;
  stopKeepAlive: () => void;
}

/** Why a handshake was refused: an HTTP status for the controller, a code for our logs. */
class Refusal extends MtpError {
  constructor(
    readonly status: number,
    code: string,
    detail: string,
  ) {
    super(code, detail);
  }
}

/**
 * Accepts controller sessions.
 *
 * - Handshake (R-WS.12a): the request must offer subprotocol `v1.usp` (else HTTP 400,
 *   MTP_WS_NO_SUBPROTOCOL) on `path` (else 404); the reply names `v1.usp` (R-WS.11) and echoes
 *   `bbf-usp-protocol; eid="<agent EID>"` when the controller offered the extension (R-WS.11a).
 * - Identity: with encryption the TLS layer requires a client certificate chaining to `tls.ca`
 *   (R-MTP.1; failures are logged as MTP-WSS-W01 with their code). The controller is the
 *   certificate's `urn:bbf:usp:id:` SAN (R-SEC.0a); an `eid` query value that disagrees is
 *   refused (403, MTP_WS_EID_MISMATCH). Without a URN the `eid` query value is used only when
 *   `allowUnauthenticated` (else 403/401, MTP_WS_UNAUTHENTICATED); then records carry no
 *   `peerEndpointId`.
 * - One session per controller (R-WS.4): a new one closes the older with 1008.
 * - Binary frames only (R-WS.14); text or empty messages close with 1003 (R-WS.16), as does
 *   {@link closeBadRecord}. Ping every `keepAliveS` (R-WS.17/18).
 * - Status: `{state:'up'}` once listening (no peerEndpointId), then `up`/`down` with
 *   `peerEndpointId` per controller session. `stop()` closes every session with 1001 (R-WS.8).
 */
export class WebSocketServerMtp implements Mtp {
  readonly protocol = 'WebSocket' as const;
  readonly id: string;
  private readonly log: Logger;
  private readonly recordHandlers: ((rec: InboundRecord) => void)[] = [];
  private readonly statusHandlers: ((status: MtpStatus) => void)[] = [];
  private readonly sessions = new Map<string, Session>();
  private server: HttpServer | undefined;
  private starting: Promise<void> | undefined;
  private wss: WebSocketServer | undefined;

  constructor(private readonly cfg: WsServerConfig) {
    this.id = cfg.id;
    this.log = cfg.logger ?? SILENT_LOGGER;
    if (cfg.encryption && !cfg.tls) throw new MtpError('MTP_CONFIG', `${cfg.id}: encryption needs TLS material (certificate, key, CA)`);
  }

  /** The port listened on (the real one when configured as 0). Throws before start(). */
  get port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new MtpError('MTP_NOT_STARTED', `${this.id} is not listening`);
    return addr.port;
  }

  /** Endpoint IDs of the controllers with an open session. */
  get controllers(): string[] {
    return [...this.sessions.keys()];
  }

  /** Listens; rejects with MTP_LISTEN_FAILED when the address cannot be bound (a configuration problem, not a network one). */
  start(): Promise<void> {
    this.starting ??= this.listen().catch((e: unknown) => {
      this.starting = undefined;
      const err = e instanceof MtpError ? e : new MtpError('MTP_LISTEN_FAILED', String(e), { cause: e });
      this.emit({ state: 'error', code: err.code, detail: err.message });
      throw err;
    });
    return this.starting;
  }

  private async listen(): Promise<void> {
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    wss.on('headers', (headers: string[], req: IncomingMessage) => {
      if (offersUspExtension(req.headers['sec-websocket-extensions'])) headers.push(`Sec-WebSocket-Extensions: ${extensionHeader(this.cfg.agentEndpointId)}`);
    });
    let server: HttpServer;
    if (this.cfg.encryption && this.cfg.tls) {
      const { cert, key, ca, minVersion } = this.cfg.tls;
      const https = createHttpsServer({ cert, key, ca, minVersion, requestCert: true, rejectUnauthorized: true });
      https.on('tlsClientError', (err, socket) => {
        const { code, detail } = describeClientTlsError(err, socket.authorizationError);
        this.log.warn('MTP-WSS-W01', `${this.id}: refused a TLS client: ${code}: ${detail}`);
      });
      server = https;
    } else {
      server = createHttpServer();
    }
    server.on('request', (_req, res) => {
      res
        .writeHead(426, { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': WS_SUBPROTOCOL, 'Content-Type': 'text/plain' })
        .end('USP WebSocket endpoint: upgrade with subprotocol v1.usp\n');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(wss, req, socket, head));
    const host = this.cfg.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void =>
        reject(new MtpError('MTP_LISTEN_FAILED', `${this.id}: cannot listen on ${host}:${this.cfg.port}: ${e.message}`, { cause: e }));
      server.once('error', failed);
      server.listen(this.cfg.port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    server.on('error', (e) => this.log.error('MTP-WSS-E01', `${this.id}: server error`, e));
    this.server = server;
    this.wss = wss;
    this.log.info('MTP-WSS-I01', `${this.id}: listening on ${this.cfg.encryption ? 'wss' : 'ws'}://${host}:${this.port}${this.cfg.path}`);
    this.emit({ state: 'up', detail: `listening on port ${this.port}` });
  }

  async send(bytes: Uint8Array, to: MtpAddress): Promise<void> {
    if (to.kind !== 'websocket') throw new MtpError('MTP_BAD_ADDRESS', `${this.id} cannot send to ${JSON.stringify(to)}`);
    const s = this.sessions.get(to.endpointId);
    if (!s || s.ws.readyState !== WebSocket.OPEN) throw new MtpError('MTP_NO_SESSION', `${this.id}: no open session with ${to.endpointId}`);
    await new Promise<void>((resolve, reject) =>
      s.ws.send(bytes, { binary: true }, (err) => (err ? reject(new MtpError('MTP_SEND_FAILED', `${this.id}: ${err.message}`, { cause: err })) : resolve())),
    );
  }

  /** Closes the controller's session with 1003 because a message held no usable Record (R-WS.16). */
  closeBadRecord(endpointId: string, reason = 'cannot extract a USP Record'): void {
    const s = this.sessions.get(endpointId);
    if (s?.ws.readyState === WebSocket.OPEN) s.ws.close(WS_CLOSE.unsupportedData, reason);
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.starting = undefined;
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => closeGracefully(s, WS_CLOSE.goingAway, 'agent stopping')));
    for (const s of sessions) this.emit({ state: 'down', peerEndpointId: s.endpointId, detail: 'stopped' });
    this.wss?.close();
    this.wss = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.emit({ state: 'down', detail: 'stopped' });
  }

  onRecord(handler: (rec: InboundRecord) => void): void {
    this.recordHandlers.push(handler);
  }

  onStatus(handler: (status: MtpStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let who: { endpointId: string; authenticated: boolean };
    try {
      who = this.admit(req);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.log.warn('MTP-WSS-W02', `${this.id}: refused a handshake from ${req.socket.remoteAddress ?? '?'}: ${e.code}: ${e.message}`);
      refuse(socket, e.status, e.message);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, who.endpointId, who.authenticated));
  }

  /** Checks path, subprotocol and identity; throws a Refusal. */
  private admit(req: IncomingMessage): { endpointId: string; authenticated: boolean } {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (url.pathname !== this.cfg.path) throw new Refusal(404, 'MTP_WS_BAD_PATH', `no USP endpoint at ${url.pathname}`);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(WS_SUBPROTOCOL)) throw new Refusal(400, 'MTP_WS_NO_SUBPROTOCOL', `Sec-WebSocket-Protocol must offer ${WS_SUBPROTOCOL} (R-WS.12a)`);
    const queryEid = eidParam(url.search);
    const certEid = req.socket instanceof TLSSocket ? endpointIdOf(req.socket.getPeerX509Certificate()) : undefined;
    if (certEid !== undefined) {
      if (queryEid !== undefined && queryEid !== certEid)
        throw new Refusal(403, 'MTP_WS_EID_MISMATCH', `eid=${queryEid} but the client certificate is ${certEid}`);
      return { endpointId: certEid, authenticated: true };
    }
    const why = req.socket instanceof TLSSocket ? 'the client certificate has no urn:bbf:usp:id: SAN' : 'plain ws proves no identity';
    if (!this.cfg.allowUnauthenticated)
      throw new Refusal(req.socket instanceof TLSSocket ? 403 : 401, 'MTP_WS_UNAUTHENTICATED', `${why} and unauthenticated controllers are not allowed`);
    if (queryEid === undefined || queryEid === '') throw new Refusal(400, 'MTP_WS_NO_EID', `${why} and the request has no eid query parameter (R-WS.10b)`);
    return { endpointId: queryEid, authenticated: false };
  }

  private accept(ws: WebSocket, endpointId: string, authenticated: boolean): void {
    const session: Session = { ws, endpointId, authenticated, stopKeepAlive: () => undefined };
    const older = this.sessions.get(endpointId);
    this.sessions.set(endpointId, session);
    if (older) {
      this.log.info('MTP-WSS-I03', `${this.id}: ${endpointId} opened a new session; closing the older one (R-WS.4)`);
      older.stopKeepAlive();
      void closeGracefully(older, WS_CLOSE.policy, 'superseded by a newer session (R-WS.4)');
    }
    session.stopKeepAlive = startKeepAlive(ws, this.cfg.keepAliveS, () => {
      this.log.warn('MTP-WSS-W04', `${this.id}: ${endpointId} does not answer Pings; dropping the session`);
      ws.terminate();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.received(session, data, isBinary));
    ws.on('error', (e) => this.log.warn('MTP-WSS-W03', `${this.id}: session with ${endpointId}: ${e.message}`));
    ws.on('close', (code, reason) => {
      session.stopKeepAlive();
      if (this.sessions.get(endpointId) !== session) return; // superseded or stopping: no 'down' for the current session
      this.sessions.delete(endpointId);
      this.emit({
        state: 'down',
        peerEndpointId: endpointId,
        code: 'MTP_WS_CLOSED',
        detail: `session closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`,
      });
    });
    this.log.info('MTP-WSS-I02', `${this.id}: session open with ${endpointId}${authenticated ? '' : ' (unauthenticated, from eid=)'}`);
    this.emit({ state: 'up', peerEndpointId: endpointId });
  }

  private received(s: Session, data: RawData, isBinary: boolean): void {
    if (this.sessions.get(s.endpointId) !== s) return;
    const bytes = recordBytes(data, isBinary);
    if (!bytes) {
      this.log.warn('MTP-WSS-W05', `${this.id}: ${isBinary ? 'empty message' : 'text frame'} from ${s.endpointId}; closing with 1003 (R-WS.16)`);
      s.ws.close(WS_CLOSE.unsupportedData, isBinary ? 'empty message' : 'text frames are not allowed');
      return;
    }
    const rec: InboundRecord = {
      bytes,
      replyTo: { kind: 'websocket', endpointId: s.endpointId },
      ...(s.authenticated && { peerEndpointId: s.endpointId }),
    };
    for (const h of this.recordHandlers) {
      try {
        h(rec);
      } catch (e) {
        this.log.error('MTP-WSS-E02', `${this.id}: a record handler threw`, e);
      }
    }
  }

  private emit(status: MtpStatus): void {
    for (const h of this.statusHandlers) {
      try {
        h(status);
      } catch (e) {
        this.log.error('MTP-WSS-E03', `${this.id}: a status handler threw`, e);
      }
    }
  }
}

/** The `eid` query value, percent-decoded (R-WS.10b/c); `+` stays a plus sign. */
function eidParam(search: string): string | undefined {
  for (const pair of search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) !== 'eid') continue;
    try {
      return decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1));
    } catch {
      return undefined; // malformed %-escape: treated as no eid
    }
  }
  return undefined;
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}

/** Runs the close handshake (R-WS.8), giving up after 5 s. */
async function closeGracefully(s: Session, code: number, reason: string): Promise<void> {
  s.stopKeepAlive();
  if (s.ws.readyState === WebSocket.CLOSED) return;
  const closed = new Promise<void>((resolve) => s.ws.once('close', () => resolve()));
  if (s.ws.readyState === WebSocket.OPEN) s.ws.close(code, reason);
  const guard = setTimeout(() => s.ws.terminate(), 5000);
  await closed;
  clearTimeout(guard);
}

/**
 * Server-side TLS handshake failures. Node drops a client whose certificate fails verification
 * without an alert (the client sees ECONNRESET); the reason is on the socket's
 * `authorizationError` (a verify code such as CERT_HAS_EXPIRED), so the log can name it.
 */
function describeClientTlsError(e: unknown, authorizationError: unknown): { code: string; detail: string } {
  const verify = typeof authorizationError === 'string' ? authorizationError : (authorizationError as { code?: string } | null | undefined)?.code;
  if (verify) {
    const d = describeTlsError({ code: verify, message: verify });
    return { code: d.code, detail: `client certificate refused: ${d.detail}${d.detail.includes(verify) ? '' : ` (${verify})`}` };
  }
  const c = (e as NodeJS.ErrnoException).code ?? '';
  if (c.includes('PEER_DID_NOT_RETURN_A_CERTIFICATE')) return { code: 'MTP_TLS_NO_PEER_CERT', detail: 'the client sent no certificate (R-MTP.1)' };
  return describeTlsError(e);
}
