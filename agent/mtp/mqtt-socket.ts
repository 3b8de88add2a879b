/**
 * The TCP / TLS socket under one MQTT connection attempt (TR-369 R-MQTT.3: TCP; R-MQTT.48 and
 * R-MTP.0/1: TLS 1.2 or later with our client certificate). We build the socket ourselves
 * instead of letting mqtt.js do it, so that Nagle is off (small Records go out at once) and so
 * that the first socket or TLS error is kept for the status report even when mqtt.js swallows it.
 */
import { createConnection, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TlsMaterial } from './tls.js';

export interface BrokerAddress {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
}

/** Parses `mqtt://host:port` or `mqtts://host:port` (default ports 1883 / 8883). */
export function parseBrokerUrl(url: string): BrokerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a broker URL: ${url}`);
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new Error(`unsupported broker URL scheme ${u.protocol} (want mqtt: or mqtts:)`);
  const secure = u.protocol === 'mqtts:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error(`broker URL without a host: ${url}`);
  return { secure, host, port: u.port === '' ? (secure ? 8883 : 1883) : Number(u.port) };
}

export interface SocketOptions {
  readonly address: BrokerAddress;
  readonly tls?: TlsMaterial;
  /** TLS SNI and certificate host check; defaults to the host when it is a name. */
  readonly serverName?: string;
  /** Called with the first error the socket reports. */
  readonly onError: (e: Error) => void;
}

/** Opens the socket for one attempt: TCP_NODELAY on; TLS verifies the broker against our CA. */
export function openBrokerSocket(o: SocketOptions): Socket {
  const { host, port, secure } = o.address;
  let socket: Socket;
  if (secure) {
    if (!o.tls) throw new Error('mqtts:// needs TLS material');
    const servername = o.serverName ?? (isIP(host) === 0 ? host : undefined);
    socket = tlsConnect({
      host,
      port,
      ...(servername !== undefined && { servername }),
      // Empty buffers mean "no client certificate configured" (the broker then refuses us).
      ...(o.tls.cert.length > 0 && { cert: o.tls.cert }),
      ...(o.tls.key.length > 0 && { key: o.tls.key }),
      ca: o.tls.ca,
      minVersion: o.tls.minVersion,
      rejectUnauthorized: true,
    });
  } else {
    socket = createConnection({ host, port, noDelay: true });
  }
  socket.setNoDelay(true);
  let reported = false;
  socket.on('error', (e: Error) => {
    if (reported) return;
    reported = true;
    o.onError(e);
  });
  return socket;
}
