// agent/record/router.ts with the whole agent behind it: hostile but well-formed-enough input gets
// the right USP Error (or silence where the spec says drop), never a crash, never a change of
// stored data. Record-level gates (size, oneof, truncation) are in router-errors.test.ts.
import t from 'tap';
import type { Test } from 'tap';
import { LIMITS_DEFAULTS } from '../../../agent/config-limits.js';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { MAX_COMPONENTS, MAX_PATH_BYTES, MAX_SEGMENTS } from '../../../datamodel/path.js';
import type { DecodedMsg, Request } from '../../../proto/index.js';
import { CONTROLLER_EID } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';
import { memoryVsStore, storeDigest } from '../../helpers/digest.js';
import { ADD_CONTROLLER, agentFor, agentWith, CTRL, expectErrorReply, openReply, recordOf, requestRecord } from '../../helpers/router-helpers.js';

/** An agent with one Controller row (Controller.1., EndpointID proto::c1). */
async function agentWithRow(t: Test): Promise<TestAgent> {
  const agent = await agentFor(t);
  const r = openReply(t, await agent.router.handle(requestRecord('seed', ADD_CONTROLLER('proto::c1'))), CONTROLLER_EID, 'seed');
  t.equal(r?.msg.body.msgBody, 'response', 'seed row added');
  return agent;
}

/** Sends `req` through the router and returns the decoded reply Msg. */
async function ask(t: Test, agent: TestAgent, id: string, req: Request): Promise<DecodedMsg | undefined> {
  return openReply(t, await agent.router.handle(requestRecord(id, req)), CONTROLLER_EID, id)?.msg;
}

/** Runs `fn` and checks that the stored data did not change and memory still matches it. */
async function unchanged(t: Test, agent: TestAgent, what: string, fn: () => Promise<void>): Promise<void> {
  const before = storeDigest(agent.dm.store);
  await fn();
  t.equal(storeDigest(agent.dm.store), before, `${what}: stored data unchanged`);
  t.same(memoryVsStore(agent.dm), [], `${what}: memory matches the store`);
}

const set = (objPath: string, param: string, value: string, allowPartial = false): Request => ({
  set: { allowPartial, updateObjs: [{ objPath, paramSettings: [{ param, value, required: true }] }] },
});

t.test('USP versions: 1.x of any minor is served, 2.0 and junk get 7104, a newer message type gets 7001 (R-MSG.1)', async (t) => {
  const agent = await agentWithRow(t);
  await unchanged(t, agent, 'versions', async () => {
    const r = openReply(t, await agent.router.handle(requestRecord('v19', { get: { paramPaths: [`${CTRL}1.EndpointID`] } }, { version: '1.9' })), CONTROLLER_EID, '1.9');
    t.equal(r?.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['EndpointID'], 'proto::c1', 'a newer 1.x minor is answered');
    for (const version of ['2.0', '1.x', '1.4\u0000', '1.', `1.${'9'.repeat(50)}`]) {
      expectErrorReply(t, await agent.router.handle(requestRecord('vx', ADD_CONTROLLER('proto::v'), { version })), 'vx', UspErrorCode.InvalidRecordValue, `version ${JSON.stringify(version).slice(0, 12)}`);
    }
    // Body.request carrying field 99 (a request type from a future USP version), nothing else.
    const header = new Uint8Array([0x0a, 0x05, ...Buffer.from('new-1'), 0x10, 0x01]);
    const request = new Uint8Array([0x0a, 0x03, 0x9a, 0x06, 0x00]);
    const msg = new Uint8Array([0x0a, header.length, ...header, 0x12, request.length, ...request]);
    expectErrorReply(t, await agent.router.handle(recordOf(msg)), 'new-1', UspErrorCode.MessageNotSupported, 'unknown request type');
    // An empty Request is a oneof with no member: 7004 (R-ENC.3/5).
    const empty = new Uint8Array([0x0a, header.length, ...header, 0x12, 0x02, 0x0a, 0x00]);
    expectErrorReply(t, await agent.router.handle(recordOf(empty)), 'new-1', UspErrorCode.InvalidArguments, 'empty request');
  });
});

t.test('missing required fields: silence without to_id/from_id/msg_id, 7008 for an empty path', async (t) => {
  const agent = await agentWithRow(t);
  await unchanged(t, agent, 'missing fields', async () => {
    t.equal(await agent.router.handle(requestRecord('m1', ADD_CONTROLLER('proto::m'), { toId: '' })), undefined, 'no to_id: dropped');
    t.equal(await agent.router.handle(requestRecord('m2', ADD_CONTROLLER('proto::m'), { fromId: '' })), undefined, 'no from_id: dropped');
    t.equal(await agent.router.handle(requestRecord('', ADD_CONTROLLER('proto::m'))), undefined, 'no msg_id: nobody to answer (R-MTP.5)');
    const add = await ask(t, agent, 'm3', { add: { allowPartial: false, createObjs: [{ objPath: '' }] } });
    t.equal(add?.body.error?.errCode, UspErrorCode.InvalidPathSyntax, 'Add without obj_path: 7008');
    const s = await ask(t, agent, 'm4', set('', 'Alias', 'x'));
    t.equal(s?.body.error?.errCode, UspErrorCode.InvalidPathSyntax, 'Set without obj_path: 7008');
    const op = await ask(t, agent, 'm5', { operate: { command: '', sendResp: true } });
    t.equal(op?.body.error?.errCode, UspErrorCode.InvalidPathSyntax, 'Operate without command: 7008');
    const get = await ask(t, agent, 'm6', { get: { paramPaths: [''] } });
    t.equal(get?.body.response?.getResp?.reqPathResults?.[0]?.errCode, UspErrorCode.InvalidPathSyntax, 'Get of "": 7008 for that path');
  });
});

t.test('oversized and deeply nested search expressions and paths get 7008', async (t) => {
  const agent = await agentWithRow(t);
  const long = `${CTRL}[EndpointID=="${'x'.repeat(MAX_PATH_BYTES)}"].`;
  const manyComponents = `${CTRL}[${Array.from({ length: MAX_COMPONENTS + 1 }, () => 'Enable==true').join('&&')}].`;
  const deep = `${CTRL}1.${'MTP.1.'.repeat(MAX_SEGMENTS)}Enable`;
  const refChain = `${CTRL}1.${'Alias+.'.repeat(MAX_SEGMENTS)}Alias`;
  await unchanged(t, agent, 'search limits', async () => {
    for (const [name, path] of Object.entries({ long, manyComponents, deep, refChain })) {
      const get = await ask(t, agent, `g-${name}`, { get: { paramPaths: [path] } });
      t.equal(get?.body.response?.getResp?.reqPathResults?.[0]?.errCode, UspErrorCode.InvalidPathSyntax, `Get ${name}: 7008`);
      const del = await ask(t, agent, `d-${name}`, { delete: { allowPartial: false, objPaths: [path] } });
      t.equal(del?.body.error?.errCode, UspErrorCode.InvalidPathSyntax, `Delete ${name}: Error 7008`);
    }
    // The row has Enable=false.
    const ok = `${CTRL}[${Array.from({ length: MAX_COMPONENTS }, () => 'Enable==true').join('&&')}].`;
    const get = await ask(t, agent, 'g-max', { get: { paramPaths: [ok] } });
    t.same(get?.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults, [], `${MAX_COMPONENTS} components are still fine (zero matches, R-MSG.4a)`);
  });
});

t.test('absurd instance numbers: 7008 past 4294967295 or 0, empty success for a valid but absent row', async (t) => {
  const agent = await agentWithRow(t);
  await unchanged(t, agent, 'instance numbers', async () => {
    for (const n of ['0', '4294967296', '99999999999999999999999999', '01', '-1']) {
      const get = await ask(t, agent, `g${n}`, { get: { paramPaths: [`${CTRL}${n}.`] } });
      t.equal(get?.body.response?.getResp?.reqPathResults?.[0]?.errCode, UspErrorCode.InvalidPathSyntax, `instance ${n}: 7008`);
    }
    const del = await ask(t, agent, 'd-max', { delete: { allowPartial: false, objPaths: [`${CTRL}4294967295.`] } });
    t.same(del?.body.response?.deleteResp?.deletedObjResults?.[0]?.operStatus?.operSuccess?.affectedPaths ?? [], [], 'Delete of a valid absent instance: empty success (TP-469 1.25)');
  });
});

t.test('NUL bytes, invalid UTF-8, wrong types and oversize values: 7012/7004/7011, nothing stored', async (t) => {
  const agent = await agentWithRow(t);
  await unchanged(t, agent, 'bad values', async () => {
    const nul = await ask(t, agent, 'nul', set(`${CTRL}1.`, 'EndpointID', 'proto::a\u0000b'));
    t.equal(nul?.body.error?.errCode, UspErrorCode.RequiredParameterFailed, 'NUL in a value: 7021');
    t.equal(nul?.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.InvalidValue, '... with 7012 for the parameter');
    const nulPath = await ask(t, agent, 'nulpath', { get: { paramPaths: [`${CTRL}1.End\u0000pointID`] } });
    t.equal(nulPath?.body.response?.getResp?.reqPathResults?.[0]?.errCode, UspErrorCode.InvalidPathSyntax, 'NUL in a path: 7008');
    // protobufjs writes a lone surrogate as bytes that are not UTF-8: the Msg does not decode.
    const surrogate = await ask(t, agent, 'sur', set(`${CTRL}1.`, 'EndpointID', 'proto::\ud800'));
    t.equal(surrogate?.body.error?.errCode, UspErrorCode.InvalidArguments, 'invalid UTF-8: 7004 (R-ENC.5)');
    for (const [param, value, code] of [
      ['PeriodicNotifInterval', 'abc', UspErrorCode.InvalidType],
      ['PeriodicNotifInterval', '-1', UspErrorCode.InvalidValue],
      ['PeriodicNotifInterval', '99999999999999999999', UspErrorCode.InvalidValue],
      ['Enable', 'maybe', UspErrorCode.InvalidType],
      ['PeriodicNotifTime', 'yesterday', UspErrorCode.InvalidType],
      ['ProvisioningCode', 'a'.repeat(100_000), UspErrorCode.InvalidValue],
    ] as const) {
      const r = await ask(t, agent, `type-${param}`, set(`${CTRL}1.`, param, value));
      t.equal(r?.body.error?.paramErrs?.[0]?.errCode, code, `${param}=${value.slice(0, 20)}: ${code}`);
    }
  });
  // A string parameter without a declared size (TR-106: no limit) takes a long value whole; only
  // limits.maxMessageBytes bounds it. Stored and read back intact, with unicode.
  const big = `proto::${'é😀'.repeat(100_000)}`;
  const ok = await ask(t, agent, 'long', set(`${CTRL}1.`, 'EndpointID', big));
  t.ok(ok?.body.response?.setResp, 'a 600 kB value for an unbounded string is accepted');
  const reopened = await agent.reopen();
  t.teardown(() => reopened.close());
  t.equal(reopened.dm.tree.get(`${CTRL}1.`)?.values.get('EndpointID'), big, 'and stored intact across a restart');
});

t.test('a multi-object Set failing on its last object changes nothing (no half-applied change, R-SET.1)', async (t) => {
  const agent = await agentWithRow(t);
  await ask(t, agent, 'row2', ADD_CONTROLLER('proto::c2'));
  await unchanged(t, agent, 'atomic set', async () => {
    const r = await ask(t, agent, 'atomic', {
      set: {
        allowPartial: false,
        updateObjs: [
          { objPath: `${CTRL}1.`, paramSettings: [{ param: 'EndpointID', value: 'proto::changed', required: true }] },
          { objPath: `${CTRL}2.`, paramSettings: [{ param: 'EndpointID', value: 'bad\u0000', required: true }] },
        ],
      },
    });
    t.equal(r?.body.error?.errCode, UspErrorCode.RequiredParameterFailed, 'Error 7021');
    t.equal(agent.dm.tree.get(`${CTRL}1.`)?.values.get('EndpointID'), 'proto::c1', 'the first object is rolled back in memory');
  });
});

t.test('protobuf wire-type confusion: a field sent with the wrong wire type is skipped (protobuf rules), the rest is served', async (t) => {
  const agent = await agentWithRow(t);
  // GetRequest { param_paths: [<path>], max_depth sent as a length-delimited string }.
  const path = Buffer.from(`${CTRL}1.EndpointID`);
  const get = new Uint8Array([0x0a, path.length, ...path, 0x12, 0x03, 0x61, 0x62, 0x63]);
  const request = new Uint8Array([0x0a, get.length, ...get]);
  const body = new Uint8Array([0x0a, request.length, ...request]);
  const header = new Uint8Array([0x0a, 0x02, ...Buffer.from('wt'), 0x10, 0x01]);
  const msg = new Uint8Array([0x0a, header.length, ...header, 0x12, body.length, ...body]);
  const r = openReply(t, await agent.router.handle(recordOf(msg)), CONTROLLER_EID, 'wire type');
  t.equal(r?.msg.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['EndpointID'], 'proto::c1');
});

t.test('a reply larger than limits.maxMessageBytes becomes Error 7005 (the controller could not take it either)', async (t) => {
  const agent = await agentWith(t, { limits: { ...LIMITS_DEFAULTS, maxMessageBytes: 4096 } });
  const whole = await ask(t, agent, 'whole', { get: { paramPaths: ['Device.'], maxDepth: 0 } });
  t.equal(whole?.body.error?.errCode, UspErrorCode.ResourcesExceeded, 'Get of the whole data model: 7005');
  t.match(whole?.body.error?.errMsg, /over this agent's 4096-byte limit/);
  const small = await ask(t, agent, 'small', { get: { paramPaths: ['Device.DeviceInfo.SerialNumber'] } });
  t.equal(small?.body.msgBody, 'response', 'a small Get is answered as usual');
});
