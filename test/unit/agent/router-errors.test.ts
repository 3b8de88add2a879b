// agent/record/router.ts: record-level errors (version, size) and encoding violations
// (R-MTP.4b, R-MTP.5, R-ENC.2–5, R-MSG.6–8) sent as real protobuf bytes through the real router.
import protobuf from 'protobufjs/minimal.js';
import t from 'tap';
import { UspErrorCode } from '../../../datamodel/errors.js';
import {
  buildRequest,
  buildResponse,
  decodeMsg,
  decodeRecord,
  encodeMsg,
  encodeRecord,
  mqttConnectRecord,
  MqttVersion,
  MsgType,
} from '../../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID } from '../../helpers/agent.js';
import { ADD_CONTROLLER, agentFor, agentWith, controllers, CTRL, expectErrorReply, openReply, recordOf, requestRecord } from '../../helpers/router-helpers.js';

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
