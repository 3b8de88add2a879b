/**
 * WebSocket MTP, client side (TR-369 R-WS.5): the agent originates and keeps one session to one
 * controller (`Device.LocalAgent.Controller.{i}.MTP.{i}.WebSocket`), reconnecting with the
 * R-WS.19 back-off. It moves bytes only (STYLE §2.3); the record layer sends the
 * WebSocketConnectRecord when it sees status 'up' with the controller's Endpoint ID.
 */
import { checkServerIdentity } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import { WebSocket } from 'ws';
import type { ClientOptions, RawData } from 'ws';
import { SILENT_LOGGER } from '../log.js';
import type { Logger } from '../log.js';
import type { InboundRecord, Mtp, MtpAddress, MtpStatus } from './mtp.js';
import { MtpError } from './mtp.js';
import { Backoff } from './retry.js';
import type { BackoffParams } from './retry.js';
import { endpointIdsFromSan } from './tls.js';
import type { TlsMaterial } from './tls.js';
import {
  describeWsError,
  eidQueryValue,
  extensionHeader,
  recordBytes,
  startKeepAlive,
  takeUspExtension,
  WS_CLOSE,
  WS_SUBPROTOCOL,
} from './websocket-common.js';

export interface WsClientConfig {
  /** Stable id for logs, e.g. `ws-client:Device.LocalAgent.Controller.1.MTP.1.`. */
  readonly id: string;
  /** The controller this session is for (Device.LocalAgent.Controller.{i}.EndpointID). */
  readonly controllerEndpointId: string;
  /** Controller.{i}.MTP.{i}.WebSocket.Host / Port / Path. */
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Controller.{i}.MTP.{i}.WebSocket.EnableEncryption: wss with mutual TLS. */
  readonly encryption: boolean;
  readonly agentEndpointId: string;
  /** Controller.{i}.MTP.{i}.WebSocket.KeepAliveInterval, seconds (0 = no pings). */
  readonly keepAliveS: number;
  /** Required when `encryption`. */
  readonly tls?: TlsMaterial;
  /** TLS SNI and the name the server certificate must match when it has no USP URN; default `host`. */
  readonly serverName?: string;
  /** Controller.{i}.MTP.{i}.WebSocket.SessionRetryMinimumWaitInterval / SessionRetryIntervalMultiplier. */
  readonly retry: BackoffParams;
  /** Also offer `Sec-WebSocket-Extensions: bbf-usp-protocol; eid="…"` (R-WS.10a, deprecated since USP 1.3). Default false. */
  readonly offerEidExtension?: boolean;
  /** Opening handshake timeout (TCP + TLS + HTTP upgrade) in ms; default 30 000. */
  readonly handshakeTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * One agent-originated WebSocket session with one controller.
 *
 * - URL `ws(s)://host:port/path?eid=<agent EID>` (R-WS.10b/c), subprotocol `v1.usp` required in
 *   the response (R-WS.10, R-WS.12), no permessage-deflate.
 * - TLS (R-WS.22, R-SEC.0a): the chain must verify against `tls.ca`; then a server certificate
 *   that carries `urn:bbf:usp:id:` SANs must name this controller (else MTP_TLS_PEER_MISMATCH),
 *   and one without them must be valid for `serverName ?? host` (RFC 6125, wildcards allowed,
 *   R-WS.24; else MTP_TLS_HOSTNAME). Inbound records then carry `peerEndpointId` = the
 *   controller's EID, so the router drops records with another from_id; on plain ws nothing is
 *   authenticated and `peerEndpointId` is left undefined.
 * - Binary frames only (R-WS.14); a text frame or an empty message closes with 1003 (R-WS.16),
 *   and so does {@link closeBadRecord}, which the record layer calls when it cannot decode a Record.
 * - Ping every `keepAliveS` (R-WS.17/18); three silent intervals end the session.
 * - Any close or failure schedules a reconnect with {@link Backoff}; the count resets once a
 *   session is open (R-WS.19–21). `stop()` runs the close handshake with 1000 (R-WS.8).
 */
export class WebSocketClientMtp implements Mtp {
  readonly protocol = 'WebSocket' as const;
  readonly id: string;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly recordHandlers: ((rec: InboundRecord) => void)[] = [];
  private readonly statusHandlers: ((status: MtpStatus) => void)[] = [];
  private ws: WebSocket | undefined;
  private running = false;
  private lastError: { code: string; detail: string } | undefined;
  private stopKeepAlive: () => void = () => undefined;
  private serverExtensionEid: string | undefined;

  constructor(private readonly cfg: WsClientConfig) {
    this.id = cfg.id;
    this.log = cfg.logger ?? SILENT_LOGGER;
    this.backoff = new Backoff(cfg.retry);
    if (cfg.encryption && !cfg.tls) throw new MtpError('MTP_CONFIG', `${cfg.id}: encryption needs TLS material (certificate, key, CA)`);
  }

  /** The URL this MTP connects to. */
  get url(): string {
    const path = this.cfg.path.startsWith('/') ? this.cfg.path : `/${this.cfg.path}`;
    const host = this.cfg.host.includes(':') && !this.cfg.host.startsWith('[') ? `[${this.cfg.host}]` : this.cfg.host;
    const sep = path.includes('?') ? '&' : '?';
    return `${this.cfg.encryption ? 'wss' : 'ws'}://${host}:${this.cfg.port}${path}${sep}eid=${eidQueryValue(this.cfg.agentEndpointId)}`;
  }

  /** Failed attempts since the last open session (R-WS.19/20). */
  get attempts(): number {
    return this.backoff.attempts;
  }

  /** True while a session is open. */
  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** The `eid` the server echoed in `bbf-usp-protocol` (R-WS.11a), if it did. */
  get serverEndpointId(): string | undefined {
    return this.serverExtensionEid;
  }

  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.backoff.reset(); // R-WS.21: a (re)start counts like a reboot
      this.connect();
    }
    return Promise.resolve();
  }

  async send(bytes: Uint8Array, to: MtpAddress): Promise<void> {
    if (to.kind !== 'websocket' || to.endpointId !== this.cfg.controllerEndpointId) {
      throw new MtpError('MTP_BAD_ADDRESS', `${this.id} only reaches ${this.cfg.controllerEndpointId}, not ${JSON.stringify(to)}`);
    }
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new MtpError('MTP_NO_SESSION', `${this.id}: no open session with ${to.endpointId}`);
    // One binary frame per Record: ws never fragments a message it sends (R-WS.14/14a).
    await new Promise<void>((resolve, reject) =>
      ws.send(bytes, { binary: true }, (err) => (err ? reject(new MtpError('MTP_SEND_FAILED', `${this.id}: ${err.message}`, { cause: err })) : resolve())),
    );
  }

  /** Closes the session with 1003 because a received message held no usable Record (R-WS.16); a reconnect follows. */
  closeBadRecord(endpointId: string, reason = 'cannot extract a USP Record'): void {
    if (endpointId !== this.cfg.controllerEndpointId) return;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.close(WS_CLOSE.unsupportedData, reason);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.backoff.cancel();
    this.stopKeepAlive();
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.close(WS_CLOSE.normal, 'agent stopping'); // R-WS.8 close handshake
      const guard = setTimeout(() => ws.terminate(), 5000);
      await closed;
      clearTimeout(guard);
    }
    this.emit({ state: 'down', peerEndpointId: this.cfg.controllerEndpointId, detail: 'stopped' });
  }

  onRecord(handler: (rec: InboundRecord) => void): void {
    this.recordHandlers.push(handler);
  }

  onStatus(handler: (status: MtpStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  private connect(): void {
    if (!this.running) return;
    this.lastError = undefined;
    this.serverExtensionEid = undefined;
    this.emit({ state: 'connecting', peerEndpointId: this.cfg.controllerEndpointId, detail: `connecting to ${this.url}` });
    const opts: ClientOptions = {
      perMessageDeflate: false,
      handshakeTimeout: this.cfg.handshakeTimeoutMs ?? 30_000,
      headers: this.cfg.offerEidExtension ? { 'Sec-WebSocket-Extensions': extensionHeader(this.cfg.agentEndpointId) } : {},
    };
    if (this.cfg.encryption && this.cfg.tls) {
      const { cert, key, ca, minVersion } = this.cfg.tls;
      // ws hands these to tls.connect (its ClientOptions type lists only some of them).
      Object.assign(opts, {
        cert,
        key,
        ca,
        minVersion,
        rejectUnauthorized: true,
        checkServerIdentity: (host: string, peer: PeerCertificate) => this.checkServer(host, peer),
      });
      if (this.cfg.serverName !== undefined) Object.assign(opts, { servername: this.cfg.serverName });
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, [WS_SUBPROTOCOL], opts);
    } catch (e) {
      this.lastError = describeWsError(e);
      this.retry();
      return;
    }
    this.ws = ws;
    ws.on('upgrade', (res) => {
      this.serverExtensionEid = takeUspExtension(res.headers); // R-WS.11b: echoed or not, never an error
    });
    ws.on('open', () => this.opened(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => this.received(ws, data, isBinary));
    ws.on('error', (e) => {
      if (ws !== this.ws) return; // stop() already let go of it
      this.lastError = describeWsError(e);
      this.log.warn('MTP-WSC-W01', `${this.id}: ${this.lastError.code}: ${this.lastError.detail}`);
    });
    ws.on('close', (code, reason) => this.closed(ws, code, reason.toString()));
  }

  /** R-WS.22 / R-SEC.0a: see the class comment. Runs after the chain has verified. */
  private checkServer(host: string, peer: PeerCertificate): Error | undefined {
    const eids = endpointIdsFromSan(peer.subjectaltname);
    if (eids.length === 0) return checkServerIdentity(host, peer);
    if (eids.includes(this.cfg.controllerEndpointId)) return undefined;
    return new MtpError(
      'MTP_TLS_PEER_MISMATCH',
      `the server certificate belongs to ${eids.join(', ')}, not to the controller ${this.cfg.controllerEndpointId}`,
    );
  }

  private opened(ws: WebSocket): void {
    if (ws !== this.ws) return;
    if (ws.protocol !== WS_SUBPROTOCOL) {
      // ws already refuses this (R-WS.12); kept so the rule never depends on a library default.
      this.lastError = { code: 'MTP_WS_NO_SUBPROTOCOL', detail: `the server chose subprotocol '${ws.protocol}'` };
      ws.terminate();
      return;
    }
    this.backoff.reset(); // R-WS.20
    this.stopKeepAlive = startKeepAlive(ws, this.cfg.keepAliveS, () => {
      this.lastError = { code: 'MTP_KEEPALIVE_TIMEOUT', detail: 'no answer to Ping' };
      ws.terminate();
    });
    this.log.info('MTP-WSC-I01', `${this.id}: session open with ${this.cfg.controllerEndpointId} at ${this.url}`);
    this.emit({ state: 'up', peerEndpointId: this.cfg.controllerEndpointId });
  }

  private received(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.ws) return;
    const bytes = recordBytes(data, isBinary);
    if (!bytes) {
      this.log.warn(
        'MTP-WSC-W02',
        `${this.id}: ${isBinary ? 'empty message' : 'text frame'} from ${this.cfg.controllerEndpointId}; closing with 1003 (R-WS.16)`,
      );
      ws.close(WS_CLOSE.unsupportedData, isBinary ? 'empty message' : 'text frames are not allowed');
      return;
    }
    const rec: InboundRecord = {
      bytes,
      replyTo: { kind: 'websocket', endpointId: this.cfg.controllerEndpointId },
      ...(this.cfg.encryption && { peerEndpointId: this.cfg.controllerEndpointId }),
    };
    for (const h of this.recordHandlers) {
      try {
        h(rec);
      } catch (e) {
        this.log.error('MTP-WSC-E02', `${this.id}: a record handler threw`, e);
      }
    }
  }

  private closed(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.stopKeepAlive();
    this.stopKeepAlive = () => undefined;
    this.ws = undefined;
    if (!this.running) return;
    this.lastError ??= { code: 'MTP_WS_CLOSED', detail: `the session closed (${code}${reason ? ` ${reason}` : ''})` };
    this.retry();
  }

  private retry(): void {
    if (!this.running) return;
    const err = this.lastError ?? { code: 'MTP_ERROR', detail: 'unknown failure' };
    const ms = this.backoff.schedule(() => this.connect());
    const detail = `${err.detail}; retry #${this.backoff.attempts} in ${ms} ms`;
    this.log.warn('MTP-WSC-W03', `${this.id}: ${err.code}: ${detail}`);
    this.emit({ state: 'error', code: err.code, detail, peerEndpointId: this.cfg.controllerEndpointId });
  }

  private emit(status: MtpStatus): void {
    for (const h of this.statusHandlers) {
      try {
        h(status);
      } catch (e) {
        this.log.error('MTP-WSC-E01', `${this.id}: a status handler threw`, e);
      }
    }
  }
}
