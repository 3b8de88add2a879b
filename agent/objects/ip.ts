/**
 * Device.IP.Interface.{i} with IPv4Address.{i}, IPv6Address.{i} and Stats (TR-181 IP:2): live
 * tables over the kernel's network interfaces (agent/platform-linux/net.ts). One IP.Interface row
 * per Linux netdev; addresses are what the kernel has on it now.
 */
import type { LiveParent } from '../../datamodel/nodes.js';
import type { Registry } from '../../datamodel/registry.js';
import { interfaceStatus } from '../platform-linux/index.js';
import type { LinuxReadings, NetInterface, NetStats } from '../platform-linux/index.js';

const U32 = 2n ** 32n;
/** An unsignedInt counter from a 64-bit kernel counter: it wraps, as TR-181 counters do. */
const u32 = (v: string): string => String(BigInt(v) % U32);

/** The Stats values both IP.Interface and Ethernet.Interface have (TR-181 names). */
export function statsValues(s: NetStats): Record<string, string> {
  return {
    'Stats.BytesSent': s.txBytes,
    'Stats.BytesReceived': s.rxBytes,
    'Stats.PacketsSent': s.txPackets,
    'Stats.PacketsReceived': s.rxPackets,
    'Stats.ErrorsSent': u32(s.txErrors),
    'Stats.ErrorsReceived': u32(s.rxErrors),
    'Stats.DiscardPacketsSent': u32(s.txDropped),
    'Stats.DiscardPacketsReceived': u32(s.rxDropped),
    'Stats.MulticastPacketsReceived': s.multicast,
  };
}

/** Values every interface row has (TR-181 Interface.{i} of both IP and Ethernet): Alias, Name, Enable, Status and Stats. */
export function interfaceValues(i: NetInterface): Record<string, string> {
  return { Alias: `cpe-${i.name}`, Name: i.name, Enable: String(i.adminUp), Status: interfaceStatus(i), ...statsValues(i.stats) };
}

export function registerIp(dm: Registry, platform: LinuxReadings): void {
  const byRow = (parent: LiveParent): NetInterface | undefined => {
    const name = parent.values.get('Name');
    return platform.networkInterfaces().find((i) => i.name === name);
  };
  dm.table('Device.IP.Interface.{i}.', {
    rows: () =>
      platform.networkInterfaces().map((i) => ({
        key: i.name,
        values: {
          ...interfaceValues(i),
          Type: i.kind === 'loopback' ? 'Loopback' : 'Normal',
          Loopback: String(i.kind === 'loopback'),
          MaxMTUSize: String(i.mtu),
          IPv4Enable: 'true',
          IPv6Enable: 'true',
        },
      })),
  });
  dm.table('Device.IP.Interface.{i}.IPv4Address.{i}.', {
    rows: (parent) =>
      (byRow(parent)?.addresses ?? [])
        .filter((a) => a.family === 'IPv4')
        .map((a, n) => ({
          key: `${a.address}/${a.prefixLength}`,
          values: {
            Alias: `cpe-ipv4-${n + 1}`,
            Enable: 'true',
            Status: 'Enabled',
            IPAddress: a.address,
            SubnetMask: a.netmask,
            // Link-local addresses come from IPv4LL (RFC 3927); others keep the schema default.
            ...(a.address.startsWith('169.254.') && { AddressingType: 'AutoIP' }),
          },
        })),
  });
  dm.table('Device.IP.Interface.{i}.IPv6Address.{i}.', {
    rows: (parent) =>
      (byRow(parent)?.addresses ?? [])
        .filter((a) => a.family === 'IPv6')
        .map((a, n) => ({
          key: `${a.address}/${a.prefixLength}`,
          values: {
            Alias: `cpe-ipv6-${n + 1}`,
            Enable: 'true',
            Status: 'Enabled',
            IPAddressStatus: 'Preferred',
            IPAddress: a.address,
            ...(a.address === '::1' ? { Origin: 'WellKnown' } : /^fe[89ab]/i.test(a.address) ? { Origin: 'AutoConfigured' } : {}),
          },
        })),
  });
}
