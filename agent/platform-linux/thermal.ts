/**
 * Temperature sensors from the Linux thermal framework (/sys/class/thermal/thermal_zone*):
 * Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}. A machine without thermal zones
 * (most VMs and containers) has no rows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TemperatureReading {
  /** The zone's directory name (`thermal_zone0`): stable while the device runs. */
  readonly zone: string;
  /** The zone's `type` (e.g. `cpu-thermal`, `x86_pkg_temp`). */
  readonly name: string;
  readonly enabled: boolean;
  /** Whole degrees Celsius; undefined when the sensor cannot be read. */
  readonly celsius: number | undefined;
  /** When it was read (ms since the epoch). */
  readonly at: number;
  /** Lowest and highest values seen since the agent started, with when (ms since the epoch). */
  readonly min: { readonly celsius: number; readonly at: number } | undefined;
  readonly max: { readonly celsius: number; readonly at: number } | undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Reads the zones now; min/max are kept across calls of the returned function. */
export function thermalReader(root = '/sys/class/thermal', now: () => number = Date.now): () => TemperatureReading[] {
  const extremes = new Map<string, { min: { celsius: number; at: number }; max: { celsius: number; at: number } }>();
  return () => {
    let zones: string[];
    try {
      zones = readdirSync(root).filter((z) => /^thermal_zone\d+$/.test(z));
    } catch {
      return [];
    }
    zones.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
    return zones.map((zone) => {
      const dir = join(root, zone);
      const milli = Number(readText(join(dir, 'temp')) ?? NaN);
      // `temp` is in millidegrees Celsius (sysfs-class-thermal ABI).
      const celsius = Number.isFinite(milli) ? Math.round(milli / 1000) : undefined;
      const at = now();
      let ext = extremes.get(zone);
      if (celsius !== undefined) {
        if (!ext) {
          ext = { min: { celsius, at }, max: { celsius, at } };
          extremes.set(zone, ext);
        }
        if (celsius < ext.min.celsius) ext.min = { celsius, at };
        if (celsius > ext.max.celsius) ext.max = { celsius, at };
      }
      return {
        zone,
        name: readText(join(dir, 'type')) ?? zone,
        // Zones without a `mode` file are always on.
        enabled: (readText(join(dir, 'mode')) ?? 'enabled') === 'enabled',
        celsius,
        at,
        min: ext?.min,
        max: ext?.max,
      };
    });
  };
}
