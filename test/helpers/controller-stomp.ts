/**
 * The controller side of the STOMP MTP for tests: a STOMP 1.2 client with its own certificate
 * (its SAN URI is its broker login), subscribed to its own destination. `send()` SENDs a Record
 * to the agent's destination the way a TR-369 controller does (content-type, reply-to-dest,
 * binary body, R-STOMP.18–22); received MESSAGE frames are kept with their headers.
 */
import { Client, Versions } from '@stomp/stompjs';
import { StompSocket } from '../../agent/mtp/stomp-socket.js';
import { USP_CONTENT_TYPE } from '../../agent/mtp/stomp.js';
import type { TlsMaterial } from '../../agent/mtp/tls.js';
import { Inbox } from './controller-transport.js';
import type { ControllerTransport } from './controller-transport.js';

export interface StompControllerOptions {
  readonly host: string;
  readonly port: number;
  /** Mutual TLS with the controller's certificate; plain TCP with login/passcode when absent. */
  readonly tls?: TlsMaterial;
  readonly login?: string;
  readonly passcode?: string;
  readonly virtualHost?: string;
  /** Where this controller subscribes (its reply-to-dest). */
  readonly destination: string;
  /** Where send() goes: the agent's destination. */
  readonly agentDestination: string;
  readonly connectTimeoutMs?: number;
}

/** One MESSAGE the controller received. */
export interface ReceivedMessage {
  readonly bytes: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export class StompController implements ControllerTransport {
  private readonly inbox = new Inbox<ReceivedMessage>();
  private closed = false;

  private constructor(
    private readonly client: Client,
    readonly opts: StompControllerOptions,
  ) {}

  /** Connects and subscribes; resolves once the broker confirmed the SUBSCRIBE (RECEIPT). */
  static async connect(opts: StompControllerOptions): Promise<StompController> {
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    let socket: StompSocket | undefined;
    let ctl: StompController | undefined;
    const client = new Client({
      webSocketFactory: () => (socket = new StompSocket({ host: opts.host, port: opts.port, tls: opts.tls, openWith: 'STOMP' })),
      stompVersions: new Versions([Versions.V1_2]),
      connectHeaders: {
        host: opts.virtualHost ?? '/',
        ...(opts.login !== undefined && { login: opts.login }),
        ...(opts.passcode !== undefined && { passcode: opts.passcode }),
      },
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      reconnectDelay: 0,
      debug: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`controller not subscribed within ${timeoutMs} ms`)), timeoutMs);
      function fail(e: Error): void {
        clearTimeout(timer);
        void client.deactivate({ force: true });
        reject(e);
      }
      client.onStompError = (f) => fail(new Error(`controller got ERROR: ${f.headers.message ?? ''} ${f.body}`));
      client.onWebSocketClose = () => fail(new Error(`controller connection closed: ${socket?.lastError?.message ?? 'by the broker'}`));
      client.onConnect = () => {
        ctl = new StompController(client, opts);
        const c = ctl;
        client.watchForReceipt('ctl-sub', () => {
          clearTimeout(timer);
          client.onWebSocketClose = () => undefined;
          resolve();
        });
        client.subscribe(opts.destination, (m) => c.inbox.push({ bytes: new Uint8Array(m.binaryBody), headers: { ...m.headers } }), {
          ack: 'auto',
          receipt: 'ctl-sub',
        });
      };
      client.activate();
    });
    if (!ctl) throw new Error('unreachable: connected without a controller');
    return ctl;
  }

  /** SENDs one Record to the agent's destination with our reply-to-dest. */
  send(bytes: Uint8Array): Promise<void> {
    return this.sendTo(this.opts.agentDestination, bytes);
  }

  /** SENDs to any destination; `headers` are added to (or replace) the USP ones. */
  sendTo(destination: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<void> {
    this.client.publish({ destination, binaryBody: bytes, headers: { 'content-type': USP_CONTENT_TYPE, 'reply-to-dest': this.opts.destination, ...headers } });
    return Promise.resolve();
  }

  nextRecord(timeoutMs = 5000): Promise<Uint8Array> {
    return this.inbox.next(timeoutMs, 'STOMP record').then((m) => m.bytes);
  }

  /** The next MESSAGE with its headers (content-type, reply-to-dest, destination, …). */
  nextMessage(timeoutMs = 5000): Promise<ReceivedMessage> {
    return this.inbox.next(timeoutMs, 'STOMP message');
  }

  /** DISCONNECT; drops the socket if the broker does not answer within 2 s. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timer = setTimeout(() => void this.client.deactivate({ force: true }), 2000);
    await this.client.deactivate();
    clearTimeout(timer);
  }
}
