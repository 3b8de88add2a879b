/**
 * `npm run fuzz -- [--cases N] [--seed S] [--runs R]`: the fuzzer of test/unit/fuzz (the whole
 * record → router → dispatch → SQLite path of a real in-process agent) for longer than
 * `npm test` runs it. Each run uses a fresh agent and seed S, S+1, ...; prints cases/s and, for
 * a failure, the seed and case index that reproduce it. Exit status 1 when anything failed.
 *
 * Defaults: 20,000 cases, seed = the current time, 1 run.
 */
import { freshAgent } from '../test/helpers/agent.js';
import { FakeClock } from '../test/helpers/fake-clock.js';
import { prepare, runFuzz } from '../test/unit/fuzz/engine.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`--${name} needs a whole number`);
    process.exit(2);
  }
  return v;
}

const cases = arg('cases', 20_000);
const runs = Math.max(1, arg('runs', 1));
const firstSeed = arg('seed', Date.now() % 0x1_0000_0000);
let failed = 0;

for (let run = 0; run < runs; run++) {
  const seed = (firstSeed + run) >>> 0;
  const { agent, cleanup } = await freshAgent({ clock: new FakeClock(), platform: { reboot: () => Promise.resolve(), factoryReset: () => Promise.resolve() } });
  try {
    await prepare(agent);
    const started = performance.now();
    const result = await runFuzz(agent, {
      seed,
      cases,
      onProgress: (done) => {
        if (done % 5000 === 0) process.stderr.write(`  seed ${seed}: ${done} cases\n`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `seed ${seed}: ${result.cases} cases in ${seconds.toFixed(1)} s = ${Math.round(result.cases / seconds)} cases/s; ` +
        `${result.replies} replies (${result.errors} USP Errors), ${result.changes} accepted changes, ${result.failures.length} failures`,
    );
    console.log(`  strategies: ${JSON.stringify(result.byStrategy)}`);
    for (const f of result.failures) {
      console.log(`  FAIL seed ${seed} case ${f.index} (${f.strategy}): ${f.problem}\n    input ${f.input}`);
    }
    if (result.failures.length > 0) failed++;
  } finally {
    cleanup();
  }
}
if (failed > 0) {
  console.log(`${failed} of ${runs} run(s) failed; rerun one with: npm run fuzz -- --seed <seed> --cases ${cases}`);
  process.exitCode = 1;
}
