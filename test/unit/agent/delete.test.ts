/**
 * Delete (TR-369 §The Delete Message, R-DEL.*; USP-NOTES §5.4) through the real dispatcher,
 * protobuf round trip and a temporary SQLite database.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { AgentOptions } from '../../../agent/agent.js';
import { NotDeletableError } from '../../../datamodel/errors.js';
import type { DecodedMsg } from '../../../proto/index.js';
import { freshAgent, startTestAgent, tempConfig } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

const SUBS = 'Device.LocalAgent.Subscription.';

async function setup(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

async function restart(t: Test, agent: TestAgent): Promise<TestAgent> {
  const again = await agent.reopen();
  t.teardown(() => again.close());
  return again;
}

function del(agent: TestAgent, allowPartial: boolean, objPaths: readonly string[]): Promise<DecodedMsg> {
  return agent.request({ delete: { allowPartial, objPaths: [...objPaths] } });
}

/** Wire-shaped JSON of the reply body with non-empty err_msg texts replaced by '…'. */
function shape(reply: DecodedMsg): unknown {
  return JSON.parse(JSON.stringify(reply.body), (k, v: unknown) => (k === 'errMsg' && typeof v === 'string' && v !== '' ? '…' : v));
}

/** Adds one row (allow_partial=false) and returns its instance path. */
async function add(agent: TestAgent, objPath: string, params: Record<string, string> = {}): Promise<string> {
  const paramSettings = Object.entries(params).map(([param, value]) => ({ param, value }));
  const reply = await agent.request({ add: { allowPartial: false, createObjs: [{ objPath, paramSettings }] } });
  const path = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
  if (!path) throw new Error(`Add ${objPath} failed: ${JSON.stringify(reply.body)}`);
  return path;
}

/** Instance paths a (table or search) path resolves to, via Get. */
async function rows(agent: TestAgent, path: string): Promise<string[]> {
  const reply = await agent.request({ get: { paramPaths: [path], maxDepth: 1 } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  if (!r || r.errCode) throw new Error(`Get ${path} failed: ${JSON.stringify(reply.body)}`);
  return (r.resolvedPathResults ?? []).map((x) => x.resolvedPath ?? '');
}

async function getCode(agent: TestAgent, path: string): Promise<number> {
  const reply = await agent.request({ get: { paramPaths: [path] } });
  return reply.body.response?.getResp?.reqPathResults?.[0]?.errCode ?? -1;
}

async function value(agent: TestAgent, paramPath: string): Promise<string | undefined> {
  const reply = await agent.request({ get: { paramPaths: [paramPath] } });
  const name = paramPath.slice(paramPath.lastIndexOf('.') + 1);
  return reply.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.[name];
}

async function subscriptions(agent: TestAgent, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await add(agent, SUBS, { ID: `sub${i}`, NotifType: 'ValueChange' });
}

const success = (requestedPath: string, affectedPaths?: string[]): unknown => ({
  requestedPath,
  operStatus: { operSuccess: affectedPaths ? { affectedPaths } : {} },
});

t.test('Delete allow_partial=false of an existing instance reports it in affected_paths (TP-469 1.24)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 2);
  const reply = await del(agent, false, [`${SUBS}1.`]);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: [success(`${SUBS}1.`, [`${SUBS}1.`])] } } });
  t.strictSame(await rows(agent, SUBS), [`${SUBS}2.`]);
});

t.test('Delete of a valid but absent instance is an empty oper_success, even with allow_partial=false (R-DEL.2a, TP-469 1.25, 1.29)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 1);
  for (const allowPartial of [false, true]) {
    const reply = await del(agent, allowPartial, [`${SUBS}42.`, 'Device.LocalAgent.Controller.3.MTP.1.']);
    t.strictSame(
      shape(reply),
      { response: { deleteResp: { deletedObjResults: [success(`${SUBS}42.`), success('Device.LocalAgent.Controller.3.MTP.1.')] } } },
      `allow_partial=${allowPartial}`,
    );
  }
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`]);
});

t.test('Delete allow_partial=false of a path outside the supported data model: Error naming it (R-DEL.1, TP-469 1.26)', async (t) => {
  const agent = await setup(t);
  const reply = await del(agent, false, ['Device.LocalAgent.InvalidObject.']);
  t.strictSame(shape(reply), {
    error: { errCode: 7026, errMsg: '…', paramErrs: [{ paramPath: 'Device.LocalAgent.InvalidObject.', errCode: 7026, errMsg: '…' }] },
  });
});

t.test('Delete allow_partial=false of several instances deletes each (TP-469 1.27)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 3);
  const reply = await del(agent, false, [`${SUBS}1.`, `${SUBS}3.`]);
  t.strictSame(shape(reply), {
    response: { deleteResp: { deletedObjResults: [success(`${SUBS}1.`, [`${SUBS}1.`]), success(`${SUBS}3.`, [`${SUBS}3.`])] } },
  });
  t.strictSame(await rows(agent, SUBS), [`${SUBS}2.`]);
});

t.test('Delete allow_partial=false with one invalid path: Error and the valid instance is kept (TP-469 1.28, R-DEL.1)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 1);
  const reply = await del(agent, false, [`${SUBS}1.`, 'Device.LocalAgent.InvalidObject.']);
  t.strictSame(shape(reply), {
    error: { errCode: 7026, errMsg: '…', paramErrs: [{ paramPath: 'Device.LocalAgent.InvalidObject.', errCode: 7026, errMsg: '…' }] },
  });
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`]);
  t.strictSame(await rows(await restart(t, agent), SUBS), [`${SUBS}1.`], 'the database still has it');
});

t.test('Delete allow_partial=true of an invalid path: oper_failure for that path only (TP-469 1.30, 1.31, R-DEL.0)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 1);
  const reply = await del(agent, true, [`${SUBS}1.`, 'Device.LocalAgent.InvalidObject.']);
  t.strictSame(shape(reply), {
    response: {
      deleteResp: {
        deletedObjResults: [
          success(`${SUBS}1.`, [`${SUBS}1.`]),
          { requestedPath: 'Device.LocalAgent.InvalidObject.', operStatus: { operFailure: { errCode: 7026, errMsg: '…' } } },
        ],
      },
    },
  });
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Delete allow_partial=true of an existing and an absent instance (TP-469 1.32)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 1);
  const reply = await del(agent, true, [`${SUBS}1.`, `${SUBS}9.`]);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: [success(`${SUBS}1.`, [`${SUBS}1.`]), success(`${SUBS}9.`)] } } });
});

t.test('Delete with unique-key addressing reports instance-number paths (TP-469 1.33, R-MSG.3)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  await add(agent, 'Device.LocalAgent.Controller.1.BootParameter.', { ParameterName: 'Device.LocalAgent.UpTime' });
  await add(agent, 'Device.LocalAgent.Controller.1.BootParameter.', { ParameterName: 'Device.LocalAgent.EndpointID' });
  const path = 'Device.LocalAgent.Controller.[EndpointID=="proto::c1"].BootParameter.[Alias=="cpe-2"].';
  const reply = await del(agent, false, [path]);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: [success(path, ['Device.LocalAgent.Controller.1.BootParameter.2.'])] } } });
  t.strictSame(await rows(agent, 'Device.LocalAgent.Controller.1.BootParameter.'), ['Device.LocalAgent.Controller.1.BootParameter.1.']);
});

t.test('Delete with a wildcard removes every instance (TP-469 1.34)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 3);
  const reply = await del(agent, false, [`${SUBS}*.`]);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: [success(`${SUBS}*.`, [`${SUBS}1.`, `${SUBS}2.`, `${SUBS}3.`])] } } });
  t.strictSame(await rows(agent, SUBS), []);
  t.equal(await value(agent, 'Device.LocalAgent.SubscriptionNumberOfEntries'), '0');
});

t.test('Delete with a search expression removes only the matching instances (TP-469 1.35)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  const BP = 'Device.LocalAgent.Controller.1.BootParameter.';
  await add(agent, BP, { ParameterName: 'Device.LocalAgent.UpTime', Enable: 'true' });
  await add(agent, BP, { ParameterName: 'Device.LocalAgent.EndpointID', Enable: 'false' });
  await add(agent, BP, { ParameterName: 'Device.DeviceInfo.UpTime', Enable: 'true' });
  const path = `${BP}[Enable==true].`;
  const reply = await del(agent, false, [path]);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: [success(path, [`${BP}1.`, `${BP}3.`])] } } });
  t.strictSame(await rows(agent, BP), [`${BP}2.`]);
});

t.test('Delete with a search path that matches nothing is an empty oper_success (TP-469 1.90, R-MSG.4a)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 2);
  const paths = [`${SUBS}[Enable==true].`, 'Device.LocalAgent.Controller.*.', 'Device.LocalAgent.Controller.*.BootParameter.*.'];
  const reply = await del(agent, false, paths);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: paths.map((p) => success(p)) } } });
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`, `${SUBS}2.`]);
});

t.test('Deleting a row deletes its nested rows and sub-objects, in memory and in the database', async (t) => {
  const agent = await setup(t);
  for (let i = 1; i <= 10; i++) await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: `proto::c${i}` });
  // Controller.10. starts with the text of Controller.1 (without the dot): its rows must survive.
  for (const ctl of ['Device.LocalAgent.Controller.1.', 'Device.LocalAgent.Controller.10.']) {
    await add(agent, `${ctl}MTP.`, { Protocol: 'MQTT', 'MQTT.Topic': 'usp/c' });
    await add(agent, `${ctl}BootParameter.`, { ParameterName: 'Device.LocalAgent.UpTime' });
  }
  const reply = await del(agent, false, ['Device.LocalAgent.Controller.1.', 'Device.LocalAgent.Controller.1.MTP.1.']);
  t.strictSame(
    shape(reply),
    {
      response: {
        deleteResp: {
          deletedObjResults: [
            success('Device.LocalAgent.Controller.1.', ['Device.LocalAgent.Controller.1.']),
            success('Device.LocalAgent.Controller.1.MTP.1.'),
          ],
        },
      },
    },
    'a nested row already gone with its parent is an empty success',
  );
  for (const a of [agent, await restart(t, agent)]) {
    for (const gone of [
      'Device.LocalAgent.Controller.1.',
      'Device.LocalAgent.Controller.1.MTP.1.',
      'Device.LocalAgent.Controller.1.MTP.1.MQTT.',
      'Device.LocalAgent.Controller.1.BootParameter.1.',
    ]) {
      t.equal(await getCode(a, gone), 7026, `${gone} is gone`);
    }
    t.strictSame(await rows(a, 'Device.LocalAgent.Controller.*.MTP.'), ['Device.LocalAgent.Controller.10.MTP.1.'], 'the rows of Controller.10 are untouched');
    t.strictSame(await rows(a, 'Device.LocalAgent.Controller.*.BootParameter.'), ['Device.LocalAgent.Controller.10.BootParameter.1.']);
    t.equal(await value(a, 'Device.LocalAgent.Controller.10.MTP.1.MQTT.Topic'), 'usp/c');
    t.equal((await rows(a, 'Device.LocalAgent.Controller.')).length, 9);
  }
});

t.test('Delete of a row the data model marks read-only fails with 7024 (R-DEL.1, §Error Codes)', async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const defaults = join(dir, 'defaults.json');
  writeFileSync(defaults, JSON.stringify({ 'Device.DeviceInfo.FirmwareImage.1.': { Alias: 'fw-a', Name: 'image-a' } }));
  const agent = await startTestAgent({ ...config, factoryDefaults: defaults }, dir);
  t.teardown(() => agent.close());
  const FW = 'Device.DeviceInfo.FirmwareImage.1.';
  t.strictSame(shape(await del(agent, false, [FW])), { error: { errCode: 7024, errMsg: '…', paramErrs: [{ paramPath: FW, errCode: 7024, errMsg: '…' }] } });
  t.strictSame(shape(await del(agent, true, [FW])), {
    response: { deleteResp: { deletedObjResults: [{ requestedPath: FW, operStatus: { operFailure: { errCode: 7024, errMsg: '…' } } }] } },
  });
  t.strictSame(await rows(agent, 'Device.DeviceInfo.FirmwareImage.'), [FW]);
});

t.test('Delete of a path that is not an instance path is an Error with allow_partial=false (R-DEL.1)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 1);
  for (const path of ['Device.Time.', SUBS, `${SUBS}1.Enable`, 'Device.LocalAgent.Subscription.[Enable=="x"].']) {
    const reply = await del(agent, false, [`${SUBS}1.`, path]);
    t.equal(reply.body.msgBody, 'error', `${path}: Error`);
    const code = reply.body.error?.errCode ?? 0;
    t.ok([7008, 7018, 7026].includes(code), `${path}: Delete error code ${code}`);
    t.strictSame(
      (reply.body.error?.paramErrs ?? []).map((p) => p.paramPath),
      [path],
    );
  }
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`], 'the valid path in the same message was rolled back each time');
});

t.test('Delete allow_partial=true: instances that refuse go to unaffected_path_errs, the rest are deleted (R-DEL.3)', async (t) => {
  const T = 'Device.X_TEST_Item.';
  const agent = await setup(t, {
    register: (dm) => {
      dm.table(`${T}{i}.`, {
        beforeDelete: (path) => {
          if (path === `${T}2.`) throw new NotDeletableError(`${path} is pinned`, path);
        },
      });
      dm.param(`${T}{i}.Name`, { type: 'string', access: 'readWrite' });
    },
  });
  for (let i = 0; i < 3; i++) await add(agent, T);
  const partial = await del(agent, true, [`${T}*.`]);
  t.strictSame(shape(partial), {
    response: {
      deleteResp: {
        deletedObjResults: [
          {
            requestedPath: `${T}*.`,
            operStatus: {
              operSuccess: { affectedPaths: [`${T}1.`, `${T}3.`], unaffectedPathErrs: [{ unaffectedPath: `${T}2.`, errCode: 7024, errMsg: '…' }] },
            },
          },
        ],
      },
    },
  });
  t.strictSame(await rows(agent, T), [`${T}2.`]);

  await add(agent, T);
  const whole = await del(agent, false, [`${T}*.`]);
  t.equal(whole.body.error?.errCode, 7024, 'allow_partial=false: Error');
  t.strictSame(await rows(agent, T), [`${T}2.`, `${T}4.`], 'and nothing deleted');
});

t.test('A table cannot drop below minEntries: 7024 (TR-106 minEntries)', async (t) => {
  const T = 'Device.X_TEST_Min.';
  const agent = await setup(t, {
    register: (dm) => {
      dm.table(`${T}{i}.`, { minEntries: 1 });
      dm.param(`${T}{i}.Name`, { type: 'string', access: 'readWrite' });
    },
  });
  await add(agent, T);
  await add(agent, T);
  const partial = await del(agent, true, [`${T}*.`]);
  t.strictSame(shape(partial), {
    response: {
      deleteResp: {
        deletedObjResults: [
          {
            requestedPath: `${T}*.`,
            operStatus: { operSuccess: { affectedPaths: [`${T}1.`], unaffectedPathErrs: [{ unaffectedPath: `${T}2.`, errCode: 7024, errMsg: '…' }] } },
          },
        ],
      },
    },
  });
  t.equal((await del(agent, false, [`${T}2.`])).body.error?.errCode, 7024);
  t.strictSame(await rows(agent, T), [`${T}2.`]);
});

t.test('Deleting the target of a strong reference clears the reference, also in the database (R-ARC.12)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'MQTT' });
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'STOMP' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  await add(agent, 'Device.LocalAgent.Controller.1.MTP.', { Protocol: 'MQTT', 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.1' });
  await add(agent, 'Device.LocalAgent.Controller.1.MTP.', { Protocol: 'STOMP', 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.2' });
  const REF1 = 'Device.LocalAgent.Controller.1.MTP.1.MQTT.AgentMTPReference';
  const REF2 = 'Device.LocalAgent.Controller.1.MTP.2.MQTT.AgentMTPReference';
  t.equal(await value(agent, REF1), 'Device.LocalAgent.MTP.1', 'the reference was set');

  const reply = await del(agent, false, ['Device.LocalAgent.MTP.1.']);
  t.strictSame(shape(reply), { response: { deleteResp: { deletedObjResults: [success('Device.LocalAgent.MTP.1.', ['Device.LocalAgent.MTP.1.'])] } } });
  t.equal(await value(agent, REF1), '', 'the reference to the deleted row is cleared');
  t.equal(await value(agent, REF2), 'Device.LocalAgent.MTP.2', 'other references stay');
  const again = await restart(t, agent);
  t.equal(await value(again, REF1), '', 'cleared in the database too');
  t.equal(await value(again, REF2), 'Device.LocalAgent.MTP.2');
});

t.test('Deleting a target removes just that item from a strong reference list (R-ARC.12)', async (t) => {
  const agent = await setup(t);
  const ROLE = 'Device.LocalAgent.ControllerTrust.Role.';
  await add(agent, ROLE, { Name: 'r1' });
  await add(agent, ROLE, { Name: 'r2' });
  await add(agent, ROLE, { Name: 'r3' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1', AssignedRole: `${ROLE}1,${ROLE}2,${ROLE}3` });
  const AR = 'Device.LocalAgent.Controller.1.AssignedRole';
  t.equal(await value(agent, AR), `${ROLE}1,${ROLE}2,${ROLE}3`);
  await del(agent, false, [`${ROLE}2.`]);
  t.equal(await value(agent, AR), `${ROLE}1,${ROLE}3`);
  t.equal(await value(await restart(t, agent), AR), `${ROLE}1,${ROLE}3`);
});

t.test('A failed Delete clears no reference and deletes nothing (R-DEL.1 atomic, R-ARC.12)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'MQTT' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  await add(agent, 'Device.LocalAgent.Controller.1.MTP.', { Protocol: 'MQTT', 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.1' });
  const reply = await del(agent, false, ['Device.LocalAgent.MTP.1.', 'Device.LocalAgent.Bogus.']);
  t.equal(reply.body.error?.errCode, 7026);
  t.strictSame(await rows(agent, 'Device.LocalAgent.MTP.'), ['Device.LocalAgent.MTP.1.']);
  t.equal(await value(agent, 'Device.LocalAgent.Controller.1.MTP.1.MQTT.AgentMTPReference'), 'Device.LocalAgent.MTP.1');
});

t.test('Deletes are durable and instance numbers are not reused after a restart (R-ARC.8)', async (t) => {
  const agent = await setup(t);
  await subscriptions(agent, 3);
  await del(agent, false, [`${SUBS}2.`, `${SUBS}3.`]);
  const again = await restart(t, agent);
  t.strictSame(await rows(again, SUBS), [`${SUBS}1.`]);
  t.equal(await add(again, SUBS, { ID: 'next' }), `${SUBS}4.`);
});
