/**
 * Example vendor plugin: a small `Device.X_EXAMPLE-COM_Widget.` subtree (TR-106 vendor prefix
 * `X_<domain with dots as hyphens>_`) showing each kind of registration: a stored parameter with
 * a validator, a live (getter) parameter, a table with a row hook, a sync and an async command,
 * and an event. Load it from the config file: `"plugins": ["/path/to/widget.js"]`.
 *
 * A plugin in its own package imports the same names from 'usp-agent'.
 */
import { loadavg } from 'node:os';
import { CommandFailureError, InvalidCommandArgsError, InvalidValueError } from '../../agent/index.js';
import type { Clock, CommandArgs, CommandContext, PluginContext, Registry } from '../../agent/index.js';

const W = 'Device.X_EXAMPLE-COM_Widget.';
/** Longest self test a controller may ask for. */
const MAX_SELF_TEST_MS = 60_000;

/** Waits `ms` on the agent's clock; rejects when the request is canceled or the agent stops. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancel = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      cancel();
      reject(new CommandFailureError('self test canceled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function register(dm: Registry, ctx: PluginContext): void {
  dm.object(W);

  // Stored parameters: the agent keeps them in SQLite; the validator runs after type checking.
  dm.param(`${W}Label`, {
    type: 'string',
    access: 'readWrite',
    default: 'widget',
    size: { maxLength: 32 },
    validate: (v) => {
      if (!/^[\x20-\x7e]*$/.test(v)) throw new InvalidValueError('Label takes printable ASCII only');
    },
  });
  dm.param(`${W}Threshold`, { type: 'unsignedInt', access: 'readWrite', default: '80', range: [{ min: 0, max: 100 }] });
  dm.param(`${W}BlinkCount`, { type: 'unsignedInt', default: '0' });

  // A live parameter: read from the device on every Get, never stored.
  dm.param(`${W}LoadAverage`, { type: 'decimal', get: () => (loadavg()[0] ?? 0).toFixed(2) });

  // A table controllers may add rows to; the counter parameter is derived from the row count.
  dm.table(`${W}Slot.{i}.`, {
    access: 'readWrite',
    uniqueKeys: [{ functional: true, params: ['Name'] }],
    maxEntries: 8,
    afterAdd: (path) => ctx.log.info('WID-I01', `widget slot ${path} added`),
  });
  dm.param(`${W}Slot.{i}.Name`, { type: 'string', access: 'readWrite', size: { maxLength: 16 } });
  dm.param(`${W}Slot.{i}.Enable`, { type: 'boolean', access: 'readWrite', default: 'false' });
  dm.param(`${W}SlotNumberOfEntries`, { type: 'unsignedInt' });

  // A sync command: runs inside the Operate message and answers in its OperateResp.
  dm.command(`${W}Blink()`, {
    input: [{ name: 'Times', type: 'unsignedInt' }],
    output: [{ name: 'BlinkCount', type: 'unsignedInt' }],
    run: async (input: CommandArgs, cmd: CommandContext) => {
      const times = Number(input.Times ?? '1');
      if (!Number.isInteger(times) || times < 1 || times > 10) throw new InvalidCommandArgsError('Times must be 1 to 10');
      const total = await cmd.transaction((txn, tree) => {
        const obj = tree.get(W);
        const param = obj?.node.params.get('BlinkCount');
        if (!obj || !param) throw new CommandFailureError('widget missing');
        const n = Number(obj.values.get('BlinkCount') ?? '0') + times;
        txn.setValue(obj, param, String(n));
        return n;
      });
      return { BlinkCount: String(total) };
    },
  });

  // An event, and an async command that reports it: the agent answers the Operate at once with a
  // Request.{i} row and sends OperationComplete when run() settles.
  dm.event(`${W}SelfTestDone!`, { args: ['Result', 'LoadAverage'] });
  dm.command(`${W}SelfTest()`, {
    mode: 'async',
    input: [{ name: 'DurationMs', type: 'unsignedInt' }],
    output: ['Result', 'LoadAverage'],
    run: async (input, cmd) => {
      const ms = Number(input.DurationMs ?? '1000');
      if (!Number.isInteger(ms) || ms > MAX_SELF_TEST_MS) throw new InvalidCommandArgsError(`DurationMs must be at most ${MAX_SELF_TEST_MS}`);
      await pause(ctx.clock, ms, cmd.signal);
      const load = (loadavg()[0] ?? 0).toFixed(2);
      const result = { Result: 'Passed', LoadAverage: load };
      ctx.events.event(W, 'SelfTestDone!', result);
      return result;
    },
  });
}
