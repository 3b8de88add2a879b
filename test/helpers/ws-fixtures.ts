/**
 * Shared fixtures for the WebSocket MTP integration tests: a lab PKI made in memory with
 * certs/pki.ts (good, rogue-CA, expired and URN-less certificates), the two modes every scenario
 * runs in, and event helpers that wait with a timeout instead of sleeping (STYLE §6).
 */
import { createServer } from 'node:net';
import { createCa, issueCert } from '../../certs/pki.js';
import type { CertAndKey } from '../../certs/pki.js';
import { createLogger } from '../../agent/log.js';
import type { Logger } from '../../agent/log.js';
import type { TlsMaterial } from '../../agent/mtp/tls.js';
import { Inbox } from './controller-transport.js';

export const AGENT = 'proto::ws-agent';
export const CTRL = 'proto::ws-controller';
export const OTHER_CTRL = 'proto::someone-else';
export const WAIT = 5000;

// ---- PKI (made once, in memory) ----
export const ca = createCa('USP lab CA');
export const rogueCa = createCa('Rogue CA');
const expired = { notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) };
const local = { dnsNames: ['localhost'], ips: ['127.0.0.1'] };
export const certs = {
  agent: issueCert(ca, { commonName: AGENT, endpointId: AGENT, ...local, serverAuth: true, clientAuth: true }),
  agentExpired: issueCert(ca, { commonName: AGENT, endpointId: AGENT, clientAuth: true, ...expired }),
  ctrl: issueCert(ca, { commonName: CTRL, endpointId: CTRL, ...local, serverAuth: true, clientAuth: true }),
  ctrlRogue: issueCert(rogueCa, { commonName: CTRL, endpointId: CTRL, ...local, serverAuth: true, clientAuth: true }),
  ctrlExpired: issueCert(ca, { commonName: CTRL, endpointId: CTRL, ...local, serverAuth: true, clientAuth: true, ...expired }),
  ctrlNoUrn: issueCert(ca, { commonName: 'controller.example', ...local, serverAuth: true, clientAuth: true }),
  ctrlNoUrnOtherHost: issueCert(ca, { commonName: 'elsewhere.example', dnsNames: ['elsewhere.example'], serverAuth: true }),
  otherCtrl: issueCert(ca, { commonName: OTHER_CTRL, endpointId: OTHER_CTRL, dnsNames: ['elsewhere.example'], serverAuth: true, clientAuth: true }),
};
export const agentTls = (c: CertAndKey = certs.agent): TlsMaterial => ({
  cert: Buffer.from(c.certPem),
  key: Buffer.from(c.keyPem),
  ca: Buffer.from(ca.certPem),
  minVersion: 'TLSv1.2',
});
export const pems = (c: CertAndKey): { cert: string; key: string; ca: string } => ({ cert: c.certPem, key: c.keyPem, ca: ca.certPem });

export type Mode = 'plain' | 'mtls';
export const MODES: Mode[] = ['plain', 'mtls'];

// ---- small event helpers (no sleeps: everything waits for an event, with a timeout) ----

/** Consumes items in order until one matches. */
export async function waitFor<T>(inbox: Inbox<T>, pred: (v: T) => boolean, what: string, timeoutMs = WAIT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await inbox.next(Math.max(deadline - Date.now(), 1), what);
    if (pred(v)) return v;
  }
}

/** Everything received so far. */
export async function drain<T>(inbox: Inbox<T>): Promise<T[]> {
  const out: T[] = [];
  while (inbox.size > 0) out.push(await inbox.next(0, 'item'));
  return out;
}

export function capture(): { logger: Logger; lines: Inbox<string> } {
  const lines = new Inbox<string>();
  return { logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }), lines };
}

export const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
/** A 64 KiB payload with every byte value (NULs included). */
export const big = new Uint8Array(65536).map((_, i) => i % 256);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
