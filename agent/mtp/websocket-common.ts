/**
 * What the WebSocket client and server MTPs share (TR-369 §WebSocket Binding): the `v1.usp`
 * subprotocol, the `eid` query value, the `bbf-usp-protocol` extension header, frame-to-bytes
 * extraction (binary only, R-WS.14/16), the Ping keep-alive (R-WS.17/18) and error codes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { describeTlsError } from './tls.js';

/** R-WS.9: the only subprotocol a USP WebSocket session may use. */
export const WS_SUBPROTOCOL = 'v1.usp';
/** R-WS.10a/11a: the USP extension name in Sec-WebSocket-Extensions. */
export const WS_EXTENSION = 'bbf-usp-protocol';

/** RFC 6455 §7.4.1 status codes we send. */
export const WS_CLOSE = {
  /** Normal closure: the agent stops the MTP (R-WS.8). */
  normal: 1000,
  /** Going away: the server MTP shuts down (R-WS.8). */
  goingAway: 1001,
  /** Unsupported data: a text frame or a message without an extractable Record (R-WS.16). */
  unsupportedData: 1003,
  /** Policy violation: superseded by a newer session with the same controller (R-WS.4). */
  policy: 1008,
} as const;

/**
 * The `eid` query value (R-WS.10b/c): `%` becomes `%25`, and anything that would break the
 * query (`&`, `=`, `#`, spaces…) is percent-encoded too; `:` and the other Endpoint ID
 * characters (R-ARC.5) stay as they are, so `eid=os::00256D-123` reads as in the spec.
 */
export function eidQueryValue(endpointId: string): string {
  return endpointId.replace(/[^A-Za-z0-9\-._~:]/g, (c) => encodeURIComponent(c));
}

/** `bbf-usp-protocol; eid="<EID>"` (R-WS.11a). */
export function extensionHeader(endpointId: string): string {
  return `${WS_EXTENSION}; eid="${endpointId.replace(/["\\]/g, '')}"`;
}

/** Whether a Sec-WebSocket-Extensions value offers `bbf-usp-protocol`. */
export function offersUspExtension(header: string | string[] | undefined): boolean {
  return splitExtensions(header).some((e) => extensionName(e) === WS_EXTENSION);
}

/**
 * Removes `bbf-usp-protocol` from a handshake response's Sec-WebSocket-Extensions (ws rejects
 * any extension it did not negotiate itself; R-WS.11b says its presence or absence is never an
 * error) and returns the `eid` it carried. Other extensions are left for ws to judge.
 */
export function takeUspExtension(headers: IncomingHttpHeaders): string | undefined {
  const all = splitExtensions(headers['sec-websocket-extensions']);
  if (all.length === 0) return undefined;
  let eid: string | undefined;
  const rest = all.filter((e) => {
    if (extensionName(e) !== WS_EXTENSION) return true;
    eid ??= /(?:^|;)\s*eid\s*=\s*"?([^";]*)"?/.exec(e)?.[1];
    return false;
  });
  if (rest.length > 0) headers['sec-websocket-extensions'] = rest.join(', ');
  else delete headers['sec-websocket-extensions'];
  return eid;
}

function splitExtensions(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

function extensionName(ext: string): string {
  return (ext.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * The Record bytes of one received message, or undefined when none can be extracted: a text
 * frame or an empty message (R-WS.14, R-WS.16 → close 1003). ws has already reassembled
 * fragmented messages (R-WS.14b).
 */
export function recordBytes(data: RawData, isBinary: boolean): Uint8Array | undefined {
  if (!isBinary) return undefined;
  const buf = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  if (buf.byteLength === 0) return undefined;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Pings in a row with no sign of life (pong, ping or message) before the session is declared dead. */
export const KEEPALIVE_MAX_MISSED = 3;

/**
 * Sends a Ping every `intervalS` seconds (R-WS.17/18). ws answers the peer's Pings itself;
 * Pongs only count as a sign of life, so unsolicited ones are harmless (RFC 6455 §5.5.3).
 * After {@link KEEPALIVE_MAX_MISSED} silent intervals `onDead` runs. Returns a stop function.
 */
export function startKeepAlive(ws: WebSocket, intervalS: number, onDead: () => void): () => void {
  if (!(intervalS > 0)) return () => undefined;
  let silent = 0;
  const alive = (): void => {
    silent = 0;
  };
  ws.on('pong', alive);
  ws.on('ping', alive);
  ws.on('message', alive);
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (silent >= KEEPALIVE_MAX_MISSED) {
      onDead();
      return;
    }
    silent++;
    ws.ping();
  }, intervalS * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    ws.off('pong', alive);
    ws.off('ping', alive);
    ws.off('message', alive);
  };
}

/** Maps a ws or TLS failure to a stable MtpError code (see agent/mtp/README.md). */
export function describeWsError(e: unknown): { code: string; detail: string } {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('MTP_')) return { code, detail: (e as Error).message };
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.startsWith('Server sent no subprotocol') || msg.startsWith('Server sent an invalid subprotocol')) {
    return { code: 'MTP_WS_NO_SUBPROTOCOL', detail: `the server did not accept the ${WS_SUBPROTOCOL} subprotocol (R-WS.12): ${msg}` };
  }
  const http = /^Unexpected server response: (\d+)/.exec(msg);
  if (http) return { code: 'MTP_WS_HANDSHAKE_REFUSED', detail: `the server refused the WebSocket handshake with HTTP ${http[1]}` };
  if (msg.includes('Sec-WebSocket-Extensions') || msg.includes('extension that was not requested')) {
    return { code: 'MTP_WS_BAD_EXTENSION', detail: msg };
  }
  if (msg === 'Opening handshake has timed out') return { code: 'MTP_CONNECT_TIMEOUT', detail: msg };
  if (msg.startsWith('Invalid URL') || msg.startsWith('The URL')) return { code: 'MTP_CONFIG', detail: msg };
  if (code === 'ECONNRESET') return { code: 'MTP_CONNECTION_RESET', detail: 'the peer reset the connection (during TLS, often a rejected certificate)' };
  return describeTlsError(e);
}
