/**
 * Reading certificates with node:crypto X509Certificate: the Endpoint IDs in subjectAltName
 * (TR-369 R-SEC.0a: URI `urn:bbf:usp:id:<EndpointID>`) and a description for people.
 */
import { X509Certificate } from 'node:crypto';

/** Bad input for the PKI (Endpoint ID, names, files, PEM); the message is one line for a person. */
export class CertError extends Error {
  override name = 'CertError';
}

export const USP_ID_URN_PREFIX = 'urn:bbf:usp:id:';
/** scheme ":" authority-id ":" instance-id; instance-id chars and length per R-ARC.5/6. */
const ENDPOINT_ID_RE = /^[a-z]+:[A-Za-z0-9._-]{0,16}:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}){1,50}$/;

/** Throws CertError unless `eid` is a syntactically valid Endpoint ID (TR-369 R-ARC.5/6). */
export function checkEndpointId(eid: string): void {
  if (!ENDPOINT_ID_RE.test(eid)) {
    throw new CertError(`'${eid}' is not an Endpoint ID (scheme:authority:instance, e.g. proto::agent-1; R-ARC.5/6)`);
  }
}

/** Parses the first certificate of a PEM text; CertError if it is not one. */
export function parseCertPem(pem: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CertError('not a PEM certificate (no BEGIN CERTIFICATE block)');
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new CertError(`not a readable PEM certificate (${(e as Error).message})`);
  }
}

/**
 * Splits node:crypto's subjectAltName string (`URI:a, DNS:b, IP Address:c`) into entries.
 * Node quotes values holding `,` `"` `\` or `'` JSON-style, so a quoted value is unescaped.
 */
export function subjectAltNames(san: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  for (const m of (san ?? '').matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g)) {
    const raw = m[2] ?? '';
    out.push({ type: (m[1] ?? '').trim(), value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
  }
  return out;
}

/** Every Endpoint ID carried as SAN URI `urn:bbf:usp:id:<EndpointID>` (R-SEC.0a), in certificate order. */
export function endpointIdsOf(cert: X509Certificate): string[] {
  return subjectAltNames(cert.subjectAltName)
    .filter((e) => e.type === 'URI' && e.value.startsWith(USP_ID_URN_PREFIX))
    .map((e) => e.value.slice(USP_ID_URN_PREFIX.length));
}

/** The Endpoint ID of a PEM certificate (its first URN SAN), or undefined; CertError if the PEM is not a certificate. */
export function endpointIdFromCertPem(pem: string): string | undefined {
  return endpointIdsOf(parseCertPem(pem))[0];
}

export interface CertDescription {
  /** Distinguished name on one line, e.g. `CN=proto::agent-1`. */
  subject: string;
  issuer: string;
  /** Upper-case hex, as node:crypto prints it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  endpointIds: string[];
  /** SHA-256 of the DER, colon-separated upper-case hex. */
  fingerprint256: string;
  /** True when `now` is after notAfter. */
  expired: boolean;
}

/** What a person needs to know about a certificate (the first one of a PEM bundle). */
export function describeCert(pem: string, now: Date = new Date()): CertDescription {
  const x = parseCertPem(pem);
  const notAfter = new Date(x.validTo);
  return {
    subject: x.subject.split('\n').join(', '),
    issuer: x.issuer.split('\n').join(', '),
    serialNumber: x.serialNumber,
    notBefore: new Date(x.validFrom),
    notAfter,
    endpointIds: endpointIdsOf(x),
    fingerprint256: x.fingerprint256,
    expired: now.getTime() > notAfter.getTime(),
  };
}
