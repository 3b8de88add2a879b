/**
 * A private Mosquitto broker for one test: its own temp dir, config, log file and ephemeral
 * ports (STYLE §6), a TLS listener that (by default) requires a client certificate, and
 * optionally a plain listener. Never touches the system broker on 1883.
 *
 * Privilege-drop gotcha (ENVIRONMENT-NOTES §4a): started as root, mosquitto switches to user
 * `mosquitto` before it loads the server key and opens the log, so the temp dir must be
 * traversable, the key group-readable by `mosquitto` (chgrp + 0640) and the log file owned
 * by `mosquitto`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_TRIES = 5;

/** The broker files of a lab PKI (paths), as `createLabPki` in certs/pki.ts returns them. */
export interface BrokerPki {
  readonly ca: { readonly cert: string };
  readonly server: { readonly cert: string; readonly key: string };
}

export interface MosquittoOptions {
  readonly pki: BrokerPki;
  /** require_certificate + use_identity_as_username on the TLS listener (default true). */
  readonly requireCert?: boolean;
  /** Also open a plain-TCP listener allowing anonymous clients. */
  readonly plain?: boolean;
  /** Mosquitto ACL file content for every listener (usernames are certificate CNs); default: no ACL. */
  readonly acl?: string;
}

export interface Mosquitto {
  readonly host: typeof HOST;
  /** The TLS listener. */
  readonly port: number;
  readonly plainPort?: number;
  readonly logFile: string;
  readonly dir: string;
  readonly running: boolean;
  /** Starts the broker (again) on the same ports; resolves once every listener accepts connections. */
  start(): Promise<void>;
  /** Kills the broker (SIGTERM, then SIGKILL) and waits for it to exit. The dir stays. */
  stop(): Promise<void>;
  /** stop() then start() on the same ports. */
  restart(): Promise<void>;
  /** stop() and remove the temp dir; for t.teardown. */
  dispose(): Promise<void>;
  /** The broker log so far (for assertions and failure messages). */
  log(): string;
}

/** Prepares a broker (dir, config, ports) and starts it. */
export async function startMosquitto(opts: MosquittoOptions): Promise<Mosquitto> {
  const m = await prepareMosquitto(opts);
  try {
    await m.start();
  } catch (e) {
    await m.dispose();
    throw e;
  }
  return m;
}

/**
 * Prepares a broker without starting it: the ports are chosen (free now, nothing listening
 * yet), so a client can be pointed at a broker that is down and start() it later.
 */
export async function prepareMosquitto(opts: MosquittoOptions): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'usp-mosquitto-'));
  chmodSync(dir, 0o755);
  const ids = mosquittoIds();
  const file = (name: string, src: string, mode: number): string => {
    const p = join(dir, name);
    copyFileSync(src, p);
    chmodSync(p, mode);
    if (ids) chownSync(p, 0, ids.gid);
    return p;
  };
  const ca = file('ca.crt', opts.pki.ca.cert, 0o644);
  const cert = file('server.crt', opts.pki.server.cert, 0o644);
  const key = file('server.key', opts.pki.server.key, 0o640);
  const logFile = join(dir, 'mosquitto.log');
  const confFile = join(dir, 'mosquitto.conf');
  const requireCert = opts.requireCert ?? true;
  const aclFile = join(dir, 'acl');
  if (opts.acl !== undefined) {
    writeFileSync(aclFile, opts.acl);
    chmodSync(aclFile, 0o644);
  }
  const aclLines = opts.acl === undefined ? [] : [`acl_file ${aclFile}`];

  let port = 0;
  let plainPort: number | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  const writeConfig = (): void => {
    const lines = [
      'per_listener_settings true',
      'persistence false',
      // Mosquitto 2 leaves Nagle on: ~40 ms per sequential round trip without this.
      'set_tcp_nodelay true',
      `log_dest file ${logFile}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      '',
      `listener ${port} ${HOST}`,
      'protocol mqtt',
      `cafile ${ca}`,
      `certfile ${cert}`,
      `keyfile ${key}`,
      'tls_version tlsv1.2',
      ...(requireCert
        ? ['require_certificate true', 'use_identity_as_username true', 'allow_anonymous false']
        : ['require_certificate false', 'allow_anonymous true']),
      ...aclLines,
    ];
    if (plainPort !== undefined) lines.push('', `listener ${plainPort} ${HOST}`, 'protocol mqtt', 'allow_anonymous true', ...aclLines);
    writeFileSync(confFile, lines.join('\n') + '\n');
    chmodSync(confFile, 0o644);
  };
  const pickPorts = async (): Promise<void> => {
    port = await freePort();
    plainPort = opts.plain ? await freePort() : undefined;
    writeConfig();
  };
  await pickPorts();

  const launch = async (): Promise<void> => {
    // The log file must exist and belong to mosquitto before it drops privileges.
    writeFileSync(logFile, '', { flag: 'a' });
    if (ids) chownSync(logFile, ids.uid, ids.gid);
    stderr = '';
    // Only this run's log lines count as proof that this run is listening.
    const logStart = readLog().length;
    const p = spawn(MOSQUITTO_BIN, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = p;
    p.stderr?.setEncoding('utf8');
    p.stderr?.on('data', (d: string) => (stderr += d));
    exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.once('error', (e) => (stderr += `spawn failed: ${e.message}`));
    const ports = plainPort === undefined ? [port] : [port, plainPort];
    await waitListening(
      p,
      ports,
      () => readLog().slice(logStart),
      () => `${stderr}\n${readLog().slice(logStart)}`,
    );
  };
  const readLog = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const handle: Mosquitto = {
    host: HOST,
    get port() {
      return port;
    },
    get plainPort() {
      return plainPort;
    },
    logFile,
    dir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      if (handle.running) return;
      for (let i = 1; ; i++) {
        try {
          await launch();
          return;
        } catch (e) {
          await stop();
          // Someone took a port between our probe and mosquitto's bind: pick new ones.
          if (i < PORT_TRIES && /Address already in use/i.test(`${stderr}\n${readLog()}`)) {
            await pickPorts();
            continue;
          }
          throw e;
        }
      }
    },
    stop,
    async restart() {
      await stop();
      await handle.start();
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
  return handle;
}

/** A port that was free a moment ago: bind port 0 on 127.0.0.1, read it, release it. */
export async function freePort(): Promise<number> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<number>((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(0, HOST, () => {
          const addr = srv.address();
          srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
        });
      });
    } catch (e) {
      if (i >= PORT_TRIES || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}

/** uid/gid of the `mosquitto` user when we run as root (it then drops privileges to it), else undefined. */
function mosquittoIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mosquitto:'));
  const f = line?.split(':');
  if (!f || f[2] === undefined || f[3] === undefined) return undefined;
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/**
 * Polls (bounded) until every port accepts a TCP connection and our broker's log says it opened
 * that port (so a port taken by someone else is not mistaken for ours); fails early if it exits.
 */
async function waitListening(p: ChildProcess, ports: number[], log: () => string, diag: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const port of ports) {
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) {
        throw new Error(`mosquitto exited (${p.exitCode ?? p.signalCode}) before listening on ${port}:\n${diag()}`);
      }
      if (log().includes(`listen socket on port ${port}.`) && (await canConnect(port))) break;
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${READY_TIMEOUT_MS} ms:\n${diag()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}
