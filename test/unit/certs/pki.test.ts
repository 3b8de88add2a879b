// certs/: the lab PKI and the Endpoint ID in certificates (TR-369 R-SEC.0a, R-SEC.10: SAN URI
// `urn:bbf:usp:id:<EndpointID>`; USP-NOTES §1, §11). Real keys, real files, real TLS on loopback.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import t from 'tap';
import type { Test } from 'tap';
import { CertError, createCa, createLabPki, describeCert, endpointIdFromCertPem, issueCert, loadLabPki } from '../../../certs/pki.js';
import type { CertAndKey, LabPkiFiles } from '../../../certs/pki.js';

const AGENT = 'proto::agent-1';
const CONTROLLER = 'proto::controller-1';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const root = mkdtempSync(join(tmpdir(), 'usp-certs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const pkiDir = join(root, 'pki');
const pki = createLabPki({ dir: pkiDir, agentEndpointId: AGENT, controllerEndpointIds: [CONTROLLER] });

const read = (path: string): string => readFileSync(path, 'utf8');
const pair = (f: LabPkiFiles): CertAndKey => ({ certPem: read(f.cert), keyPem: read(f.key) });
const x509 = (f: LabPkiFiles): X509Certificate => new X509Certificate(read(f.cert));
const mode = (path: string): number => statSync(path).mode & 0o777;
const controllerFiles = (): LabPkiFiles => {
  const f = pki.controllers[CONTROLLER];
  if (!f) throw new Error('no controller files');
  return f;
};

t.test('agent, server and controller certificates are issued and signed by the lab CA', async (t) => {
  const ca = x509(pki.ca);
  t.ok(ca.ca, 'ca.crt is a CA');
  t.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey), 'ca.crt is self-signed');
  for (const [name, f] of [['agent', pki.agent], ['server', pki.server], ['controller', controllerFiles()]] as const) {
    const x = x509(f);
    t.notOk(x.ca, `${name} is not a CA`);
    t.ok(x.checkIssued(ca), `${name} names the lab CA as issuer`);
    t.ok(x.verify(ca.publicKey), `${name} signature verifies with the CA public key`);
    t.ok(x.checkPrivateKey(createPrivateKey(read(f.key))), `${name}.key belongs to ${name}.crt`);
    t.match(x.publicKey.asymmetricKeyDetails, { modulusLength: 2048 }, `${name} has an RSA-2048 key`);
  }
});

t.test('the agent certificate carries its Endpoint ID as SAN URI urn:bbf:usp:id:<EID> (R-SEC.10)', async (t) => {
  const pem = read(pki.agent.cert);
  const x = new X509Certificate(pem);
  t.equal(x.subject, `CN=${AGENT}`);
  t.ok(x.subjectAltName?.split(', ').includes(`URI:urn:bbf:usp:id:${AGENT}`), x.subjectAltName ?? 'no SAN');
  t.equal(endpointIdFromCertPem(pem), AGENT);
  t.equal(endpointIdFromCertPem(read(controllerFiles().cert)), CONTROLLER);
  t.equal(endpointIdFromCertPem(read(pki.server.cert)), undefined, 'the server certificate names no endpoint');
  t.same(Object.keys(pki.controllers), [CONTROLLER]);
});

t.test('EKUs and host names: agent, controller and server are TLS client and server on loopback', async (t) => {
  for (const [name, f] of [['agent', pki.agent], ['controller', controllerFiles()], ['server', pki.server]] as const) {
    t.ok(x509(f).keyUsage.includes(SERVER_AUTH), `${name} has EKU serverAuth`);
    t.ok(x509(f).keyUsage.includes(CLIENT_AUTH), `${name} has EKU clientAuth`);
  }
  for (const [name, f] of [['agent', pki.agent], ['controller', controllerFiles()]] as const) {
    t.equal(x509(f).checkHost('localhost'), 'localhost', `${name} can serve the lab WebSocket MTP as localhost`);
    t.equal(x509(f).checkIP('127.0.0.1'), '127.0.0.1');
  }
  const server = x509(pki.server);
  t.equal(server.checkHost('localhost'), 'localhost');
  t.ok(server.checkIP('127.0.0.1'));
  t.ok(server.checkIP('::1'));
  t.equal(server.checkHost('example.org'), undefined);
});

t.test('key files are 0600, certificates 0644, the folder 0700; README.txt says whose file is which', async (t) => {
  t.equal(mode(pkiDir), 0o700);
  for (const f of [pki.ca, pki.agent, pki.server, controllerFiles()]) {
    t.equal(mode(f.key), 0o600, f.key);
    t.equal(mode(f.cert), 0o644, f.cert);
  }
  const readme = read(join(pkiDir, 'README.txt'));
  t.match(readme, /agent\.crt, agent\.key\s+the agent proto::agent-1/);
  t.match(readme, /controller-1\.crt, controller-1\.key\s+controller proto::controller-1/);
  t.same(readdirSync(pkiDir).sort(), ['README.txt', 'agent.crt', 'agent.key', 'ca.crt', 'ca.key', 'controller-1.crt', 'controller-1.key', 'server.crt', 'server.key']);
});

t.test('a second createLabPki with the same IDs keeps every file', async (t) => {
  const files = readdirSync(pkiDir);
  const before = new Map(files.map((n) => [n, read(join(pkiDir, n))]));
  const again = createLabPki({ dir: pkiDir, agentEndpointId: AGENT, controllerEndpointIds: [CONTROLLER] });
  t.same(again.created, [], 'nothing written');
  for (const n of files) t.equal(read(join(pkiDir, n)), before.get(n), `${n} unchanged`);
  const loaded = loadLabPki(pkiDir);
  t.same([again.dir, again.ca, again.agent, again.server, again.controllers], [loaded?.dir, loaded?.ca, loaded?.agent, loaded?.server, loaded?.controllers], 'same paths as loadLabPki');
});

t.test('changed controller IDs reissue only the controller files; the CA and agent are kept', async (t) => {
  const dir = join(root, 'changed');
  cpSync(pkiDir, dir, { recursive: true });
  const caBefore = read(join(dir, 'ca.crt'));
  const agentBefore = read(join(dir, 'agent.crt'));
  const next = createLabPki({ dir, agentEndpointId: AGENT, controllerEndpointIds: ['proto::ctl-a', 'proto::ctl-b'] });
  t.equal(read(next.ca.cert), caBefore);
  t.equal(read(next.agent.cert), agentBefore);
  t.same(Object.keys(next.controllers), ['proto::ctl-a', 'proto::ctl-b']);
  t.same([...(next.created ?? [])].map((p) => p.slice(dir.length + 1)).sort(), ['README.txt', 'controller-1.crt', 'controller-1.key', 'controller-2.crt', 'controller-2.key']);
  const fewer = createLabPki({ dir, agentEndpointId: AGENT, controllerEndpointIds: ['proto::ctl-a'] });
  t.same(Object.keys(fewer.controllers), ['proto::ctl-a'], 'stale controller-2 files are removed');
  t.notOk(readdirSync(dir).some((n) => n.startsWith('controller-2')));
});

t.test('a damaged or foreign file set is repaired: key that does not match, and a new agent ID', async (t) => {
  const dir = join(root, 'damaged');
  cpSync(pkiDir, dir, { recursive: true });
  writeFileSync(join(dir, 'server.key'), read(join(dir, 'agent.key')));
  const next = createLabPki({ dir, agentEndpointId: 'proto::agent-2', controllerEndpointIds: [CONTROLLER] });
  t.ok(x509(next.server).checkPrivateKey(createPrivateKey(read(next.server.key))), 'server pair matches again');
  t.equal(endpointIdFromCertPem(read(next.agent.cert)), 'proto::agent-2');
  t.equal(read(next.ca.cert), read(pki.ca.cert), 'CA kept');
  t.equal(read(controllerFiles().cert), read(next.controllers[CONTROLLER]?.cert ?? ''), 'controller kept');
});

t.test('loadLabPki returns the files, or undefined when the set is incomplete', async (t) => {
  t.same(loadLabPki(pkiDir)?.controllers, pki.controllers);
  t.equal(loadLabPki(pkiDir)?.agent.cert, join(pkiDir, 'agent.crt'));
  t.equal(loadLabPki(join(root, 'missing')), undefined);
  const dir = join(root, 'incomplete');
  cpSync(pkiDir, dir, { recursive: true });
  rmSync(join(dir, 'agent.key'));
  t.equal(loadLabPki(dir), undefined);
});

t.test('a certificate made with notAfter in the past is reported expired by describeCert', async (t) => {
  const ca = pair(pki.ca);
  const old = issueCert(ca, { commonName: 'old', endpointId: 'proto::old', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2020-01-02T00:00:00Z'), clientAuth: true });
  const d = describeCert(old.certPem);
  t.equal(d.expired, true);
  t.equal(d.notAfter.toISOString(), '2020-01-02T00:00:00.000Z');
  t.equal(d.notBefore.toISOString(), '2020-01-01T00:00:00.000Z');
  t.same(d.endpointIds, ['proto::old']);
  const fresh = describeCert(read(pki.agent.cert));
  t.equal(fresh.expired, false);
  t.equal(fresh.subject, `CN=${AGENT}`);
  t.equal(fresh.issuer, 'CN=usp-agent lab CA');
  t.equal(fresh.fingerprint256, x509(pki.agent).fingerprint256);
  t.match(fresh.serialNumber, /^[0-7][0-9A-F]{31}$/, '128-bit positive serial');
  t.not(fresh.serialNumber, describeCert(read(pki.server.cert)).serialNumber);
});

t.test('bad input is a CertError with a one-line message', async (t) => {
  t.throws(() => describeCert(read(pki.agent.key)), CertError);
  t.throws(() => endpointIdFromCertPem('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n'), CertError);
  t.throws(() => issueCert(pair(pki.ca), { commonName: 'x', endpointId: 'no spaces allowed' }), CertError);
  t.throws(() => issueCert(pair(pki.ca), { commonName: 'x', ips: ['999.1.1.1'] }), CertError);
  t.throws(() => createLabPki({ dir: join(pki.ca.cert, 'sub'), agentEndpointId: AGENT, controllerEndpointIds: [] }), { name: 'CertError', message: /ENOTDIR/ });
  t.throws(() => createLabPki({ dir: join(root, 'dup'), agentEndpointId: AGENT, controllerEndpointIds: [CONTROLLER, CONTROLLER] }), CertError);
  try {
    describeCert('garbage');
  } catch (e) {
    t.notMatch((e as Error).message, /\n/);
  }
});

// ---- TLS on loopback ------------------------------------------------------------------------

interface Outcome {
  /** subjectaltname of the client certificate, as the server saw it after a good handshake. */
  serverSawSan?: string;
  serverError?: Error;
  /** The client read the server's greeting: the connection was accepted both ways. */
  clientGotData: boolean;
  /** subjectaltname of the server certificate, as the client saw it. */
  clientSawSan?: string;
}

async function handshake(t: Test, server: LabPkiFiles, client: Partial<LabPkiFiles>, caForServer = pki.ca.cert): Promise<Outcome> {
  t.setTimeout(15_000);
  const srv = createServer({ key: read(server.key), cert: read(server.cert), ca: read(caForServer), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
  const sockets = new Set<Socket>();
  srv.on('connection', (s: Socket) => sockets.add(s));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  const serverSide = new Promise<Pick<Outcome, 'serverSawSan' | 'serverError'>>((resolve) => {
    srv.once('secureConnection', (s) => {
      resolve({ serverSawSan: s.getPeerCertificate().subjectaltname });
      s.end('hello');
    });
    srv.once('tlsClientError', (serverError: Error) => resolve({ serverError }));
  });
  const sock = connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: read(pki.ca.cert),
    ...(client.cert && { cert: read(client.cert) }),
    ...(client.key && { key: read(client.key) }),
  });
  t.teardown(() => sock.destroy());
  let clientSawSan: string | undefined;
  sock.once('secureConnect', () => {
    clientSawSan = sock.getPeerCertificate().subjectaltname;
  });
  const clientSide = new Promise<boolean>((resolve) => {
    sock.once('data', () => resolve(true));
    sock.once('error', () => resolve(false));
    sock.once('close', () => resolve(false));
  });
  const [s, clientGotData] = await Promise.all([serverSide, clientSide]);
  return { ...s, clientGotData, ...(clientSawSan !== undefined && { clientSawSan }) };
}

t.test('mutual TLS over loopback: the server accepts the agent and sees its URN in subjectaltname', async (t) => {
  const r = await handshake(t, pki.server, pki.agent);
  t.equal(r.serverError, undefined);
  t.ok(r.clientGotData, 'agent verified the server as localhost and read its greeting');
  t.ok(r.serverSawSan?.split(', ').includes(`URI:urn:bbf:usp:id:${AGENT}`), r.serverSawSan ?? 'no SAN');
});

t.test('the agent certificate serves TLS to a controller (agent as WebSocket server); each side sees the other URN', async (t) => {
  const r = await handshake(t, pki.agent, controllerFiles());
  t.ok(r.clientGotData, 'controller verified the agent as localhost');
  t.ok(r.serverSawSan?.includes(`URI:urn:bbf:usp:id:${CONTROLLER}`), r.serverSawSan ?? 'no SAN');
  t.ok(r.clientSawSan?.includes(`URI:urn:bbf:usp:id:${AGENT}`), r.clientSawSan ?? 'no SAN');
});

t.test('a controller certificate serves TLS on loopback (controller as WebSocket server); the agent sees its URN', async (t) => {
  const r = await handshake(t, controllerFiles(), pki.agent);
  t.ok(r.clientGotData, 'agent verified the controller as localhost');
  t.ok(r.clientSawSan?.includes(`URI:urn:bbf:usp:id:${CONTROLLER}`), r.clientSawSan ?? 'no SAN');
});

t.test('a client certificate from another CA is rejected', async (t) => {
  const rogueCa = createCa('rogue CA');
  const rogue = issueCert(rogueCa, { commonName: AGENT, endpointId: AGENT, clientAuth: true });
  const dir = join(root, 'rogue');
  cpSync(pkiDir, dir, { recursive: true });
  writeFileSync(join(dir, 'rogue.crt'), rogue.certPem);
  writeFileSync(join(dir, 'rogue.key'), rogue.keyPem, { mode: 0o600 });
  const r = await handshake(t, pki.server, { cert: join(dir, 'rogue.crt'), key: join(dir, 'rogue.key') });
  t.equal(r.serverSawSan, undefined, 'no secure connection on the server');
  t.ok(r.serverError, `server refused: ${r.serverError?.message}`);
  t.notOk(r.clientGotData);
});

t.test('a client without a certificate is rejected (R-MTP.1)', async (t) => {
  const r = await handshake(t, pki.server, {});
  t.equal(r.serverSawSan, undefined);
  t.ok(r.serverError, `server refused: ${r.serverError?.message}`);
  t.notOk(r.clientGotData);
});
