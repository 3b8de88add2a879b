/**
 * The transport part of the config: TLS files, the agent's own MTPs and the controllers it
 * knows. At start-up these are written into the data model (LocalAgent.MTP.{i},
 * MQTT.Client.{i}, STOMP.Connection.{i}, LocalAgent.Controller.{i}.MTP.{i}); from there the
 * data model drives the MTPs, so a controller may also change them over USP.
 */

export interface TlsConfig {
  /** PEM files; relative paths are relative to the config file. */
  cert: string;
  key: string;
  ca: string;
  /** Make a lab PKI (CA, agent, controller and server certificates) there on first run when the files are missing. */
  createLabPki: boolean;
}

export type AgentMtpConfig =
  | { protocol: 'WebSocket'; host: string; port: number; path: string; encryption: boolean; keepAliveS: number }
  | {
      protocol: 'MQTT';
      host: string;
      port: number;
      encryption: boolean;
      version: '5.0' | '3.1.1';
      clientId: string;
      username: string;
      password: string;
      /** Our reply topic when the broker assigns none (Mosquitto never does). */
      responseTopic: string;
      /** Extra topics to subscribe to (MQTT.Client.{i}.Subscription.{i}). */
      topics: string[];
      qos: 0 | 1 | 2;
      keepAliveS: number;
      retryMinWaitS: number;
    }
  | {
      protocol: 'STOMP';
      host: string;
      port: number;
      encryption: boolean;
      virtualHost: string;
      username: string;
      password: string;
      destination: string;
      heartbeatMs: number;
      retryMinWaitS: number;
    };

export type ControllerMtpConfig =
  | { protocol: 'MQTT'; topic: string }
  | { protocol: 'STOMP'; destination: string }
  | { protocol: 'WebSocket'; host: string; port: number; path: string; encryption: boolean; keepAliveS: number; retryMinWaitS: number };

export interface ControllerConfig {
  endpointId: string;
  mtps: ControllerMtpConfig[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads typed fields of one object, collecting every problem with its location. */
class Fields {
  constructor(
    private readonly obj: Json,
    private readonly where: string,
    private readonly problems: string[],
  ) {}

  known(keys: string[]): void {
    for (const k of Object.keys(this.obj)) if (!keys.includes(k) && k !== 'comment') this.problems.push(`${this.where}${k}: unknown setting`);
  }

  str(key: string, dflt: string, allowed?: readonly string[]): string {
    const v = this.obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string') this.problems.push(`${this.where}${key}: must be a string`);
    else if (allowed && !allowed.includes(v)) this.problems.push(`${this.where}${key}: must be one of ${allowed.join(', ')}`);
    else return v;
    return dflt;
  }

  int(key: string, dflt: number, min: number, max: number): number {
    const v = this.obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.problems.push(`${this.where}${key}: must be a whole number from ${min} to ${max}`);
    else return v;
    return dflt;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.problems.push(`${this.where}${key}: must be true or false`);
    else return v;
    return dflt;
  }

  strings(key: string): string[] {
    const v = this.obj[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.problems.push(`${this.where}${key}: must be a list of strings`);
      return [];
    }
    const bad = v.flatMap((x: unknown, i) => (typeof x === 'string' ? [] : [i]));
    for (const i of bad) this.problems.push(`${this.where}${key}.${i}: must be a string`);
    return bad.length ? [] : (v as string[]);
  }
}

/** The objects of a list with their index in it, so a problem names the entry the user wrote (`mtps.3.port`) even after a bad one. */
function list(raw: unknown, where: string, problems: string[]): [Json, number][] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${where}: must be a list`);
    return [];
  }
  return raw.flatMap((v, i): [Json, number][] => {
    if (isObj(v)) return [[v, i]];
    problems.push(`${where}.${i}: must be an object`);
    return [];
  });
}

export function parseAgentMtps(raw: unknown, endpointId: string, problems: string[]): AgentMtpConfig[] {
  return list(raw, 'mtps', problems).flatMap(([o, i]): AgentMtpConfig[] => {
    const f = new Fields(o, `mtps.${i}.`, problems);
    const protocol = f.str('protocol', '', ['WebSocket', 'MQTT', 'STOMP']);
    if (o.protocol === undefined) problems.push(`mtps.${i}.protocol: required (WebSocket, MQTT or STOMP)`);
    const encryption = f.bool('encryption', true);
    switch (protocol) {
      case 'WebSocket':
        f.known(['protocol', 'host', 'port', 'path', 'encryption', 'keepAlive']);
        return [{ protocol, host: f.str('host', '127.0.0.1'), port: f.int('port', 8443, 0, 65535), path: f.str('path', '/usp'), encryption, keepAliveS: f.int('keepAlive', 60, 0, 86400) }];
      case 'MQTT':
        f.known(['protocol', 'host', 'port', 'encryption', 'version', 'clientId', 'username', 'password', 'responseTopic', 'topics', 'qos', 'keepAlive', 'retryMinWait']);
        return [
          {
            protocol,
            host: f.str('host', '127.0.0.1'),
            port: f.int('port', encryption ? 8883 : 1883, 1, 65535),
            encryption,
            version: f.str('version', '5.0', ['5.0', '3.1.1']) as '5.0' | '3.1.1',
            clientId: f.str('clientId', ''),
            username: f.str('username', ''),
            password: f.str('password', ''),
            responseTopic: f.str('responseTopic', `usp/agent/${endpointId}`),
            topics: f.strings('topics'),
            qos: f.int('qos', 1, 0, 2) as 0 | 1 | 2,
            keepAliveS: f.int('keepAlive', 60, 0, 65535),
            retryMinWaitS: f.int('retryMinWait', 5, 1, 65535),
          },
        ];
      case 'STOMP':
        f.known(['protocol', 'host', 'port', 'encryption', 'virtualHost', 'username', 'password', 'destination', 'heartbeat', 'retryMinWait']);
        return [
          {
            protocol,
            host: f.str('host', '127.0.0.1'),
            port: f.int('port', encryption ? 61614 : 61613, 1, 65535),
            encryption,
            virtualHost: f.str('virtualHost', '/'),
            username: f.str('username', ''),
            password: f.str('password', ''),
            destination: f.str('destination', `/queue/usp.agent.${endpointId}`),
            heartbeatMs: f.int('heartbeat', 0, 0, 3_600_000),
            retryMinWaitS: f.int('retryMinWait', 5, 1, 65535),
          },
        ];
      default:
        return [];
    }
  });
}

export function parseControllers(raw: unknown, problems: string[]): ControllerConfig[] {
  return list(raw, 'controllers', problems).map(([o, i]) => {
    const f = new Fields(o, `controllers.${i}.`, problems);
    f.known(['endpointId', 'mtps']);
    const endpointId = f.str('endpointId', '');
    if (o.endpointId === undefined || o.endpointId === '') problems.push(`controllers.${i}.endpointId: required`);
    const mtps = list(o.mtps, `controllers.${i}.mtps`, problems).flatMap(([m, j]): ControllerMtpConfig[] => {
      const g = new Fields(m, `controllers.${i}.mtps.${j}.`, problems);
      const protocol = g.str('protocol', '', ['WebSocket', 'MQTT', 'STOMP']);
      if (m.protocol === undefined) problems.push(`controllers.${i}.mtps.${j}.protocol: required (WebSocket, MQTT or STOMP)`);
      if (protocol === 'MQTT') {
        g.known(['protocol', 'topic']);
        return [{ protocol, topic: g.str('topic', `usp/controller/${endpointId}`) }];
      }
      if (protocol === 'STOMP') {
        g.known(['protocol', 'destination']);
        return [{ protocol, destination: g.str('destination', `/queue/usp.controller.${endpointId}`) }];
      }
      if (protocol === 'WebSocket') {
        g.known(['protocol', 'host', 'port', 'path', 'encryption', 'keepAlive', 'retryMinWait']);
        return [
          {
            protocol,
            host: g.str('host', '127.0.0.1'),
            port: g.int('port', 8443, 1, 65535),
            path: g.str('path', '/usp'),
            encryption: g.bool('encryption', true),
            keepAliveS: g.int('keepAlive', 60, 0, 86400),
            retryMinWaitS: g.int('retryMinWait', 5, 1, 65535),
          },
        ];
      }
      return [];
    });
    return { endpointId, mtps };
  });
}

export function parseTls(raw: unknown, dflt: TlsConfig, problems: string[], abs: (p: string) => string): TlsConfig {
  if (raw === undefined) return dflt;
  if (!isObj(raw)) {
    problems.push('tls: must be an object');
    return dflt;
  }
  const f = new Fields(raw, 'tls.', problems);
  f.known(['cert', 'key', 'ca', 'createLabPki']);
  const given = (k: 'cert' | 'key' | 'ca'): string => (raw[k] === undefined ? dflt[k] : abs(f.str(k, dflt[k])));
  return { cert: given('cert'), key: given('key'), ca: given('ca'), createLabPki: f.bool('createLabPki', raw.cert === undefined) };
}

/**
 * Applies `a.b.0.c=value` overrides to the raw JSON config before validation. The value is read
 * as JSON when it parses (numbers, booleans, objects), else as a string.
 */
export function applyOverrides(raw: Json, sets: readonly string[], problems: string[]): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      problems.push(`--set ${s}: expected key=value`);
      continue;
    }
    const keys = s.slice(0, eq).split('.');
    const text = s.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: a plain string such as a host name or a path.
    }
    let cur: Json | unknown[] = raw;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const last = i === keys.length - 1;
      const idx = Array.isArray(cur) ? Number(k) : NaN;
      if (Array.isArray(cur) && (!Number.isInteger(idx) || idx < 0 || idx > cur.length)) {
        problems.push(`--set ${s}: '${k}' is not a valid list index`);
        break;
      }
      const container = cur as Record<string, unknown>;
      const key = Array.isArray(cur) ? idx : k;
      if (last) {
        container[key] = value;
        break;
      }
      let next = container[key];
      if (next === undefined) {
        next = /^\d+$/.test(keys[i + 1] as string) ? [] : {};
        container[key] = next;
      }
      if (typeof next !== 'object' || next === null) {
        problems.push(`--set ${s}: '${keys.slice(0, i + 1).join('.')}' is not an object`);
        break;
      }
      cur = next as Json | unknown[];
    }
  }
}
