// ValueChange on a live table's value (datamodel live tables + agent/notify sampler): a parameter
// of a live row named by instance path is watched even before any Get has read the table.
import t from 'tap';
import { AS_C2, C2, rig, subscribe } from '../../helpers/notify.js';

t.test('a live row value named by path is sampled and its change notified', async (t) => {
  let rx = 10;
  const { agent, rec, advance } = await rig(t, {
    agent: {
      register: (dm) => {
        dm.object('Device.X_TEST-COM_Live.');
        dm.table('Device.X_TEST-COM_Live.Port.{i}.', { maxAgeMs: 0, rows: () => [{ key: 'eth0', values: { Name: 'eth0', Rx: String(rx) } }] });
        dm.param('Device.X_TEST-COM_Live.Port.{i}.Name', { type: 'string' });
        dm.param('Device.X_TEST-COM_Live.Port.{i}.Rx', { type: 'unsignedLong' });
      },
    },
  });
  await subscribe(agent, AS_C2, { ID: 'rx', NotifType: 'ValueChange', ReferenceList: 'Device.X_TEST-COM_Live.Port.1.Rx' });
  await advance(5000);
  t.equal(rec.of('valueChange').length, 0, 'the first sample sets the baseline');
  rx = 25;
  await advance(5000);
  await rec.until(() => rec.of('valueChange').length === 1, 'the sampled change');
  t.strictSame(
    rec.of('valueChange').map((s) => [s.to, s.notify.valueChange?.paramPath, s.notify.valueChange?.paramValue]),
    [[C2, 'Device.X_TEST-COM_Live.Port.1.Rx', '25']],
  );
});
