/**
 * Child process of the crash tests: opens the database and, in the middle of writing one big
 * change set (mode `*-mid`) or right after it committed (mode `*-after`), kills itself with
 * SIGKILL, so no JavaScript cleanup, no close() and no checkpoint run.
 *
 *   node --import tsx test/helpers/crash-child.ts <store-mid|store-after|dm-mid|dm-after> <db file>
 *
 * Before dying it writes one line to stdout: `KILL <where> wal=<bytes>`.
 *
 * The `agent-<set|add|delete>-<mid|after|timed>` modes run a whole in-process agent on the data
 * folder <dir> (as test/helpers/agent.ts builds it: real router, dispatcher and SQLite file) and
 * feed it one big USP request Record (crash-workload.ts): `mid` kills half-way through writing
 * its change set, `after` once the reply Record is built, `timed` prints `SENDING` and leaves
 * the killing to the parent (a real kill -9 from outside at a moment of its choosing), printing
 * `DONE <msgBody>` if the request finishes first.
 *
 *   node --import tsx test/helpers/crash-child.ts agent-set-mid <dir>
 */
import { statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../datamodel/store.js';
import type { ChangeSet } from '../../datamodel/store.js';
import { loadConfig } from '../../agent/config.js';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID, startTestAgent } from './agent.js';
import { AGENT_WORKLOADS, bigChangeSet, bigTxn, openModel } from './crash-workload.js';
import type { AgentWorkload } from './crash-workload.js';

const [mode, file] = process.argv.slice(2);
const agentMode = /^agent-(set|add|delete)-(mid|after|timed)$/.exec(mode ?? '');
if (!file || !(agentMode || ['store-mid', 'store-after', 'dm-mid', 'dm-after'].includes(mode ?? ''))) {
  process.stderr.write('usage: crash-child.ts <store-mid|store-after|dm-mid|dm-after> <db file> | agent-<set|add|delete>-<mid|after|timed> <dir>\n');
  process.exit(2);
}

/** The database file: given, or the agent's default one in the data folder. */
const dbFile = agentMode ? join(file, 'usp-agent.db') : file;

function die(where: string): never {
  let wal = 0;
  try {
    wal = statSync(`${dbFile}-wal`).size;
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

/** Runs one big request through a whole agent on folder `dir`, dying as `when` says. */
async function agentCrash(workload: AgentWorkload, when: string, dir: string): Promise<void> {
  if (when === 'mid') {
    // The real Store of the agent below; only the big change set it is handed is rigged (the
    // values of a Set or Add, the deleted rows of a Delete), not small writes at start-up.
    const proto = Store.prototype as { apply: (this: Store, cs: ChangeSet) => void };
    const apply = proto.apply;
    proto.apply = function (this: Store, cs: ChangeSet): void {
      if (cs.values.length >= 1000) apply.call(this, { ...cs, values: killHalfWay(cs.values) });
      else if (cs.deleted.length >= 1000) apply.call(this, { ...cs, deleted: killHalfWay(cs.deleted) });
      else apply.call(this, cs);
    };
  }
  const config = { ...loadConfig(undefined, { dataDir: dir }), endpointId: AGENT_EID };
  const agent = await startTestAgent(config, dir);
  const record = encodeRecord(buildRecord({ toId: AGENT_EID, fromId: CONTROLLER_EID, payload: encodeMsg(buildRequest(`crash-${workload}`, AGENT_WORKLOADS[workload]())) }));
  if (when === 'timed') writeSync(1, 'SENDING\n');
  const reply = await agent.router.handle(record);
  const body = reply ? decodeMsg(decodeRecord(reply).noSessionContext?.payload ?? new Uint8Array()).body.msgBody : 'none';
  if (when === 'after') die(`after the ${workload} reply (${body}) was built`);
  writeSync(1, `DONE ${body}\n`);
  // Wait to be killed: the parent decides when.
  setInterval(() => undefined, 60_000);
}

if (agentMode) {
  await agentCrash(agentMode[1] as AgentWorkload, agentMode[2] as string, file);
} else if (mode === 'store-mid') {
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
if (!agentMode) die('(the workload finished without being killed)');
