/**
 * Builds firmware management for the composition root (agent.ts): the platform from the
 * `firmware` config section (or the vendor's PlatformHooks.firmware), and the Firmware subsystem.
 */
import type { Clock } from '../clock.js';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../notify/events.js';
import { Firmware } from './firmware.js';
import { labFirmware } from './lab-platform.js';
import { linuxFirmware } from './linux-platform.js';
import type { FirmwarePlatform } from './platform.js';

export { Firmware } from './firmware.js';
export type { FirmwarePlatform } from './platform.js';

export interface FirmwareSetup {
  readonly config: AgentConfig;
  /** The vendor's platform (PlatformHooks.firmware), used instead of the configured one. */
  readonly platform: FirmwarePlatform | undefined;
  /** The agent's own version: the lab's first bank, the Linux fallback. */
  readonly version: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: () => EventSink;
  /** Stops the agent and restarts the device. */
  readonly restart: () => void;
}

/** The firmware subsystem, or undefined with `firmware.platform: none`. Call open(dm) once the data model is loaded. */
export async function createFirmware(s: FirmwareSetup): Promise<Firmware | undefined> {
  const cfg = s.config.firmware;
  let platform = s.platform;
  if (!platform && cfg.platform === 'none') return undefined;
  platform ??=
    cfg.platform === 'linux'
      ? await linuxFirmware({ config: cfg, fallbackVersion: s.version, log: s.log })
      : labFirmware({
          dir: cfg.dir,
          banks: cfg.banks,
          initialImage: { name: 'usp-agent', version: cfg.initialVersion ?? s.version },
          healthCheckCommand: cfg.healthCheckCommand,
          healthCheckTimeoutMs: cfg.healthCheckTimeoutSeconds * 1000,
          confirmCommand: cfg.confirmCommand,
          log: s.log,
        });
  return new Firmware({ platform, config: cfg, tls: s.config.tls, clock: s.clock, log: s.log, events: s.events, restart: s.restart });
}
