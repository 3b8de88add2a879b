/** Device. root and Device.DeviceInfo. identity and uptime (TR-181 DeviceInfo:1). */
import type { Registry } from '../../datamodel/registry.js';
import type { IdentityConfig } from '../config.js';
import type { PlatformHooks } from '../hooks.js';

/** `softwareVersion` may be live: with firmware banks it is the running bank's Version (TR-181 FirmwareImage.{i}.Version). */
export function registerDeviceInfo(dm: Registry, id: IdentityConfig, platform: PlatformHooks, softwareVersion: string | (() => string)): void {
  dm.param('Device.RootDataModelVersion', { get: () => '2.19' });
  const fixed: Record<string, string> = {
    Manufacturer: id.manufacturer,
    ManufacturerOUI: id.manufacturerOUI,
    ModelName: id.modelName,
    Description: id.description,
    ProductClass: id.productClass,
    SerialNumber: id.serialNumber,
    HardwareVersion: id.hardwareVersion,
  };
  for (const [name, value] of Object.entries(fixed)) dm.param(`Device.DeviceInfo.${name}`, { get: () => value });
  dm.param('Device.DeviceInfo.SoftwareVersion', { get: typeof softwareVersion === 'string' ? () => softwareVersion : softwareVersion });
  dm.param('Device.DeviceInfo.UpTime', { get: () => String(platform.uptimeSeconds()) });
  dm.param('Device.DeviceInfo.MemoryStatus.Total', { get: () => String(platform.memoryKiB().total) });
  dm.param('Device.DeviceInfo.MemoryStatus.Free', { get: () => String(platform.memoryKiB().free) });
}
