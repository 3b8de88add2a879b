// Operate (TR-369 §The Operate Message, R-OPR.*; USP-NOTES §5.9) and the Request table
// (agent/handlers/operate.ts, agent/operate/requests.ts) through the real dispatcher, protobuf
// round trip and a temporary SQLite database; OperationComplete goes to a recording EventSink.
import t from 'tap';
import type { Test } from 'tap';
import type { AgentOptions } from '../../../agent/agent.js';
import { abortReason } from '../../../agent/clock.js';
import { CommandFailureError, UspError, UspErrorCode } from '../../../datamodel/errors.js';
import type { CommandArgs, CommandContext } from '../../../datamodel/nodes.js';
import { buildRequest, decodeMsg, encodeMsg } from '../../../proto/index.js';
import { CONTROLLER, CONTROLLER_EID, freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';
import { operate, Queue, RecordingEvents, values, watchStatus } from '../../helpers/operate.js';

interface SlowCall {
  readonly input: CommandArgs;
  readonly ctx: CommandContext;
  finish(out: CommandArgs): void;
  fail(e: unknown): void;
}

/** A vendor subtree: Echo() (sync, mandatory + defaulted args), Fail() (sync) and Slow() (async, finished by the test). */
function vendor(): { opts: Pick<AgentOptions, 'register'>; slow: Queue<SlowCall>; echoRuns: CommandArgs[] } {
  const slow = new Queue<SlowCall>();
  const echoRuns: CommandArgs[] = [];
  const register: AgentOptions['register'] = (dm) => {
    dm.object('Device.X_TEST_Ops.');
    dm.command('Device.X_TEST_Ops.Echo()', {
      input: [
        { name: 'Text', type: 'string', mandatory: true },
        { name: 'Count', type: 'unsignedInt', range: [{ max: 9 }], default: { type: 'parameter', value: '3' } },
      ],
      output: ['Text', 'Count'],
      run: (input) => {
        echoRuns.push(input);
        return input;
      },
    });
    dm.command('Device.X_TEST_Ops.Fail()', {
      input: ['Kind'],
      run: (input) => {
        if (input['Kind'] === 'usp') throw new CommandFailureError('the widget is jammed');
        throw new Error('secret internal detail');
      },
    });
    const slowRun = (input: CommandArgs, ctx: CommandContext): Promise<CommandArgs> =>
      new Promise((finish, fail) => {
        ctx.signal.addEventListener('abort', () => fail(abortReason(ctx.signal)));
        slow.push({ input, ctx, finish, fail });
      });
    dm.command('Device.X_TEST_Ops.Slow()', { mode: 'async', input: ['Tag'], output: ['Done'], run: slowRun });
    dm.table('Device.X_TEST_Ops.Item.{i}.', { access: 'readWrite' });
    dm.param('Device.X_TEST_Ops.Item.{i}.Name', { type: 'string', access: 'readWrite' });
    dm.command('Device.X_TEST_Ops.Item.{i}.Slow()', { mode: 'async', run: slowRun });
  };
  return { opts: { register }, slow, echoRuns };
}

async function setup(t: Test, opts: AgentOptions = {}): Promise<{ agent: TestAgent; events: RecordingEvents; slow: Queue<SlowCall>; echoRuns: CommandArgs[] }> {
  const events = new RecordingEvents();
  const v = vendor();
  const { agent, cleanup } = await freshAgent({ ...v.opts, events, ...opts });
  t.teardown(cleanup);
  return { agent, events, slow: v.slow, echoRuns: v.echoRuns };
}

t.test('sync command: output args in req_output_args, executed_command is the concrete path (R-OPR.0)', async (t) => {
  const { agent } = await setup(t);
  const [r, ...more] = await operate(agent, 'Device.X_TEST_Ops.Echo()', { Text: 'hi', Count: '07' });
  t.same(more, [], 'one result');
  t.equal(r?.executedCommand, 'Device.X_TEST_Ops.Echo()');
  t.same(r?.reqOutputArgs?.outputArgs, { Text: 'hi', Count: '7' }, 'arguments reach the command in canonical form');
});

t.test('unknown input arguments are ignored (R-OPR.6, TP-469 1.91)', async (t) => {
  const { agent, echoRuns } = await setup(t);
  const [r] = await operate(agent, 'Device.X_TEST_Ops.Echo()', { Text: 'hi', Count: '1', NoSuchArg: 'x' });
  t.same(r?.reqOutputArgs?.outputArgs, { Text: 'hi', Count: '1' }, 'the command ran');
  t.same(echoRuns, [{ Text: 'hi', Count: '1' }], 'without the unknown argument');
});

t.test('omitted optional input arguments get their data-model default (R-OPR.7, TP-469 1.92)', async (t) => {
  const { agent, echoRuns } = await setup(t);
  const [r] = await operate(agent, 'Device.X_TEST_Ops.Echo()', { Text: 'hi' });
  t.same(r?.reqOutputArgs?.outputArgs, { Text: 'hi', Count: '3' });
  t.same(echoRuns, [{ Text: 'hi', Count: '3' }], 'Count defaulted to 3');
});

t.test('a missing mandatory or ill-typed input argument is cmd_failure 7027 and the command does not run (R-OPR.5, TP-469 1.100)', async (t) => {
  const { agent, echoRuns } = await setup(t);
  for (const [what, args] of [
    ['missing Text', { Count: '1' }],
    ['Count not a number', { Text: 'a', Count: 'many' }],
    ['Count out of range', { Text: 'a', Count: '10' }],
  ] as const) {
    const [r] = await operate(agent, 'Device.X_TEST_Ops.Echo()', args);
    t.equal(r?.cmdFailure?.errCode, UspErrorCode.InvalidCommandArguments, `${what}: 7027`);
    t.match(r?.cmdFailure?.errMsg, /Text|Count/, `${what}: the message names the argument`);
  }
  t.same(echoRuns, [], 'the command never ran');
  const [timer] = await operate(agent, 'Device.ScheduleTimer()', {});
  t.equal(timer?.cmdFailure?.errCode, UspErrorCode.InvalidCommandArguments, 'ScheduleTimer() without DelaySeconds: 7027');
  t.equal(await values(agent, 'Device.LocalAgent.Request.1.'), undefined, 'and no Request row was created');
});

t.test('path errors are Error messages, per-command failures are cmd_failure (R-OPR.1)', async (t) => {
  const { agent } = await setup(t);
  const errorOf = async (command: string): Promise<number | undefined> =>
    (await agent.request({ operate: { command, sendResp: true } })).body.error?.errCode ?? undefined;
  t.equal(await errorOf('Device.X_TEST_Ops.NoSuch()'), UspErrorCode.InvalidPath, 'unknown command: 7026');
  t.equal(
    await errorOf('Device.SelfTestDiagnostics()'),
    UspErrorCode.InvalidPath,
    'a TR-181 command this agent does not implement: 7026 (not in the supported data model)',
  );
  t.equal(await errorOf('Device.X_TEST_Ops.'), UspErrorCode.InvalidPath, 'an object path: 7026');
  t.equal(await errorOf('Device.X_TEST_Ops.Item.Slow()'), UspErrorCode.InvalidPath, 'a table without instance: 7026');
  t.equal(await errorOf('Device.X_TEST_Ops..Echo()'), UspErrorCode.InvalidPathSyntax, 'bad syntax: 7008');
  t.equal(await errorOf('Device.LocalAgent.Request.9.Cancel()'), UspErrorCode.ObjectDoesNotExist, 'a missing instance: 7016');
  const [usp] = await operate(agent, 'Device.X_TEST_Ops.Fail()', { Kind: 'usp' });
  t.same(usp?.cmdFailure, { errCode: UspErrorCode.CommandFailure, errMsg: 'the widget is jammed' }, 'a UspError from the command keeps its code and message');
  const [bug] = await operate(agent, 'Device.X_TEST_Ops.Fail()', { Kind: 'bug' });
  t.same(bug?.cmdFailure, { errCode: UspErrorCode.InternalError, errMsg: 'internal error' }, 'anything else is 7003 without internal detail');
});

t.test(
  'async command: Request row Requested → Active → Success, then removed, and OperationComplete with the output args (R-OPR.0, TP-469 1.62-1.64)',
  async (t) => {
    const { agent, events, slow } = await setup(t);
    const watch = watchStatus(agent, 'Device.LocalAgent.Request.1.');
    const [r] = await operate(agent, 'Device.X_TEST_Ops.Slow()', { Tag: 'x' }, 'ck-62', CONTROLLER);
    t.equal(r?.executedCommand, 'Device.X_TEST_Ops.Slow()');
    t.equal(r?.reqObjPath, 'Device.LocalAgent.Request.1', 'req_obj_path names the Request row');
    const call = await slow.next();
    t.same(call.input, { Tag: 'x' });
    t.equal(call.ctx.commandKey, 'ck-62');
    t.equal(call.ctx.requestor, CONTROLLER_EID);
    t.match(
      await values(agent, 'Device.LocalAgent.Request.1.'),
      { Originator: CONTROLLER_EID, Command: 'Device.X_TEST_Ops.Slow()', CommandKey: 'ck-62', Status: 'Active' },
      'the row while it runs',
    );
    call.finish({ Done: 'yes' });
    const done = await events.completions.next();
    t.same(
      done,
      { objPath: 'Device.X_TEST_Ops.', commandName: 'Slow()', commandKey: 'ck-62', result: { ok: true, outputArgs: { Done: 'yes' } } },
      'OperationComplete',
    );
    await watch.deleted;
    t.same(watch.statuses, ['Active', 'Success'], 'Status went Active, then Success');
    t.equal(await values(agent, 'Device.LocalAgent.Request.1.'), undefined, 'the row is gone');
  },
);

t.test('a failing async command ends in Status Error and an OperationComplete with its error (TP-469 1.64)', async (t) => {
  const { agent, events, slow } = await setup(t);
  const watch = watchStatus(agent, 'Device.LocalAgent.Request.1.');
  await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'ck-err');
  (await slow.next()).fail(new CommandFailureError('out of widgets'));
  t.same((await events.completions.next()).result, { ok: false, errCode: UspErrorCode.CommandFailure, errMsg: 'out of widgets' });
  await watch.deleted;
  t.same(watch.statuses, ['Active', 'Error']);
});

t.test('a transfer fault code TR-181 defines for download commands (7032-7037) keeps its code; others become 7022', async (t) => {
  const { agent, events, slow } = await setup(t);
  await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'ck-7035');
  (await slow.next()).fail(new UspError(7035 as UspErrorCode, 'checksum mismatch'));
  t.same((await events.completions.next()).result, { ok: false, errCode: 7035, errMsg: 'checksum mismatch' }, '7035 Corrupt Data kept');
  await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'ck-7025');
  (await slow.next()).fail(new UspError(UspErrorCode.DuplicateUniqueKey, 'not a command code'));
  t.same(
    (await events.completions.next()).result,
    { ok: false, errCode: UspErrorCode.CommandFailure, errMsg: 'not a command code' },
    '7025 is not a cmd_failure code: 7022',
  );
});

t.test('send_resp=false: no OperateResp, but the command runs and OperationComplete is reported (R-OPR.4, TP-469 1.65)', async (t) => {
  const { agent, events, slow, echoRuns } = await setup(t);
  const handle = async (command: string, inputArgs: Record<string, string>): Promise<unknown> =>
    agent.dispatcher.handle(
      decodeMsg(encodeMsg(buildRequest(`nr-${command}`, { operate: { command, commandKey: 'quiet', sendResp: false, inputArgs } }))),
      CONTROLLER,
    );
  t.equal(await handle('Device.X_TEST_Ops.Echo()', { Text: 'q' }), undefined, 'sync: no reply');
  t.same(echoRuns, [{ Text: 'q', Count: '3' }], 'sync: it ran');
  t.equal(await handle('Device.X_TEST_Ops.Slow()', {}), undefined, 'async: no reply');
  (await slow.next()).finish({});
  t.match(await events.completions.next(), { commandName: 'Slow()', commandKey: 'quiet', result: { ok: true } }, 'async: OperationComplete');
});

t.test('a search path runs the command once per matched object, each with its own result (R-OPR.2)', async (t) => {
  const { agent, events, slow } = await setup(t);
  const add = (objPath: string, params: Record<string, string>): Promise<unknown> =>
    agent.request({
      add: { allowPartial: false, createObjs: [{ objPath, paramSettings: Object.entries(params).map(([param, value]) => ({ param, value })) }] },
    });
  for (const [eid, enable] of [
    ['proto::a', 'true'],
    ['proto::b', 'false'],
    ['proto::c', 'true'],
  ])
    await add('Device.LocalAgent.Controller.', { EndpointID: eid as string, Enable: enable as string });
  await agent.request({
    set: { allowPartial: false, updateObjs: [{ objPath: 'Device.LocalAgent.Controller.*.', paramSettings: [{ param: 'OnBoardingComplete', value: 'true' }] }] },
  });
  const sync = await operate(agent, 'Device.LocalAgent.Controller.[Enable==true].SendOnBoardRequest()');
  t.same(
    sync.map((r) => [r.executedCommand, r.reqOutputArgs?.outputArgs]),
    [
      ['Device.LocalAgent.Controller.1.SendOnBoardRequest()', {}],
      ['Device.LocalAgent.Controller.3.SendOnBoardRequest()', {}],
    ],
    'sync: one result per match, with instance numbers',
  );
  t.same(events.onBoard, ['Device.LocalAgent.Controller.1.', 'Device.LocalAgent.Controller.3.'], 'each asked the notifier for an OnBoardRequest');
  t.same(
    [1, 2, 3].map((n) => agent.dm.tree.get(`Device.LocalAgent.Controller.${n}.`)?.values.get('OnBoardingComplete')),
    ['false', 'true', 'false'],
    'and set OnBoardingComplete=false',
  );
  t.same(await operate(agent, 'Device.LocalAgent.Controller.[ProvisioningCode=="none"].SendOnBoardRequest()'), [], 'no match: an empty success (R-MSG.4a)');

  await add('Device.X_TEST_Ops.Item.', { Name: 'a' });
  await add('Device.X_TEST_Ops.Item.', { Name: 'b' });
  const async = await operate(agent, 'Device.X_TEST_Ops.Item.*.Slow()', {}, 'many');
  t.same(
    async.map((r) => [r.executedCommand, r.reqObjPath]),
    [
      ['Device.X_TEST_Ops.Item.1.Slow()', 'Device.LocalAgent.Request.1'],
      ['Device.X_TEST_Ops.Item.2.Slow()', 'Device.LocalAgent.Request.2'],
    ],
    'async: one Request row per match',
  );
  for (let i = 0; i < async.length; i++) (await slow.next()).finish({});
  const done = [await events.completions.next(), await events.completions.next()].map((c) => c.objPath).sort();
  t.same(done, ['Device.X_TEST_Ops.Item.1.', 'Device.X_TEST_Ops.Item.2.'], 'one OperationComplete each');
});

t.test('a long async command does not block other messages: a Get and a Set are answered while it runs', async (t) => {
  const { agent, events, slow } = await setup(t);
  const [r] = await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'long');
  const call = await slow.next();
  const get = await agent.request({ get: { paramPaths: ['Device.LocalAgent.Request.1.Status', 'Device.DeviceInfo.SoftwareVersion'] } });
  t.equal(
    get.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['Status'],
    'Active',
    'Get answered while the command is still running',
  );
  const set = await agent.request({
    set: { allowPartial: false, updateObjs: [{ objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'UTC' }] }] },
  });
  t.equal(set.body.msgBody, 'response', 'and a Set (a transaction of its own)');
  t.equal(events.completions.size, 0, 'the command has not completed');
  call.finish({ Done: '1' });
  t.match(await events.completions.next(), { commandKey: 'long', result: { ok: true } });
  t.equal(r?.reqObjPath, 'Device.LocalAgent.Request.1');
});

t.test('Cancel(): Status Canceling then Canceled, OperationComplete 7023, the row removed', async (t) => {
  const { agent, events, slow } = await setup(t);
  const watch = watchStatus(agent, 'Device.LocalAgent.Request.1.');
  await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'to-cancel');
  const call = await slow.next();
  const [c] = await operate(agent, 'Device.LocalAgent.Request.1.Cancel()');
  t.same(c?.reqOutputArgs?.outputArgs, {}, 'Cancel() succeeds');
  t.ok(call.ctx.signal.aborted, "the command's AbortSignal fired");
  t.same((await events.completions.next()).result, {
    ok: false,
    errCode: UspErrorCode.CommandCanceled,
    errMsg: 'the command was canceled through Request.{i}.Cancel()',
  });
  await watch.deleted;
  t.same(watch.statuses, ['Active', 'Canceling', 'Canceled']);
});

t.test('a second request with the same command and command_key from the same controller is refused while the first runs (Request unique key)', async (t) => {
  const { agent, slow } = await setup(t);
  await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'same', CONTROLLER);
  const [again] = await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'same', CONTROLLER);
  t.equal(again?.cmdFailure?.errCode, UspErrorCode.CommandFailure);
  t.match(again?.cmdFailure?.errMsg, /Device\.LocalAgent\.Request\.1\./, 'naming the running request');
  const [other] = await operate(agent, 'Device.X_TEST_Ops.Slow()', {}, 'other', CONTROLLER);
  t.equal(other?.reqObjPath, 'Device.LocalAgent.Request.2', 'another command_key runs');
  (await slow.next()).finish({});
  (await slow.next()).finish({});
});
