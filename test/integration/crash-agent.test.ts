/**
 * kill -9 of a whole agent process in the middle of big USP requests (TR-369 issue: a crash never
 * leaves a mix of old and new state). A child process (test/helpers/crash-child.ts) runs a real
 * agent (record router, dispatcher, handlers, SQLite file) on a copy of a prepared data folder
 * and is sent one big request Record: a Set of 10,000 parameters (2,500 objects), an Add of 500
 * rows, a Delete of 1,251 rows. It dies with SIGKILL half-way through writing the change set, right after the
 * reply, or whenever the parent kills it from outside. The parent then checks the database with
 * PRAGMA integrity_check, compares its checksum with the state before and the state the same
 * request leaves when it runs to completion, and restarts an agent on it.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import type { Test } from 'tap';
import { loadConfig } from '../../agent/config.js';
import { Store } from '../../datamodel/store.js';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { DecodedMsg, Request } from '../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID, startTestAgent } from '../helpers/agent.js';
import type { TestAgent } from '../helpers/agent.js';
import { exited, spawnTs } from '../helpers/child.js';
import { AGENT_ADD_ROWS, AGENT_ROWS, AGENT_WORKLOADS, agentBaseRows, SUB } from '../helpers/crash-workload.js';
import type { AgentWorkload } from '../helpers/crash-workload.js';
import { memoryVsStore, storeDigest } from '../helpers/digest.js';

// Child processes that load 2,500 rows and write megabytes with synchronous=FULL: allow for a loaded machine.
t.setTimeout(300_000);

const CHILD = fileURLToPath(new URL('../helpers/crash-child.ts', import.meta.url));
const DB = 'usp-agent.db';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'usp-crash-agent-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function openAgent(dir: string): Promise<TestAgent> {
  return startTestAgent({ ...loadConfig(undefined, { dataDir: dir }), endpointId: AGENT_EID }, dir);
}

/** Sends one request Record through the agent's router and returns the reply Msg. */
async function send(agent: TestAgent, id: string, req: Request): Promise<DecodedMsg | undefined> {
  const out = await agent.router.handle(encodeRecord(buildRecord({ toId: AGENT_EID, fromId: CONTROLLER_EID, payload: encodeMsg(buildRequest(id, req)) })));
  return out && decodeMsg(decodeRecord(out).noSessionContext?.payload ?? new Uint8Array());
}

/** Copies a closed data folder's database (and a WAL, if one was left) into a new folder. */
function copyOf(t: Test, src: string): string {
  const dir = tempDir(t);
  for (const f of [DB, `${DB}-wal`]) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dir, f));
  return dir;
}

function digestOf(dir: string): string {
  const s = new Store(join(dir, DB));
  try {
    return storeDigest(s);
  } finally {
    s.close();
  }
}

function integrity(dir: string): unknown {
  const db = new Database(join(dir, DB), { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}

/** The prepared folder (2,500 Subscription rows), its checksum, and each workload's completed checksum. */
interface Fixture {
  readonly base: string;
  readonly old: string;
  readonly completed: Record<AgentWorkload, string>;
  /** How long the Set took in this process, ms (to aim the external kills). */
  readonly setMs: number;
}

let fixture: Promise<Fixture> | undefined;

/** Built once per file (removed when the file's tests end): the base folder, and each workload run to completion on a copy (the oracle). */
function prepared(): Promise<Fixture> {
  fixture ??= (async () => {
    const base = mkdtempSync(join(tmpdir(), 'usp-crash-base-'));
    t.teardown(() => rmSync(base, { recursive: true, force: true }));
    const agent = await openAgent(base);
    await agentBaseRows(agent.dm);
    agent.close();
    const completed = {} as Record<AgentWorkload, string>;
    let setMs = 0;
    for (const w of Object.keys(AGENT_WORKLOADS) as AgentWorkload[]) {
      const dir = copyOf(t, base);
      const a = await openAgent(dir);
      const started = performance.now();
      const r = await send(a, `oracle-${w}`, AGENT_WORKLOADS[w]());
      if (w === 'set') setMs = performance.now() - started;
      if (r?.body.msgBody !== 'response') throw new Error(`${w} does not succeed without a crash: ${JSON.stringify(r?.body.error).slice(0, 300)}`);
      a.close();
      completed[w] = digestOf(dir);
    }
    return { base, old: digestOf(base), completed, setMs };
  })();
  return fixture;
}

/** Runs the crash child in `mode` on `dir`; `killAfterMs` kills it from outside that long after it says SENDING. */
async function runChild(t: Test, mode: string, dir: string, killAfterMs?: number): Promise<{ signal: string | null; stdout: string }> {
  const child = spawnTs(CHILD, [mode, dir]);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  if (killAfterMs !== undefined) {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('SENDING')) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
  }
  const r = await exited(child);
  if (r.signal !== 'SIGKILL') t.comment(r.stderr);
  return { signal: r.signal, stdout: r.stdout };
}

/** Integrity, restart and a working agent afterwards; returns the state's checksum. */
async function afterCrash(t: Test, dir: string, what: string): Promise<string> {
  t.equal(integrity(dir), 'ok', `${what}: PRAGMA integrity_check`);
  const digest = digestOf(dir);
  const agent = await openAgent(dir);
  t.teardown(() => agent.close());
  t.same(memoryVsStore(agent.dm), [], `${what}: the restarted agent loads exactly what is stored`);
  const get = await send(agent, 'after', { get: { paramPaths: [`${SUB}1.TriggerConfigSettings`] } });
  t.equal(get?.body.msgBody, 'response', `${what}: the restarted agent answers`);
  const set = await send(agent, 'after-set', { set: { allowPartial: false, updateObjs: [{ objPath: `${SUB}1.`, paramSettings: [{ param: 'NotifExpiration', value: '7', required: true }] }] } });
  t.equal(set?.body.msgBody, 'response', `${what}: and accepts changes again`);
  return digest;
}

for (const w of Object.keys(AGENT_WORKLOADS) as AgentWorkload[]) {
  const label = { set: 'a 10,000-parameter Set', add: `an Add of ${AGENT_ADD_ROWS} rows`, delete: `a Delete of ${AGENT_ROWS / 2 + 1} rows` }[w];
  t.test(`kill -9 half-way through writing ${label}: the restarted agent has the old state, nothing of the request`, async (t) => {
    const f = await prepared();
    const dir = copyOf(t, f.base);
    const r = await runChild(t, `agent-${w}-mid`, dir);
    t.equal(r.signal, 'SIGKILL', 'the child was killed, not exited');
    t.match(r.stdout, /KILL inside Store\.apply after \d+ of \d+/, 'killed inside the SQLite transaction');
    t.equal(await afterCrash(t, dir, w), f.old, 'exactly the state before the request');
  });
}

t.test('kill -9 right after the 10,000-parameter Set was answered: all of it is on disk', async (t) => {
  const f = await prepared();
  const dir = copyOf(t, f.base);
  const r = await runChild(t, 'agent-set-after', dir);
  t.equal(r.signal, 'SIGKILL');
  t.match(r.stdout, /KILL after the set reply \(response\) was built/);
  t.equal(await afterCrash(t, dir, 'set'), f.completed.set, 'exactly the state of the Set run to completion');
});

t.test('kill -9 from outside at several moments of the 10,000-parameter Set: always all old or all new', async (t) => {
  const f = await prepared();
  const outcomes: string[] = [];
  // Spread over the Set's duration as measured here (the child also decodes and checks first).
  for (const frac of [0.3, 0.7, 1.1]) {
    const dir = copyOf(t, f.base);
    const delay = Math.round(f.setMs * frac);
    const r = await runChild(t, 'agent-set-timed', dir, delay);
    t.equal(r.signal, 'SIGKILL', `killed ${delay} ms after sending`);
    const got = await afterCrash(t, dir, `kill at ${delay} ms`);
    const outcome = got === f.old ? 'old' : got === f.completed.set ? 'new' : 'MIXED';
    outcomes.push(`${delay} ms: ${outcome}${r.stdout.includes('DONE') ? ' (answered)' : ''}`);
    t.not(outcome, 'MIXED', `kill at ${delay} ms: old or new, never a mix`);
    if (r.stdout.includes('DONE response')) t.equal(outcome, 'new', 'once answered, the Set is durable');
  }
  t.comment(`Set took ${Math.round(f.setMs)} ms here; outcomes: ${outcomes.join('; ')}`);
});
