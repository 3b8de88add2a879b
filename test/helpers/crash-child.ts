/**
 * Child process of the crash tests: opens the database and, in the middle of writing one big
 * change set (mode `*-mid`) or right after it committed (mode `*-after`), kills itself with
 * SIGKILL, so no JavaScript cleanup, no close() and no checkpoint run.
 *
 *   node --import tsx test/helpers/crash-child.ts <store-mid|store-after|dm-mid|dm-after> <db file>
 *
 * Before dying it writes one line to stdout: `KILL <where> wal=<bytes>`.
 */
import { statSync, writeSync } from 'node:fs';
import { Store } from '../../datamodel/store.js';
import type { ChangeSet } from '../../datamodel/store.js';
import { bigChangeSet, bigTxn, openModel } from './crash-workload.js';

const [mode, file] = process.argv.slice(2);
if (!file || !['store-mid', 'store-after', 'dm-mid', 'dm-after'].includes(mode ?? '')) {
  process.stderr.write('usage: crash-child.ts <store-mid|store-after|dm-mid|dm-after> <db file>\n');
  process.exit(2);
}

function die(where: string): never {
  let wal = 0;
  try {
    wal = statSync(`${file}-wal`).size;
  } catch {
    // No WAL file yet: report 0.
  }
  writeSync(1, `KILL ${where} wal=${wal}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not end the process');
}

/** The same values, but iterating past the middle kills the process (Store.apply is iterating inside its SQLite transaction). */
function killHalfWay<T>(items: readonly T[]): T[] {
  const copy = [...items];
  const half = Math.floor(copy.length / 2);
  Object.defineProperty(copy, Symbol.iterator, {
    value: function* (): Generator<T> {
      for (let i = 0; i < copy.length; i++) {
        if (i === half) die(`inside Store.apply after ${half} of ${copy.length} values`);
        yield copy[i] as T;
      }
    },
  });
  return copy;
}

/** The real Store; only the values it is handed are rigged to kill the process half-way. */
class CrashingStore extends Store {
  override apply(cs: ChangeSet): void {
    super.apply({ ...cs, values: killHalfWay(cs.values) });
  }
}

if (mode === 'store-mid') {
  new CrashingStore(file).apply(bigChangeSet());
} else if (mode === 'store-after') {
  new Store(file).apply(bigChangeSet());
  die('after Store.apply returned');
} else if (mode === 'dm-mid') {
  await bigTxn(openModel(new CrashingStore(file)));
} else {
  await bigTxn(openModel(new Store(file)));
  die('after the data-model transaction committed');
}
die('(the workload finished without being killed)');
