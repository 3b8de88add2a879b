/**
 * The lab PKI on disk: CA, agent, broker/server and controller certificates in one folder,
 * created once and kept while valid (`usp-agent certs init`, test helpers, CI broker setup).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { createCa, issueCert } from './issue.js';
import type { CertAndKey, IssueOptions } from './issue.js';
import { CertError, checkEndpointId, endpointIdFromCertPem, endpointIdsOf, subjectAltNames, USP_ID_URN_PREFIX } from './x509.js';

export interface LabPkiOptions {
  dir: string;
  agentEndpointId: string;
  controllerEndpointIds: string[];
  /** DNS names and IPs of the broker / WebSocket server certificate. Default localhost, 127.0.0.1, ::1. */
  serverNames?: string[];
  /** Lifetime of the leaf certificates (default 825); the CA gets at least 3650. */
  days?: number;
}

/** Absolute paths of a PEM certificate and its PKCS#8 PEM key. */
export interface LabPkiFiles {
  cert: string;
  key: string;
}

export interface LabPki {
  dir: string;
  ca: LabPkiFiles;
  agent: LabPkiFiles;
  server: LabPkiFiles;
  /** By Endpoint ID; files controller-1, controller-2, … in the order the IDs were given. */
  controllers: Record<string, LabPkiFiles>;
  /** Files written by this createLabPki call (empty when everything was kept); absent from loadLabPki. */
  created?: readonly string[];
}

const LAB_CA_CN = 'usp-agent lab CA';
const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1', '::1'];
/** Agent and controllers can also be the TLS server of a WebSocket MTP, reached on loopback in the lab. */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const CONTROLLER_FILE_RE = /^controller-([1-9][0-9]*)\.(crt|key)$/;

const fsReason = (e: unknown): string => ((e as Error).message ?? String(e)).split(',')[0] ?? '';

function hostSans(names: readonly string[]): { dnsNames: string[]; ips: string[] } {
  return { dnsNames: names.filter((n) => !isIP(n)), ips: names.filter((n) => isIP(n)) };
}

function labFiles(dir: string, name: string): LabPkiFiles {
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

function ensureDir(dir: string): void {
  let exists = true;
  try {
    if (!statSync(dir).isDirectory()) throw new CertError(`${dir} exists and is not a folder`);
  } catch (e) {
    if (e instanceof CertError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CertError(`cannot use ${dir} as the PKI folder: ${fsReason(e)}`);
    exists = false;
  }
  try {
    if (!exists) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
    }
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new CertError(`cannot write the PKI folder ${dir}: ${fsReason(e)}`);
  }
}

/** Replaces `path` atomically; a key is never readable by others, not even briefly. */
function writeFile(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { force: true });
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CertError(`cannot write ${path}: ${fsReason(e)}`);
  }
}

function readPair(f: LabPkiFiles): CertAndKey | undefined {
  try {
    return { certPem: readFileSync(f.cert, 'utf8'), keyPem: readFileSync(f.key, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CertError(`cannot read ${f.cert} / ${f.key}: ${fsReason(e)}`);
  }
}

function inForce(x: X509Certificate, now: Date): boolean {
  return new Date(x.validFrom) <= now && now <= new Date(x.validTo);
}

/** The CA certificate if the pair is a usable self-signed CA with its own key. */
function usableCa(pair: CertAndKey | undefined, now: Date): X509Certificate | undefined {
  if (!pair) return undefined;
  try {
    const x = new X509Certificate(pair.certPem);
    const ok = x.ca && x.checkIssued(x) && x.verify(x.publicKey) && x.checkPrivateKey(createPrivateKey(pair.keyPem)) && inForce(x, now);
    return ok ? x : undefined;
  } catch {
    return undefined; // unreadable files are replaced, like any other unusable ones
  }
}

/** Whether an existing leaf can be kept: issued by `ca`, matching key, in force, same identity, names and EKUs. */
function leafMatches(pair: CertAndKey | undefined, ca: X509Certificate, o: IssueOptions, now: Date): boolean {
  if (!pair) return false;
  try {
    const x = new X509Certificate(pair.certPem);
    if (!x.checkIssued(ca) || !x.verify(ca.publicKey) || !x.checkPrivateKey(createPrivateKey(pair.keyPem)) || !inForce(x, now)) return false;
    if (endpointIdsOf(x).join('\n') !== (o.endpointId ?? '')) return false;
    const hosts = subjectAltNames(x.subjectAltName).filter((e) => e.type === 'DNS' || e.type === 'IP Address');
    const dns = o.dnsNames ?? [];
    const ips = o.ips ?? [];
    if (hosts.length !== dns.length + ips.length) return false;
    if (!dns.every((n) => x.checkHost(n, { wildcards: false }) === n) || !ips.every((ip) => x.checkIP(ip) !== undefined)) return false;
    const eku = x.keyUsage ?? [];
    return (!o.serverAuth || eku.includes(EKU_SERVER_AUTH)) && (!o.clientAuth || eku.includes(EKU_CLIENT_AUTH));
  } catch {
    return false; // unreadable files are replaced, like any other unusable ones
  }
}

function readme(agentEid: string, serverNames: readonly string[], controllerEids: readonly string[]): string {
  const rows: [string, string][] = [
    ['ca.crt, ca.key', `lab CA "${LAB_CA_CN}": trust ca.crt everywhere; ca.key signs, keep it here`],
    ['agent.crt, agent.key', `the agent ${agentEid} (SAN URI ${USP_ID_URN_PREFIX}${agentEid}); TLS client, and WebSocket server on ${LOOPBACK.join(', ')}`],
    ['server.crt, server.key', `brokers (mosquitto, RabbitMQ) and WebSocket servers: ${serverNames.join(', ')}`],
    ...controllerEids.map((eid, i): [string, string] => [`controller-${i + 1}.crt, controller-${i + 1}.key`, `controller ${eid} (SAN URI ${USP_ID_URN_PREFIX}${eid}); TLS client, or WebSocket server on loopback`]),
  ];
  const width = Math.max(...rows.map(([files]) => files.length)) + 2;
  return (
    'usp-agent lab PKI, made by `usp-agent certs init` (see certs/README.md). For tests and labs only.\n\n' +
    rows.map(([files, what]) => `${files.padEnd(width)}${what}\n`).join('') +
    '\nKeys are written 0600 for the user who ran the command; a broker that drops privileges\n' +
    '(mosquitto) needs `chgrp mosquitto server.key; chmod 640 server.key` and a folder it can enter.\n'
  );
}

/**
 * Creates (or completes) the lab PKI in `dir`. Idempotent: a file set that is still valid for
 * these IDs and names is kept; only what is missing, expired or different is reissued (all of
 * it when the CA is). Kept files keep their mode, so a `chgrp`/`chmod` for a broker survives.
 */
export function createLabPki(opts: LabPkiOptions): LabPki {
  checkEndpointId(opts.agentEndpointId);
  opts.controllerEndpointIds.forEach(checkEndpointId);
  if (new Set(opts.controllerEndpointIds).size !== opts.controllerEndpointIds.length) throw new CertError('the controller Endpoint IDs must be distinct');
  const serverNames = opts.serverNames ?? DEFAULT_SERVER_NAMES;
  if (serverNames.length === 0) throw new CertError('the server certificate needs at least one DNS name or IP address');
  const days = opts.days ?? 825;
  const dir = resolve(opts.dir);
  ensureDir(dir);
  const now = new Date();
  const created: string[] = [];
  const writePair = (f: LabPkiFiles, pair: CertAndKey): void => {
    writeFile(f.key, pair.keyPem, 0o600);
    writeFile(f.cert, pair.certPem, 0o644);
    created.push(f.cert, f.key);
  };

  const caFiles = labFiles(dir, 'ca');
  let ca = readPair(caFiles);
  let caX = usableCa(ca, now);
  if (!ca || !caX) {
    ca = createCa(LAB_CA_CN, { days: Math.max(days, 3650) });
    caX = new X509Certificate(ca.certPem);
    writePair(caFiles, ca);
  }
  const both = { serverAuth: true, clientAuth: true, days };
  const leaves: [string, IssueOptions][] = [
    ['agent', { commonName: opts.agentEndpointId, endpointId: opts.agentEndpointId, ...hostSans(LOOPBACK), ...both }],
    ['server', { commonName: serverNames[0] ?? 'localhost', ...hostSans(serverNames), ...both }],
    ...opts.controllerEndpointIds.map((eid, i): [string, IssueOptions] => [`controller-${i + 1}`, { commonName: eid, endpointId: eid, ...hostSans(LOOPBACK), ...both }]),
  ];
  for (const [name, o] of leaves) {
    const f = labFiles(dir, name);
    if (!leafMatches(readPair(f), caX, o, now)) writePair(f, issueCert(ca, o));
  }
  for (const name of readdirSync(dir)) {
    const m = CONTROLLER_FILE_RE.exec(name);
    if (m && Number(m[1]) > opts.controllerEndpointIds.length) rmSync(join(dir, name), { force: true });
  }
  const readmePath = join(dir, 'README.txt');
  const text = readme(opts.agentEndpointId, serverNames, opts.controllerEndpointIds);
  if (!existsSync(readmePath) || readFileSync(readmePath, 'utf8') !== text) {
    writeFile(readmePath, text, 0o644);
    created.push(readmePath);
  }
  const pki = loadLabPki(dir);
  if (!pki) throw new CertError(`the PKI in ${dir} is incomplete after writing it`);
  return { ...pki, created };
}

/** The lab PKI written by createLabPki, or undefined if a file is missing. Does not check validity. */
export function loadLabPki(dir: string): LabPki | undefined {
  const d = resolve(dir);
  const present = (f: LabPkiFiles): boolean => existsSync(f.cert) && existsSync(f.key);
  const [ca, agent, server] = [labFiles(d, 'ca'), labFiles(d, 'agent'), labFiles(d, 'server')];
  if (!present(ca) || !present(agent) || !present(server)) return undefined;
  const numbers = readdirSync(d)
    .map((n) => CONTROLLER_FILE_RE.exec(n))
    .filter((m) => m?.[2] === 'crt')
    .map((m) => Number(m?.[1]))
    .sort((a, b) => a - b);
  const controllers: Record<string, LabPkiFiles> = {};
  for (const n of numbers) {
    const f = labFiles(d, `controller-${n}`);
    if (!present(f)) return undefined;
    const eid = endpointIdFromCertPem(readFileSync(f.cert, 'utf8'));
    if (!eid) return undefined;
    controllers[eid] = f;
  }
  return { dir: d, ca, agent, server, controllers };
}
