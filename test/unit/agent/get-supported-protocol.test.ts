// GetSupportedProtocol (TR-369 §GetSupportedProtocol; USP-NOTES §5.8) through the real dispatcher.
import t from 'tap';
import { SUPPORTED_USP_VERSIONS } from '../../../agent/agent.js';
import { buildRequest, decodeMsg, encodeMsg, MsgType } from '../../../proto/index.js';
import { CONTROLLER, freshAgent } from '../../helpers/agent.js';

const MAJOR_MINOR = /^\d+\.\d+$/;

t.test('GetSupportedProtocol answers a CSV of major.minor versions that includes 1.4 (TP-469 1.80)', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const reply = await agent.request({ getSupportedProtocol: { controllerSupportedProtocolVersions: '1.3,1.4' } }, CONTROLLER);
  t.equal(reply.header.msgType, MsgType.GET_SUPPORTED_PROTO_RESP, 'msg_type GET_SUPPORTED_PROTO_RESP');
  const csv = reply.body.response?.getSupportedProtocolResp?.agentSupportedProtocolVersions ?? '';
  t.equal(csv, SUPPORTED_USP_VERSIONS, 'the versions the agent is built for');
  const versions = csv.split(',');
  t.ok(versions.length > 0 && versions.every((v) => MAJOR_MINOR.test(v)), `every item is major.minor: ${csv}`);
  t.ok(versions.includes('1.4'), 'includes the version the Records carry (1.4)');
  t.equal(new Set(versions).size, versions.length, 'no duplicates');
});

t.test('GetSupportedProtocol does not depend on what the controller claims', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  for (const claimed of ['', '1.0', '1.5,2.0', 'garbage']) {
    const reply = await agent.request({ getSupportedProtocol: { controllerSupportedProtocolVersions: claimed } }, CONTROLLER);
    t.equal(reply.body.msgBody, 'response', `controller claims '${claimed}': a response, not an Error`);
    t.equal(reply.body.response?.getSupportedProtocolResp?.agentSupportedProtocolVersions, SUPPORTED_USP_VERSIONS);
  }
});

t.test('GetSupportedProtocol reply reuses the request msg_id (R-MSG.9)', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const request = decodeMsg(encodeMsg(buildRequest('gsp-42', { getSupportedProtocol: { controllerSupportedProtocolVersions: '1.4' } })));
  const reply = await agent.dispatcher.handle(request, CONTROLLER);
  t.equal(reply?.header?.msgId, 'gsp-42');
});
