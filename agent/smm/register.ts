/**
 * Registers Device.SoftwareModules. behaviour (TR-181 2.19; USP-NOTES §15): InstallDU(),
 * DeploymentUnit.{i}.Update() / Uninstall() and ExecEnv.{i}.Reset() (async: OperationComplete
 * through the Request table), ExecutionUnit.{i}.SetRequestedState() / Restart() (sync: they
 * return at once and the EU moves afterwards), and the live ExecEnv values. DUStateChange! is
 * a schema event; agent/smm/du-ops.ts raises it.
 */
import { statfsSync } from 'node:fs';
import { freemem } from 'node:os';
import type { Registry } from '../../datamodel/registry.js';
import type { SoftwareModules } from './manager.js';

const SM = 'Device.SoftwareModules.';
const EE = `${SM}ExecEnv.{i}.`;

export function registerSoftwareModules(dm: Registry, smm: SoftwareModules): void {
  dm.command(`${SM}InstallDU()`, { mode: 'async', run: (input, ctx) => smm.install(input, ctx.signal) });
  dm.command(`${SM}DeploymentUnit.{i}.Update()`, { mode: 'async', run: (input, ctx) => smm.update(ctx.objPath, input, ctx.signal) });
  dm.command(`${SM}DeploymentUnit.{i}.Uninstall()`, { mode: 'async', run: (_input, ctx) => smm.uninstall(ctx.objPath) });
  dm.command(`${EE}Reset()`, { mode: 'async', run: (_input, ctx) => smm.resetExecEnv(ctx.objPath) });
  dm.command(`${SM}ExecutionUnit.{i}.SetRequestedState()`, {
    run: (input, ctx) => {
      smm.requestState(ctx.objPath, input['RequestedState'] ?? '');
      return {};
    },
  });
  dm.command(`${SM}ExecutionUnit.{i}.Restart()`, {
    run: (_input, ctx) => {
      smm.restartUnit(ctx.objPath);
      return {};
    },
  });
  dm.param(`${EE}Status`, { get: (ctx) => smm.envs.status(ctx.stored) });
  dm.param(`${EE}ActiveExecutionUnits`, { get: (ctx) => smm.activeUnits(ctx.objPath) });
  dm.param(`${EE}AvailableDiskSpace`, {
    get: () => {
      try {
        const s = statfsSync(smm.disk.root);
        return String(Math.floor((s.bavail * s.bsize) / 1024));
      } catch {
        return '-1';
      }
    },
  });
  dm.param(`${EE}AvailableMemory`, { get: () => String(Math.floor(freemem() / 1024)) });
}
