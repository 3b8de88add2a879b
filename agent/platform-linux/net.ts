/**
 * Network interfaces from /sys/class/net (sysfs-class-net ABI) and their addresses from
 * os.networkInterfaces(): Device.IP.Interface.{i} and Device.Ethernet.Interface.{i}.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';

/** Counters from `statistics/` (bigint-safe strings: 64-bit counters exceed 2^53 on busy links). */
export interface NetStats {
  readonly rxBytes: string;
  readonly txBytes: string;
  readonly rxPackets: string;
  readonly txPackets: string;
  readonly rxErrors: string;
  readonly txErrors: string;
  readonly rxDropped: string;
  readonly txDropped: string;
  readonly multicast: string;
  readonly collisions: string;
}

export interface NetAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  /** IPv4 dotted mask; IPv6 prefix length as a string. */
  readonly netmask: string;
  readonly prefixLength: number;
}

export interface NetInterface {
  readonly name: string;
  readonly ifindex: number;
  /** `operstate` (RFC 2863 names in lower case: up, down, unknown, dormant, lowerlayerdown, notpresent, testing). */
  readonly operState: string;
  /** IFF_UP: administratively enabled. */
  readonly adminUp: boolean;
  /** The link has carrier (`carrier` is 1; it cannot be read while the interface is down). */
  readonly running: boolean;
  /** ARPHRD type: 1 Ethernet, 772 loopback, ... */
  readonly arpType: number;
  readonly mac: string;
  readonly mtu: number;
  /** Link speed in Mbit/s when the driver reports one. */
  readonly speedMbps: number | undefined;
  readonly duplex: 'full' | 'half' | undefined;
  /** A physical port (a `device` link), not a bridge, bond or wireless interface. */
  readonly kind: 'ethernet' | 'wireless' | 'bridge' | 'loopback' | 'other';
  readonly stats: NetStats;
  readonly addresses: readonly NetAddress[];
}

const IFF_UP = 0x1;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;

function text(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    // Some attributes fail with EINVAL while a link is down (speed, duplex, carrier).
    return undefined;
  }
}

function counter(dir: string, name: string): string {
  const v = text(join(dir, 'statistics', name));
  return v !== undefined && /^\d+$/.test(v) ? v : '0';
}

function kindOf(dir: string, arpType: number): NetInterface['kind'] {
  if (arpType === ARPHRD_LOOPBACK) return 'loopback';
  if (arpType !== ARPHRD_ETHER) return 'other';
  if (existsSync(join(dir, 'wireless')) || existsSync(join(dir, 'phy80211'))) return 'wireless';
  if (existsSync(join(dir, 'bridge'))) return 'bridge';
  return 'ethernet';
}

function addressesOf(infos: readonly NetworkInterfaceInfo[] | undefined): NetAddress[] {
  return (infos ?? []).map((a) => ({
    family: a.family,
    // Node appends the zone (`fe80::1%eth0`) to link-local IPv6 addresses; TR-181 IPAddress has none.
    address: a.address.replace(/%.*$/, ''),
    netmask: a.family === 'IPv4' ? a.netmask : String(prefixOf(a.cidr)),
    prefixLength: prefixOf(a.cidr),
  }));
}

function prefixOf(cidr: string | null): number {
  const n = Number(cidr?.slice(cidr.lastIndexOf('/') + 1));
  return Number.isInteger(n) ? n : 0;
}

/**
 * Every interface in `root` (default /sys/class/net), in ifindex order, with its counters and
 * addresses. libuv lists addresses only for interfaces that are up and running.
 */
export function readNetInterfaces(root = '/sys/class/net', addrs: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): NetInterface[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: NetInterface[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const ifindex = Number(text(join(dir, 'ifindex')));
    if (!Number.isInteger(ifindex)) continue; // vanished while reading, or not an interface
    const arpType = Number(text(join(dir, 'type')) ?? NaN);
    const speed = Number(text(join(dir, 'speed')) ?? NaN);
    const duplex = text(join(dir, 'duplex'));
    const flags = Number.parseInt(text(join(dir, 'flags')) ?? '0', 16);
    out.push({
      name,
      ifindex,
      operState: text(join(dir, 'operstate')) ?? 'unknown',
      adminUp: (flags & IFF_UP) !== 0,
      running: text(join(dir, 'carrier')) === '1',
      arpType,
      mac: (text(join(dir, 'address')) ?? '').toUpperCase(),
      mtu: Number(text(join(dir, 'mtu')) ?? 0),
      speedMbps: Number.isFinite(speed) && speed > 0 ? speed : undefined,
      duplex: duplex === 'full' || duplex === 'half' ? duplex : undefined,
      kind: kindOf(dir, arpType),
      stats: {
        rxBytes: counter(dir, 'rx_bytes'),
        txBytes: counter(dir, 'tx_bytes'),
        rxPackets: counter(dir, 'rx_packets'),
        txPackets: counter(dir, 'tx_packets'),
        rxErrors: counter(dir, 'rx_errors'),
        txErrors: counter(dir, 'tx_errors'),
        rxDropped: counter(dir, 'rx_dropped'),
        txDropped: counter(dir, 'tx_dropped'),
        multicast: counter(dir, 'multicast'),
        collisions: counter(dir, 'collisions'),
      },
      addresses: addressesOf(addrs[name]),
    });
  }
  return out.sort((a, b) => a.ifindex - b.ifindex);
}

/** TR-181 Interface Status from `operstate` (RFC 2863); `unknown` (loopback, many virtual links) counts as Up when the link is up and running. */
export function interfaceStatus(i: Pick<NetInterface, 'operState' | 'adminUp' | 'running'>): 'Up' | 'Down' | 'Unknown' | 'Dormant' | 'NotPresent' | 'LowerLayerDown' | 'Error' {
  switch (i.operState) {
    case 'up':
      return 'Up';
    case 'down':
      return 'Down';
    case 'dormant':
      return 'Dormant';
    case 'notpresent':
      return 'NotPresent';
    case 'lowerlayerdown':
      return 'LowerLayerDown';
    case 'unknown':
      return i.adminUp && i.running ? 'Up' : 'Down';
    default:
      return 'Unknown';
  }
}
