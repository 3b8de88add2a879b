/**
 * The shared HTTP(S) download (agent/net/download.ts) and its two users, SMM fetchDu() and
 * firmware fetchToFile(), against real node:http(s) servers: Basic credentials reach the origin
 * of the requested URL, follow a same-origin redirect, and never reach another host or an
 * https → http downgrade; redirects are capped; the size cap and the hash hold.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { fetchToFile } from '../../../agent/firmware/download.js';
import { downloadToFile, DownloadError, MAX_REDIRECTS } from '../../../agent/net/download.js';
import { fetchDu } from '../../../agent/smm/fetch.js';
import { SmmFaultError } from '../../../agent/smm/faults.js';
import { createCa, issueCert } from '../../../certs/pki.js';

const BODY = Buffer.from('the file body\n'.repeat(100));
const SHA = createHash('sha256').update(BODY).digest('hex');

interface Host {
  readonly base: string;
  /** Authorization header of each request, by path ('' when none). */
  readonly auth: [string, string][];
}

/** A server: `/file` is the body, `/to?u=<url>` redirects there, `/loop` to itself. */
async function host(t: Test, tls?: { cert: string; key: string }): Promise<Host> {
  const auth: [string, string][] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    auth.push([url.pathname, req.headers.authorization ?? '']);
    if (url.pathname === '/file') return void res.writeHead(200, { 'content-length': String(BODY.length) }).end(BODY);
    if (url.pathname === '/to') return void res.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
    if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    res.writeHead(404).end();
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { base: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`, auth };
}

function scratch(t: Test): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), 'net-download-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return (name) => join(dir, name);
}

const BASIC = `Basic ${Buffer.from('user:secret').toString('base64')}`;

t.test('credentials go to the requested origin and a same-origin redirect, never to another host', async (t) => {
  const file = scratch(t);
  const a = await host(t);
  const b = await host(t);
  const got = await downloadToFile(file('same'), { url: new URL(`${a.base}/to?u=/file`), username: 'user', password: 'secret', hash: 'sha256', maxBytes: 1 << 20 });
  t.strictSame(a.auth, [['/to', BASIC], ['/file', BASIC]], 'same origin: both requests carry them');
  t.equal(got.digest, SHA);
  t.equal(readFileSync(file('same'), 'utf8'), BODY.toString());

  // Both users of the shared download: SMM (the bug was here) and firmware.
  await fetchDu(`${a.base}/to?u=${encodeURIComponent(`${b.base}/file`)}#sha256=${SHA}`, file('du'), { username: 'user', password: 'secret', maxBytes: 1 << 20, timeoutMs: 5000 });
  await fetchToFile(file('fw'), { url: `${a.base}/to?u=${encodeURIComponent(`${b.base}/file`)}`, username: 'user', password: 'secret', hash: 'sha256', maxBytes: 1 << 20, limitReason: 'test', stallMs: 5000, tls: {}, signal: new AbortController().signal });
  t.strictSame(b.auth, [['/file', ''], ['/file', '']], 'the other host saw no credentials (SMM, then firmware)');
});

t.test('an https → http downgrade drops the credentials', async (t) => {
  const file = scratch(t);
  const ca = createCa('download test CA');
  const leaf = issueCert(ca, { commonName: '127.0.0.1', ips: ['127.0.0.1'], serverAuth: true });
  const secure = await host(t, { cert: leaf.certPem, key: leaf.keyPem });
  const plain = await host(t);
  const downgraded = `${secure.base}/to?u=${encodeURIComponent(`${plain.base}/file`)}`;
  const got = await downloadToFile(file('d'), { url: new URL(downgraded), username: 'user', password: 'secret', hash: 'sha256', maxBytes: 1 << 20, tls: { ca: [Buffer.from(ca.certPem)] } });
  t.equal(got.finalUrl, `${plain.base}/file`);
  t.strictSame(secure.auth, [['/to', BASIC]], 'the https origin got them');
  t.strictSame(plain.auth, [['/file', '']], 'the http redirect target did not');
});

t.test('redirects are capped; the size cap holds; failures are typed (and SMM faults)', async (t) => {
  const file = scratch(t);
  const a = await host(t);
  const loop = await downloadToFile(file('loop'), { url: new URL(`${a.base}/loop`), hash: 'sha256', maxBytes: 1 << 20 }).catch((e: unknown) => e);
  t.ok(loop instanceof DownloadError && loop.kind === 'redirect', 'a loop ends as a redirect failure');
  t.match((loop as Error).message, new RegExp(`more than ${MAX_REDIRECTS} redirects`));
  t.equal(a.auth.length, MAX_REDIRECTS + 1, 'after the capped number of requests');
  const big = await downloadToFile(file('big'), { url: new URL(`${a.base}/file`), hash: 'sha256', maxBytes: 100 }).catch((e: unknown) => e);
  t.match(big, { kind: 'tooLarge', detail: BODY.length });
  const du = await fetchDu(`${a.base}/file`, file('du'), { maxBytes: 100, timeoutMs: 5000 }).catch((e: unknown) => e);
  t.ok(du instanceof SmmFaultError && du.fault === 7227, 'SMM: too large is 7227');
  const missing = await fetchDu(`${a.base}/nothing`, file('du2'), { maxBytes: 1 << 20, timeoutMs: 5000 }).catch((e: unknown) => e);
  t.match((missing as Error).message, /HTTP 404/);
});
