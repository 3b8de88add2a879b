import t from 'tap';
import {
  buildError,
  buildRequest,
  buildResponse,
  decodeMsg,
  encodeMsg,
  MsgType,
  msgTypeForBody,
  msgTypeName,
  REQUEST_KINDS,
  REQUEST_MSG_TYPE,
  requestKind,
  RESPONSE_KINDS,
  RESPONSE_MSG_TYPE,
  responseKind,
} from '../../../proto/index.js';
import type { Request, Response } from '../../../proto/index.js';
import { MSG_SAMPLES } from './samples.js';

t.test('msg_type maps cover every MsgType exactly once (R-MSG.7)', async (t) => {
  const mapped = [...Object.values(REQUEST_MSG_TYPE), ...Object.values(RESPONSE_MSG_TYPE), MsgType.ERROR].sort((a, b) => a - b);
  const all = Object.keys(MsgType)
    .map((k) => MsgType[k as keyof typeof MsgType])
    .sort((a, b) => a - b);
  t.same(mapped, all);
  t.equal(msgTypeName(MsgType.GET_SUPPORTED_PROTO_RESP), 'GET_SUPPORTED_PROTO_RESP');
  t.equal(msgTypeName(77 as MsgType), '77', 'unknown numbers print as numbers');
});

t.test('buildRequest sets msg_type from the request member, for every request type', async (t) => {
  for (const kind of REQUEST_KINDS) {
    const request = { [kind]: {} } as Request;
    const msg = decodeMsg(encodeMsg(buildRequest(`id-${kind}`, request)));
    t.equal(msg.header.msgId, `id-${kind}`);
    t.equal(msg.header.msgType, REQUEST_MSG_TYPE[kind], `${kind} header`);
    t.equal(msg.body.msgBody, 'request');
    t.equal(msg.body.request?.reqType, kind, `${kind} survives the wire even when empty`);
  }
  t.throws(() => buildRequest('x', {}), RangeError);
});

t.test('buildResponse answers with the request msg_id and the matching msg_type (R-MSG.9)', async (t) => {
  for (const kind of RESPONSE_KINDS) {
    const response = { [kind]: {} } as Response;
    const msg = decodeMsg(encodeMsg(buildResponse('req-1', response)));
    t.equal(msg.header.msgId, 'req-1');
    t.equal(msg.header.msgType, RESPONSE_MSG_TYPE[kind], `${kind} header`);
    t.equal(msg.body.response?.respType, kind);
  }
  t.throws(() => buildResponse('x', {}), RangeError);
});

t.test('buildError carries code, message and full-path param_errs', async (t) => {
  const msg = decodeMsg(
    encodeMsg(buildError('req-2', 7021, 'required parameter failed', [{ paramPath: 'Device.LocalAgent.Controller.1.Enable', errCode: 7012, errMsg: 'bad' }])),
  );
  t.equal(msg.header.msgType, MsgType.ERROR);
  t.equal(msg.body.msgBody, 'error');
  if (msg.body.msgBody !== 'error') return;
  t.equal(msg.body.error.errCode, 7021);
  t.equal(msg.body.error.errMsg, 'required parameter failed');
  t.same(msg.body.error.paramErrs, [{ paramPath: 'Device.LocalAgent.Controller.1.Enable', errCode: 7012, errMsg: 'bad' }]);
  t.same(decodeMsg(encodeMsg(buildError('req-3', 7003, 'internal error'))).body.error?.paramErrs, []);
});

t.test('every sample decodes, and msgTypeForBody agrees with its header', async (t) => {
  for (const { name, value } of MSG_SAMPLES) {
    const msg = decodeMsg(encodeMsg(value));
    t.equal(msgTypeForBody(msg.body), msg.header.msgType, name);
  }
});

t.test('requestKind / responseKind name the set member, undefined when none', async (t) => {
  t.equal(requestKind({ getInstances: { objPaths: [] } }), 'getInstances');
  t.equal(requestKind({}), undefined);
  t.equal(responseKind({ notifyResp: { subscriptionId: 's' } }), 'notifyResp');
  t.equal(responseKind({}), undefined);
  t.equal(msgTypeForBody({}), undefined);
  t.equal(msgTypeForBody({ request: {} }), undefined);
});

t.test('decoded body narrows on msgBody', async (t) => {
  const msg = decodeMsg(encodeMsg(buildRequest('n-1', { operate: { command: 'Device.Reboot()', inputArgs: { Cause: 'x' } } })));
  if (msg.body.msgBody !== 'request') throw new Error('expected a request');
  t.same(msg.body.request.operate?.inputArgs, { Cause: 'x' });
});
