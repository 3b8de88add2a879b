// agent/record/router.ts: the golden Records in test/fixtures/records (.bin plus a .json twin)
// through the real router (R-E2E.1, R-ARC.2, R-MSG.0).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { decodeMsg, decodeRecord, MsgType, USP_RECORD_VERSION } from '../../../proto/index.js';
import type { JsonObject } from '../../../proto/index.js';
import { agentWith } from '../../helpers/router-helpers.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'records');

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
