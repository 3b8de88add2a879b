/**
 * The boundary every Message Transfer Protocol implements (TR-369 §Message Transfer
 * Protocols). An MTP moves bytes only (STYLE §2.3): it never decodes a Record, never looks at
 * the data model and never builds a USP message. The record layer (agent/record/) decides
 * what to send where; the MTP manager (agent/mtp/manager.ts) creates MTPs from the data model.
 */

/**
 * Where a reply or notification goes, as the MTP understands it. Opaque to everyone but the
 * MTP that produced it (or, for notifications, the manager that builds it from
 * Device.LocalAgent.Controller.{i}.MTP.{i}).
 */
export type MtpAddress =
  /** MQTT: the topic to publish to (a v5 Response Topic, a v3.1.1 reply-to, or Controller.{i}.MTP.{i}.MQTT.Topic). */
  | { readonly kind: 'mqtt'; readonly topic: string }
  /** STOMP: the destination to SEND to (the request's reply-to-dest, or Controller.{i}.MTP.{i}.STOMP.Destination). */
  | { readonly kind: 'stomp'; readonly destination: string }
  /** WebSocket: the open connection with this controller (client or server side). */
  | { readonly kind: 'websocket'; readonly endpointId: string };

/** One received Record, with what the MTP knows about where it came from. */
export interface InboundRecord {
  readonly bytes: Uint8Array;
  /** Where a response must go (same MTP, same connection, R-MSG.0a); undefined when the MTP has no return path. */
  readonly replyTo: MtpAddress | undefined;
  /**
   * Endpoint ID the transport authenticated, from the peer certificate's
   * `urn:bbf:usp:id:` SAN (WebSocket server side). Brokered MTPs leave it undefined: the
   * broker, not the controller, is the TLS peer.
   */
  readonly peerEndpointId?: string;
}

export type MtpState = 'down' | 'connecting' | 'up' | 'error';

export interface MtpStatus {
  readonly state: MtpState;
  /** Human-readable reason for 'error'/'down' (logged, and reflected in Status parameters). */
  readonly detail?: string;
  /** Stable code such as MTP_TLS_UNAUTHORIZED (see agent/mtp/README.md). */
  readonly code?: string;
  /**
   * For brokered MTPs once up: the exact topic/destination the agent subscribed to, which goes
   * into the MTP's connect record (R-MTP.6).
   */
  readonly subscribedTo?: string;
  /** WebSocket: the controller a connection was established with (connect record per controller). */
  readonly peerEndpointId?: string;
}

export interface Mtp {
  /** Stable id for logs, e.g. `mqtt:Device.LocalAgent.MTP.1.`. */
  readonly id: string;
  readonly protocol: 'MQTT' | 'STOMP' | 'WebSocket';
  /** Starts connecting (or listening); resolves once started, not once connected. Never rejects for network errors: those go to onStatus and retries. */
  start(): Promise<void>;
  /** Sends one Record. Rejects with MtpError when it cannot be handed to the transport. */
  send(bytes: Uint8Array, to: MtpAddress): Promise<void>;
  /** Closes connections (after sending `goodbye` bytes if given, e.g. a DisconnectRecord) and stops retrying. */
  stop(): Promise<void>;
  onRecord(handler: (rec: InboundRecord) => void): void;
  onStatus(handler: (status: MtpStatus) => void): void;
}

/** Transport failures: a stable string code plus a message. They drive reconnects and logs, never USP replies (STYLE §4). */
export class MtpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MtpError';
  }
}
