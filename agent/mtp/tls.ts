/**
 * Mutual-TLS material for every MTP (R-MTP.0/1: TLS 1.2 minimum, peer certificate required)
 * and the Endpoint ID carried in a certificate's subjectAltName (R-SEC.0a:
 * `URI:urn:bbf:usp:id:<EndpointID>`).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';

export interface TlsFiles {
  /** PEM certificate (chain) of this agent. */
  readonly cert: string;
  /** PEM private key of this agent. */
  readonly key: string;
  /** PEM CA bundle used to verify peers (brokers, controllers). */
  readonly ca: string;
}

/** Options for tls.connect / https.createServer: our identity, the trust store, TLS ≥ 1.2. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  readonly minVersion: 'TLSv1.2';
}

export function loadTls(files: TlsFiles): TlsMaterial {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { cert: read('certificate', files.cert), key: read('private key', files.key), ca: read('CA bundle', files.ca), minVersion: 'TLSv1.2' };
}

const URN = 'urn:bbf:usp:id:';

/** Endpoint IDs in a subjectAltName string such as `URI:urn:bbf:usp:id:os::00256D-1, DNS:x`. */
export function endpointIdsFromSan(san: string | undefined): string[] {
  if (!san) return [];
  return san
    .split(/,\s*/)
    .filter((e) => e.startsWith(`URI:${URN}`))
    .map((e) => e.slice(4 + URN.length));
}

/** The Endpoint ID of a peer certificate (first URN SAN), or undefined. */
export function endpointIdOf(cert: X509Certificate | PeerCertificate | undefined): string | undefined {
  if (!cert) return undefined;
  const san = cert instanceof X509Certificate ? cert.subjectAltName : cert.subjectaltname;
  return endpointIdsFromSan(san)[0];
}

/** A one-line description of a TLS failure for logs (expired, unknown CA, no certificate, ...). */
export function describeTlsError(e: unknown): { code: string; detail: string } {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const c = err.code ?? '';
  if (c === 'CERT_HAS_EXPIRED') return { code: 'MTP_TLS_CERT_EXPIRED', detail: 'the peer certificate has expired' };
  if (c.includes('ALERT_UNKNOWN_CA')) return { code: 'MTP_TLS_UNKNOWN_CA', detail: `the peer rejected our certificate: its CA is unknown to the peer (${c})` };
  if (c === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || c === 'SELF_SIGNED_CERT_IN_CHAIN' || c === 'DEPTH_ZERO_SELF_SIGNED_CERT' || c === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') {
    return { code: 'MTP_TLS_UNKNOWN_CA', detail: `the peer certificate is not signed by a trusted CA (${c})` };
  }
  if (c.includes('CERTIFICATE_REQUIRED')) return { code: 'MTP_TLS_CERT_REQUIRED', detail: 'the peer requires a client certificate' };
  if (c.includes('CERTIFICATE_EXPIRED')) return { code: 'MTP_TLS_CERT_EXPIRED', detail: 'the peer rejected our certificate as expired' };
  if (c.includes('BAD_CERTIFICATE') || c.includes('DECRYPT_ERROR')) return { code: 'MTP_TLS_REJECTED', detail: `the peer rejected our certificate (${c})` };
  if (c === 'ERR_TLS_CERT_ALTNAME_INVALID') return { code: 'MTP_TLS_HOSTNAME', detail: err.reason ?? 'the peer certificate does not match the host name' };
  if (c === 'ECONNREFUSED') return { code: 'MTP_CONNECT_REFUSED', detail: 'connection refused' };
  if (c === 'ETIMEDOUT') return { code: 'MTP_CONNECT_TIMEOUT', detail: 'connection timed out' };
  return { code: c ? `MTP_${c}` : 'MTP_ERROR', detail: err.message };
}
