/**
 * The brokers of bench/mtp.ts: the tests' private Mosquitto (test/helpers/mosquitto.ts) with
 * Nagle off, and the tests' private RabbitMQ node with rabbitmq_stomp and certificate login
 * (test/helpers/rabbitmq.ts), both on loopback with the bench's lab PKI.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MOSQUITTO_BIN, prepareMosquitto } from '../test/helpers/mosquitto.js';
import type { BrokerPki, Mosquitto } from '../test/helpers/mosquitto.js';
import { RABBITMQ_BIN_DIR } from '../test/helpers/rabbitmq.js';
import type { RabbitMq } from '../test/helpers/rabbitmq.js';

/**
 * The tests' private broker plus `set_tcp_nodelay true`: Mosquitto 2 leaves Nagle on by default,
 * and with QoS 1 every sequential round trip then waits ~40 ms for a delayed ACK, for the echo
 * and the agent alike. A USP broker would be set up this way.
 */
export async function startMosquittoNoDelay(pki: BrokerPki): Promise<Mosquitto> {
  const m = await prepareMosquitto({ pki });
  const conf = join(m.dir, 'mosquitto.conf');
  try {
    appendFileSync(conf, 'set_tcp_nodelay true\n');
    await m.start();
  } catch (e) {
    await m.dispose();
    throw e;
  }
  // The helper rewrites its config only when it has to pick new ports.
  if (!readFileSync(conf, 'utf8').includes('set_tcp_nodelay true')) console.log('note: mosquitto runs without set_tcp_nodelay (config rewritten)');
  return m;
}

export function mosquittoVersion(): string {
  const r = spawnSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8', timeout: 5000 });
  return /mosquitto version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?';
}

/** RabbitMQ's version from its install folder (/usr/lib/rabbitmq/lib/rabbitmq_server-X.Y.Z), without booting a CLI VM. */
export function rabbitMqVersion(): string {
  try {
    const lib = join(RABBITMQ_BIN_DIR, '..', 'lib');
    const d = readdirSync(lib).find((n) => n.startsWith('rabbitmq_server-'));
    return d ? d.slice('rabbitmq_server-'.length) : '?';
  } catch {
    return '?';
  }
}

/** The pid of the Erlang VM of a private RabbitMQ node (its pid file), for its CPU time. */
export function rabbitMqPid(b: RabbitMq): number | undefined {
  try {
    const pid = Number(readFileSync(join(b.dir, 'rabbit.pid'), 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
