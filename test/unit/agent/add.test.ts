/**
 * Add (TR-369 §The Add Message, R-ADD.*; USP-NOTES §5.1, §5.2) through the real dispatcher,
 * protobuf round trip and a temporary SQLite database.
 * This file: allow_partial and required parameters on one or several objects (TP-469 1.1–1.9).
 * Siblings: add-paths (addressing, search paths, path errors, sub-objects), add-keys (unique keys
 * and Alias), add-rows (instance numbers, persistence, table limits).
 */
import t from 'tap';
import { add, params, restart, rows, settings, setup, shape, sub, SUBS } from '../../helpers/add-helpers.js';

t.test('Add allow_partial=false, required parameters succeed: oper_success with every unique key (TP-469 1.1, R-ADD.5)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [sub('add1', [{ param: 'ReferenceList', value: 'Device.LocalAgent.SoftwareVersion', required: true }])]);
  t.strictSame(shape(reply), {
    response: {
      addResp: {
        createdObjResults: [
          {
            requestedPath: SUBS,
            operStatus: { operSuccess: { instantiatedPath: `${SUBS}1.`, uniqueKeys: { Alias: 'cpe-1', Recipient: '', ID: 'add1' } } },
          },
        ],
      },
    },
  });
  t.match(await params(agent, `${SUBS}1.`), { Enable: 'true', ID: 'add1', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.SoftwareVersion' });
});

t.test('Add allow_partial=true, required parameters succeed (TP-469 1.2)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, true, [sub('add2', [{ param: 'ReferenceList', value: 'Device.LocalAgent.SoftwareVersion', required: true }])]);
  t.strictSame(reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, `${SUBS}1.`);
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`]);
});

t.test('Add allow_partial=false, a required parameter fails: Error naming the full param path, nothing created (TP-469 1.3)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [
    {
      objPath: SUBS,
      paramSettings: [{ param: 'Enable', value: 'InvalidValue', required: true }, ...settings({ ID: 'add3', NotifType: 'ValueChange' })],
    },
  ]);
  t.equal(reply.body.msgBody, 'error');
  t.equal(reply.body.error?.errCode, 7021);
  const pe = reply.body.error?.paramErrs ?? [];
  t.equal(pe.length, 1);
  t.match(pe[0]?.paramPath, /^Device\.LocalAgent\.Subscription\.\d+\.Enable$/, 'FULL path to the Enable parameter');
  t.equal(pe[0]?.errCode, 7011);
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Add allow_partial=false on an invalid object: Error whose param_path is the object (TP-469 1.4)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [{ objPath: 'Device.LocalAgent.InvalidObject.', paramSettings: settings({ Enable: 'true' }) }]);
  t.strictSame(shape(reply), {
    error: { errCode: 7026, errMsg: '…', paramErrs: [{ paramPath: 'Device.LocalAgent.InvalidObject.', errCode: 7026, errMsg: '…' }] },
  });
});

t.test('Add allow_partial=false with several objects creates all of them (TP-469 1.5)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [sub('add51'), sub('add52')]);
  t.strictSame(
    (reply.body.response?.addResp?.createdObjResults ?? []).map((r) => [
      r.requestedPath,
      r.operStatus?.operSuccess?.instantiatedPath,
      { ...r.operStatus?.operSuccess?.uniqueKeys },
    ]),
    [
      [SUBS, `${SUBS}1.`, { Alias: 'cpe-1', Recipient: '', ID: 'add51' }],
      [SUBS, `${SUBS}2.`, { Alias: 'cpe-2', Recipient: '', ID: 'add52' }],
    ],
  );
});

t.test('Add allow_partial=false: one invalid object rolls back the objects before it (TP-469 1.6, R-ADD.1)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [sub('add61'), { objPath: 'Device.LocalAgent.InvalidObject.', paramSettings: settings({ ID: 'add62' }) }]);
  t.strictSame(shape(reply), {
    error: { errCode: 7026, errMsg: '…', paramErrs: [{ paramPath: 'Device.LocalAgent.InvalidObject.', errCode: 7026, errMsg: '…' }] },
  });
  t.strictSame(await rows(agent, SUBS), [], 'the first subscription was not kept');
  t.strictSame(await rows(await restart(t, agent), SUBS), [], 'nor written to the database');
});

t.test('Add allow_partial=false: a required failure in one of several objects creates none (TP-469 1.7)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [
    sub('add70'),
    { objPath: SUBS, paramSettings: [{ param: 'Enable', value: 'InvalidValue', required: true }, ...settings({ ID: 'add71' })] },
    sub('add72'),
  ]);
  t.equal(reply.body.error?.errCode, 7021);
  t.equal(reply.body.error?.paramErrs?.length, 1);
  t.match(reply.body.error?.paramErrs?.[0]?.paramPath, /\.Enable$/);
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Add allow_partial=true, a required parameter fails: oper_failure and nothing created (TP-469 1.8)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, true, [
    { objPath: SUBS, paramSettings: [{ param: 'Enable', value: 'InvalidValue', required: true }, ...settings({ ID: 'add8', NotifType: 'ValueChange' })] },
  ]);
  t.strictSame(shape(reply), {
    response: { addResp: { createdObjResults: [{ requestedPath: SUBS, operStatus: { operFailure: { errCode: 7021, errMsg: '…' } } }] } },
  });
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Add allow_partial=true with several objects: the failing one gets oper_failure, the others are created (TP-469 1.9, R-ADD.0)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, true, [sub('add91'), sub('add92', [{ param: 'InvalidParameter', value: 'IrrelevantValue', required: true }]), sub('add93')]);
  const r = reply.body.response?.addResp?.createdObjResults ?? [];
  t.strictSame(
    r.map((x) => x.operStatus?.operSuccess?.instantiatedPath ?? x.operStatus?.operFailure?.errCode),
    [`${SUBS}1.`, 7021, `${SUBS}2.`],
    'instance numbers of rolled-back rows are not consumed',
  );
  t.equal(r[0]?.operStatus?.operSuccess?.paramErrs?.length ?? 0, 0, 'no parameter errors on the good one');
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`, `${SUBS}2.`]);
  t.equal((await params(agent, `${SUBS}2.`))['ID'], 'add93');
});

t.test('A failing non-required parameter is reported in param_errs (relative) and the object is still created (R-ADD.4, §5.1)', async (t) => {
  for (const allowPartial of [false, true]) {
    const agent = await setup(t);
    const reply = await add(agent, allowPartial, [
      sub('p1', [
        { param: 'TimeToLive', value: 'soon' },
        { param: 'TriggerAction', value: 'Nope' },
        { param: 'CreationDate', value: '2020-01-01T00:00:00Z' },
      ]),
    ]);
    t.strictSame(
      shape(reply),
      {
        response: {
          addResp: {
            createdObjResults: [
              {
                requestedPath: SUBS,
                operStatus: {
                  operSuccess: {
                    instantiatedPath: `${SUBS}1.`,
                    paramErrs: [
                      { param: 'TimeToLive', errCode: 7011, errMsg: '…' },
                      { param: 'TriggerAction', errCode: 7012, errMsg: '…' },
                      { param: 'CreationDate', errCode: 7013, errMsg: '…' },
                    ],
                    uniqueKeys: { Alias: 'cpe-1', Recipient: '', ID: 'p1' },
                  },
                },
              },
            ],
          },
        },
      },
      `allow_partial=${allowPartial}`,
    );
    t.match(await params(agent, `${SUBS}1.`), { TimeToLive: '0', TriggerAction: 'Notify', Enable: 'true' }, 'failed params keep their defaults');
  }
});
