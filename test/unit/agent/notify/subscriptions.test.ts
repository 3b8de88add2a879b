// Device.LocalAgent.Subscription.{i} behaviour (agent/notify/subscriptions.ts, housekeeping.ts):
// Recipient and CreationDate filled on Add, ReferenceList immutable, ReferenceList checked
// against NotifType, Persistent=false and TimeToLive, and the cascade when the Recipient
// controller is deleted (TP-469 1.55, 1.78).
import t from 'tap';
import { UspErrorCode } from '../../../../datamodel/errors.js';
import { ADMIN_REQUESTER } from '../../../helpers/agent.js';
import type { TestAgent } from '../../../helpers/agent.js';
import { AS_C1, AS_C2, C1, C1_PATH, C2, del, rig, set, subscribe, SUBS, tryAdd } from '../../../helpers/notify.js';

async function read(agent: TestAgent, path: string): Promise<string | undefined> {
  const r = await agent.request({ get: { paramPaths: [path] } });
  const res = r.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0];
  return res?.resultParams?.[path.slice(path.lastIndexOf('.') + 1)];
}

function rows(agent: TestAgent): string[] {
  return [...(agent.dm.tree.get('Device.LocalAgent.')?.rows('Subscription') ?? [])].map((r) => r.path);
}

/** The error code of a refused Add (message-level Error with allow_partial=false). */
function addError(r: Awaited<ReturnType<typeof tryAdd>>): number | undefined {
  return r.body.error?.errCode ?? undefined;
}

t.test('Add fills Recipient with the creating controller and CreationDate with the current time (TR-181 Subscription)', async (t) => {
  const { agent, clock } = await rig(t);
  const path = await subscribe(agent, AS_C2, { ID: 'mine', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.Controller.' });
  t.equal(
    await read(agent, `${path}Recipient`),
    'Device.LocalAgent.Controller.2',
    'the Controller row of the requester, as a reference without the trailing dot',
  );
  t.equal(await read(agent, `${path}CreationDate`), new Date(clock.now()).toISOString().replace('.000Z', 'Z'), 'CreationDate is the creation time');
  const admin = await subscribe(agent, ADMIN_REQUESTER, { ID: 'cli', NotifType: 'ValueChange' });
  t.equal(await read(agent, `${admin}Recipient`), '', 'the admin CLI has no Controller row: Recipient stays empty');
  const r = await tryAdd(agent, AS_C1, SUBS, { ID: 'x', Recipient: C1_PATH.slice(0, -1) });
  t.equal(addError(r), UspErrorCode.RequiredParameterFailed, 'a controller cannot set Recipient itself');
  t.equal(r.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.ParameterReadOnly, '… it is read-only (7013)');
});

t.test('the same ID is allowed once per Recipient (unique key Recipient+ID)', async (t) => {
  const { agent } = await rig(t);
  await subscribe(agent, AS_C1, { ID: 'same', NotifType: 'ValueChange' });
  await subscribe(agent, AS_C2, { ID: 'same', NotifType: 'ValueChange' });
  t.equal(addError(await tryAdd(agent, AS_C1, SUBS, { ID: 'same' })), UspErrorCode.DuplicateUniqueKey, 'a second one for C1 is a duplicate key (7025)');
});

t.test('ReferenceList cannot change once it is non-empty: 7013, the same value is accepted', async (t) => {
  const { agent } = await rig(t);
  const empty = await subscribe(agent, AS_C1, { ID: 'later', NotifType: 'ValueChange' });
  t.equal((await set(agent, AS_C1, empty, { ReferenceList: 'Device.LocalAgent.' })).body.msgBody, 'response', 'an empty ReferenceList may be written once');
  const r = await set(agent, AS_C1, empty, { ReferenceList: 'Device.Time.' });
  t.equal(r.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.ParameterReadOnly, 'then it is immutable (7013)');
  t.equal(
    (await set(agent, AS_C1, empty, { ReferenceList: 'Device.LocalAgent.' })).body.msgBody,
    'response',
    'writing the same value changes nothing and is accepted',
  );
  t.equal((await set(agent, AS_C1, empty, { Enable: 'true' })).body.msgBody, 'response', 'other parameters stay writable');
});

t.test('ReferenceList items must fit NotifType and the supported data model', async (t) => {
  const { agent } = await rig(t);
  const cases: [Record<string, string>, number, string][] = [
    [{ NotifType: 'ObjectCreation', ReferenceList: 'Device.LocalAgent.' }, UspErrorCode.InvalidValue, 'ObjectCreation on a single-instance object'],
    [{ ReferenceList: 'Device.LocalAgent.', NotifType: 'ObjectDeletion' }, UspErrorCode.InvalidValue, 'the same with NotifType written after ReferenceList'],
    [{ NotifType: 'Event', ReferenceList: 'Device.LocalAgent.EndpointID' }, UspErrorCode.InvalidValue, 'Event on a parameter'],
    [{ NotifType: 'OperationComplete', ReferenceList: 'Device.Boot!' }, UspErrorCode.InvalidValue, 'OperationComplete on an event'],
    [{ NotifType: 'ValueChange', ReferenceList: 'Device.NoSuchThing.' }, UspErrorCode.InvalidPath, 'an object outside the supported data model (7026)'],
    [{ NotifType: 'Event', ReferenceList: 'Device.Nope!' }, UspErrorCode.InvalidPath, 'an event that does not exist (7026)'],
    [{ NotifType: 'ValueChange', ReferenceList: 'Device..Bad' }, UspErrorCode.InvalidPathSyntax, 'bad path syntax (7008)'],
    [{ NotifType: 'ValueChange', ReferenceList: 'Device.Time.,Device.Time.' }, UspErrorCode.InvalidValue, 'the same item twice'],
  ];
  for (const [settings, code, what] of cases) {
    const r = await tryAdd(agent, AS_C1, SUBS, settings);
    t.equal(r.body.error?.paramErrs?.[0]?.errCode, code, what);
  }
  for (const ok of [
    { NotifType: 'ObjectCreation', ReferenceList: 'Device.LocalAgent.Controller.' },
    { NotifType: 'ObjectDeletion', ReferenceList: 'Device.LocalAgent.Controller.*.MTP.*.' },
    { NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.Controller.[EndpointID=="x"].Enable' },
    { NotifType: 'Event', ReferenceList: 'Device.Boot!,Device.LocalAgent.Periodic!' },
    { NotifType: 'OperationComplete', ReferenceList: 'Device.' },
  ]) {
    t.equal((await tryAdd(agent, AS_C1, SUBS, ok)).body.msgBody, 'response', `${ok.NotifType} on ${ok.ReferenceList} is accepted`);
  }
});

t.test('ValueChange on a parameter whose value change is denied is refused with 7012; an object path over it is not', async (t) => {
  const { agent } = await rig(t, {
    agent: {
      register: (dm) => {
        dm.object('Device.X_TEST_Notify.');
        dm.param('Device.X_TEST_Notify.Quiet', { type: 'unsignedInt', get: () => '0', denyValueChange: true });
      },
    },
  });
  const r = await tryAdd(agent, AS_C1, SUBS, { NotifType: 'ValueChange', ReferenceList: 'Device.X_TEST_Notify.Quiet' });
  t.equal(r.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.InvalidValue, 'refused: the list names something that can never be a ValueChange target');
  t.match(r.body.error?.paramErrs?.[0]?.errMsg, /VALUE_CHANGE_WILL_IGNORE/);
  t.equal(
    (await tryAdd(agent, AS_C1, SUBS, { NotifType: 'ValueChange', ReferenceList: 'Device.X_TEST_Notify.' })).body.msgBody,
    'response',
    'an object path covering it is accepted (the parameter is skipped)',
  );
  const nt = await tryAdd(agent, AS_C1, SUBS, { ReferenceList: 'Device.X_TEST_Notify.Quiet', NotifType: 'ValueChange' });
  t.equal(nt.body.error?.paramErrs?.[0]?.errCode, UspErrorCode.InvalidValue, 'also when NotifType comes last');
});

t.test('Persistent=false subscriptions are removed at restart; Persistent=true ones stay', async (t) => {
  const r = await rig(t);
  const keep = await subscribe(r.agent, AS_C1, { ID: 'keep', NotifType: 'ValueChange', Persistent: 'true' });
  await subscribe(r.agent, AS_C1, { ID: 'drop', NotifType: 'ValueChange' });
  await subscribe(r.agent, ADMIN_REQUESTER, { ID: 'cli-drop', NotifType: 'ValueChange' });
  const after = await r.restart();
  t.strictSame(rows(after.agent), [keep], 'only the persistent row is left');
});

t.test('TimeToLive: the row goes when CreationDate + TimeToLive passes, by timer and at start-up (TP-469 1.55)', async (t) => {
  const r = await rig(t);
  const short = await subscribe(r.agent, AS_C1, { ID: 'short', NotifType: 'ValueChange', TimeToLive: '30', Persistent: 'true' });
  const long = await subscribe(r.agent, AS_C1, { ID: 'long', NotifType: 'ValueChange', TimeToLive: '100', Persistent: 'true' });
  const forever = await subscribe(r.agent, AS_C1, { ID: 'forever', NotifType: 'ValueChange', Persistent: 'true' });
  t.equal(await read(r.agent, `${short}TimeToLive`), '30', 'TimeToLive reads back as set (it does not count down)');
  await r.advance(29_999);
  t.strictSame(rows(r.agent), [short, long, forever], 'nothing expired before 30 s');
  await r.advance(1);
  await r.rec.until(() => !rows(r.agent).includes(short), 'the 30 s row to go');
  t.strictSame(rows(r.agent), [long, forever], 'gone at CreationDate + 30 s');
  // The agent is down while the second one runs out.
  await r.notifier.stop();
  r.clock.advance(80_000);
  const after = await r.restart();
  t.strictSame(rows(after.agent), [forever], 'a row whose TimeToLive ran out while the agent was down is removed at start-up');
});

t.test('deleting a Controller row deletes its subscriptions after the ObjectDeletion went out (TP-469 1.78, USP-NOTES §10)', async (t) => {
  const { agent, rec } = await rig(t);
  const c1Watch = await subscribe(agent, AS_C1, { ID: 'c1-od', NotifType: 'ObjectDeletion', ReferenceList: 'Device.LocalAgent.Controller.*.' });
  const c1Other = await subscribe(agent, AS_C1, { ID: 'c1-vc', NotifType: 'ValueChange', ReferenceList: 'Device.Time.' });
  const c2Watch = await subscribe(agent, AS_C2, { ID: 'c2-od', NotifType: 'ObjectDeletion', ReferenceList: 'Device.LocalAgent.Controller.*.' });
  const c2SubWatch = await subscribe(agent, AS_C2, { ID: 'c2-subs', NotifType: 'ObjectDeletion', ReferenceList: `${SUBS}*.` });
  t.equal((await del(agent, AS_C2, C1_PATH)).body.msgBody, 'response');
  await rec.until(() => !rows(agent).includes(c1Watch) && rec.of('objDeletion', C2).length >= 3, 'the cascade');
  t.strictSame(rows(agent), [c2Watch, c2SubWatch], "C1's subscriptions are gone, C2's stay");
  const toC1 = rec.of('objDeletion', C1);
  t.strictSame(
    toC1.map((s) => [s.notify.subscriptionId, s.notify.objDeletion?.objPath]),
    [['c1-od', C1_PATH]],
    'the deleted controller itself was told, through its subscription, before the cascade removed it',
  );
  t.ok(toC1[0]?.viaRow, '… using the row it had (it is no longer in the data model)');
  const toC2 = rec.of('objDeletion', C2).map((s) => [s.notify.subscriptionId, s.notify.objDeletion?.objPath]);
  t.strictSame(toC2[0], ['c2-od', C1_PATH], 'C2 hears of the Controller row first');
  t.strictSame(
    toC2.slice(1).sort(),
    [
      ['c2-subs', c1Watch],
      ['c2-subs', c1Other],
    ],
    'then of the cascaded subscription rows',
  );
});
