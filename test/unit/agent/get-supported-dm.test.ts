// GetSupportedDM (TR-369 §The GetSupportedDM Message, R-GSP.0; USP-NOTES §5.7) through the real
// dispatcher, against the generated TR-181 schema plus the agent's and a vendor's registrations.
import t from 'tap';
import type { Test } from 'tap';
import type { AgentOptions } from '../../../agent/agent.js';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { loadTr181 } from '../../../datamodel/schema/index.js';
import { CmdType, MsgType, ObjAccessType, ParamAccessType, ParamValueType, ValueChangeType } from '../../../proto/index.js';
import type { GetSupportedDmReq, GetSupportedDmResp, SupportedObjectResult, SupportedParamResult } from '../../../proto/index.js';
import { CONTROLLER, freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

type ObjResult = NonNullable<GetSupportedDmResp['reqObjResults']>[number];

const ALL = { returnCommands: true, returnEvents: true, returnParams: true, returnUniqueKeySets: true } as const;
const NONE = { returnCommands: false, returnEvents: false, returnParams: false, returnUniqueKeySets: false } as const;
const DM_URI = loadTr181().uri;

/** A vendor extension covering every TR-106 base type and both command modes. */
const VENDOR: AgentOptions = {
  register: (dm) => {
    dm.object('Device.X_TEST_Vendor.');
    const types = ['base64', 'boolean', 'dateTime', 'decimal', 'hexBinary', 'int', 'long', 'string', 'unsignedInt', 'unsignedLong'] as const;
    for (const type of types) dm.param(`Device.X_TEST_Vendor.T_${type}`, { type, access: 'readWrite' });
    dm.param('Device.X_TEST_Vendor.Quiet', { type: 'unsignedInt', get: () => '0', denyValueChange: true });
    dm.param('Device.X_TEST_Vendor.Once', { type: 'string', access: 'writeOnceReadOnly' });
    dm.command('Device.X_TEST_Vendor.Run()', {
      mode: 'async',
      input: ['Target', { name: 'Count', type: 'unsignedInt' }],
      output: ['Result'],
      run: () => ({ Result: 'ok' }),
    });
    dm.command('Device.X_TEST_Vendor.Poke()', { run: () => ({}) });
    dm.event('Device.X_TEST_Vendor.Happened!', { args: ['What', 'When'] });
  },
};

/** Implementations for schema commands the agent does not run itself (firmware, diagnostics): they then appear with the schema's arguments. */
const SCHEMA_STUBS: AgentOptions = {
  register: (dm) => {
    for (const path of ['Device.DeviceInfo.FirmwareImage.{i}.Download()', 'Device.DeviceInfo.FirmwareImage.{i}.Activate()', 'Device.SelfTestDiagnostics()']) dm.command(path, { run: () => ({}) });
  },
};

async function agentFor(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

async function gsdm(agent: TestAgent, req: GetSupportedDmReq): Promise<ObjResult[]> {
  const reply = await agent.request({ getSupportedDm: req }, CONTROLLER);
  if (reply.header.msgType !== MsgType.GET_SUPPORTED_DM_RESP) throw new Error(`expected GET_SUPPORTED_DM_RESP, got ${JSON.stringify(reply.body)}`);
  return reply.body.response?.getSupportedDmResp?.reqObjResults ?? [];
}

async function one(agent: TestAgent, objPath: string, flags: Omit<GetSupportedDmReq, 'objPaths'>): Promise<ObjResult> {
  const [r] = await gsdm(agent, { objPaths: [objPath], ...flags });
  if (!r) throw new Error('no RequestedObjectResult');
  return r;
}

const objs = (r: ObjResult): SupportedObjectResult[] => r.supportedObjs ?? [];
const objPaths = (r: ObjResult): string[] => objs(r).map((o) => o.supportedObjPath ?? '');
const obj = (r: ObjResult, path: string): SupportedObjectResult | undefined => objs(r).find((o) => o.supportedObjPath === path);
const param = (o: SupportedObjectResult | undefined, name: string): SupportedParamResult | undefined => o?.supportedParams?.find((p) => p.paramName === name);
const isEmpty = (o: SupportedObjectResult): boolean =>
  (o.supportedParams ?? []).length === 0 &&
  (o.supportedCommands ?? []).length === 0 &&
  (o.supportedEvents ?? []).length === 0 &&
  (o.uniqueKeySets ?? []).length === 0;

/** Supported paths at or below `prefix` according to the agent's own registry. */
function registryPaths(agent: TestAgent, prefix: string): string[] {
  return [...agent.dm.registry.allNodes()].map((n) => n.path).filter((p) => p.startsWith(prefix));
}

t.test('first_level_only=true: the object with its members plus its immediate children without members (TP-469 1.72)', async (t) => {
  const agent = await agentFor(t);
  const r = await one(agent, 'Device.LocalAgent.', { firstLevelOnly: true, ...ALL });
  t.equal(r.errCode, 0);
  t.equal(r.dataModelInstUri, DM_URI, 'data_model_inst_uri names the TR-181 model');
  const [first, ...children] = objs(r);
  t.equal(first?.supportedObjPath, 'Device.LocalAgent.', 'the requested object comes first');
  t.ok(param(first, 'EndpointID'), 'it carries its params');
  t.same(
    first?.supportedCommands?.map((c) => c.commandName),
    [],
    'its commands: none, AddCertificate() is not implemented so not supported',
  );
  t.same(first?.supportedEvents?.map((e) => e.eventName).sort(), ['Periodic!', 'TransferComplete!', 'WakeUp!'], 'its events');
  const expected = [...(agent.dm.registry.node('Device.LocalAgent.')?.children.values() ?? [])].map((n) => n.path);
  t.same(children.map((o) => o.supportedObjPath).sort(), expected.sort(), 'exactly the immediate child objects');
  t.ok(expected.includes('Device.LocalAgent.Controller.{i}.') && expected.includes('Device.LocalAgent.ControllerTrust.'), 'tables and single objects alike');
  t.notOk(objPaths(r).includes('Device.LocalAgent.Controller.{i}.MTP.{i}.'), 'no grandchildren');
  t.ok(children.every(isEmpty), 'children carry no params, commands, events or unique keys');
});

t.test('first_level_only=false: every descendant once, each with its own members (TP-469 1.73)', async (t) => {
  const agent = await agentFor(t);
  const r = await one(agent, 'Device.LocalAgent.', { firstLevelOnly: false, ...ALL });
  t.equal(r.errCode, 0);
  const got = objPaths(r);
  t.equal(got[0], 'Device.LocalAgent.', 'the requested object comes first');
  t.same([...got].sort(), registryPaths(agent, 'Device.LocalAgent.').sort(), 'the whole supported subtree');
  t.equal(new Set(got).size, got.length, 'no object listed twice');
  const mqtt = obj(r, 'Device.LocalAgent.Controller.{i}.MTP.{i}.MQTT.');
  t.ok(param(mqtt, 'Topic'), 'deep objects carry their params');
  t.same(
    [obj(r, 'Device.LocalAgent.Controller.{i}.'), obj(r, 'Device.LocalAgent.Request.{i}.')].map((o) => o?.supportedCommands?.map((c) => c.commandName)),
    [['SendOnBoardRequest()'], ['Cancel()']],
    'and their commands',
  );
  t.same(
    obj(r, 'Device.LocalAgent.Controller.{i}.MTP.{i}.')?.uniqueKeySets?.map((k) => k.keyNames),
    [['Protocol'], ['Alias']],
    'and their unique keys',
  );
});

t.test('with every return_* false the objects are still listed, without members (TP-469 1.74)', async (t) => {
  const agent = await agentFor(t);
  for (const firstLevelOnly of [true, false]) {
    const r = await one(agent, 'Device.DeviceInfo.', { firstLevelOnly, ...NONE });
    t.equal(r.errCode, 0);
    t.ok(objs(r).length > 1, `first_level_only=${firstLevelOnly}: ${objs(r).length} objects listed`);
    t.ok(objs(r).every(isEmpty), 'none carries params, commands, events or unique keys');
    t.equal(obj(r, 'Device.DeviceInfo.FirmwareImage.{i}.')?.isMultiInstance, true, 'is_multi_instance is still reported');
  }
  // Each flag turns on exactly its own member kind.
  const r = await one(agent, 'Device.LocalAgent.Subscription.{i}.', { firstLevelOnly: true, ...NONE, returnUniqueKeySets: true });
  const sub = obj(r, 'Device.LocalAgent.Subscription.{i}.');
  t.equal(sub?.uniqueKeySets?.length, 2);
  t.same(sub?.supportedParams ?? [], []);
});

t.test('several paths in one request: one result each, in order, each with the data model URI (TP-469 1.75)', async (t) => {
  const agent = await agentFor(t);
  const requested = ['Device.DeviceInfo.', 'Device.LocalAgent.', 'Device.Time.'];
  const results = await gsdm(agent, { objPaths: requested, firstLevelOnly: true, ...ALL });
  t.same(
    results.map((r) => r.reqObjPath),
    requested,
  );
  for (const r of results) {
    t.equal(r.errCode, 0, `${r.reqObjPath}: ok`);
    t.equal(r.dataModelInstUri, DM_URI);
    t.equal(objs(r)[0]?.supportedObjPath, r.reqObjPath);
  }
});

t.test('GetSupportedDM of the whole Device. tree lists every supported object with well-formed members (TP-469 1.76)', async (t) => {
  const agent = await agentFor(t, VENDOR);
  const r = await one(agent, 'Device.', { firstLevelOnly: false, ...ALL });
  t.equal(r.errCode, 0);
  const got = objPaths(r);
  t.same([...got].sort(), registryPaths(agent, 'Device.').sort(), 'every node of the registry');
  t.equal(new Set(got).size, got.length, 'each once');
  t.notOk(
    got.some((p) => p.startsWith('Device.MQTT.Broker.')),
    'subtrees excluded in schema/local.ts are not claimed',
  );
  t.ok(got.includes('Device.X_TEST_Vendor.'), 'vendor objects are included');
  const valueTypes = new Set<number>(Object.values(ParamValueType).filter((v): v is number => typeof v === 'number' && v !== ParamValueType.PARAM_UNKNOWN));
  const bad: string[] = [];
  let params = 0;
  let commands = 0;
  for (const o of objs(r)) {
    const p = o.supportedObjPath ?? '';
    if (!/^Device\.([A-Za-z_][\w-]*\.(\{i\}\.)?)*$/.test(p)) bad.push(`${p}: not a supported-path`);
    if (o.isMultiInstance !== p.endsWith('.{i}.')) bad.push(`${p}: is_multi_instance ${String(o.isMultiInstance)}`);
    if (
      ![ObjAccessType.OBJ_READ_ONLY, ObjAccessType.OBJ_ADD_DELETE, ObjAccessType.OBJ_ADD_ONLY, ObjAccessType.OBJ_DELETE_ONLY].includes(
        o.access ?? ObjAccessType.OBJ_READ_ONLY,
      )
    )
      bad.push(`${p}: access ${String(o.access)}`);
    if (!o.isMultiInstance && o.access !== undefined && o.access !== ObjAccessType.OBJ_READ_ONLY) bad.push(`${p}: single-instance object not read-only`);
    for (const sp of o.supportedParams ?? []) {
      params++;
      if (!valueTypes.has(sp.valueType ?? 0)) bad.push(`${p}${sp.paramName}: value_type ${String(sp.valueType)}`);
      if (sp.valueChange !== ValueChangeType.VALUE_CHANGE_ALLOWED && sp.valueChange !== ValueChangeType.VALUE_CHANGE_WILL_IGNORE)
        bad.push(`${p}${sp.paramName}: value_change ${String(sp.valueChange)}`);
      if (
        ![ParamAccessType.PARAM_READ_ONLY, ParamAccessType.PARAM_READ_WRITE, ParamAccessType.PARAM_WRITE_ONLY].includes(
          sp.access ?? ParamAccessType.PARAM_READ_ONLY,
        )
      )
        bad.push(`${p}${sp.paramName}: access ${String(sp.access)}`);
      if (!/^[A-Za-z_][\w-]*$/.test(sp.paramName ?? '')) bad.push(`${p}${sp.paramName}: bad name`);
    }
    for (const c of o.supportedCommands ?? []) {
      commands++;
      if (c.commandType !== CmdType.CMD_SYNC && c.commandType !== CmdType.CMD_ASYNC) bad.push(`${p}${c.commandName}: command_type ${String(c.commandType)}`);
      if (!(c.commandName ?? '').endsWith('()')) bad.push(`${p}${c.commandName}: name without ()`);
    }
    for (const e of o.supportedEvents ?? []) if (!(e.eventName ?? '').endsWith('!')) bad.push(`${p}${e.eventName}: name without !`);
  }
  t.same(bad, [], 'no UNKNOWN (0) value_type / value_change / command_type, no malformed entries');
  t.ok(params > 500 && commands >= 5, `${params} params and ${commands} commands checked`);
  t.same(
    obj(r, 'Device.')?.supportedCommands?.map((c) => [c.commandName, c.commandType]),
    [
      ['Reboot()', CmdType.CMD_SYNC],
      ['FactoryReset()', CmdType.CMD_SYNC],
      ['ScheduleTimer()', CmdType.CMD_ASYNC],
    ],
    'Device. commands with their sync/async type: only the implemented ones',
  );
});

t.test('paths outside the supported data model give 7026 inside the result, never an Error message (TP-469 1.77)', async (t) => {
  const agent = await agentFor(t);
  const bad = [
    'Device.Nope.',
    'Device.LocalAgent.Nope.',
    'Device.LocalAgent.Controller.{i}.Nope.',
    'Device.LocalAgent.{i}.',
    'Device.LocalAgent.NoSuchParam',
    'Device.NoSuchCommand()',
    'Device.DeviceInfo.FirmwareImage.{i}.Upload()',
    // In the TR-181 schema, but not implemented: not part of the supported data model.
    'Device.SelfTestDiagnostics()',
    'Device.NoSuchEvent!',
    'Device.Reboot!',
    'Device.Boot()',
  ];
  const requested = [...bad, 'Device.Time.'];
  const results = await gsdm(agent, { objPaths: requested, firstLevelOnly: true, ...ALL });
  t.same(
    results.map((r) => r.reqObjPath),
    requested,
    'one result per path, in order',
  );
  for (const r of results.slice(0, -1)) {
    t.equal(r.errCode, UspErrorCode.InvalidPath, `${r.reqObjPath}: 7026`);
    t.ok((r.errMsg ?? '').length > 0, 'with an explanation');
    t.same(r.supportedObjs ?? [], [], 'and no objects');
  }
  t.equal(results.at(-1)?.errCode, 0, 'the good path in the same request still succeeds');
  t.equal((await one(agent, 'Device..', ALL)).errCode, UspErrorCode.InvalidPathSyntax, 'bad syntax is 7008');
  const outside = (await one(agent, 'NotDevice.', ALL)).errCode ?? 0;
  t.ok([UspErrorCode.InvalidPath, UspErrorCode.InvalidPathSyntax].includes(outside), `a path outside Device. is refused in its result (${outside})`);
});

t.test('unique key sets are reported per table: Subscription has [Alias] and [Recipient, ID] (TP-469 1.99)', async (t) => {
  const agent = await agentFor(t);
  const keySets = async (path: string): Promise<string[][]> =>
    (obj(await one(agent, path, { firstLevelOnly: true, ...ALL }), path)?.uniqueKeySets ?? []).map((k) => [...(k.keyNames ?? [])]);
  const sub = await keySets('Device.LocalAgent.Subscription.{i}.');
  t.equal(sub.length, 2, 'two key sets');
  t.same(sub.map((k) => k.join('+')).sort(), ['Alias', 'Recipient+ID'], 'one per unique key, with every name of a composite key');
  t.same((await keySets('Device.LocalAgent.Controller.{i}.')).map((k) => k.join('+')).sort(), ['Alias', 'EndpointID']);
  t.same(await keySets('Device.LocalAgent.'), [], 'single-instance objects have none');
});

t.test('writeOnceReadOnly is reported as PARAM_READ_WRITE; read-only and derived params as PARAM_READ_ONLY (TP-469 1.104)', async (t) => {
  const agent = await agentFor(t, VENDOR);
  const access = async (path: string): Promise<number | undefined> => {
    const r = await one(agent, path, NONE);
    t.equal(r.errCode, 0, `${path}: ok`);
    return objs(r)[0]?.supportedParams?.[0]?.access ?? ParamAccessType.PARAM_READ_ONLY;
  };
  t.equal(await access('Device.LocalAgent.Controller.{i}.Alias'), ParamAccessType.PARAM_READ_WRITE, 'Controller Alias (writeOnceReadOnly)');
  t.equal(await access('Device.LocalAgent.Subscription.{i}.Alias'), ParamAccessType.PARAM_READ_WRITE, 'Subscription Alias (writeOnceReadOnly)');
  t.equal(await access('Device.X_TEST_Vendor.Once'), ParamAccessType.PARAM_READ_WRITE, 'vendor writeOnceReadOnly');
  t.equal(await access('Device.LocalAgent.Subscription.{i}.NotifType'), ParamAccessType.PARAM_READ_WRITE, 'readWrite');
  t.equal(await access('Device.LocalAgent.Subscription.{i}.Recipient'), ParamAccessType.PARAM_READ_ONLY, 'readOnly');
  t.equal(await access('Device.LocalAgent.ControllerNumberOfEntries'), ParamAccessType.PARAM_READ_ONLY, 'a derived counter');
  t.equal(await access('Device.LocalAgent.EndpointID'), ParamAccessType.PARAM_READ_ONLY, 'a live value without a setter');
});

t.test('a command path returns only that command, whatever the flags (TP-469 1.105)', async (t) => {
  const agent = await agentFor(t, SCHEMA_STUBS);
  for (const flags of [
    { firstLevelOnly: false, ...NONE },
    { firstLevelOnly: true, ...ALL },
  ]) {
    const r = await one(agent, 'Device.DeviceInfo.FirmwareImage.{i}.Download()', flags);
    t.equal(r.errCode, 0);
    t.equal(objs(r).length, 1, 'one object');
    const o = objs(r)[0];
    t.equal(o?.supportedObjPath, 'Device.DeviceInfo.FirmwareImage.{i}.', 'the object holding the command, in {i} notation');
    t.same(o?.supportedParams ?? [], [], 'no params');
    t.same(o?.supportedEvents ?? [], [], 'no events');
    t.same(o?.uniqueKeySets ?? [], [], 'no unique keys');
    t.same(o?.supportedCommands, [
      {
        commandName: 'Download()',
        inputArgNames: ['URL', 'AutoActivate', 'Username', 'Password', 'FileSize', 'CheckSumAlgorithm', 'CheckSum'],
        outputArgNames: [],
        commandType: CmdType.CMD_ASYNC,
      },
    ]);
  }
  const activate = objs(await one(agent, 'Device.DeviceInfo.FirmwareImage.{i}.Activate()', NONE))[0]?.supportedCommands?.[0];
  t.equal(activate?.commandType, CmdType.CMD_ASYNC, 'Activate() is async');
  t.same(
    activate?.inputArgNames,
    ['TimeWindow.{i}.Start', 'TimeWindow.{i}.End', 'TimeWindow.{i}.Mode', 'TimeWindow.{i}.UserMessage', 'TimeWindow.{i}.MaxRetries'],
    'argument objects in supported notation, names relative to the command',
  );
  const reboot = objs(await one(agent, 'Device.Reboot()', ALL));
  t.same(
    reboot.map((o) => o.supportedObjPath),
    ['Device.'],
    'only the owning object, not the tree',
  );
  t.same(
    reboot[0]?.supportedCommands?.map((c) => [c.commandName, c.commandType, c.inputArgNames]),
    [['Reboot()', CmdType.CMD_SYNC, ['Cause', 'Reason']]],
  );
  const selfTest = objs(await one(agent, 'Device.SelfTestDiagnostics()', NONE))[0]?.supportedCommands?.[0];
  t.same(selfTest?.outputArgNames, ['Status', 'Results'], 'output argument names');
});

t.test('an event path returns only that event with its argument names (TP-469 1.106)', async (t) => {
  const agent = await agentFor(t);
  const r = await one(agent, 'Device.Boot!', { firstLevelOnly: false, ...ALL });
  t.equal(r.errCode, 0);
  t.same(objPaths(r), ['Device.']);
  const o = objs(r)[0];
  t.same(o?.supportedEvents, [{ eventName: 'Boot!', argNames: ['CommandKey', 'Cause', 'Reason', 'FirmwareUpdated', 'ParameterMap'] }]);
  t.same(o?.supportedParams ?? [], [], 'no params');
  t.same(o?.supportedCommands ?? [], [], 'no commands');
  const periodic = objs(await one(agent, 'Device.LocalAgent.Periodic!', NONE));
  t.same(
    periodic.map((x) => [x.supportedObjPath, x.supportedEvents?.map((e) => e.eventName)]),
    [['Device.LocalAgent.', ['Periodic!']]],
  );
});

t.test('a parameter path returns only that parameter (TP-469 1.107)', async (t) => {
  const agent = await agentFor(t);
  const r = await one(agent, 'Device.LocalAgent.Subscription.{i}.NotifType', { firstLevelOnly: false, ...ALL });
  t.equal(r.errCode, 0);
  t.same(objPaths(r), ['Device.LocalAgent.Subscription.{i}.']);
  const o = objs(r)[0];
  t.equal(o?.isMultiInstance, true);
  t.equal(o?.access, ObjAccessType.OBJ_ADD_DELETE);
  t.same(o?.supportedParams, [
    {
      paramName: 'NotifType',
      access: ParamAccessType.PARAM_READ_WRITE,
      valueType: ParamValueType.PARAM_STRING,
      valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED,
    },
  ]);
  t.same(o?.supportedCommands ?? [], []);
  t.same(o?.uniqueKeySets ?? [], [], 'no unique keys even with return_unique_key_sets');
});

t.test('{i}, table-name and instance paths all describe the same supported object', async (t) => {
  const agent = await agentFor(t);
  const add = await agent.request({
    add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.Controller.', paramSettings: [{ param: 'EndpointID', value: 'proto::c1' }] }] },
  });
  t.equal(add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, 'Device.LocalAgent.Controller.1.');
  const forms = ['Device.LocalAgent.Controller.{i}.', 'Device.LocalAgent.Controller.', 'Device.LocalAgent.Controller.1.', 'Device.LocalAgent.Controller.*.'];
  const results = await gsdm(agent, { objPaths: forms, firstLevelOnly: true, ...ALL });
  const reference = objs(results[0] as ObjResult);
  t.equal(reference[0]?.supportedObjPath, 'Device.LocalAgent.Controller.{i}.');
  t.equal(reference[0]?.access, ObjAccessType.OBJ_ADD_DELETE);
  t.ok(param(reference[0], 'EndpointID'));
  for (const r of results) {
    t.equal(r.errCode, 0, `${r.reqObjPath}: ok`);
    t.same(objs(r), reference, `${r.reqObjPath}: same answer, paths in {i} notation`);
  }
  const nested = await one(agent, 'Device.LocalAgent.Controller.1.MTP.', { firstLevelOnly: true, ...NONE });
  t.equal(nested.errCode, 0);
  t.equal(objPaths(nested)[0], 'Device.LocalAgent.Controller.{i}.MTP.{i}.', 'a nested table under an instance');
  const p = await one(agent, 'Device.LocalAgent.Controller.1.Alias', NONE);
  t.same(
    objs(p)[0]?.supportedParams?.map((x) => x.paramName),
    ['Alias'],
    'a parameter path through an instance',
  );
  const absent = [
    'Device.LocalAgent.Controller.7.',
    'Device.LocalAgent.Controller.7.E2ESession.',
    'Device.LocalAgent.Controller.7.MTP.',
    'Device.LocalAgent.Controller.7.Alias',
    'Device.LocalAgent.Controller.7.SendOnBoardRequest()',
    'Device.LocalAgent.Controller.1.MTP.3.',
  ];
  for (const r of await gsdm(agent, { objPaths: absent, firstLevelOnly: true, ...ALL })) {
    t.equal(r.errCode, UspErrorCode.ObjectDoesNotExist, `${r.reqObjPath}: an instantiated path must name existing instances (7016)`);
  }
});

t.test('value types, value change and object access map from the schema and registrations', async (t) => {
  const agent = await agentFor(t, VENDOR);
  const vendor = obj(await one(agent, 'Device.X_TEST_Vendor.', { firstLevelOnly: true, ...ALL }), 'Device.X_TEST_Vendor.');
  const expected: Record<string, number> = {
    base64: ParamValueType.PARAM_BASE_64,
    boolean: ParamValueType.PARAM_BOOLEAN,
    dateTime: ParamValueType.PARAM_DATE_TIME,
    decimal: ParamValueType.PARAM_DECIMAL,
    hexBinary: ParamValueType.PARAM_HEX_BINARY,
    int: ParamValueType.PARAM_INT,
    long: ParamValueType.PARAM_LONG,
    string: ParamValueType.PARAM_STRING,
    unsignedInt: ParamValueType.PARAM_UNSIGNED_INT,
    unsignedLong: ParamValueType.PARAM_UNSIGNED_LONG,
  };
  for (const [type, vt] of Object.entries(expected)) {
    const p = param(vendor, `T_${type}`);
    t.equal(p?.valueType, vt, `${type} → ${ParamValueType[vt]}`);
    t.equal(p?.access, ParamAccessType.PARAM_READ_WRITE);
    t.equal(p?.valueChange, ValueChangeType.VALUE_CHANGE_ALLOWED);
  }
  t.equal(param(vendor, 'Quiet')?.valueChange, ValueChangeType.VALUE_CHANGE_WILL_IGNORE, 'denyValueChange → VALUE_CHANGE_WILL_IGNORE');
  t.equal(param(vendor, 'Quiet')?.access ?? ParamAccessType.PARAM_READ_ONLY, ParamAccessType.PARAM_READ_ONLY, 'getter without setter is read-only');
  t.same(
    vendor?.supportedCommands?.map((c) => [c.commandName, c.commandType, c.inputArgNames, c.outputArgNames]),
    [
      ['Run()', CmdType.CMD_ASYNC, ['Target', 'Count'], ['Result']],
      ['Poke()', CmdType.CMD_SYNC, [], []],
    ],
    'vendor commands with their mode and arguments',
  );
  t.same(vendor?.supportedEvents, [{ eventName: 'Happened!', argNames: ['What', 'When'] }], 'vendor event');
  const ctrl = obj(await one(agent, 'Device.LocalAgent.Controller.{i}.', { firstLevelOnly: true, ...ALL }), 'Device.LocalAgent.Controller.{i}.');
  t.equal(param(ctrl, 'Enable')?.valueType, ParamValueType.PARAM_BOOLEAN);
  t.equal(param(ctrl, 'PeriodicNotifInterval')?.valueType, ParamValueType.PARAM_UNSIGNED_INT);
  t.equal(param(ctrl, 'PeriodicNotifTime')?.valueType, ParamValueType.PARAM_DATE_TIME);
  const stats = obj(await one(agent, 'Device.Ethernet.Interface.{i}.Stats.', { firstLevelOnly: true, ...ALL }), 'Device.Ethernet.Interface.{i}.Stats.');
  t.equal(param(stats, 'BytesSent')?.valueType, ParamValueType.PARAM_UNSIGNED_LONG);
  t.equal(param(stats, 'BytesSent')?.access ?? ParamAccessType.PARAM_READ_ONLY, ParamAccessType.PARAM_READ_ONLY);
  const fw = await one(agent, 'Device.DeviceInfo.FirmwareImage.{i}.', { firstLevelOnly: true, ...NONE });
  t.equal(objs(fw)[0]?.access ?? ObjAccessType.OBJ_READ_ONLY, ObjAccessType.OBJ_READ_ONLY, 'agent-managed table: OBJ_READ_ONLY');
  const di = await one(agent, 'Device.DeviceInfo.', { firstLevelOnly: true, ...NONE });
  t.equal(objs(di)[0]?.access ?? ObjAccessType.OBJ_READ_ONLY, ObjAccessType.OBJ_READ_ONLY, 'single-instance object: OBJ_READ_ONLY');
  t.equal(objs(di)[0]?.isMultiInstance ?? false, false);
});
