// agent/record/router.ts: receive-side Record gates and Record ↔ Msg (TR-369 §MTP › Record
// Definition, USP Record Errors, §E2E Message Exchange; USP-NOTES §2, §3, §5). Every test sends
// real protobuf bytes through the real router, dispatcher and SQLite-backed data model.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs/minimal.js';
import t from 'tap';
import type { Test } from 'tap';
import type { AgentOptions } from '../../../agent/agent.js';
import { UspErrorCode } from '../../../datamodel/errors.js';
import type { StoredSnapshot } from '../../../datamodel/store.js';
import {
  buildRecord,
  buildRequest,
  buildResponse,
  decodeMsg,
  decodeRecord,
  disconnectRecord,
  encodeMsg,
  encodeRecord,
  mqttConnectRecord,
  MqttVersion,
  MsgType,
  PayloadSecurity,
  stompConnectRecord,
  udsConnectRecord,
  USP_RECORD_VERSION,
  websocketConnectRecord,
} from '../../../proto/index.js';
import type { DecodedMsg, DecodedRecord, JsonObject, Msg, Request, UspRecord } from '../../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID, freshAgent, startTestAgent, tempConfig } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

const OTHER_CONTROLLER = 'proto::controller-2';
const CTRL = 'Device.LocalAgent.Controller.';
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'records');

// ---- helpers ---------------------------------------------------------------------------------

async function agentFor(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

/** An agent with a non-default config (endpoint ID, limits), torn down with the test. */
async function agentWith(t: Test, extra: Record<string, unknown>, opts: AgentOptions = {}): Promise<TestAgent> {
  const { config, dir, cleanup } = tempConfig(extra);
  const agent = await startTestAgent(config, dir, opts);
  t.teardown(() => {
    agent.close();
    cleanup();
  });
  return agent;
}

interface Envelope {
  toId?: string;
  fromId?: string;
  version?: string;
}

/** A no_session_context Record carrying `msg`, from the controller to the agent unless overridden. */
function recordOf(msg: Msg | Uint8Array, env: Envelope = {}): Uint8Array {
  const payload = msg instanceof Uint8Array ? msg : encodeMsg(msg);
  const rec = buildRecord({ toId: env.toId ?? AGENT_EID, fromId: env.fromId ?? CONTROLLER_EID, payload });
  return encodeRecord(env.version === undefined ? rec : { ...rec, version: env.version });
}

const requestRecord = (msgId: string, req: Request, env: Envelope = {}): Uint8Array => recordOf(buildRequest(msgId, req), env);

/** Decodes a reply Record and checks the envelope every reply must have; returns record and Msg. */
function openReply(t: Test, bytes: Uint8Array | undefined, to: string, what: string): { rec: DecodedRecord; msg: DecodedMsg } | undefined {
  if (bytes === undefined) {
    t.fail(`${what}: expected a reply record`);
    return undefined;
  }
  const rec = decodeRecord(bytes);
  t.equal(rec.version, USP_RECORD_VERSION, `${what}: record version 1.4`);
  t.equal(rec.toId, to, `${what}: addressed back to the sender`);
  t.equal(rec.fromId, AGENT_EID, `${what}: from the agent`);
  t.equal(rec.recordType, 'noSessionContext', `${what}: same record type as the request (R-MSG.0a)`);
  const msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
  return { rec, msg };
}

function expectErrorReply(t: Test, bytes: Uint8Array | undefined, msgId: string, code: number, what: string, to = CONTROLLER_EID): void {
  const r = openReply(t, bytes, to, what);
  t.equal(r?.msg.body.msgBody, 'error', `${what}: an Error message`);
  t.equal(r?.msg.header.msgId, msgId, `${what}: carries the msg_id`);
  t.equal(r?.msg.body.error?.errCode, code, `${what}: err_code ${code}`);
}

// Hand-built wire fields, to put on the wire what our encoder never would.
const LEN = 2;
const VARINT = 0;
function field(id: number, wire: number, write: (w: protobuf.Writer) => void): Uint8Array {
  const w = protobuf.Writer.create().uint32((id << 3) | wire);
  write(w);
  return w.finish();
}
const str = (id: number, s: string): Uint8Array => field(id, LEN, (w) => w.string(s));
const sub = (id: number, ...parts: Uint8Array[]): Uint8Array => field(id, LEN, (w) => w.bytes(cat(...parts)));
const int = (id: number, n: number): Uint8Array => field(id, VARINT, (w) => w.int32(n));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** A tiny seeded PRNG so the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}

/** Rejects if `p` has not settled within `ms` (a guard, not a sleep: it never delays success). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** Instance paths of the Controller rows, read with a real GetInstances request. */
async function controllers(agent: TestAgent): Promise<string[]> {
  const reply = await agent.request({ getInstances: { objPaths: [CTRL], firstLevelOnly: true } });
  return (reply.body.response?.getInstancesResp?.reqPathResults?.[0]?.currInsts ?? []).map((c) => c.instantiatedObjPath ?? '');
}

/** An Add that creates a Controller row: sent where it must be ignored, it proves nothing ran. */
const ADD_CONTROLLER = (eid: string): Request => ({
  add: { allowPartial: false, createObjs: [{ objPath: CTRL, paramSettings: [{ param: 'EndpointID', value: eid, required: true }] }] },
});

const sortSnapshot = (s: StoredSnapshot): unknown => ({
  instances: [...s.instances].sort((a, b) => a.path.localeCompare(b.path)),
  params: [...s.params].sort((a, b) => `${a.obj}${a.name}`.localeCompare(`${b.obj}${b.name}`)),
  counters: [...s.counters.entries()].sort(([a], [b]) => a.localeCompare(b)),
});

// ---- the happy path --------------------------------------------------------------------------

t.test('a Get through the router comes back as a v1.4 Record addressed to the sender (R-MSG.0a, R-MSG.9)', async (t) => {
  const agent = await agentFor(t);
  const bytes = await agent.router.handle(
    requestRecord('rt-get-1', { get: { paramPaths: ['Device.DeviceInfo.Manufacturer', 'Device.LocalAgent.EndpointID'] } }),
  );
  const r = openReply(t, bytes, CONTROLLER_EID, 'Get');
  t.equal(r?.rec.payloadSecurity ?? PayloadSecurity.PLAINTEXT, PayloadSecurity.PLAINTEXT, 'plaintext payload');
  t.equal(r?.msg.header.msgId, 'rt-get-1', 'same msg_id');
  t.equal(r?.msg.header.msgType, MsgType.GET_RESP);
  const results = r?.msg.body.response?.getResp?.reqPathResults ?? [];
  t.same(
    results.map((x) => x.resolvedPathResults?.[0]?.resultParams),
    [{ Manufacturer: 'usp-agent project' }, { EndpointID: AGENT_EID }],
  );

  const other = openReply(
    t,
    await agent.router.handle(requestRecord('rt-get-2', { get: { paramPaths: ['Device.'] } }, { fromId: OTHER_CONTROLLER })),
    OTHER_CONTROLLER,
    'second controller',
  );
  t.equal(other?.msg.header.msgId, 'rt-get-2', 'each controller gets its own reply');
});

t.test('a request that changes data is applied once and answered (Add through the router)', async (t) => {
  const agent = await agentFor(t);
  const r = openReply(t, await agent.router.handle(requestRecord('rt-add-1', ADD_CONTROLLER('proto::c1'))), CONTROLLER_EID, 'Add');
  t.equal(r?.msg.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, `${CTRL}1.`);
  t.same(await controllers(agent), [`${CTRL}1.`]);
});

// ---- addressing gates ------------------------------------------------------------------------

t.test('a Record whose to_id is not the agent is ignored and not processed (TP-469 2.2, R-E2E.1)', async (t) => {
  const agent = await agentFor(t);
  for (const toId of ['proto::someone-else', CONTROLLER_EID, `${AGENT_EID}x`, AGENT_EID.toUpperCase(), ` ${AGENT_EID}`]) {
    t.equal(
      await agent.router.handle(requestRecord(`to-${toId}`, ADD_CONTROLLER(`proto::via-${toId.length}`), { toId })),
      undefined,
      `to_id '${toId}': no reply`,
    );
  }
  t.equal(await agent.router.handle(requestRecord('to-empty', ADD_CONTROLLER('proto::e'), { toId: '' })), undefined, 'empty to_id: no reply');
  t.same(await controllers(agent), [], 'none of the Adds ran');
});

t.test('a Record whose from_id is the agent itself is ignored and not processed (TP-469 2.1, R-ARC.2)', async (t) => {
  const agent = await agentFor(t);
  t.equal(await agent.router.handle(requestRecord('self-1', ADD_CONTROLLER('proto::self'), { fromId: AGENT_EID })), undefined, 'no reply');
  t.equal(await agent.router.handle(requestRecord('self-2', ADD_CONTROLLER('proto::nobody'), { fromId: '' })), undefined, 'empty from_id: no reply');
  t.same(await controllers(agent), [], 'the Adds did not run');
});

t.test('a Record whose from_id differs from the TLS peer certificate is ignored (R-SEC.0a, R-E2E.28)', async (t) => {
  const agent = await agentFor(t);
  t.equal(
    await agent.router.handle(requestRecord('cert-1', ADD_CONTROLLER('proto::spoof')), { certEndpointId: OTHER_CONTROLLER }),
    undefined,
    'mismatch: no reply',
  );
  t.same(await controllers(agent), [], 'not processed');
  const ok = openReply(
    t,
    await agent.router.handle(requestRecord('cert-2', { get: { paramPaths: ['Device.RootDataModelVersion'] } }), { certEndpointId: CONTROLLER_EID }),
    CONTROLLER_EID,
    'matching cert',
  );
  t.equal(ok?.msg.header.msgId, 'cert-2');
});

// ---- record types ----------------------------------------------------------------------------

t.test('a session_context Record is refused with a DisconnectRecord, reason_code 7106 (R-E2E.6a)', async (t) => {
  const agent = await agentFor(t);
  const rec: UspRecord = {
    version: '1.4',
    toId: AGENT_EID,
    fromId: CONTROLLER_EID,
    recordType: 'sessionContext',
    sessionContext: { sessionId: 7, sequenceId: 1, expectedId: 1, payload: [encodeMsg(buildRequest('sc-1', ADD_CONTROLLER('proto::sc')))] },
  };
  const bytes = await agent.router.handle(encodeRecord(rec));
  if (!bytes) return t.fail('expected a DisconnectRecord');
  const reply = decodeRecord(bytes);
  t.equal(reply.recordType, 'disconnect', 'a DisconnectRecord');
  t.equal(reply.version, USP_RECORD_VERSION);
  t.equal(reply.toId, CONTROLLER_EID, 'to the sender');
  t.equal(reply.fromId, AGENT_EID, 'from the agent');
  t.equal(reply.disconnect?.reasonCode, UspErrorCode.SessionContextNotAllowed, 'reason_code 7106');
  t.ok((reply.disconnect?.reason ?? '').length > 0, 'with a reason text');
  t.same(await controllers(agent), [], 'the payload inside was not processed');
  t.equal(await agent.router.handle(encodeRecord({ ...rec, toId: 'proto::someone-else' })), undefined, 'the to_id gate applies first');
});

t.test('connect and disconnect Records from a controller get no reply', async (t) => {
  const agent = await agentFor(t);
  const env = { toId: AGENT_EID, fromId: CONTROLLER_EID };
  const records: [string, UspRecord][] = [
    ['WebSocketConnect', websocketConnectRecord(env)],
    ['MQTTConnect', mqttConnectRecord({ ...env, version: MqttVersion.V5, subscribedTopic: 'usp/controller' })],
    ['STOMPConnect', stompConnectRecord({ ...env, subscribedDestination: '/queue/controller' })],
    ['UDSConnect', udsConnectRecord(env)],
    ['Disconnect', disconnectRecord({ ...env, reason: 'bye', reasonCode: UspErrorCode.SessionContextTerminated })],
  ];
  for (const [what, rec] of records) t.equal(await agent.router.handle(encodeRecord(rec)), undefined, `${what}: no reply`);
});

t.test('responses and errors carried in a Record get no reply (R-MSG.0)', async (t) => {
  const agent = await agentFor(t);
  t.equal(await agent.router.handle(recordOf(buildResponse('nr-1', { notifyResp: { subscriptionId: 's' } }))), undefined, 'NotifyResp');
  t.equal(
    await agent.router.handle(
      recordOf({ header: { msgId: 'er-1', msgType: MsgType.ERROR }, body: { msgBody: 'error', error: { errCode: 7002, errMsg: 'no' } } }),
    ),
    undefined,
    'Error',
  );
});

// ---- record-level errors ---------------------------------------------------------------------

t.test('an unknown record version gets Error 7104 when the msg_id is readable, and is not processed (R-MTP.5)', async (t) => {
  const agent = await agentFor(t);
  for (const version of ['2.0', '0.9', 'banana']) {
    expectErrorReply(
      t,
      await agent.router.handle(requestRecord(`v-${version}`, ADD_CONTROLLER(`proto::v${version}`), { version })),
      `v-${version}`,
      UspErrorCode.InvalidRecordValue,
      `version ${version}`,
    );
  }
  t.same(await controllers(agent), [], 'none of the Adds ran');
  t.equal(await agent.router.handle(recordOf(new Uint8Array([0xff, 0xff, 0xff]), { version: '2.0' })), undefined, 'no readable msg_id: dropped');
  t.equal(await agent.router.handle(requestRecord('v-empty', ADD_CONTROLLER('proto::v'), { version: '' })), undefined, 'missing version: dropped (R-MTP.4b)');
  for (const version of ['1.3', '1.5']) {
    const r = openReply(
      t,
      await agent.router.handle(requestRecord(`v-${version}`, { get: { paramPaths: ['Device.RootDataModelVersion'] } }, { version })),
      CONTROLLER_EID,
      `version ${version}`,
    );
    t.equal(r?.msg.body.msgBody, 'response', `a 1.x peer (${version}) is answered normally`);
  }
});

t.test('an oversize Record is dropped unread; one within the limit is answered', async (t) => {
  const agent = await agentWith(t, { limits: { maxMessageBytes: 1024 } });
  const big = requestRecord('big-1', {
    add: {
      allowPartial: false,
      createObjs: [
        {
          objPath: CTRL,
          paramSettings: [
            { param: 'EndpointID', value: 'proto::big' },
            { param: 'ProvisioningCode', value: 'x'.repeat(1100) },
          ],
        },
      ],
    },
  });
  t.ok(big.length > 1024, `${big.length} bytes`);
  t.equal(await agent.router.handle(big), undefined, 'dropped');
  t.same(await controllers(agent), [], 'not processed');
  const small = requestRecord('small-1', ADD_CONTROLLER('proto::small'));
  t.ok(small.length <= 1024);
  t.equal(openReply(t, await agent.router.handle(small), CONTROLLER_EID, 'small')?.msg.header.msgId, 'small-1');
});

t.test('with the default limit (4 MiB) a larger Record is dropped', async (t) => {
  const agent = await agentFor(t);
  t.equal(agent.config.limits.maxMessageBytes, 4 * 1024 * 1024, 'the default limit');
  const huge = requestRecord('huge-1', { get: { paramPaths: ['Device.RootDataModelVersion', `Device.${'X'.repeat(4 * 1024 * 1024)}`] } });
  t.equal(await agent.router.handle(huge), undefined, `${huge.length} bytes: dropped`);
});

// ---- encoding violations (R-ENC.2–5) ---------------------------------------------------------

t.test('a Record with two record_type members is discarded, whatever it carries (R-ENC.3/R-ENC.4)', async (t) => {
  const agent = await agentFor(t);
  const add = requestRecord('oneof-rec-1', ADD_CONTROLLER('proto::two'));
  const mqtt = encodeRecord(mqttConnectRecord({ toId: AGENT_EID, fromId: CONTROLLER_EID, version: MqttVersion.V5, subscribedTopic: 't' }));
  t.equal(await agent.router.handle(cat(add, mqtt)), undefined, 'no_session_context + mqtt_connect: dropped');
  t.equal(await agent.router.handle(cat(mqtt, add)), undefined, 'mqtt_connect + no_session_context: dropped');
  const session = encodeRecord({
    version: '1.4',
    toId: AGENT_EID,
    fromId: CONTROLLER_EID,
    recordType: 'sessionContext',
    sessionContext: { sessionId: 1, sequenceId: 1, expectedId: 1 },
  });
  t.equal(await agent.router.handle(cat(add, session)), undefined, 'no Disconnect either: the Record is discarded');
  t.same(await controllers(agent), [], 'the Add inside never ran');
});

t.test('a Msg with two oneof members gets Error 7004 with its msg_id and is not processed (R-ENC.5)', async (t) => {
  const agent = await agentFor(t);
  t.equal(openReply(t, await agent.router.handle(requestRecord('seed', ADD_CONTROLLER('proto::c1'))), CONTROLLER_EID, 'seed')?.msg.body.msgBody, 'response');
  // protobuf merges repeated occurrences, so on the wire this Request holds get AND set; a
  // plain decoder would keep the last one (the Set) and run it.
  const get = encodeMsg(buildRequest('oneof-req', { get: { paramPaths: ['Device.'] } }));
  const set = encodeMsg(
    buildRequest('oneof-req', {
      set: { allowPartial: false, updateObjs: [{ objPath: `${CTRL}1.`, paramSettings: [{ param: 'ProvisioningCode', value: 'hacked' }] }] },
    }),
  );
  expectErrorReply(t, await agent.router.handle(recordOf(cat(get, set))), 'oneof-req', UspErrorCode.InvalidArguments, 'Request with get + set');
  const resp = encodeMsg(buildResponse('oneof-body', { getResp: { reqPathResults: [] } }));
  const reqAdd = encodeMsg(buildRequest('oneof-body', ADD_CONTROLLER('proto::body')));
  expectErrorReply(t, await agent.router.handle(recordOf(cat(resp, reqAdd))), 'oneof-body', UspErrorCode.InvalidArguments, 'Body with response + request');
  const pc = await agent.request({ get: { paramPaths: [`${CTRL}1.ProvisioningCode`] } });
  t.same(pc.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams, { ProvisioningCode: '' }, 'the Set did not run');
  t.same(await controllers(agent), [`${CTRL}1.`], 'the Add did not run');
});

t.test('other bad Msgs: 7004 when the msg_id is readable, silence when it is not (R-MTP.5, R-MSG.6-8)', async (t) => {
  const agent = await agentFor(t);
  const header = (id: string, type: number = MsgType.GET): Uint8Array => sub(1, str(1, id), int(2, type));
  const getBody = sub(2, sub(1, sub(1, str(1, 'Device.RootDataModelVersion'))));
  expectErrorReply(t, await agent.router.handle(recordOf(header('no-body'))), 'no-body', UspErrorCode.InvalidArguments, 'header without body');
  expectErrorReply(
    t,
    await agent.router.handle(recordOf(cat(header('empty-body'), sub(2)))),
    'empty-body',
    UspErrorCode.InvalidArguments,
    'body with no member',
  );
  expectErrorReply(
    t,
    await agent.router.handle(recordOf(cat(header('bad-enum', 99), getBody))),
    'bad-enum',
    UspErrorCode.InvalidArguments,
    'unknown msg_type enum value (R-ENC.2)',
  );
  const badEnumAdd = cat(encodeMsg(buildRequest('bad-enum-add', ADD_CONTROLLER('proto::enum'))), sub(1, int(2, 99)));
  expectErrorReply(t, await agent.router.handle(recordOf(badEnumAdd)), 'bad-enum-add', UspErrorCode.InvalidArguments, 'Add with an unknown msg_type');
  t.same(await controllers(agent), [], 'and the Add did not run (R-ENC.2: no further processing)');
  t.equal(await agent.router.handle(recordOf(getBody)), undefined, 'no header: dropped');
  t.equal(await agent.router.handle(recordOf(cat(sub(1, int(2, MsgType.GET)), getBody))), undefined, 'header without msg_id: dropped');
  t.equal(await agent.router.handle(recordOf(new Uint8Array([0x0a, 0x05, 0x41]))), undefined, 'truncated header: dropped');
  const ok = openReply(t, await agent.router.handle(recordOf(cat(header('hand-built'), getBody))), CONTROLLER_EID, 'hand-built Get');
  t.same(
    ok?.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams,
    { RootDataModelVersion: '2.19' },
    'the hand-built helpers make a valid Get',
  );
});

t.test('a Msg cut off after its header gets Error 7004 with the msg_id; cut inside the header, silence (R-MTP.5)', async (t) => {
  const agent = await agentFor(t);
  const msg = encodeMsg(buildRequest('cut-1', ADD_CONTROLLER('proto::cut')));
  const headerEnd = 2 + (msg[1] ?? 0); // tag, one-byte length, header bytes
  t.equal(msg[0], 0x0a, 'the header is the first field');
  const wrong: string[] = [];
  for (let n = 1; n < msg.length; n++) {
    const out = await agent.router.handle(recordOf(msg.subarray(0, n)));
    if (n < headerEnd) {
      if (out !== undefined) wrong.push(`${n}: answered although the header is incomplete`);
      continue;
    }
    const reply = out === undefined ? undefined : decodeMsg(decodeRecord(out).noSessionContext?.payload ?? new Uint8Array());
    if (reply?.header.msgId !== 'cut-1' || reply.body.error?.errCode !== UspErrorCode.InvalidArguments)
      wrong.push(`${n}: ${reply === undefined ? 'no reply' : JSON.stringify(reply.body)}`);
  }
  t.same(wrong, [], `${msg.length - 1} truncations: Error 7004 exactly when the header is complete`);
  t.same(await controllers(agent), [], 'no truncated Add ran');
});

// ---- duplicates ------------------------------------------------------------------------------

t.test('a duplicate msg_id that arrives while the first is in flight is ignored (R-MSG.4)', async (t) => {
  let entered!: () => void;
  const inGetter = new Promise<void>((r) => (entered = r));
  let release!: (v: string) => void;
  const gate = new Promise<string>((r) => (release = r));
  t.teardown(() => release('released by teardown'));
  const agent = await agentFor(t, {
    register: (dm) =>
      dm.param('Device.X_TEST_Slow', {
        type: 'string',
        get: () => {
          entered();
          return gate;
        },
      }),
  });
  const bytes = requestRecord('dup-1', { get: { paramPaths: ['Device.X_TEST_Slow'] } });
  const first = agent.router.handle(bytes);
  await within(inGetter, 5000, 'the first Get to reach the slow getter');
  t.equal(await within(agent.router.handle(bytes), 5000, 'the duplicate'), undefined, 'the duplicate is ignored');
  // The same msg_id from another controller is a different message.
  const otherSender = agent.router.handle(requestRecord('dup-1', { get: { paramPaths: ['Device.RootDataModelVersion'] } }, { fromId: OTHER_CONTROLLER }));
  release('slow value');
  const r1 = openReply(t, await within(first, 5000, 'the first reply'), CONTROLLER_EID, 'first');
  t.equal(r1?.msg.header.msgId, 'dup-1');
  t.same(r1?.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams, { X_TEST_Slow: 'slow value' }, 'the first is answered');
  const r3 = openReply(t, await within(otherSender, 5000, 'the other controller'), OTHER_CONTROLLER, 'other controller');
  t.equal(r3?.msg.header.msgId, 'dup-1', 'another controller may use the same msg_id');
  const again = openReply(t, await within(agent.router.handle(bytes), 5000, 'a later reuse'), CONTROLLER_EID, 'after the reply');
  t.equal(again?.msg.header.msgId, 'dup-1', 'once answered, the msg_id is no longer in flight');
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

// ---- golden records --------------------------------------------------------------------------

interface Twin {
  description: string;
  record: JsonObject & { toId: string; fromId: string; version: string; recordType: string };
  msg?: JsonObject & { header: { msgId: string } };
}

function fixture(name: string): { bin: Uint8Array; twin: Twin } {
  return {
    bin: new Uint8Array(readFileSync(resolve(FIXTURES, `${name}.bin`))),
    twin: JSON.parse(readFileSync(resolve(FIXTURES, `${name}.json`), 'utf8')) as Twin,
  };
}

t.test('golden get-request.bin is answered by an agent with its to_id, in the golden get-resp envelope', async (t) => {
  const req = fixture('get-request');
  const resp = fixture('get-resp');
  const agent = await agentWith(t, { endpointId: req.twin.record.toId });
  const out = await agent.router.handle(req.bin);
  if (!out) return t.fail('expected a reply');
  const rec = decodeRecord(out);
  const golden = decodeRecord(resp.bin);
  t.same(
    [rec.version, rec.toId, rec.fromId, rec.recordType],
    [golden.version, golden.toId, golden.fromId, golden.recordType],
    'same envelope as the golden GetResp record',
  );
  const msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
  t.equal(msg.header.msgId, req.twin.msg?.header.msgId, 'answers the golden msg_id');
  t.equal(msg.header.msgType, MsgType.GET_RESP);
  const results = msg.body.response?.getResp?.reqPathResults ?? [];
  t.same(
    results.map((r) => r.requestedPath),
    ['Device.DeviceInfo.SoftwareVersion', 'Device.LocalAgent.Controller.'],
    'one result per requested path, in order',
  );
  t.equal(results[0]?.resolvedPathResults?.[0]?.resolvedPath, 'Device.DeviceInfo.', 'same resolved_path shape as the golden GetResp');
  t.ok(results[0]?.resolvedPathResults?.[0]?.resultParams?.['SoftwareVersion'], 'SoftwareVersion is reported');
  t.equal(results[1]?.errCode ?? 0, 0, 'an empty Controller table is not an error');
  t.same(results[1]?.resolvedPathResults ?? [], []);
});

t.test('golden agent-to-controller records are ignored by the agent that sent them (R-E2E.1, R-ARC.2)', async (t) => {
  const agentEid = fixture('get-resp').twin.record.fromId;
  const agent = await agentWith(t, { endpointId: agentEid });
  for (const name of ['get-resp', 'error', 'notify-value-change', 'mqtt-connect']) {
    const f = fixture(name);
    t.equal(f.twin.record.fromId, agentEid, `${name}: sent by ${agentEid}`);
    t.equal(await agent.router.handle(f.bin), undefined, `${name}: no reply`);
  }
});

t.test('golden agent-to-controller records received by an agent with the controller ID: only the Notify request is answered', async (t) => {
  const controllerEid = fixture('get-resp').twin.record.toId;
  const agent = await agentWith(t, { endpointId: controllerEid });
  t.equal(await agent.router.handle(fixture('get-resp').bin), undefined, 'GetResp: no reply (R-MSG.0)');
  t.equal(await agent.router.handle(fixture('error').bin), undefined, 'Error: no reply');
  t.equal(await agent.router.handle(fixture('mqtt-connect').bin), undefined, 'MQTTConnectRecord: no reply');
  const notify = fixture('notify-value-change');
  const out = await agent.router.handle(notify.bin);
  if (!out) return t.fail('expected an Error reply to the Notify');
  const rec = decodeRecord(out);
  t.same([rec.toId, rec.fromId, rec.version], [notify.twin.record.fromId, controllerEid, USP_RECORD_VERSION], 'addressed back to the sender');
  const msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
  t.equal(msg.header.msgId, notify.twin.msg?.header.msgId, 'same msg_id');
  t.equal(msg.body.error?.errCode, UspErrorCode.MessageNotSupported, 'an agent does not accept Notify: 7001');
});
