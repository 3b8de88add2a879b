/**
 * Device.Reboot() and Device.FactoryReset() after their response (TR-369 §The Operate Message,
 * TP-469 1.61: respond first, then reboot). The order is what makes a factory reset honest: the
 * agent stops (transports closed, database closed and unlocked), the device settings are reset
 * (hook), the database is wiped and reseeded from the factory defaults, then the device reboots
 * (hook); the next Boot! carries the cause recorded before (agent/operate/boot.ts).
 */
import type { DataModel } from '../../datamodel/model.js';
import type { PlatformHooks } from '../hooks.js';
import type { Logger } from '../log.js';

export type RestartKind = 'reboot' | 'factoryReset';

export interface RestartSteps {
  readonly platform: Pick<PlatformHooks, 'reboot' | 'factoryReset'>;
  /** Stops the agent and releases its database. */
  readonly shutdown: () => Promise<void>;
  /** Wipes the (closed) database and seeds it from the factory defaults. */
  readonly resetDatabase: () => Promise<void>;
  readonly log: Logger;
}

/** Runs the restart once the current message is answered: after its locked section, on a later turn of the event loop. */
export function restartAfterResponse(dm: DataModel, kind: RestartKind, steps: RestartSteps): void {
  void dm
    .lock(() => undefined)
    .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
    .then(() => restart(kind, steps));
}

async function restart(kind: RestartKind, steps: RestartSteps): Promise<void> {
  const { log } = steps;
  try {
    log.info('OPR-I02', kind === 'reboot' ? 'rebooting (Device.Reboot())' : 'factory reset (Device.FactoryReset())');
    await steps.shutdown();
    if (kind === 'factoryReset') {
      await steps.platform.factoryReset();
      await steps.resetDatabase();
    }
    await steps.platform.reboot();
  } catch (e) {
    log.error('OPR-E03', `${kind === 'reboot' ? 'reboot' : 'factory reset'} failed`, e);
  }
}
