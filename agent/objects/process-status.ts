/**
 * Device.DeviceInfo.ProcessStatus. (CPUUsage, Process.{i}), Processor.{i} and
 * TemperatureStatus.TemperatureSensor.{i} (TR-181 DeviceInfo): live tables over the platform's
 * readings, so the rows are the device's processes, CPUs and thermal zones at the time of the Get.
 */
import type { Registry } from '../../datamodel/registry.js';
import type { LinuxReadings, TemperatureReading } from '../platform-linux/index.js';

/** TR-106 dateTime (seconds, UTC) of a time in ms since the epoch. */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function registerProcessStatus(dm: Registry, platform: LinuxReadings): void {
  dm.param('Device.DeviceInfo.ProcessStatus.CPUUsage', { get: () => String(platform.cpuUsagePercent()) });
  dm.table('Device.DeviceInfo.ProcessStatus.Process.{i}.', {
    rows: () =>
      platform.processes().map((p) => ({
        key: String(p.pid),
        values: { PID: String(p.pid), Command: p.command, Size: String(p.sizeKiB), Priority: String(p.priority), CPUTime: String(p.cpuTimeMs), State: p.state },
      })),
  });
  dm.table('Device.DeviceInfo.Processor.{i}.', {
    rows: () => platform.processors().map((p, i) => ({ key: String(i), values: { Alias: `cpe-cpu${i}`, Architecture: p.architecture } })),
  });
  dm.table('Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.', {
    rows: () => platform.temperatureSensors().map((s) => ({ key: s.zone, values: sensorValues(s) })),
  });
}

function sensorValues(s: TemperatureReading): Record<string, string> {
  const v: Record<string, string> = {
    Alias: `cpe-${s.zone}`,
    Name: s.name,
    Enable: String(s.enabled),
    Status: !s.enabled ? 'Disabled' : s.celsius === undefined ? 'Error' : 'Enabled',
    LastUpdate: isoSeconds(s.at),
  };
  if (s.celsius !== undefined) v.Value = String(s.celsius);
  if (s.min) {
    v.MinValue = String(s.min.celsius);
    v.MinTime = isoSeconds(s.min.at);
    // Minimum and maximum are tracked from the agent's first reading on.
    v.ResetTime = isoSeconds(Math.min(s.min.at, s.max?.at ?? s.min.at));
  }
  if (s.max) {
    v.MaxValue = String(s.max.celsius);
    v.MaxTime = isoSeconds(s.max.at);
  }
  return v;
}
