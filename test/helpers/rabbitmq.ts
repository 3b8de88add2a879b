/**
 * A private RabbitMQ 3.10 node with rabbitmq_stomp for integration tests (ENVIRONMENT-NOTES
 * §4b): its own temp dir (config, mnesia, logs, HOME for the Erlang cookie), node name,
 * ports and epmd, all on 127.0.0.1 and chosen with listen(0). Two STOMP listeners: plain
 * (login/passcode) and TLS requiring a client certificate whose first SAN URI is the login
 * (`ssl_cert_login_from = subject_alternative_name`, R-SEC.0a Endpoint ID URNs). The system
 * node (rabbit@localhost, 5672, epmd 4369) is never touched.
 *
 * Users are not made with `rabbitmqctl add_user/clear_password/set_permissions` (each CLI call
 * boots its own Erlang VM, 2–3 s): they go into a definitions file the node imports at every
 * boot (`load_definitions`): certificate users with an empty password hash (= clear_password),
 * password users with a rabbit_password_hashing_sha256 hash, full rights on `/`. Users added
 * while it runs (`addCertUsers`) use one `rabbitmqctl import_definitions`. Readiness is
 * `rabbitmq-diagnostics wait <pidfile>`; stop is SIGTERM to the VM (graceful, ~1.3 s, against
 * ~7 s for `rabbitmqctl stop`), then our epmd is killed by pid.
 *
 * Start-up takes 10–20 s here, so tests share one node per test process: every test calls
 *
 *   const broker = await sharedRabbitMq();   // first call prepares and starts it; later calls
 *                                            // reuse it and start it again if a test stopped it
 *
 * and `sharedRabbitMq({ start: false })` gives the node without starting it (to meet a broker
 * that is down; then `await broker.start()`). tap runs every test file in its own process, so
 * "per process" means "per test file": keep the STOMP scenarios of a suite in one file. The
 * node is disposed in the root tap teardown (registered on first use); a process 'exit' hook
 * SIGKILLs its process group and epmd if the run dies first.
 * Missing binaries: `skipUnlessRabbitMq(t)` skips locally and fails under CI (STYLE §6).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { accessSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki, endpointIdsOf } from '../../certs/pki.js';
import type { LabPki } from '../../certs/pki.js';

export const RABBITMQ_BIN_DIR = process.env.RABBITMQ_BIN_DIR ?? '/usr/lib/rabbitmq/bin';
const HOST = '127.0.0.1';
const START_TIMEOUT_S = 120;
const STOP_TIMEOUT_MS = 30_000;

/** The broker's files of a lab PKI (paths), as createLabPki in certs/pki.ts returns them. */
export interface RabbitPki {
  readonly ca: { readonly cert: string };
  readonly server: { readonly cert: string; readonly key: string };
}

export interface RabbitMqOptions {
  readonly pki: RabbitPki;
  /** PEM files of client certificates whose SAN URIs become password-less users with full rights on vhost `/`. */
  readonly clientCerts?: readonly string[];
  /** login → passcode users for the plain listener (full rights on `/`). */
  readonly passwordUsers?: Readonly<Record<string, string>>;
}

export interface RabbitMq {
  readonly host: typeof HOST;
  readonly vhost: '/';
  /** STOMP over plain TCP (login/passcode). */
  readonly stompPort: number;
  /** STOMP over TLS, client certificate required, SAN URI login. */
  readonly stompTlsPort: number;
  readonly dir: string;
  readonly running: boolean;
  /** Starts the node (first time, or again after stop() on the same ports and mnesia); resolves when `rabbitmq-diagnostics wait` does. */
  start(): Promise<void>;
  /** Stops the node gracefully (SIGTERM to its VM), then kills our private epmd. The dir (mnesia) stays. */
  stop(): Promise<void>;
  /** stop() + start(): same ports, same users and queues. */
  restart(): Promise<void>;
  /** Adds users for the SAN URIs of these certificates (PEM text or file paths); works while running or before start(). */
  addCertUsers(certs: readonly string[]): Promise<string[]>;
  /** stop() and remove the dir. */
  dispose(): Promise<void>;
  /** The node's log so far. */
  log(): string;
  /** Milliseconds the last start() took. */
  readonly lastStartMs: number;
}

/** Why RabbitMQ cannot run here, or undefined when the binaries are present. */
export function rabbitMqUnavailable(): string | undefined {
  for (const b of ['rabbitmq-server', 'rabbitmqctl', 'rabbitmq-diagnostics']) {
    try {
      accessSync(join(RABBITMQ_BIN_DIR, b), constants.X_OK);
    } catch {
      return `${join(RABBITMQ_BIN_DIR, b)} not found (apt-get install rabbitmq-server, or set RABBITMQ_BIN_DIR)`;
    }
  }
  return undefined;
}

const inCi = (): boolean => !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/**
 * True when RabbitMQ can run. Otherwise: under CI it fails `t` (a missing broker fails the run,
 * STYLE §6); locally it ends `t` as skipped with the reason. Call it before any test.
 */
export function skipUnlessRabbitMq(t: { fail(msg: string): unknown; plan(n: number, comment?: string): void }): boolean {
  const missing = rabbitMqUnavailable();
  if (!missing) return true;
  if (inCi()) t.fail(`RabbitMQ is required in CI: ${missing}`);
  else t.plan(0, `RabbitMQ not installed: ${missing}`);
  return false;
}

/** Endpoint IDs in the shared node's lab PKI (users exist for all of them). */
export const SHARED_AGENT_EID = 'os::012345-STOMPAGENT';
export const SHARED_CONTROLLER_EIDS = ['self::stomp-controller-1', 'self::stomp-controller-2'] as const;

export interface SharedRabbitMq extends RabbitMq {
  /** Lab PKI: CA, broker cert, agent cert for SHARED_AGENT_EID, controller certs for SHARED_CONTROLLER_EIDS. */
  readonly pki: LabPki;
  /** A login/passcode user for the plain listener. */
  readonly plain: { readonly login: string; readonly passcode: string };
}

let shared: Promise<SharedRabbitMq> | undefined;

/**
 * The process-wide node. The first call prepares it (dir, ports, PKI, users) and registers its
 * disposal in the root tap teardown; every call then makes sure it runs, unless
 * `{ start: false }` (to meet a broker that is down: call `start()` yourself later).
 */
export async function sharedRabbitMq(opts: { start?: boolean } = {}): Promise<SharedRabbitMq> {
  shared ??= (async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), 'usp-rabbitmq-pki-'));
    const pki = createLabPki({ dir: pkiDir, agentEndpointId: SHARED_AGENT_EID, controllerEndpointIds: [...SHARED_CONTROLLER_EIDS] });
    const clientCerts = [pki.agent.cert, ...Object.values(pki.controllers).map((c) => c.cert)];
    const plain = { login: 'usp-test', passcode: randomBytes(12).toString('hex') };
    const broker = await prepareRabbitMq({ pki, clientCerts, passwordUsers: { [plain.login]: plain.passcode } });
    // Imported here, not at the top: importing tap starts a TAP root, which scripts must not get.
    const { t: tapRoot } = await import('tap');
    tapRoot.teardown(async () => {
      await broker.dispose();
      rmSync(pkiDir, { recursive: true, force: true });
    });
    return Object.assign(broker, { pki, plain });
  })();
  const broker = await shared;
  if (opts.start !== false) await broker.start();
  return broker;
}

/** prepareRabbitMq() + start(). */
export async function startRabbitMq(opts: RabbitMqOptions): Promise<RabbitMq> {
  const b = await prepareRabbitMq(opts);
  try {
    await b.start();
  } catch (e) {
    await b.dispose();
    throw e;
  }
  return b;
}

/** Writes the node's dir and config on fresh ports, without starting it (so a client can meet a broker that is down). */
export async function prepareRabbitMq(opts: RabbitMqOptions): Promise<RabbitMq> {
  const missing = rabbitMqUnavailable();
  if (missing) throw new Error(`cannot run RabbitMQ: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'usp-rabbitmq-'));
  const [amqpPort, distPort, epmdPort, stompPort, stompTlsPort] = (await freePorts(5)) as [number, number, number, number, number];
  const nodeName = `usptest-${process.pid}-${randomBytes(3).toString('hex')}@localhost`;
  for (const d of ['home', 'mnesia', 'log']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  const defsFile = join(dir, 'definitions.json');
  const users = new Map<string, string>(); // name → password_hash ('' = no password)
  for (const [name, pass] of Object.entries(opts.passwordUsers ?? {})) users.set(name, hashPassword(pass));
  for (const uri of certUris(opts.clientCerts ?? [])) users.set(uri, '');
  /** RabbitMQ definitions (vhost `/`, users with full rights on it), imported at every boot and by addCertUsers. */
  const writeDefinitions = (file: string, names: Iterable<string>): void => {
    const list = [...names];
    const defs = {
      vhosts: [{ name: '/' }],
      users: list.map((name) => ({ name, password_hash: users.get(name) ?? '', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] })),
      permissions: list.map((user) => ({ user, vhost: '/', configure: '.*', write: '.*', read: '.*' })),
    };
    writeFileSync(file, JSON.stringify(defs, null, 2));
  };
  writeDefinitions(defsFile, users.keys());
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_stomp].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '# empty: keeps /etc/rabbitmq/rabbitmq-env.conf (the system node) out\n');
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = ${HOST}:${amqpPort}`,
      'loopback_users.guest = true',
      'log.console = false',
      'log.file.level = info',
      `load_definitions = ${defsFile}`,
      `ssl_options.cacertfile = ${opts.pki.ca.cert}`,
      `ssl_options.certfile = ${opts.pki.server.cert}`,
      `ssl_options.keyfile = ${opts.pki.server.key}`,
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
      'ssl_options.versions.1 = tlsv1.3',
      'ssl_options.versions.2 = tlsv1.2',
      'ssl_cert_login_from = subject_alternative_name',
      'ssl_cert_login_san_type = uri',
      'ssl_cert_login_san_index = 0',
      `stomp.listeners.tcp.1 = ${HOST}:${stompPort}`,
      `stomp.listeners.ssl.1 = ${HOST}:${stompTlsPort}`,
      'stomp.ssl_cert_login = true',
      'stomp.implicit_connect = false',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && !k.startsWith('ERL_'))),
    HOME: join(dir, 'home'),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_ADDRESS: HOST,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CTL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    PATH: `${RABBITMQ_BIN_DIR}:${process.env.PATH ?? ''}`,
  };
  const pidFile = join(dir, 'rabbit.pid');
  const consoleFile = join(dir, 'log', 'console.out');
  const logFile = join(dir, 'log', `${nodeName}.log`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let lastStartMs = 0;

  const ctl = (tool: string, args: string[], timeoutMs: number): Promise<string> => run(join(RABBITMQ_BIN_DIR, tool), args, env, timeoutMs);
  const readLog = (): string => [consoleFile, logFile].map((f) => safeRead(f)).join('\n');
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  // The test process is dying with the node still up: kill its process group (created by
  // spawn({ detached }), so ours only) and our epmd, synchronously.
  const onExit = (): void => {
    if (child?.pid !== undefined && alive()) signal(-child.pid, 'SIGKILL');
    killEpmd(epmdPort);
  };

  /**
   * SIGTERM to the Erlang VM (pid file) is RabbitMQ's graceful shutdown and takes about 1.3 s here;
   * `rabbitmqctl stop` does the same but needs its own VM and took about 7 s.
   */
  const stop = async (): Promise<void> => {
    const p = child;
    if (!p) return;
    if (alive() && p.pid !== undefined) {
      const group = p.pid;
      const vm = Number(safeRead(pidFile).trim());
      signal(vm > 0 ? vm : -group, 'SIGTERM');
      const timer = setTimeout(() => signal(-group, 'SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    child = undefined;
    rmSync(pidFile, { force: true });
    killEpmd(epmdPort);
    process.off('exit', onExit);
  };

  let starting: Promise<void> | undefined;
  const launch = async (): Promise<void> => {
    if (alive()) return;
    const t0 = Date.now();
    const out = openSync(consoleFile, 'a');
    // detached: own session and process group, so stop() and the exit hook can signal exactly it.
    const p = spawn(join(RABBITMQ_BIN_DIR, 'rabbitmq-server'), [], { env, cwd: dir, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child = p;
    process.on('exit', onExit);
    exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    const died = exited.then(() => {
      throw new Error(`rabbitmq-server exited (${p.exitCode ?? p.signalCode}) during start`);
    });
    died.catch(() => undefined); // exits after a successful start are stop()'s business
    try {
      await Promise.race([ctl('rabbitmq-diagnostics', ['-q', 'wait', pidFile, '--timeout', String(START_TIMEOUT_S)], (START_TIMEOUT_S + 10) * 1000), died]);
    } catch (e) {
      await stop();
      throw new Error(`RabbitMQ did not start: ${(e as Error).message}\n${tail(readLog())}`);
    }
    lastStartMs = Date.now() - t0;
  };

  const handle: RabbitMq = {
    host: HOST,
    vhost: '/',
    stompPort,
    stompTlsPort,
    dir,
    get running() {
      return alive();
    },
    get lastStartMs() {
      return lastStartMs;
    },
    start() {
      starting ??= launch().finally(() => (starting = undefined));
      return starting;
    },
    stop,
    async restart() {
      await stop();
      await handle.start();
    },
    async addCertUsers(certs) {
      const uris = certUris(certs).filter((u) => !users.has(u));
      for (const u of uris) users.set(u, '');
      writeDefinitions(defsFile, users.keys()); // for later boots
      if (uris.length > 0 && alive()) {
        const file = join(dir, 'definitions-added.json');
        writeDefinitions(file, uris);
        await ctl('rabbitmqctl', ['-q', 'import_definitions', file], 60_000);
      }
      return uris;
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
  return handle;
}

/** The `urn:bbf:usp:id:` SAN URIs (RabbitMQ logins) of PEM certificates given as text or file paths. */
function certUris(certs: readonly string[]): string[] {
  return certs.flatMap((c) => {
    const pem = c.includes('-----BEGIN') ? c : readFileSync(c, 'utf8');
    const eids = endpointIdsOf(new X509Certificate(pem));
    if (eids.length === 0) throw new Error('client certificate without a urn:bbf:usp:id: SAN URI');
    return [`urn:bbf:usp:id:${eids[0]}`];
  });
}

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ SHA-256(salt ‖ password)), 4-byte salt. */
function hashPassword(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash('sha256').update(salt).update(password, 'utf8').digest()]).toString('base64');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Kills the epmd daemon that runs with our private ERL_EPMD_PORT (it outlives the node; found via /proc). */
function killEpmd(port: number): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'epmd') continue;
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (environ.includes(`ERL_EPMD_PORT=${port}`)) process.kill(Number(pid), 'SIGTERM');
    } catch {
      // the process went away while we looked
    }
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd.split('/').pop()} ${args.join(' ')} failed (${code ?? signal}): ${out.trim()}`));
    });
  });
}

/** Distinct ports that were free a moment ago (listen(0) on 127.0.0.1, all held until every one is known). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, HOST, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (typeof a !== 'object' || !a) throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

const tail = (s: string, lines = 40): string => s.trim().split('\n').slice(-lines).join('\n');
