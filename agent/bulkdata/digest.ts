/**
 * HTTP Digest access authentication (RFC 7616), which TR-181 BulkData.Profile.{i}.HTTP requires
 * next to Basic (RFC 7617): the answer to one `WWW-Authenticate: Digest ...` challenge, with
 * qop=auth (or none), for MD5 and SHA-256 and their -sess variants.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Parses the parameters of a Digest challenge; undefined when the header is not one. */
export function parseDigestChallenge(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[1] ?? ''); p; p = re.exec(m[1] ?? ''))
    out[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  return out;
}

/** The Authorization header value answering `challenge` for `method` on `uri` (path and query). */
export function digestAuthorization(challenge: Record<string, string>, user: string, password: string, method: string, uri: string): string {
  const algorithm = challenge['algorithm'] ?? 'MD5';
  const hashName = algorithm.toUpperCase().startsWith('SHA-256') ? 'sha256' : 'md5';
  const h = (s: string): string => createHash(hashName).update(s).digest('hex');
  const realm = challenge['realm'] ?? '';
  const nonce = challenge['nonce'] ?? '';
  const qop = (challenge['qop'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  let ha1 = h(`${user}:${realm}:${password}`);
  if (algorithm.toLowerCase().endsWith('-sess')) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = h(`${method}:${uri}`);
  const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
  const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [`username=${q(user)}`, `realm=${q(realm)}`, `nonce=${q(nonce)}`, `uri=${q(uri)}`, `algorithm=${algorithm}`, `response=${q(response)}`];
  if (challenge['opaque'] !== undefined) parts.push(`opaque=${q(challenge['opaque'])}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}
