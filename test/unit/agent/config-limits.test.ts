// agent/config-limits.ts: `limits.*` defaults, values and every problem reported with its place.
import t from 'tap';
import { LIMITS_DEFAULTS, parseLimits } from '../../../agent/config-limits.js';

t.test('defaults: 4 MiB records, no database limit, no rate limit, 1000 waiting per controller', async (t) => {
  const problems: string[] = [];
  t.same(parseLimits(undefined, problems), LIMITS_DEFAULTS);
  t.same(LIMITS_DEFAULTS, { maxMessageBytes: 4194304, maxDatabaseBytes: 0, rate: { messagesPerSecond: 0, burst: 100, maxQueued: 1000 } });
  t.same(problems, []);
});

t.test('values are taken; unset rate fields keep their defaults', async (t) => {
  const problems: string[] = [];
  const l = parseLimits({ maxMessageBytes: 65536, maxDatabaseBytes: 10_000_000, rate: { messagesPerSecond: 50 } }, problems);
  t.same(l, { maxMessageBytes: 65536, maxDatabaseBytes: 10_000_000, rate: { messagesPerSecond: 50, burst: 100, maxQueued: 1000 } });
  t.same(problems, []);
});

t.test('every bad value is reported with its location', async (t) => {
  const problems: string[] = [];
  parseLimits({ maxMessageBytes: 5, maxDatabaseBytes: 1000, rate: { messagesPerSecond: -1, burst: 0, maxQueued: 1.5, colour: 1 }, other: true }, problems);
  t.same(problems.sort(), [
    'limits.maxDatabaseBytes: must be an integer from 0 (no limit) or 65536 up',
    'limits.maxMessageBytes: must be an integer from 1024 to 268435456',
    'limits.other: unknown setting',
    'limits.rate.burst: must be an integer from 1 to 1000000',
    'limits.rate.colour: unknown setting',
    'limits.rate.maxQueued: must be an integer from 1 to 1000000',
    'limits.rate.messagesPerSecond: must be an integer from 0 (no limit) to 1000000',
  ]);
  const more: string[] = [];
  parseLimits('big', more);
  parseLimits({ rate: 3 }, more);
  t.same(more, ['limits: must be an object', 'limits.rate: must be an object']);
});
