// agent/dispatch.ts: Msg type → handler, and the single boundary that turns thrown errors into
// USP replies (STYLE §4; TR-369 R-MSG.0, R-MSG.1, R-MSG.9, R-MSG.10, R-ENC.5; USP-NOTES §5, §6).
import t from 'tap';
import type { Test } from 'tap';
import { SUPPORTED_USP_VERSIONS } from '../../../agent/agent.js';
import type { AgentOptions } from '../../../agent/agent.js';
import { Dispatcher } from '../../../agent/dispatch.js';
import type { Logger } from '../../../agent/log.js';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { loadTr181 } from '../../../datamodel/schema/index.js';
import { buildError, buildRequest, buildResponse, decodeMsg, encodeMsg, MsgType } from '../../../proto/index.js';
import type { DecodedMsg, ErrorMsg, Msg, Request } from '../../../proto/index.js';
import { CONTROLLER, freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

async function agentFor(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

/** Puts `msg` through protobuf (as a controller would send it) and hands it to the dispatcher. */
async function send(dispatcher: Dispatcher, msg: Msg): Promise<DecodedMsg | undefined> {
  const reply = await dispatcher.handle(decodeMsg(encodeMsg(msg)), CONTROLLER);
  return reply ? decodeMsg(encodeMsg(reply)) : undefined;
}

const request = (dispatcher: Dispatcher, msgId: string, req: Request): Promise<DecodedMsg | undefined> => send(dispatcher, buildRequest(msgId, req));

/** An Error reply: checks shape and msg_id, returns the error body. */
function expectError(t: Test, reply: DecodedMsg | undefined, msgId: string, code: number, what: string): ErrorMsg | undefined {
  t.equal(reply?.body.msgBody, 'error', `${what}: an Error message`);
  t.equal(reply?.header.msgType, MsgType.ERROR, `${what}: msg_type ERROR`);
  t.equal(reply?.header.msgId, msgId, `${what}: same msg_id (R-MSG.9)`);
  t.equal(reply?.body.error?.errCode, code, `${what}: err_code ${code}`);
  t.ok((reply?.body.error?.errMsg ?? '').length > 0, `${what}: err_msg says why`);
  return reply?.body.error ?? undefined;
}

/** A Logger that keeps error/warn entries (with the thrown value) for inspection. */
function recordingLogger(): { log: Logger; entries: { level: string; id: string; msg: string; err: unknown }[] } {
  const entries: { level: string; id: string; msg: string; err: unknown }[] = [];
  return {
    entries,
    log: {
      error: (id, msg, err) => entries.push({ level: 'error', id, msg, err }),
      warn: (id, msg, err) => entries.push({ level: 'warn', id, msg, err }),
      info: () => undefined,
      debug: () => undefined,
    },
  };
}

t.test('Register, Deregister and Notify requests are answered with Error 7001 and the same msg_id (R-MSG.1)', async (t) => {
  const agent = await agentFor(t);
  const cases: [string, Request][] = [
    ['reg-1', { register: { allowPartial: true, regPaths: [{ path: 'Device.X_Foo.' }] } }],
    ['dereg-1', { deregister: { paths: ['Device.X_Foo.'] } }],
    ['notify-1', { notify: { subscriptionId: 'sub-1', sendResp: true, valueChange: { paramPath: 'Device.DeviceInfo.FriendlyName', paramValue: 'x' } } }],
    [
      'notify-2',
      {
        notify: {
          subscriptionId: '',
          sendResp: true,
          onBoardReq: { oui: '00256D', productClass: 'P', serialNumber: 'S', agentSupportedProtocolVersions: '1.4' },
        },
      },
    ],
  ];
  for (const [msgId, req] of cases) {
    const err = expectError(t, await request(agent.dispatcher, msgId, req), msgId, UspErrorCode.MessageNotSupported, msgId);
    t.same(err?.paramErrs ?? [], [], `${msgId}: no param_errs`);
  }
});

t.test('Operate on a command outside the supported data model is answered with Error 7026 (R-OPR.1)', async (t) => {
  const agent = await agentFor(t);
  const reply = await request(agent.dispatcher, 'op-1', { operate: { command: 'Device.NoSuchCommand()', commandKey: 'k', sendResp: true } });
  expectError(t, reply, 'op-1', UspErrorCode.InvalidPath, 'Operate');
  const get = await agent.request({ get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion'] } });
  t.equal(get.body.msgBody, 'response', 'the agent keeps answering afterwards');
});

t.test('a request with no request member is answered with Error 7004 (oneof violation, R-ENC.3/R-ENC.5)', async (t) => {
  const agent = await agentFor(t);
  // What a request type from a newer USP version looks like to us: the unknown field is skipped.
  const msg: Msg = { header: { msgId: 'empty-1', msgType: MsgType.GET }, body: { msgBody: 'request', request: {} } };
  expectError(t, await send(agent.dispatcher, msg), 'empty-1', UspErrorCode.InvalidArguments, 'empty Request');
});

t.test('responses and errors from a controller get no reply (R-MSG.0)', async (t) => {
  const agent = await agentFor(t);
  const bodies: [string, Msg][] = [
    ['NotifyResp', buildResponse('n-1', { notifyResp: { subscriptionId: 'sub-1' } })],
    ['GetResp', buildResponse('g-1', { getResp: { reqPathResults: [] } })],
    ['Error', buildError('e-1', UspErrorCode.InternalError, 'controller-side failure')],
  ];
  for (const [what, msg] of bodies) t.equal(await send(agent.dispatcher, msg), undefined, `${what}: no reply`);
  const get = await agent.request({ get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion'] } });
  t.equal(get.body.msgBody, 'response', 'the agent keeps answering requests');
});

t.test('the body decides what a message is, not header.msg_type (R-MSG.10)', async (t) => {
  const agent = await agentFor(t);
  const msg = buildRequest('liar-1', { get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion'] } });
  const reply = await send(agent.dispatcher, { ...msg, header: { msgId: 'liar-1', msgType: MsgType.DELETE } });
  t.equal(reply?.header.msgType, MsgType.GET_RESP, 'answered as the Get it carries');
  t.equal(reply?.header.msgId, 'liar-1');
  t.equal(reply?.body.response?.getResp?.reqPathResults?.[0]?.errCode ?? 0, 0);
});

t.test('a whole-message UspError becomes an Error with its code and full-path param_errs', async (t) => {
  const agent = await agentFor(t);
  const reply = await request(agent.dispatcher, 'add-bad', { add: { allowPartial: false, createObjs: [{ objPath: 'Device.Nope.' }] } });
  const err = expectError(t, reply, 'add-bad', UspErrorCode.InvalidPath, 'Add to an unsupported path with allow_partial=false');
  t.same(
    err?.paramErrs?.map((p) => [p.paramPath, p.errCode]),
    [['Device.Nope.', UspErrorCode.InvalidPath]],
  );
});

const BROKEN: AgentOptions = {
  register: (dm) => {
    dm.param('Device.X_TEST_Broken', {
      type: 'string',
      get: () => {
        throw new Error('boom');
      },
    });
  },
};

const noStack = (s: string | null | undefined): boolean => !/\n\s+at |boom|\.ts:\d+/.test(s ?? '');

t.test('Get of a parameter whose getter throws a plain Error: 7003 in that path only, no stack trace', async (t) => {
  const agent = await agentFor(t, BROKEN);
  const reply = await request(agent.dispatcher, 'get-broken', { get: { paramPaths: ['Device.X_TEST_Broken', 'Device.RootDataModelVersion'] } });
  t.equal(reply?.body.msgBody, 'response', 'still a GetResp: per-path failures never become an Error message');
  const [broken, fine] = reply?.body.response?.getResp?.reqPathResults ?? [];
  t.equal(broken?.errCode, UspErrorCode.InternalError, 'the failing path reports 7003');
  t.ok(noStack(broken?.errMsg), `err_msg has no stack trace or internal detail: ${JSON.stringify(broken?.errMsg)}`);
  t.same(broken?.resolvedPathResults ?? [], []);
  t.equal(fine?.errCode ?? 0, 0, 'the other path succeeds');
  t.same(fine?.resolvedPathResults?.[0]?.resultParams, { RootDataModelVersion: '2.19' });
});

t.test('Get of an object whose parameter getter throws: the parameter is left out, the rest is returned', async (t) => {
  const agent = await agentFor(t, BROKEN);
  const reply = await request(agent.dispatcher, 'get-root', { get: { paramPaths: ['Device.'], maxDepth: 1 } });
  const r = reply?.body.response?.getResp?.reqPathResults?.[0];
  t.equal(r?.errCode ?? 0, 0, 'no error for the object path');
  const root = r?.resolvedPathResults?.find((x) => x.resolvedPath === 'Device.');
  t.ok(root, 'Device. is resolved');
  t.notOk('X_TEST_Broken' in (root?.resultParams ?? {}), 'the broken parameter is omitted');
  t.equal(root?.resultParams?.['RootDataModelVersion'], '2.19', 'its siblings are present');
  const encoded = JSON.stringify(reply);
  t.ok(noStack(encoded), 'nothing about the failure leaks into the reply');
});

t.test('a non-USP exception escaping a handler becomes Error 7003 "internal error", logged with its stack, nothing applied', async (t) => {
  const agent = await agentFor(t, {
    register: (dm) => {
      // A vendor hook with a bug: it throws a plain Error inside Delete's transaction.
      dm.object('Device.LocalAgent.Controller.{i}.', {
        beforeDelete: () => {
          throw new Error('boom');
        },
      });
    },
  });
  const add = await agent.request({
    add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.Controller.', paramSettings: [{ param: 'EndpointID', value: 'proto::c1' }] }] },
  });
  t.equal(add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, 'Device.LocalAgent.Controller.1.');
  const { log, entries } = recordingLogger();
  const dispatcher = new Dispatcher({ dm: agent.dm, log, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri });
  for (const allowPartial of [false, true]) {
    const msgId = `del-${String(allowPartial)}`;
    const err = expectError(
      t,
      await request(dispatcher, msgId, { delete: { allowPartial, objPaths: ['Device.LocalAgent.Controller.1.'] } }),
      msgId,
      UspErrorCode.InternalError,
      `Delete allow_partial=${allowPartial}`,
    );
    t.equal(err?.errMsg, 'internal error', 'a fixed text');
    t.same(err?.paramErrs ?? [], [], 'no param_errs');
    t.ok(noStack(JSON.stringify(err)), 'no stack trace or exception text reaches the controller');
  }
  const logged = entries.filter((e) => e.level === 'error');
  t.equal(logged.length, 2, 'each failure is logged once');
  t.equal(logged[0]?.id, 'DSP-E01', 'with a stable log ID');
  t.ok(
    logged[0]?.err instanceof Error && logged[0].err.message === 'boom' && (logged[0].err.stack ?? '').includes('\n'),
    'the original exception, stack and all, goes to the log',
  );
  const gi = await agent.request({ getInstances: { objPaths: ['Device.LocalAgent.Controller.'], firstLevelOnly: true } });
  t.same(
    gi.body.response?.getInstancesResp?.reqPathResults?.[0]?.currInsts?.map((c) => c.instantiatedObjPath),
    ['Device.LocalAgent.Controller.1.'],
    'the row was not deleted',
  );
  const again = await agent.request({ get: { paramPaths: ['Device.LocalAgent.Controller.1.EndpointID'] } });
  t.same(again.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams, { EndpointID: 'proto::c1' }, 'and the agent keeps working');
});

t.test('concurrent messages, one of them failing, are each answered under their own msg_id', async (t) => {
  const agent = await agentFor(t, BROKEN);
  const replies = await Promise.all([
    request(agent.dispatcher, 'p-1', { register: { regPaths: [{ path: 'Device.X.' }] } }),
    request(agent.dispatcher, 'p-2', { get: { paramPaths: ['Device.X_TEST_Broken'] } }),
    request(agent.dispatcher, 'p-3', { get: { paramPaths: ['Device.RootDataModelVersion'] } }),
  ]);
  t.same(
    replies.map((r) => r?.header.msgId),
    ['p-1', 'p-2', 'p-3'],
    'every message answered under its own msg_id',
  );
  t.same(
    replies.map((r) => r?.body.msgBody),
    ['error', 'response', 'response'],
  );
});
