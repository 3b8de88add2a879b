/**
 * Device.Ethernet.Interface.{i} with Stats (TR-181 Ethernet:2): a live table of the kernel's
 * Ethernet netdevs that are neither wireless, bridges nor loopback (agent/platform-linux/net.ts).
 */
import type { Registry } from '../../datamodel/registry.js';
import type { LinuxReadings } from '../platform-linux/index.js';
import { interfaceValues } from './ip.js';

export function registerEthernet(dm: Registry, platform: LinuxReadings): void {
  dm.table('Device.Ethernet.Interface.{i}.', {
    rows: () =>
      platform
        .networkInterfaces()
        .filter((i) => i.kind === 'ethernet')
        .map((i) => ({
          key: i.name,
          values: {
            ...interfaceValues(i),
            MACAddress: i.mac,
            // MaxBitRate -1 is "auto" (TR-181); the driver's speed is the current one.
            MaxBitRate: '-1',
            CurrentBitRate: String(i.speedMbps ?? 0),
            DuplexMode: 'Auto',
            CurrentDuplexMode: i.duplex === 'full' ? 'Full' : i.duplex === 'half' ? 'Half' : 'Unknown',
            'Stats.Collisions': i.stats.collisions,
          },
        })),
  });
}
