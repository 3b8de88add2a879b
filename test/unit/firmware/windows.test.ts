/**
 * Activate() time windows (agent/firmware/windows.ts; TR-181 FirmwareImage.{i}.Activate()
 * TimeWindow.{i}): argument checks and when each Mode lets the activation happen, on a fake clock.
 */
import t from 'tap';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { awaitWindow, IDLE_POLL_S, parseWindows } from '../../../agent/firmware/windows.js';
import type { TimeWindow } from '../../../agent/firmware/windows.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const CMD = 'Device.DeviceInfo.FirmwareImage.2.Activate()';
const S = 1000;

function win(n: number, start: number, end: number, mode: string, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { [`TimeWindow.${n}.Start`]: String(start), [`TimeWindow.${n}.End`]: String(end), [`TimeWindow.${n}.Mode`]: mode };
  for (const [k, v] of Object.entries(extra)) out[`TimeWindow.${n}.${k}`] = v;
  return out;
}

t.test('parseWindows: instance order, defaults, and 7027 for End before Start or overlapping windows', async (t) => {
  const w = parseWindows({ ...win(2, 100, 200, 'WhenIdle'), ...win(1, 0, 50, 'ConfirmationNeeded', { MaxRetries: '3', UserMessage: 'hi' }) }, CMD);
  t.same(w, [
    { start: 0, end: 50, mode: 'ConfirmationNeeded', userMessage: 'hi', maxRetries: 3 },
    { start: 100, end: 200, mode: 'WhenIdle', userMessage: '', maxRetries: -1 },
  ]);
  t.same(parseWindows({}, CMD), [], 'no windows');
  t.throws(() => parseWindows(win(1, 10, 5, 'AnyTime'), CMD), { code: UspErrorCode.InvalidCommandArguments, message: /ends \(5 s\) before it starts \(10 s\)/ });
  t.throws(() => parseWindows({ ...win(1, 0, 100, 'AnyTime'), ...win(2, 50, 200, 'AnyTime') }, CMD), { code: UspErrorCode.InvalidCommandArguments, message: /must not overlap/ });
});

interface Calls {
  idle: boolean[];
  confirms: string[];
}

function setup(idle: boolean[] = [], confirm: boolean[] = []): { clock: FakeClock; calls: Calls; run: (w: TimeWindow[], signal?: AbortSignal) => Promise<boolean> } {
  const clock = new FakeClock();
  const startedAt = clock.now();
  const calls: Calls = { idle: [], confirms: [] };
  const platform = {
    idle: async () => {
      const v = idle.shift() ?? false;
      calls.idle.push(v);
      return v;
    },
    confirm: async (msg: string) => {
      calls.confirms.push(msg);
      return confirm.shift() ?? false;
    },
  };
  return { clock, calls, run: (w, signal = new AbortController().signal) => awaitWindow(w, { clock, startedAt, signal, platform }) };
}

t.test('no windows: activate now', async (t) => {
  t.equal(await setup().run([]), true);
});

t.test('Immediately: at the window start, not before', async (t) => {
  const { clock, run } = setup();
  let done = false;
  const p = run(parseWindows(win(1, 60, 120, 'Immediately'), CMD)).then((v) => ((done = true), v));
  await clock.whenArmed();
  clock.advance(59 * S);
  await new Promise((r) => setImmediate(r));
  t.equal(done, false, 'not before Start');
  clock.advance(1 * S);
  t.equal(await p, true, 'at Start');
});

t.test('WhenIdle: the first idle moment inside the window; a window that never is idle hands over to the next', async (t) => {
  const { clock, calls, run } = setup([false, false, true]);
  const p = run(parseWindows({ ...win(1, 0, IDLE_POLL_S, 'WhenIdle'), ...win(2, 100, 1000, 'WhenIdle') }, CMD));
  await clock.whenArmed();
  clock.advance(IDLE_POLL_S * S); // second poll of window 1, still busy; window 1 is over
  await clock.whenArmed();
  clock.advance(100 * S);
  t.equal(await p, true, 'activated in window 2');
  t.same(calls.idle, [false, false, true]);
});

t.test('ConfirmationNeeded: asks 1 + MaxRetries times, spread over the window; never confirmed = window not used', async (t) => {
  const { clock, calls, run } = setup([], [false, false, false]);
  const p = run(parseWindows(win(1, 0, 90, 'ConfirmationNeeded', { MaxRetries: '2', UserMessage: 'update?' }), CMD));
  for (let i = 0; i < 2; i++) {
    await clock.whenArmed();
    clock.advance(30 * S);
  }
  t.equal(await p, false, 'not activated');
  t.same(calls.confirms, ['update?', 'update?', 'update?'], 'asked three times');
});

t.test('ConfirmationNeeded: a yes activates', async (t) => {
  const { calls, run } = setup([], [true]);
  t.equal(await run(parseWindows(win(1, 0, 90, 'ConfirmationNeeded', { MaxRetries: '0' }), CMD)), true);
  t.equal(calls.confirms.length, 1);
});

t.test('a window already over is skipped; aborting rejects with the reason', async (t) => {
  const { clock, run } = setup();
  clock.advance(500 * S);
  t.equal(await run(parseWindows(win(1, 0, 100, 'AnyTime'), CMD)), false, 'window over before the wait');
  const ac = new AbortController();
  const p = run(parseWindows(win(1, 600, 700, 'AnyTime'), CMD), ac.signal);
  await clock.whenArmed();
  ac.abort(new Error('canceled'));
  await t.rejects(p, { message: 'canceled' });
});
