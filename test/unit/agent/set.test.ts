/**
 * Set (TR-369 §The Set Message, R-SET.*, §Using Allow Partial and Required Parameters; USP-NOTES
 * §5.1, §5.3) through the real dispatcher, protobuf round trip and a temporary SQLite database.
 * This file: allow_partial and required parameters on one or several objects (TP-469 1.11–1.17).
 * Siblings: set-search (wildcards, search paths, path errors), set-values (types, access, secured
 * values, references), set-keys (unique keys), set-commit (durability, change events, large Sets).
 */
import t from 'tap';
import { restart, S1, S2, set, setup, shape, snapshot, twoSubscriptions, values } from '../../helpers/set-helpers.js';

t.test('Set allow_partial=false with a passing required parameter returns oper_success with updated_params (TP-469 1.11)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [{ objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] }]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
  t.strictSame(await values(agent, `${S1}NotifRetry`), { [S1]: 'true' });
});

t.test('Set allow_partial=true with a passing required parameter returns oper_success (TP-469 1.12)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, true, [{ objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] }]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
});

t.test('Set allow_partial=false on several objects updates each of them (TP-469 1.13)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [
    { objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
    { objPath: S2, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
          { requestedPath: S2, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S2, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
  t.strictSame(await values(agent, 'Device.LocalAgent.Subscription.*.NotifRetry'), { [S1]: 'true', [S2]: 'true' });
});

t.test('§5.1 allow_partial=false, required parameter fails: Error with the FULL param_path, nothing changed (TP-469 1.14, R-SET.1)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, false, [
    {
      objPath: S1,
      paramSettings: [
        { param: 'NotifRetry', value: 'true' },
        { param: 'InvalidParameter', value: 'IrrelevantValue', required: true },
      ],
    },
  ]);
  t.strictSame(shape(reply), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${S1}InvalidParameter`, errCode: 7010, errMsg: '…' }] },
  });
  t.strictSame(await snapshot(agent), before, 'the passing NotifRetry change was rolled back too');
});

t.test('§5.1 allow_partial=false, required fails in the second object: Error and the first object is rolled back (TP-469 1.15)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, false, [
    { objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
    { objPath: S2, paramSettings: [{ param: 'InvalidParameter', value: 'IrrelevantValue', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${S2}InvalidParameter`, errCode: 7010, errMsg: '…' }] },
  });
  t.strictSame(await snapshot(agent), before);
  t.strictSame(await snapshot(await restart(t, agent)), before, 'and nothing reached the database');
});

t.test(
  '§5.1 allow_partial=true, required fails in one object: oper_failure with updated_inst_failures, the other object is updated (TP-469 1.16)',
  async (t) => {
    const agent = await setup(t);
    await twoSubscriptions(agent);
    const reply = await set(agent, true, [
      { objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
      {
        objPath: S2,
        paramSettings: [
          { param: 'NotifRetry', value: 'true' },
          { param: 'InvalidParameter', value: 'IrrelevantValue', required: true },
        ],
      },
    ]);
    t.strictSame(shape(reply), {
      response: {
        setResp: {
          updatedObjResults: [
            { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
            {
              requestedPath: S2,
              operStatus: {
                operFailure: {
                  errCode: 7021,
                  errMsg: '…',
                  updatedInstFailures: [{ affectedPath: S2, paramErrs: [{ param: 'InvalidParameter', errCode: 7010, errMsg: '…' }] }],
                },
              },
            },
          ],
        },
      },
    });
    t.strictSame(await values(agent, 'Device.LocalAgent.Subscription.*.NotifRetry'), { [S1]: 'true', [S2]: 'false' }, 'the failed object keeps its old values');
  },
);

t.test('§5.1 a failing non-required parameter gives oper_success with relative param_errs, for allow_partial false and true (TP-469 1.17)', async (t) => {
  for (const allowPartial of [false, true]) {
    const agent = await setup(t);
    await twoSubscriptions(agent);
    const reply = await set(agent, allowPartial, [
      {
        objPath: S1,
        paramSettings: [
          { param: 'NotifRetry', value: 'true' },
          { param: 'InvalidParameter', value: 'IrrelevantValue' },
          { param: 'TimeToLive', value: '60', required: true },
        ],
      },
    ]);
    t.strictSame(
      shape(reply),
      {
        response: {
          setResp: {
            updatedObjResults: [
              {
                requestedPath: S1,
                operStatus: {
                  operSuccess: {
                    updatedInstResults: [
                      {
                        affectedPath: S1,
                        paramErrs: [{ param: 'InvalidParameter', errCode: 7010, errMsg: '…' }],
                        updatedParams: { NotifRetry: 'true', TimeToLive: '60' },
                      },
                    ],
                  },
                },
              },
            ],
          },
        },
      },
      `allow_partial=${allowPartial}`,
    );
    t.strictSame(await values(agent, `${S1}TimeToLive`), { [S1]: '60' });
  }
});
