// Bounded, seeded fuzzing of the whole receive path (record → router → dispatch → handlers →
// SQLite) of a real in-process agent: see engine.ts for what is generated and checked. A longer
// run with any seed: `npm run fuzz -- --cases 100000 --seed 7`.
import t from 'tap';
import { freshAgent } from '../../helpers/agent.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { prepare, runFuzz } from './engine.js';

const SEED = 0x5eed_2026;
const CASES = 3000;

t.test(`${CASES} mutated Records and Msgs (seed ${SEED}): no crash, every reply a valid USP Record, stored data changed only by accepted requests`, async (t) => {
  // A fake clock: ScheduleTimer() requests the fuzzer makes never fire behind its back.
  const { agent, cleanup } = await freshAgent({ clock: new FakeClock(), platform: { reboot: () => Promise.resolve(), factoryReset: () => Promise.resolve() } });
  t.teardown(cleanup);
  await prepare(agent);
  const result = await runFuzz(agent, { seed: SEED, cases: CASES });
  t.same(result.failures, [], 'no failures');
  t.comment(`strategies: ${JSON.stringify(result.byStrategy)}`);
  t.comment(`${result.replies} replies (${result.errors} USP Errors), ${result.changes} accepted changes`);
  // The mix must reach every layer, or the run proves little.
  t.ok(result.replies > CASES / 3, `most inputs get far enough to be answered (${result.replies})`);
  t.ok(result.errors > 100, 'many are refused with a USP Error');
  t.ok(result.changes > 10, 'some succeed and change the data (tracked, allowed)');
  const get = await agent.request({ get: { paramPaths: ['Device.LocalAgent.Controller.1.EndpointID'] } });
  t.equal(get.body.msgBody, 'response', 'the agent still answers afterwards');
});
