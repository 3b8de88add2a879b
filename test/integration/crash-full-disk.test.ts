/**
 * A full disk gives a USP error, not a corrupt store. SQLite reports a full disk as SQLITE_FULL
 * when it cannot grow the database; `limits.maxDatabaseBytes` (PRAGMA max_page_count) makes it
 * report exactly that at a size we choose, through the same code path, without filling the
 * host's disk. A Set or Add that does not fit fails with Error 7005 (Resources Exceeded, allowed
 * for every message), memory is rolled back with the SQLite transaction, and the database stays
 * readable and writable, before and after a restart.
 */
import Database from 'better-sqlite3';
import t from 'tap';
import type { Test } from 'tap';
import { UspErrorCode } from '../../datamodel/errors.js';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { DecodedMsg, Request } from '../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID, startTestAgent, tempConfig } from '../helpers/agent.js';
import type { TestAgent } from '../helpers/agent.js';
import { memoryVsStore, storeDigest } from '../helpers/digest.js';

const CTRL = 'Device.LocalAgent.Controller.';

async function send(agent: TestAgent, id: string, req: Request): Promise<DecodedMsg | undefined> {
  const out = await agent.router.handle(encodeRecord(buildRecord({ toId: AGENT_EID, fromId: CONTROLLER_EID, payload: encodeMsg(buildRequest(id, req)) })));
  return out && decodeMsg(decodeRecord(out).noSessionContext?.payload ?? new Uint8Array());
}

const setEndpoints = (value: (n: number) => string, rows: number[]): Request => ({
  set: { allowPartial: true, updateObjs: rows.map((n) => ({ objPath: `${CTRL}${n}.`, paramSettings: [{ param: 'EndpointID', value: value(n), required: true }] })) },
});

function dbFacts(file: string): { bytes: number; integrity: unknown } {
  const db = new Database(file, { readonly: true });
  try {
    const pages = db.pragma('page_count', { simple: true }) as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    return { bytes: pages * size, integrity: db.pragma('integrity_check', { simple: true }) };
  } finally {
    db.close();
  }
}

const endpointOf = (agent: TestAgent, n: number): string | undefined => agent.dm.tree.get(`${CTRL}${n}.`)?.values.get('EndpointID');

t.test('a Set or Add that would overfill the database fails with 7005; nothing of it is kept, in memory or on disk, and the store stays usable', async (t: Test) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  // A database with three controllers, then closed (WAL checkpointed into the file).
  const first = await startTestAgent(config, dir);
  for (const n of [1, 2, 3]) {
    const r = await send(first, `add-${n}`, { add: { allowPartial: false, createObjs: [{ objPath: CTRL, paramSettings: [{ param: 'EndpointID', value: `proto::c${n}`, required: true }] }] } });
    t.equal(r?.body.msgBody, 'response', `controller ${n} added`);
  }
  first.close();
  const { bytes } = dbFacts(config.database);
  // Room for small changes, not for 3 × 100 kB.
  const maxDatabaseBytes = bytes + 64 * 1024;

  const agent = await startTestAgent({ ...config, limits: { ...config.limits, maxDatabaseBytes } }, dir);
  let closed = false;
  t.teardown(() => {
    if (!closed) agent.close();
  });
  const before = storeDigest(agent.dm.store);

  const big = await send(agent, 'big-set', setEndpoints((n) => `proto::${String(n).repeat(100_000)}`, [1, 2, 3]));
  t.equal(big?.body.msgBody, 'error', 'the Set is refused as a whole');
  t.equal(big?.body.error?.errCode, UspErrorCode.ResourcesExceeded, 'with 7005 Resources Exceeded');
  t.match(big?.body.error?.errMsg, /no room to store the change/);
  t.same([1, 2, 3].map((n) => endpointOf(agent, n)), ['proto::c1', 'proto::c2', 'proto::c3'], 'memory rolled back');
  t.equal(storeDigest(agent.dm.store), before, 'stored data unchanged');
  t.same(memoryVsStore(agent.dm), [], 'memory matches the store');

  const rows = Array.from({ length: 40 }, (_, i) => ({ objPath: CTRL, paramSettings: [{ param: 'EndpointID', value: `proto::row${i}-${'x'.repeat(8000)}`, required: true }] }));
  const add = await send(agent, 'big-add', { add: { allowPartial: false, createObjs: rows } });
  t.equal(add?.body.error?.errCode, UspErrorCode.ResourcesExceeded, 'an Add of 40 big rows: 7005');
  t.equal(agent.dm.tree.get('Device.LocalAgent.')?.rowCount('Controller'), 3, 'no row of it in memory');
  t.equal(storeDigest(agent.dm.store), before, 'nor on disk');

  const small = await send(agent, 'small-set', setEndpoints((n) => `proto::small${n}`, [2]));
  t.equal(small?.body.msgBody, 'response', 'a change that fits still succeeds');
  const get = await send(agent, 'get', { get: { paramPaths: [`${CTRL}*.EndpointID`] } });
  t.same(
    get?.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.map((r) => r.resultParams?.['EndpointID']),
    ['proto::c1', 'proto::small2', 'proto::c3'],
    'Get shows exactly the committed values',
  );
  agent.close();
  closed = true;

  t.equal(dbFacts(config.database).integrity, 'ok', 'PRAGMA integrity_check after the failed writes');
  const again = await startTestAgent(config, dir);
  t.teardown(() => again.close());
  t.same([1, 2, 3].map((n) => endpointOf(again, n)), ['proto::c1', 'proto::small2', 'proto::c3'], 'after a restart: the committed state');
  t.same(memoryVsStore(again.dm), []);
  const retry = await send(again, 'retry', setEndpoints((n) => `proto::${String(n).repeat(100_000)}`, [1, 2, 3]));
  t.equal(retry?.body.msgBody, 'response', 'with room again (no limit), the same Set succeeds');
  t.equal(endpointOf(again, 3)?.length, 100_007);
});
