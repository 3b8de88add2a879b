/** The built-in objects backed by the platform's readings (TR-181 DeviceInfo status, IP, Ethernet). */
import type { Registry } from '../../datamodel/registry.js';
import type { LinuxReadings } from '../platform-linux/index.js';
import { registerEthernet } from './ethernet.js';
import { registerIp } from './ip.js';
import { registerProcessStatus } from './process-status.js';

export function registerPlatformObjects(dm: Registry, platform: LinuxReadings): void {
  registerProcessStatus(dm, platform);
  registerIp(dm, platform);
  registerEthernet(dm, platform);
}
