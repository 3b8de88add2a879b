/**
 * One HTTP(S) transfer of a Bulk Data report (TR-369 Annex A "Enabling HTTP/HTTPS Bulk Data
 * Communication"; USP-NOTES §16):
 * - Request-URI query: `oui`, `pc`, `sn` (R-BULK.1), then each RequestURIParameter `name=value`.
 * - Headers: Content-Type with media type and charset (R-BULK.7/11), `BBF-Report-Format:
 *   "<ReportFormat>"` (R-BULK.8), Date when UseDateHeader, Content-Encoding gzip/deflate when
 *   Compression asks for it (node:zlib).
 * - Credentials: Basic (RFC 7617) with the first request, Digest (RFC 7616) when the collector
 *   answers 401 with a Digest challenge.
 * - HTTPS: TLS 1.2 or later, the collector's certificate checked against the public roots and
 *   the agent's trust store (host name per RFC 6125, SNI by name: node's defaults, R-BULK.6); the
 *   agent's certificate is offered when the collector asks for one (mutual TLS).
 * Success is any 2xx status; everything else (other statuses, connection errors, timeout) is a
 * failure the caller may retry.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import { digestAuthorization, parseDigestChallenge } from './digest.js';
import type { EncodedReport } from './encode.js';
import type { HttpOptions } from './profile.js';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

/** The agent's TLS identity for HTTPS collectors (agent/transport/tls-setup.ts). */
export interface ClientTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

export interface HttpSendOptions {
  /** Query parameters before the RequestURIParameters: oui, pc, sn (R-BULK.1). */
  readonly query: readonly (readonly [string, string])[];
  readonly tls: ClientTls | undefined;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Time for the Date header (the agent's clock). */
  readonly nowMs: number;
}

export type HttpOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number | undefined; readonly reason: string };

/** The full request URL: the profile's URL with the R-BULK.1 and RequestURIParameter query pairs appended. */
export function reportUrl(url: string, query: readonly (readonly [string, string])[]): URL {
  const u = new URL(url);
  for (const [k, v] of query) u.searchParams.append(k, v);
  return u;
}

/** Sends one report; never throws (the outcome says why it failed). */
export async function sendHttp(http: HttpOptions, report: EncodedReport, opts: HttpSendOptions): Promise<HttpOutcome> {
  let url: URL;
  try {
    url = reportUrl(http.url, opts.query);
  } catch {
    return { ok: false, status: undefined, reason: `'${http.url}' is not a URL` };
  }
  const raw = Buffer.from(report.body, 'utf8');
  const body = http.compression === 'GZIP' ? await gzipAsync(raw) : http.compression === 'Deflate' ? await deflateAsync(raw) : raw;
  const headers: OutgoingHttpHeaders = {
    'Content-Type': report.contentType,
    'BBF-Report-Format': `"${report.reportFormat}"`,
    'Content-Length': body.length,
  };
  if (http.compression !== 'None') headers['Content-Encoding'] = http.compression === 'GZIP' ? 'gzip' : 'deflate';
  if (http.useDateHeader) headers['Date'] = new Date(opts.nowMs).toUTCString();
  if (http.username !== '') headers['Authorization'] = `Basic ${Buffer.from(`${http.username}:${http.password}`).toString('base64')}`;
  try {
    let res = await once(url, http.method, headers, body, opts);
    const challenge = res.status === 401 && http.username !== '' ? parseDigestChallenge(res.authenticate) : undefined;
    if (challenge) {
      headers['Authorization'] = digestAuthorization(challenge, http.username, http.password, http.method, url.pathname + url.search);
      res = await once(url, http.method, headers, body, opts);
    }
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, reason: `the collector answered ${res.status}` };
  } catch (e) {
    return { ok: false, status: undefined, reason: (e as Error).message };
  }
}

/** One request/response exchange; the response body is read and dropped. */
function once(url: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer, opts: HttpSendOptions): Promise<{ status: number; authenticate: string }> {
  return new Promise((resolve, reject) => {
    const common = { method, headers, signal: opts.signal, timeout: opts.timeoutMs };
    const onResponse = (res: IncomingMessage): void => {
      res.on('error', reject);
      res.resume();
      res.on('end', () => {
        const a: string | string[] | undefined = res.headers['www-authenticate'];
        const list: string[] = a === undefined ? [] : Array.isArray(a) ? a : [a];
        resolve({ status: res.statusCode ?? 0, authenticate: list.find((x) => /^\s*Digest/i.test(x)) ?? '' });
      });
    };
    let req;
    if (url.protocol === 'https:') {
      const tls = opts.tls;
      req = httpsRequest(
        url,
        { ...common, minVersion: 'TLSv1.2', ...(tls && { cert: tls.cert, key: tls.key, ca: [...rootCertificates, tls.ca.toString('utf8')] }) },
        onResponse,
      );
    } else if (url.protocol === 'http:') {
      req = httpRequest(url, common, onResponse);
    } else {
      reject(new Error(`unsupported URL scheme ${url.protocol}`));
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
