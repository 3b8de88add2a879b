/**
 * Seeded generators for the fuzzer: a small PRNG, hostile strings, USP paths from the path
 * grammar (TR-369 §Data Model Path Grammar, with deliberate mistakes), and whole requests.
 * Not a test file itself (test/unit/fuzz/*.test.ts and bench/fuzz.ts use it).
 */
import type { Request } from '../../../proto/index.js';

/** A seeded PRNG (splitmix-like, 32-bit): the same seed gives the same cases on every run. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** Names that exist in our data model, mixed with near misses and junk. */
const OBJECTS = ['LocalAgent', 'Controller', 'Subscription', 'MTP', 'DeviceInfo', 'Time', 'Request', 'Certificate', 'BootParameter', 'WebSocket', 'MQTT', 'Client', 'ControllerTrust', 'Role', 'Permission', 'IP', 'Interface'];
const PARAMS = ['EndpointID', 'Enable', 'Alias', 'ID', 'NotifType', 'ReferenceList', 'Persistent', 'TimeToLive', 'LocalTimeZone', 'ProvisioningCode', 'PeriodicNotifInterval', 'PeriodicNotifTime', 'Recipient', 'SerialNumber', 'Status', 'Name', 'X_ACME-COM_Thing'];
const JUNK_NAMES = ['', '1abc', 'A B', 'Ä', 'A\u0000B', 'a'.repeat(300), '_', '-x', 'Device'];
// Reboot() and FactoryReset() are left out on purpose: they would stop the agent under test.
const COMMANDS = ['ScheduleTimer()', 'SendOnBoardRequest()', 'Cancel()', 'AddCertificate()', 'SelfTestDiagnostics()', 'Bogus()'];
const EVENTS = ['Boot!', 'Periodic!', 'Timer!', 'Nope!'];
const OPS = ['==', '!=', '~=', '<', '>', '<=', '>=', '=', '===', '&&', ''];
const INSTANCES = ['1', '2', '3', '4294967295', '4294967296', '0', '01', '-1', '99999999999999999999', '*', '{i}', ''];

/** Strings that break naive code: empty, NUL, control and unicode characters, huge, lone surrogates, numbers, paths. */
export function hostileString(r: Rng): string {
  switch (r.int(16)) {
    case 0:
      return '';
    case 1:
      return 'a\u0000b';
    case 2:
      return '\u0001\u001f\u007f\t\r\n';
    case 3:
      return 'é😀\u202eRTL\u200b';
    case 4:
      return 'x'.repeat(1 + r.int(r.chance(0.1) ? 200_000 : 2_000));
    case 5:
      return '😀'.repeat(1 + r.int(500));
    case 6:
      // protobufjs writes a lone surrogate as bytes that are not UTF-8: the decoder must reject it.
      return 'a\ud800b';
    case 7:
      return String(r.pick([0, -1, 1, 4294967295, 4294967296, 2 ** 53, -(2 ** 63), 1e308]));
    case 8:
      return r.pick(['true', 'false', '1', '0', 'TRUE', 'yes']);
    case 9:
      return r.pick(['0001-01-01T00:00:00Z', '2026-13-45T99:99:99Z', '9999-12-31T23:59:59.999999Z', 'now']);
    case 10:
      return randomPath(r);
    case 11:
      return r.pick(['%22', '%25', '%', '"', '\\', '[', ']', '{i}', '+', '#', '#*+']);
    case 12:
      return Array.from({ length: 1 + r.int(40) }, () => randomPath(r).replace(/\.$/, '')).join(',');
    case 13:
      return r.pick(['ValueChange', 'ObjectCreation', 'ObjectDeletion', 'OperationComplete', 'Event', 'Periodic']);
    case 14:
      return r.pick(['UTC', 'EST5', 'CET-1CEST,M3.5.0,M10.5.0/3', 'proto::x', 'os::00256D-1']);
    default:
      return `v${r.int(1000)}`;
  }
}

function name(r: Rng, pool: readonly string[]): string {
  return r.chance(0.05) ? r.pick(JUNK_NAMES) : r.pick(pool);
}

function searchValue(r: Rng): string {
  switch (r.int(6)) {
    case 0:
      return `"${hostileString(r).replace(/"/g, '%22').slice(0, 200)}"`;
    case 1:
      return String(r.int(100) - 50);
    case 2:
      return r.pick(['true', 'false']);
    case 3:
      return `"${'x'.repeat(r.int(10_000))}"`;
    case 4:
      return '"unterminated';
    default:
      return `"proto::c${r.int(5)}"`;
  }
}

function searchExpr(r: Rng): string {
  const n = r.chance(0.05) ? 20 + r.int(30) : 1 + r.int(3);
  const parts = Array.from({ length: n }, () => {
    const lhs = r.chance(0.2) ? `${name(r, PARAMS)}+.${name(r, PARAMS)}` : name(r, PARAMS);
    return `${lhs}${r.chance(0.1) ? ' ' : ''}${r.pick(OPS)}${searchValue(r)}`;
  });
  return `[${parts.join(r.chance(0.9) ? '&&' : r.pick(['||', '&', ' ']))}]`;
}

/** A path from the USP grammar: mostly well formed, with wrong pieces mixed in. */
export function randomPath(r: Rng): string {
  if (r.chance(0.02)) return r.pick(['', '.', 'Device', 'Device..', 'device.', ' Device.', 'Device.\u0000']);
  let p = 'Device.';
  const depth = r.chance(0.03) ? 30 + r.int(60) : r.int(5);
  for (let i = 0; i < depth; i++) {
    p += `${name(r, OBJECTS)}.`;
    if (r.chance(0.5)) {
      const k = r.int(10);
      p += k < 6 ? r.pick(INSTANCES) : k < 9 ? searchExpr(r) : `${name(r, PARAMS)}${r.pick(['+', '#1+', '#*+', '#0+'])}`;
      p += '.';
    }
  }
  switch (r.int(5)) {
    case 0:
      return p;
    case 1:
      return `${p}${r.pick(COMMANDS)}`;
    case 2:
      return `${p}${r.pick(EVENTS)}`;
    default:
      return `${p}${name(r, PARAMS)}`;
  }
}

/** A path that points into the agent's real data model (more of these succeed and reach deeper code). */
export function realPath(r: Rng): string {
  const n = 1 + r.int(3);
  return r.pick([
    `Device.LocalAgent.Controller.${n}.`,
    `Device.LocalAgent.Controller.${n}.EndpointID`,
    `Device.LocalAgent.Subscription.${n}.`,
    `Device.LocalAgent.Subscription.*.Enable`,
    `Device.LocalAgent.Subscription.[Enable==true].ID`,
    `Device.LocalAgent.Controller.[EndpointID=="proto::c${n}"].Alias`,
    'Device.DeviceInfo.SerialNumber',
    'Device.Time.LocalTimeZone',
    'Device.LocalAgent.',
    'Device.LocalAgent.Controller.',
    'Device.LocalAgent.Subscription.',
  ]);
}

const path = (r: Rng): string => (r.chance(0.5) ? realPath(r) : randomPath(r));
const paths = (r: Rng): string[] => Array.from({ length: r.chance(0.05) ? 50 + r.int(200) : r.int(4) }, () => path(r));
const settings = (r: Rng): { param: string; value: string; required: boolean }[] =>
  Array.from({ length: r.int(4) }, () => ({ param: r.chance(0.9) ? r.pick(PARAMS) : hostileString(r).slice(0, 300), value: hostileString(r), required: r.chance(0.5) }));
const uint = (r: Rng): number => r.pick([0, 1, 2, 5, 4294967295, r.int(100)]);

/** A request of a random kind with random (often hostile) content. */
export function randomRequest(r: Rng): Request {
  switch (r.int(9)) {
    case 0:
      return { get: { paramPaths: paths(r), maxDepth: r.chance(0.8) ? r.int(3) : uint(r) } };
    case 1:
      return { set: { allowPartial: r.chance(0.5), updateObjs: Array.from({ length: r.int(3) }, () => ({ objPath: path(r), paramSettings: settings(r) })) } };
    case 2:
      return { add: { allowPartial: r.chance(0.5), createObjs: Array.from({ length: r.int(3) }, () => ({ objPath: r.pick(['Device.LocalAgent.Subscription.', 'Device.LocalAgent.Controller.', path(r)]), paramSettings: settings(r) })) } };
    case 3:
      return { delete: { allowPartial: r.chance(0.5), objPaths: paths(r) } };
    case 4:
      return { getInstances: { objPaths: paths(r), firstLevelOnly: r.chance(0.5) } };
    case 5:
      return { getSupportedDm: { objPaths: paths(r), firstLevelOnly: r.chance(0.7), returnCommands: r.chance(0.5), returnEvents: r.chance(0.5), returnParams: r.chance(0.5) } };
    case 6:
      return { getSupportedProtocol: { controllerSupportedProtocolVersions: hostileString(r).slice(0, 100) } };
    case 7: {
      const inputArgs: Record<string, string> = {};
      for (let i = r.int(3); i > 0; i--) inputArgs[r.pick(['DelaySeconds', 'Cause', 'CommandKey', hostileString(r).slice(0, 50)])] = hostileString(r);
      return { operate: { command: r.chance(0.5) ? `Device.${r.pick(COMMANDS)}` : path(r), commandKey: hostileString(r).slice(0, 100), sendResp: r.chance(0.8), inputArgs } };
    }
    default:
      return { notify: { subscriptionId: 'x', sendResp: true, event: { objPath: 'Device.', eventName: 'Boot!' } } };
  }
}
