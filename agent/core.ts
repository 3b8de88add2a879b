/**
 * The agent's core: the data model (opened through database.ts) with the built-in commands,
 * the Request table, Bulk Data, firmware and Software Modules: an agent without transports.
 * Composed into the running agent by agent.ts; imports database.ts, never agent.ts.
 */
import type { DataModel } from '../datamodel/model.js';
import type { AgentConfig } from './config.js';
import { BulkDataService } from './bulkdata/service.js';
import { createFirmware } from './firmware/setup.js';
import type { Firmware } from './firmware/setup.js';
import { SYSTEM_CLOCK } from './clock.js';
import { linuxPlatform } from './hooks.js';
import { createLogger } from './log.js';
import { registerDevice } from './objects/device.js';
import type { DeviceControl } from './objects/device.js';
import { registerLocalAgentCommands } from './objects/local-agent-commands.js';
import { registerControllerTrust } from './objects/controller-trust.js';
import { Challenges } from './trust/challenge.js';
import { recordBootCause } from './operate/boot.js';
import type { BootCause } from './operate/boot.js';
import { RequestTable } from './operate/requests.js';
import { restartAfterResponse } from './operate/restart.js';
import type { RestartKind } from './operate/restart.js';
import { forwardEvents } from './plugins.js';
import { SoftwareModules } from './smm/manager.js';
import { registerSoftwareModules } from './smm/register.js';
import { openDataModel, resetDatabase, softwareVersion } from './database.js';
import type { AgentOptions } from './database.js';

/** The data model with the built-in commands and the Request table: an agent without transports (tests use it alone). */
export interface AgentCore {
  readonly dm: DataModel;
  readonly requests: RequestTable;
  /** Device.BulkData reporting (agent/bulkdata). */
  readonly bulkData: BulkDataService;
  /** Firmware banks, Download() and Activate() (agent/firmware); undefined with firmware.platform none. */
  readonly firmware: Firmware | undefined;
  /** Device.SoftwareModules: DUs and EUs (agent/smm). */
  readonly smm: SoftwareModules;
  /** Stops running commands and SMM timers, waits for Bulk Data to stop, then closes the database; resolves once closed (idempotent). */
  close(): Promise<void>;
}

/**
 * Opens the agent's core. Reboot() and FactoryReset() first call `shutdown` (default: close()),
 * then the platform hooks (agent/operate/restart.ts).
 */
export async function openCore(config: AgentConfig, opts: AgentOptions = {}, shutdown?: () => Promise<void>): Promise<AgentCore> {
  const log = opts.log ?? createLogger(config.log);
  const platform = { ...linuxPlatform(config.platform, log), ...opts.platform };
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const requests = new RequestTable({ clock, log, ...(opts.events && { events: opts.events }) });
  // Reboot()/FactoryReset(): record the boot cause now, go down once the response is out.
  const goDown = (kind: RestartKind) => (cause: BootCause, commandKey: string, reason: string) => {
    recordBootCause(dm.store, { cause, commandKey, reason });
    restartAfterResponse(dm, kind, {
      platform,
      log,
      shutdown: shutdown ?? (() => core.close()),
      resetDatabase: () => resetDatabase(config, log),
    });
  };
  const control: DeviceControl = { clock, reboot: goDown('reboot'), factoryReset: goDown('factoryReset') };
  const smm = new SoftwareModules({
    config: config.smm,
    ...(platform.execRuntimes && { runtimes: platform.execRuntimes }),
    clock,
    log,
    events: () => requests.events,
  });
  const bulkData = new BulkDataService({ config: config.bulkData, clock, log, events: () => requests.events });
  // Firmware activation restarts like Reboot() (agent/firmware); SoftwareVersion is the running bank's.
  const version = softwareVersion();
  const restartSteps = () => ({ platform, log, shutdown: shutdown ?? (() => core.close()), resetDatabase: () => resetDatabase(config, log) });
  const firmware = await createFirmware({
    config,
    platform: platform.firmware,
    version,
    clock,
    log,
    events: () => requests.events,
    restart: () => restartAfterResponse(dm, 'reboot', restartSteps()),
  });
  const dm = await openDataModel(
    config,
    { ...opts, log, events: forwardEvents(() => requests.events) },
    (registry) => {
      registerDevice(registry, control);
      registerLocalAgentCommands(registry, { canceler: (path) => requests.canceler(path), onBoardRequest: (path) => requests.events.onBoardRequest(path) });
      registerControllerTrust(registry, { dm: () => dm, challenges: () => challenges });
      bulkData.register(registry);
      firmware?.register(registry);
      registerSoftwareModules(registry, smm);
    },
    () => firmware?.activeVersion() ?? version,
  );
  const challenges = new Challenges(dm, clock);
  let closing: Promise<void> | undefined;
  const core: AgentCore = {
    dm,
    requests,
    bulkData,
    firmware,
    smm,
    close: () => {
      // A report cycle still running writes to the store (retained reports): the store closes after it.
      closing ??= (async () => {
        smm.close();
        firmware?.close();
        requests.stop();
        await bulkData.stop();
        dm.store.close();
      })();
      return closing;
    },
  };
  try {
    await requests.open(dm);
    bulkData.open(dm);
    await firmware?.open(dm);
    await smm.open(dm);
  } catch (e) {
    await core.close();
    throw e;
  }
  return core;
}
