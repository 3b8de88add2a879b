/**
 * Device.LocalAgent. commands (TR-181 LocalAgent:1): Request.{i}.Cancel() (TR-369 §Defined
 * Operations Mechanism: Status Canceling, then Canceled with OperationComplete 7023) and
 * Controller.{i}.SendOnBoardRequest() (OnBoardingComplete=false, then an OnBoardRequest to that
 * controller, R-NOT.5).
 */
import { InternalError } from '../../datamodel/errors.js';
import type { InstanceTree } from '../../datamodel/instances.js';
import type { Registry } from '../../datamodel/registry.js';
import type { Txn } from '../../datamodel/txn.js';

export interface LocalAgentControl {
  /** Checks that the Request row has a running command; returns the function that aborts it (throws 7022 otherwise). */
  canceler(requestPath: string): () => void;
  /** Asks the notifier to send an OnBoardRequest to the controller of `controllerPath`. */
  onBoardRequest(controllerPath: string): void;
}

function set(txn: Txn, tree: InstanceTree, objPath: string, name: string, value: string): void {
  const inst = tree.get(objPath);
  const p = inst?.node.params.get(name);
  if (!inst || !p) throw new InternalError(`${objPath}${name} does not exist`);
  txn.setValue(inst, p, value);
}

export function registerLocalAgentCommands(dm: Registry, control: LocalAgentControl): void {
  dm.command('Device.LocalAgent.Request.{i}.Cancel()', {
    run: async (_input, ctx) => {
      const abort = control.canceler(ctx.objPath);
      await ctx.transaction((txn, tree) => set(txn, tree, ctx.objPath, 'Status', 'Canceling'));
      abort();
      return {};
    },
  });
  dm.command('Device.LocalAgent.Controller.{i}.SendOnBoardRequest()', {
    run: async (_input, ctx) => {
      await ctx.transaction((txn, tree) => set(txn, tree, ctx.objPath, 'OnBoardingComplete', 'false'));
      control.onBoardRequest(ctx.objPath);
      return {};
    },
  });
}
