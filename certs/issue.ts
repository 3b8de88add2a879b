/**
 * Issuing certificates: a self-signed CA, and leaves carrying an Endpoint ID as subjectAltName
 * URI `urn:bbf:usp:id:<EndpointID>` (TR-369 R-SEC.0a, R-SEC.10), DNS/IP names and EKUs.
 */
import { isIP } from 'node:net';
import { buildCert, newRsaKey } from './forge.js';
import type { CertSpec } from './forge.js';
import { CertError, checkEndpointId, USP_ID_URN_PREFIX } from './x509.js';

export interface CertAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssueOptions {
  commonName: string;
  /** Adds the SAN URI `urn:bbf:usp:id:<endpointId>`; for `fqdn::<name>` also the dNSName `<name>` (R-SEC.0a). */
  endpointId?: string;
  dnsNames?: string[];
  ips?: string[];
  serverAuth?: boolean;
  clientAuth?: boolean;
  isCa?: boolean;
  /** Default: one hour ago (tolerates small clock differences between lab hosts). */
  notBefore?: Date;
  /** Default: now + `days`. */
  notAfter?: Date;
  /** Default 825. */
  days?: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DNS_NAME_RE = /^(?:\*\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

function validity(opts: { notBefore?: Date; notAfter?: Date; days?: number }, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const days = opts.days ?? defaultDays;
  if (!(days > 0)) throw new CertError(`days must be a positive number, not ${days}`);
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - HOUR_MS);
  const notAfter = opts.notAfter ?? new Date(now + days * DAY_MS);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new CertError('notBefore/notAfter must be valid dates');
  if (notAfter <= notBefore) throw new CertError(`notAfter (${notAfter.toISOString()}) must be later than notBefore (${notBefore.toISOString()})`);
  return { notBefore, notAfter };
}

function make(spec: CertSpec, signer?: CertAndKey): CertAndKey {
  const { keyPem, publicKeyPem } = newRsaKey();
  try {
    return { certPem: buildCert(spec, publicKeyPem, keyPem, signer), keyPem };
  } catch (e) {
    throw new CertError((e as Error).message);
  }
}

/**
 * A self-signed CA (RSA-2048, SHA-256; basicConstraints cA, keyCertSign/cRLSign).
 * `days` defaults to 3650: the lab CA outlives the certificates it issues.
 */
export function createCa(commonName: string, opts: { days?: number } = {}): CertAndKey {
  if (!commonName.trim()) throw new CertError('the CA needs a common name');
  const spec: CertSpec = { commonName, isCa: true, uris: [], dnsNames: [], ips: [], serverAuth: false, clientAuth: false, ...validity(opts, 3650) };
  return make(spec);
}

/** A certificate signed by `ca` for a fresh RSA-2048 key. */
export function issueCert(ca: CertAndKey, opts: IssueOptions): CertAndKey {
  if (!opts.commonName.trim()) throw new CertError('a certificate needs a common name');
  const dnsNames = [...(opts.dnsNames ?? [])];
  const uris: string[] = [];
  if (opts.endpointId !== undefined) {
    checkEndpointId(opts.endpointId);
    uris.push(USP_ID_URN_PREFIX + opts.endpointId);
    if (opts.endpointId.startsWith('fqdn::')) dnsNames.push(opts.endpointId.slice('fqdn::'.length));
  }
  for (const n of dnsNames) if (!DNS_NAME_RE.test(n)) throw new CertError(`'${n}' is not a DNS name`);
  for (const ip of opts.ips ?? []) if (!isIP(ip)) throw new CertError(`'${ip}' is not an IP address`);
  const spec: CertSpec = {
    commonName: opts.commonName,
    isCa: opts.isCa ?? false,
    uris,
    dnsNames: [...new Set(dnsNames)],
    ips: [...new Set(opts.ips ?? [])],
    serverAuth: opts.serverAuth ?? false,
    clientAuth: opts.clientAuth ?? false,
    ...validity(opts, 825),
  };
  return make(spec, ca);
}
