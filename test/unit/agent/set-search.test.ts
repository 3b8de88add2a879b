/**
 * Set addressed by unique keys, wildcards and search paths (TR-369 R-SET.1, R-SET.2a, R-MSG.3,
 * R-MSG.4a; TP-469 1.18–1.23; USP-NOTES §5.3), and per-path failures of the requested objects.
 */
import t from 'tap';
import { add, S1, S2, set, setup, setupAliaslessMtp, shape, snapshot, twoSubscriptions, values } from '../../helpers/set-helpers.js';

t.test('Set with unique-key addressing reports the instance-number path (TP-469 1.18, R-MSG.3)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const path = 'Device.LocalAgent.Subscription.[Recipient==""&&ID=="s2"].';
  const reply = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] }]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: path, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S2, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
});

t.test('Set with a wildcard updates every instance (TP-469 1.19)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [
    { objPath: 'Device.LocalAgent.Subscription.*.', paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: 'Device.LocalAgent.Subscription.*.',
            operStatus: {
              operSuccess: {
                updatedInstResults: [
                  { affectedPath: S1, updatedParams: { NotifRetry: 'true' } },
                  { affectedPath: S2, updatedParams: { NotifRetry: 'true' } },
                ],
              },
            },
          },
        ],
      },
    },
  });
});

t.test('Set with a wildcard, allow_partial=false, required fails: Error and no instance changed (R-SET.1, TP-469 1.20; see USP-NOTES §5.3)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, false, [
    {
      objPath: 'Device.LocalAgent.Subscription.*.',
      paramSettings: [
        { param: 'NotifRetry', value: 'true' },
        { param: 'InvalidParameter', value: 'IrrelevantValue', required: true },
      ],
    },
  ]);
  t.equal(reply.body.msgBody, 'error');
  t.equal(reply.body.error?.errCode, 7021);
  const pe = reply.body.error?.paramErrs ?? [];
  t.ok(pe.length >= 1, 'at least one ParamError');
  for (const p of pe) {
    t.match(p.paramPath, /^Device\.LocalAgent\.Subscription\.\d+\.InvalidParameter$/, 'full path, instance-number form');
    t.equal(p.errCode, 7010);
  }
  t.strictSame(await snapshot(agent), before);
});

t.test('Set with a wildcard, allow_partial=true, required fails: oper_failure with UpdatedInstanceFailures, nothing changed (TP-469 1.21)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, true, [
    {
      objPath: 'Device.LocalAgent.Subscription.*.',
      paramSettings: [
        { param: 'NotifRetry', value: 'true' },
        { param: 'Enable', value: 'InvalidValue', required: true },
      ],
    },
  ]);
  const r = reply.body.response?.setResp?.updatedObjResults ?? [];
  t.equal(r.length, 1);
  t.equal(r[0]?.requestedPath, 'Device.LocalAgent.Subscription.*.');
  const failure = r[0]?.operStatus?.operFailure;
  t.equal(failure?.errCode, 7021);
  t.ok(failure?.errMsg);
  t.ok((failure?.updatedInstFailures?.length ?? 0) >= 1, 'at least one UpdatedInstanceFailure');
  for (const f of failure?.updatedInstFailures ?? []) {
    t.match(f.affectedPath, /^Device\.LocalAgent\.Subscription\.\d+\.$/);
    t.strictSame(
      (f.paramErrs ?? []).map((p) => [p.param, p.errCode]),
      [['Enable', 7011]],
    );
  }
  t.strictSame(await snapshot(agent), before, 'NotifRetry on the instances processed first was undone');
});

t.test('A search path matching several rows is handled holistically: one row fails, every row is left unchanged (R-SET.2a)', async (t) => {
  // MTP.1 has no Alias yet (writeOnceReadOnly: may be set once); MTP.2 has the generated one.
  const agent = await setupAliaslessMtp(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'STOMP' });
  const before = await snapshot(agent);
  const reply = await set(agent, true, [
    {
      objPath: 'Device.LocalAgent.MTP.*.',
      paramSettings: [
        { param: 'Enable', value: 'true' },
        { param: 'Alias', value: 'shared', required: true },
      ],
    },
    { objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'Europe/Paris', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: 'Device.LocalAgent.MTP.*.',
            operStatus: {
              operFailure: {
                errCode: 7021,
                errMsg: '…',
                updatedInstFailures: [{ affectedPath: 'Device.LocalAgent.MTP.2.', paramErrs: [{ param: 'Alias', errCode: 7013, errMsg: '…' }] }],
              },
            },
          },
          {
            requestedPath: 'Device.Time.',
            operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: 'Device.Time.', updatedParams: { LocalTimeZone: 'Europe/Paris' } }] } },
          },
        ],
      },
    },
  });
  t.strictSame(
    await values(agent, 'Device.LocalAgent.MTP.*.Alias'),
    { 'Device.LocalAgent.MTP.1.': '', 'Device.LocalAgent.MTP.2.': 'cpe-2' },
    'MTP.1 Alias undone',
  );
  t.strictSame(
    await values(agent, 'Device.LocalAgent.MTP.*.Enable'),
    { 'Device.LocalAgent.MTP.1.': 'false', 'Device.LocalAgent.MTP.2.': 'false' },
    'MTP.1 Enable undone',
  );
  t.strictSame(await values(agent, 'Device.Time.LocalTimeZone'), { 'Device.Time.': 'Europe/Paris' }, 'the other requested path went ahead');
  t.notSame(await snapshot(agent), before);
});

t.test('A search path whose rows only conflict together fails as a whole with 7025 (R-SET.2a, unique keys checked after the path)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1', Enable: 'true' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c2', Enable: 'true' });
  const before = await snapshot(agent);
  const path = 'Device.LocalAgent.Controller.[Enable==true].';
  const partial = await set(agent, true, [{ objPath: path, paramSettings: [{ param: 'EndpointID', value: 'proto::same', required: true }] }]);
  t.strictSame(shape(partial), {
    response: {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: path,
            operStatus: { operFailure: { errCode: 7025, errMsg: '…', updatedInstFailures: [{ affectedPath: 'Device.LocalAgent.Controller.2.' }] } },
          },
        ],
      },
    },
  });
  t.strictSame(await snapshot(agent), before);
  const whole = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'EndpointID', value: 'proto::same', required: true }] }]);
  t.equal(whole.body.error?.errCode, 7025, 'allow_partial=false: Error');
  t.ok((whole.body.error?.paramErrs ?? []).every((p) => p.errCode === 7025 && p.paramPath?.startsWith('Device.LocalAgent.Controller.')));
  t.strictSame(await snapshot(agent), before);
});

t.test('Set with a search path that matches nothing returns an empty oper_success (TP-469 1.23, R-MSG.4a)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const paths = ['Device.LocalAgent.Subscription.[Recipient=="InvalidValue"].', 'Device.LocalAgent.Controller.*.', 'Device.LocalAgent.Controller.*.MTP.*.'];
  for (const allowPartial of [true, false]) {
    const reply = await set(
      agent,
      allowPartial,
      paths.map((objPath) => ({ objPath, paramSettings: [{ param: 'Enable', value: 'true', required: true }] })),
    );
    t.strictSame(
      shape(reply),
      { response: { setResp: { updatedObjResults: paths.map((requestedPath) => ({ requestedPath, operStatus: { operSuccess: {} } })) } } },
      `allow_partial=${allowPartial}`,
    );
  }
});

t.test('Per-path failures: absent instance 7016, table or parameter path 7026, unknown object 7026, bad syntax 7008', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const paths: [string, number][] = [
    ['Device.LocalAgent.Subscription.42.', 7016],
    ['Device.LocalAgent.Subscription.', 7026],
    [`${S1}Enable`, 7026],
    ['Device.LocalAgent.InvalidObject.', 7026],
    ['Device.LocalAgent.Subscription.[Enable==maybe].', 7008],
  ];
  const partial = await set(agent, true, [
    ...paths.map(([objPath]) => ({ objPath, paramSettings: [{ param: 'Enable', value: 'true' }] })),
    { objPath: S1, paramSettings: [{ param: 'Enable', value: 'true' }] },
  ]);
  const results = partial.body.response?.setResp?.updatedObjResults ?? [];
  t.strictSame(
    results.map((r) => [r.requestedPath, r.operStatus?.operFailure?.errCode ?? 'success']),
    [...paths, [S1, 'success']],
  );
  t.strictSame(await values(agent, `${S1}Enable`), { [S1]: 'true' }, 'allow_partial=true: the valid path is applied');
  for (const [objPath, code] of paths) {
    const whole = await set(agent, false, [
      { objPath: S2, paramSettings: [{ param: 'Enable', value: 'true' }] },
      { objPath, paramSettings: [{ param: 'Enable', value: 'true' }] },
    ]);
    t.strictSame(
      shape(whole),
      { error: { errCode: code, errMsg: '…', paramErrs: [{ paramPath: objPath, errCode: code, errMsg: '…' }] } },
      `${objPath}: Error ${code}`,
    );
  }
  t.strictSame(await values(agent, `${S2}Enable`), { [S2]: 'false' }, 'allow_partial=false: nothing applied');
});
