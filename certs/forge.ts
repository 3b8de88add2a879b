/**
 * node-forge glue, the only file that touches forge: builds X.509 v3 certificates (random
 * positive serial) around RSA-2048 keys made by node:crypto. forge encodes the certificate;
 * node:crypto makes the keys and the sha256WithRSAEncryption signature, several times faster
 * than forge's JavaScript RSA. forge cannot read EC certificates, so the CA must be RSA.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';
import type { pki } from 'node-forge';

// node-forge is CommonJS with no named ESM exports, and its typings declare no default export.
const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;
// Public in forge's x509.js (its own sign() uses it) but missing from @types/node-forge.
const { getTBSCertificate } = forge.pki as unknown as { getTBSCertificate(this: void, cert: pki.Certificate): Forge.asn1.Asn1 };
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** What goes into one certificate; names are already validated by the caller. */
export interface CertSpec {
  readonly commonName: string;
  readonly isCa: boolean;
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The signer: absent for a self-signed certificate. */
export interface Signer {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface RsaKeyPair {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), accepted by Node, OpenSSL, mosquitto and Erlang. */
  readonly keyPem: string;
  /** SPKI PEM. */
  readonly publicKeyPem: string;
}

export function newRsaKey(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

/** A random 128-bit serial whose DER INTEGER is positive and has no leading zero byte (RFC 5280 §4.1.2.2). */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('hex');
}

function rsaKey(keyPem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new Error(`the ${what} is not a PEM private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`the ${what} is ${key.asymmetricKeyType ?? 'not RSA'}; only RSA keys can sign here`);
  return key;
}

/** What forge's cert.sign() does, with the RSA signature made by node:crypto. */
function signSha256(cert: pki.Certificate, key: KeyObject): void {
  cert.signatureOid = SHA256_WITH_RSA;
  cert.siginfo.algorithmOid = SHA256_WITH_RSA;
  cert.tbsCertificate = getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, key).toString('binary');
}

function subjectKeyIdHex(cert: pki.Certificate): string {
  const ext: { subjectKeyIdentifier?: string } | undefined = cert.getExtension('subjectKeyIdentifier');
  return ext?.subjectKeyIdentifier ?? cert.generateSubjectKeyIdentifier().toHex();
}

/** Builds and signs one certificate for `publicKeyPem`; returns its PEM. */
export function buildCert(spec: CertSpec, publicKeyPem: string, selfKeyPem: string, signer?: Signer): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const subject = [{ name: 'commonName', value: spec.commonName }];
  cert.setSubject(subject);

  let issuerKeyIdHex: string;
  let key: KeyObject;
  if (signer) {
    let issuer: pki.Certificate;
    try {
      issuer = forge.pki.certificateFromPem(signer.certPem);
    } catch (e) {
      throw new Error(`the CA certificate is not a PEM RSA certificate (${(e as Error).message})`);
    }
    cert.setIssuer(issuer.subject.attributes);
    issuerKeyIdHex = subjectKeyIdHex(issuer);
    key = rsaKey(signer.keyPem, 'CA key');
  } else {
    cert.setIssuer(subject);
    issuerKeyIdHex = cert.generateSubjectKeyIdentifier().toHex();
    key = rsaKey(selfKeyPem, 'key');
  }

  const altNames = [
    ...spec.uris.map((value) => ({ type: 6, value })),
    ...spec.dnsNames.map((value) => ({ type: 2, value })),
    ...spec.ips.map((ip) => ({ type: 7, ip })),
  ];
  const extensions: object[] = [
    { name: 'basicConstraints', cA: spec.isCa, critical: true },
    spec.isCa
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: forge.util.hexToBytes(issuerKeyIdHex) },
  ];
  if (spec.serverAuth || spec.clientAuth) {
    extensions.push({ name: 'extKeyUsage', serverAuth: spec.serverAuth, clientAuth: spec.clientAuth });
  }
  // An empty subjectAltName is invalid (RFC 5280 §4.2.1.6), so leave it out when there is nothing to say.
  if (altNames.length) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  signSha256(cert, key);
  return forge.pki.certificateToPem(cert);
}
