// agent/record/router.ts: receive-side Record gates and Record ↔ Msg (TR-369 §MTP › Record
// Definition, USP Record Errors, §E2E Message Exchange; USP-NOTES §2, §3, §5). Every test sends
// real protobuf bytes through the real router, dispatcher and SQLite-backed data model.
// This file: the happy path, addressing gates, record types and duplicate msg_ids. Siblings:
// router-errors (record-level and encoding errors), router-garbage (fuzzing), router-golden (fixtures).
import t from 'tap';
import { UspErrorCode } from '../../../datamodel/errors.js';
import {
  buildRequest,
  buildResponse,
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
import type { UspRecord } from '../../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID } from '../../helpers/agent.js';
import { ADD_CONTROLLER, agentFor, controllers, CTRL, openReply, OTHER_CONTROLLER, recordOf, requestRecord } from '../../helpers/router-helpers.js';

/** Rejects if `p` has not settled within `ms` (a guard, not a sleep: it never delays success). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

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
