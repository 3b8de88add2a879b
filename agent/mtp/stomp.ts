/**
 * The STOMP MTP (TR-369 §STOMP Binding): one connection to a STOMP 1.2 broker
 * (Device.STOMP.Connection.{i}), one subscription to the agent's destination
 * (Device.LocalAgent.MTP.{i}.STOMP), binary USP Records in SEND/MESSAGE frames.
 * Frames go through @stomp/stompjs over our own socket (stomp-socket.ts); reconnects are
 * ours (TR-369 back-off, R-STOMP.25), stompjs' own reconnect is off.
 */
import { Client, Versions } from '@stomp/stompjs';
import type { IFrame, IMessage, StompHeaders } from '@stomp/stompjs';
import { SILENT_LOGGER } from '../log.js';
import type { Logger } from '../log.js';
import { MtpError } from './mtp.js';
import type { InboundRecord, Mtp, MtpAddress, MtpStatus } from './mtp.js';
import { Backoff } from './retry.js';
import type { BackoffParams } from './retry.js';
import { StompSocket } from './stomp-socket.js';
import { describeTlsError } from './tls.js';
import type { TlsMaterial } from './tls.js';

/** TR-369 §STOMP Binding: the Content-Type of every SEND carrying a USP Record (R-STOMP.20). */
export const USP_CONTENT_TYPE = 'application/vnd.bbf.usp.msg';

export interface StompMtpConfig {
  /** Stable id for logs, e.g. `stomp:Device.LocalAgent.MTP.2.`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Device.STOMP.Connection.{i}.VirtualHost, sent as the `host` header (R-STOMP.5); omitted when empty. */
  readonly virtualHost: string;
  /** `login`/`passcode` (R-STOMP.3); leave both out when the broker authenticates our TLS client certificate. */
  readonly username?: string;
  readonly password?: string;
  /** Our Endpoint ID, sent as `endpoint-id` with `:` escaped as `\c` (R-STOMP.4). */
  readonly agentEndpointId: string;
  /** Device.LocalAgent.MTP.{i}.STOMP.Destination: used when CONNECTED has no `subscribe-dest` (R-STOMP.15). */
  readonly destination: string;
  /** Device.STOMP.Connection.{i}.EnableHeartbeats + Outgoing/IncomingHeartbeat; absent → `heart-beat:0,0` (R-STOMP.8–11). */
  readonly heartbeat?: { readonly outgoingMs: number; readonly incomingMs: number };
  /** Mutual TLS (R-STOMP.36); plain TCP when absent. */
  readonly tls?: TlsMaterial;
  /** TLS server name to verify (and SNI); defaults to `host` unless it is an IP address. */
  readonly serverName?: string;
  /** ServerRetryInitialInterval, ServerRetryIntervalMultiplier, ServerRetryMaxInterval (R-STOMP.25). */
  readonly retry: BackoffParams;
  /** Called with CONNECTED's `subscribe-dest`, for LocalAgent.MTP.{i}.STOMP.DestinationFromServer (R-STOMP.14). */
  readonly onDestinationFromServer?: (dest: string) => void;
  /** From socket open to subscribed (RECEIPT); default 30 s. */
  readonly connectTimeoutMs?: number;
}

export interface StompMtpDeps {
  readonly log?: Logger;
}

/** One connection attempt: its stompjs client and socket, and how far it got. */
interface Attempt {
  client: Client;
  socket: StompSocket | undefined;
  /** The destination subscribed to, once CONNECTED. */
  destination: string | undefined;
  up: boolean;
  /** Failed or closed on purpose: late callbacks of this attempt are ignored. */
  done: boolean;
  /** Why it ended, when known before the socket closes (heart-beat lost, timeout). */
  cause: { code: string; detail: string } | undefined;
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** How long stop() waits for the broker's RECEIPT of our DISCONNECT before dropping the socket. */
const DISCONNECT_TIMEOUT_MS = 2_000;

/** `\` `CR` `LF` `:` escaped as STOMP 1.2 header values; stompjs never escapes CONNECT/STOMP headers itself. */
export function escapeStompHeaderValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

export class StompMtp implements Mtp {
  readonly id: string;
  readonly protocol = 'STOMP' as const;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly recordHandlers: Array<(rec: InboundRecord) => void> = [];
  private readonly statusHandlers: Array<(status: MtpStatus) => void> = [];
  private attempt: Attempt | undefined;
  private running = false;
  private receipts = 0;

  constructor(
    private readonly config: StompMtpConfig,
    deps: StompMtpDeps = {},
  ) {
    for (const [name, v] of Object.entries({ virtualHost: config.virtualHost, username: config.username, password: config.password })) {
      if (v !== undefined && /[\r\n]/.test(v)) throw new MtpError('MTP_CONFIG', `${config.id}: ${name} must not contain CR or LF`);
    }
    this.id = config.id;
    this.log = deps.log ?? SILENT_LOGGER;
    this.backoff = new Backoff(config.retry);
  }

  onRecord(handler: (rec: InboundRecord) => void): void {
    this.recordHandlers.push(handler);
  }

  onStatus(handler: (status: MtpStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  /** Starts connecting; failures go to onStatus and the back-off, never to the caller. */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.connect();
    }
    return Promise.resolve();
  }

  /** SEND one Record (R-STOMP.18–22): binary body, content-type, content-length, our reply-to-dest. */
  send(bytes: Uint8Array, to: MtpAddress): Promise<void> {
    if (to.kind !== 'stomp' || to.destination === '') {
      return Promise.reject(new MtpError('MTP_BAD_ADDRESS', `${this.id}: cannot send to ${JSON.stringify(to)}`));
    }
    const a = this.attempt;
    if (!a?.up || a.done || a.destination === undefined) {
      return Promise.reject(new MtpError('MTP_NOT_CONNECTED', `${this.id}: not connected to the STOMP broker`));
    }
    try {
      a.client.publish({
        destination: to.destination,
        binaryBody: bytes,
        headers: { 'content-type': USP_CONTENT_TYPE, 'reply-to-dest': a.destination },
      });
    } catch (e) {
      return Promise.reject(new MtpError('MTP_NOT_CONNECTED', `${this.id}: the STOMP connection is closing`, { cause: e }));
    }
    return Promise.resolve();
  }

  /** Stops retrying and closes with DISCONNECT (waiting briefly for its RECEIPT). */
  async stop(): Promise<void> {
    this.running = false;
    this.backoff.reset();
    const a = this.attempt;
    this.attempt = undefined;
    if (a && !a.done) {
      a.done = true;
      clearTimeout(a.timer);
      await this.close(a, true);
    }
    this.emit({ state: 'down' });
  }

  private connect(): void {
    if (!this.running) return;
    const cfg = this.config;
    const client = new Client({
      webSocketFactory: () => {
        a.socket = new StompSocket({ host: cfg.host, port: cfg.port, tls: cfg.tls, serverName: cfg.serverName, openWith: 'STOMP' });
        return a.socket;
      },
      stompVersions: new Versions([Versions.V1_2]),
      connectHeaders: this.connectHeaders(),
      heartbeatOutgoing: cfg.heartbeat?.outgoingMs ?? 0,
      heartbeatIncoming: cfg.heartbeat?.incomingMs ?? 0,
      reconnectDelay: 0,
      // stompjs' debug output includes the passcode; we log our own events instead.
      debug: () => undefined,
      onConnect: (frame) => this.guard(() => this.onConnected(a, frame)),
      onStompError: (frame) => this.guard(() => this.fail(a, a.destination ? 'MTP_STOMP_ERROR' : 'MTP_STOMP_CONNECT_REJECTED', errorText(frame))),
      onWebSocketClose: () => this.guard(() => this.onClosed(a)),
      onHeartbeatLost: () => {
        a.cause ??= { code: 'MTP_HEARTBEAT_TIMEOUT', detail: 'no data or heart-beat from the broker in time' };
      },
      onUnhandledMessage: (msg) => this.log.debug('STOMP-D02', `${this.id}: MESSAGE for unknown subscription ${msg.headers.subscription ?? '?'} dropped`),
    });
    // The callbacks above run only after activate(), when `a` exists.
    const a: Attempt = { client, socket: undefined, destination: undefined, up: false, done: false, cause: undefined, timer: undefined };
    this.attempt = a;
    const timeoutMs = cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    a.timer = setTimeout(() => this.guard(() => this.fail(a, 'MTP_CONNECT_TIMEOUT', `not subscribed within ${timeoutMs} ms`)), timeoutMs);
    a.timer.unref();
    this.emit({ state: 'connecting' });
    this.log.debug('STOMP-D01', `${this.id}: connecting to ${cfg.host}:${cfg.port}${cfg.tls ? ' (TLS)' : ''}, attempt ${this.backoff.attempts + 1}`);
    a.client.activate();
  }

  /** STOMP frame headers (R-STOMP.2–5, 8–11); stompjs adds accept-version:1.2 and heart-beat. */
  private connectHeaders(): StompHeaders {
    const c = this.config;
    const h: StompHeaders = {};
    if (c.virtualHost !== '') h.host = c.virtualHost;
    if (c.username !== undefined) h.login = c.username;
    if (c.password !== undefined) h.passcode = c.password;
    h['endpoint-id'] = escapeStompHeaderValue(c.agentEndpointId);
    return h;
  }

  /** CONNECTED: pick the destination (R-STOMP.6/14–16), SUBSCRIBE with ack:auto (R-STOMP.12/13/17), 'up' on its RECEIPT. */
  private onConnected(a: Attempt, frame: IFrame): void {
    if (a.done) return;
    // CONNECTED header values are not escaped in STOMP 1.2, and stompjs leaves them as sent.
    const fromServer = frame.headers['subscribe-dest'];
    if (fromServer) this.guard(() => this.config.onDestinationFromServer?.(fromServer));
    const dest = fromServer || this.config.destination;
    if (!dest) {
      this.fail(a, 'MTP_STOMP_NO_DESTINATION', 'CONNECTED has no subscribe-dest and no destination is configured (R-STOMP.16)', true);
      return;
    }
    a.destination = dest;
    const receipt = `sub-${++this.receipts}`;
    a.client.watchForReceipt(receipt, () =>
      this.guard(() => {
        if (a.done) return;
        a.up = true;
        clearTimeout(a.timer);
        this.backoff.reset();
        this.log.info('STOMP-I01', `${this.id}: up, subscribed to ${dest}${fromServer ? ' (from the broker)' : ''}`);
        this.emit({ state: 'up', subscribedTo: dest });
      }),
    );
    a.client.subscribe(dest, (msg) => this.guard(() => this.onMessage(a, msg)), { ack: 'auto', receipt });
  }

  private onMessage(a: Attempt, msg: IMessage): void {
    if (a.done) return;
    const reply = msg.headers['reply-to-dest'];
    const rec: InboundRecord = { bytes: new Uint8Array(msg.binaryBody), replyTo: reply ? { kind: 'stomp', destination: reply } : undefined };
    for (const h of this.recordHandlers) {
      try {
        h(rec);
      } catch (e) {
        this.log.error('STOMP-E01', `${this.id}: record handler threw`, e);
      }
    }
  }

  private onClosed(a: Attempt): void {
    if (a.done) return;
    const err = a.socket?.lastError;
    const cause =
      a.cause ??
      (err
        ? describeTlsError(err)
        : a.up
          ? { code: 'MTP_CONNECTION_LOST', detail: 'the broker closed the connection' }
          : { code: 'MTP_CONNECTION_CLOSED', detail: 'the broker closed the connection before we were subscribed' });
    this.fail(a, cause.code, cause.detail);
  }

  /** Ends an attempt (once), reports 'error' and schedules the next one (R-STOMP.25). */
  private fail(a: Attempt, code: string, detail: string, disconnect = false): void {
    if (a.done) return;
    a.done = true;
    a.up = false;
    clearTimeout(a.timer);
    void this.close(a, disconnect);
    if (!this.running || this.attempt !== a) return;
    const ms = this.backoff.schedule(() => this.guard(() => this.connect()));
    this.log.warn('STOMP-W01', `${this.id}: ${code}: ${detail}; retry ${this.backoff.attempts} in ${ms} ms`);
    this.emit({ state: 'error', code, detail });
  }

  /** Closes an attempt's connection: DISCONNECT and wait for RECEIPT when graceful, else drop; never rejects. */
  private async close(a: Attempt, graceful: boolean): Promise<void> {
    const timer = setTimeout(() => a.socket?.destroy(), DISCONNECT_TIMEOUT_MS);
    timer.unref();
    try {
      await a.client.deactivate({ force: !(graceful && a.client.connected) });
    } catch (e) {
      this.log.warn('STOMP-W02', `${this.id}: closing the connection failed`, e);
    } finally {
      clearTimeout(timer);
    }
  }

  private emit(status: MtpStatus): void {
    for (const h of this.statusHandlers) {
      try {
        h(status);
      } catch (e) {
        this.log.error('STOMP-E02', `${this.id}: status handler threw`, e);
      }
    }
  }

  /** Runs a callback coming from stompjs or a timer: nothing thrown there may escape (STYLE §4). */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error('STOMP-E03', `${this.id}: internal error in an event handler`, e);
    }
  }
}

function errorText(frame: IFrame): string {
  const msg = frame.headers.message ?? 'ERROR frame';
  const body = frame.body.trim();
  return body && body !== msg ? `${msg}: ${body}` : msg;
}
