// agent/record/router.ts: random bytes, truncations and mutations of valid Records never crash the
// router, never get a malformed reply and never change the stored data.
import t from 'tap';
import type { StoredSnapshot } from '../../../datamodel/store.js';
import { buildRequest, decodeMsg, decodeRecord, encodeMsg, USP_RECORD_VERSION } from '../../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID } from '../../helpers/agent.js';
import { ADD_CONTROLLER, agentFor, CTRL, openReply, recordOf, requestRecord } from '../../helpers/router-helpers.js';

/** A tiny seeded PRNG so the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}

const sortSnapshot = (s: StoredSnapshot): unknown => ({
  instances: [...s.instances].sort((a, b) => a.path.localeCompare(b.path)),
  params: [...s.params].sort((a, b) => `${a.obj}${a.name}`.localeCompare(`${b.obj}${b.name}`)),
  counters: [...s.counters.entries()].sort(([a], [b]) => a.localeCompare(b)),
});

// ---- garbage ---------------------------------------------------------------------------------

t.test('garbage, truncations and mutations never crash the router; the agent then still answers and its data is unchanged', async (t) => {
  const agent = await agentFor(t);
  for (const eid of ['proto::c1', 'proto::c2']) {
    t.equal(openReply(t, await agent.router.handle(requestRecord(`seed-${eid}`, ADD_CONTROLLER(eid))), CONTROLLER_EID, 'seed')?.msg.body.msgBody, 'response');
  }
  const before = sortSnapshot(agent.dm.store.load());
  const rand = prng(0x5eed);
  const problems: string[] = [];
  let replies = 0;
  let inputs = 0;

  /** Anything but undefined or a well-formed reply to the controller is a problem. */
  const feed = async (bytes: Uint8Array, what: string): Promise<void> => {
    inputs++;
    let out: Uint8Array | undefined;
    try {
      out = await agent.router.handle(bytes);
    } catch (e) {
      problems.push(`${what}: threw ${String(e)}`);
      return;
    }
    if (out === undefined) return;
    replies++;
    // Only a Record that decodes, is addressed to us and not from us may be answered, and the
    // answer goes back to whoever it claims to be from (mutations change from_id too).
    let sender: string;
    try {
      const input = decodeRecord(bytes);
      if (input.toId !== AGENT_EID || input.fromId === AGENT_EID) problems.push(`${what}: answered a record for ${input.toId} from ${input.fromId}`);
      sender = input.fromId;
    } catch {
      problems.push(`${what}: answered an undecodable record`);
      return;
    }
    try {
      const rec = decodeRecord(out);
      if (rec.version !== USP_RECORD_VERSION || rec.fromId !== AGENT_EID || rec.toId !== sender)
        problems.push(`${what}: reply envelope ${rec.version} ${rec.fromId} -> ${rec.toId}`);
      if (rec.recordType === 'noSessionContext') {
        const msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
        if (msg.body.msgBody === 'request') problems.push(`${what}: the reply is a request`);
      } else if (rec.recordType !== 'disconnect') problems.push(`${what}: reply record type ${rec.recordType}`);
    } catch (e) {
      problems.push(`${what}: undecodable reply ${String(e)}`);
    }
  };

  // 1. Short and empty inputs.
  for (const b of [
    new Uint8Array(0),
    new Uint8Array([0]),
    new Uint8Array([0xff]),
    new Uint8Array([0x0a]),
    new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  ])
    await feed(b, `short ${Buffer.from(b).toString('hex')}`);
  // 2. Random buffers.
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(Math.floor(rand() * 300));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
    await feed(b, `random #${i}`);
  }
  const randomReplies = replies;
  // 3. Every truncation of valid Records (the Record itself, then the Msg inside a valid Record).
  const getMsg = encodeMsg(buildRequest('trunc', { get: { paramPaths: ['Device.LocalAgent.Controller.', 'Device.DeviceInfo.'], maxDepth: 2 } }));
  const getRec = recordOf(getMsg);
  for (let n = 0; n < getRec.length; n++) await feed(getRec.subarray(0, n), `record prefix ${n}`);
  const truncatedRecordReplies = replies - randomReplies;
  for (let n = 1; n < getMsg.length; n++) await feed(recordOf(getMsg.subarray(0, n)), `msg prefix ${n}`);
  // 4. Random mutations (flip, insert, delete bytes) of valid read-only requests.
  const seeds = [
    getRec,
    requestRecord('m-gi', { getInstances: { objPaths: [CTRL], firstLevelOnly: false } }),
    requestRecord('m-gsdm', { getSupportedDm: { objPaths: ['Device.LocalAgent.'], firstLevelOnly: true, returnParams: true } }),
    requestRecord('m-gsp', { getSupportedProtocol: { controllerSupportedProtocolVersions: '1.4' } }),
  ];
  for (let i = 0; i < 2000; i++) {
    const src = seeds[i % seeds.length] as Uint8Array;
    const b = [...src];
    const edits = 1 + Math.floor(rand() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * b.length);
      const kind = rand();
      if (kind < 0.6) b[at] = (b[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
      else if (kind < 0.8) b.splice(at, 0, Math.floor(rand() * 256));
      else b.splice(at, 1);
    }
    await feed(new Uint8Array(b), `mutation #${i}`);
  }
  t.same(problems, [], `${inputs} bad inputs: no exception, no malformed or misaddressed reply`);
  t.equal(randomReplies, 0, 'random bytes never get a reply');
  t.equal(truncatedRecordReplies, 0, 'a truncated Record never gets a reply');
  t.comment(`${replies} of ${inputs} inputs were answered (msg_id readable or still a valid request)`);

  const r = openReply(
    t,
    await agent.router.handle(requestRecord('after-garbage', { get: { paramPaths: [CTRL], maxDepth: 1 } })),
    CONTROLLER_EID,
    'after the garbage',
  );
  const rows = r?.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? [];
  t.same(
    rows.map((x) => [x.resolvedPath, x.resultParams?.['EndpointID']]),
    [
      [`${CTRL}1.`, 'proto::c1'],
      [`${CTRL}2.`, 'proto::c2'],
    ],
    'a normal Get is still answered',
  );
  t.same(sortSnapshot(agent.dm.store.load()), before, 'the stored data (SQLite) is unchanged');
});
