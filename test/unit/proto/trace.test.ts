import t from 'tap';
import {
  buildError,
  buildRecord,
  buildRequest,
  buildResponse,
  decodeMsg,
  decodeRecord,
  describeMsg,
  describeRecord,
  encodeMsg,
  encodeRecord,
  msgFromJson,
  msgToJson,
  ParamValueType,
  recordFromJson,
  recordToJson,
  websocketConnectRecord,
} from '../../../proto/index.js';
import { MSG_SAMPLES, RECORD_SAMPLES } from './samples.js';

t.test('msgToJson: enum names, oneof member names, no defaults', async (t) => {
  const msg = buildResponse('g-1', {
    getSupportedDmResp: {
      reqObjResults: [
        {
          reqObjPath: 'Device.',
          supportedObjs: [{ supportedObjPath: 'Device.', supportedParams: [{ paramName: 'X', valueType: ParamValueType.PARAM_BOOLEAN }] }],
        },
      ],
    },
  });
  t.same(msgToJson(msg), {
    header: { msgId: 'g-1', msgType: 'GET_SUPPORTED_DM_RESP' },
    body: {
      msgBody: 'response',
      response: {
        respType: 'getSupportedDmResp',
        getSupportedDmResp: {
          reqObjResults: [
            { reqObjPath: 'Device.', supportedObjs: [{ supportedObjPath: 'Device.', supportedParams: [{ paramName: 'X', valueType: 'PARAM_BOOLEAN' }] }] },
          ],
        },
      },
    },
  });
});

t.test('plain and decoded Msgs give the same JSON, and msgFromJson inverts it', async (t) => {
  for (const { name, value } of MSG_SAMPLES) {
    const bytes = encodeMsg(value);
    const json = msgToJson(value);
    t.same(msgToJson(decodeMsg(bytes)), json, `${name}: plain vs decoded`);
    t.same(Buffer.from(encodeMsg(msgFromJson(json))), Buffer.from(bytes), `${name}: round trip through JSON`);
  }
});

t.test('recordToJson: bytes as base64, 64-bit numbers as strings; recordFromJson inverts it', async (t) => {
  const rec = buildRecord({ toId: 'a', fromId: 'b', payload: new Uint8Array([0xfb, 0xff]) });
  t.same(recordToJson(rec), { version: '1.4', toId: 'a', fromId: 'b', recordType: 'noSessionContext', noSessionContext: { payload: '+/8=' } });
  for (const { name, value } of RECORD_SAMPLES) {
    const bytes = encodeRecord(value);
    const json = recordToJson(decodeRecord(bytes));
    t.same(Buffer.from(encodeRecord(recordFromJson(json))), Buffer.from(bytes), name);
  }
  const session = RECORD_SAMPLES.find((s) => s.name === 'session_context');
  const sc = session ? (recordToJson(session.value)['sessionContext'] as Record<string, unknown>) : {};
  t.equal(sc['sequenceId'], '18446744073709551600');
});

t.test('describeMsg and describeRecord give one-line summaries for logs', async (t) => {
  t.equal(describeMsg(buildRequest('a-1', { get: { paramPaths: [] } })), 'GET id="a-1" request.get');
  t.equal(describeMsg(buildResponse('a-1', { setResp: {} })), 'SET_RESP id="a-1" response.setResp');
  t.equal(describeMsg(buildError('a-2', 7004, 'bad "args"')), 'ERROR id="a-2" error 7004 "bad \\"args\\""');
  t.equal(describeMsg({}), 'NO_HEADER id="" empty body');
  t.equal(describeRecord(buildRecord({ toId: 'ctrl', fromId: 'agent', payload: new Uint8Array(57) })), 'noSessionContext agent -> ctrl (57 bytes)');
  t.equal(describeRecord(websocketConnectRecord({ toId: 'ctrl', fromId: 'agent' })), 'websocketConnect agent -> ctrl');
  t.equal(describeRecord({ toId: 'ctrl' }), 'no record_type  -> ctrl');
});
