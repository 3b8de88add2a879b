/**
 * A notification its recipient may not receive is dropped, never sent in another shape: the
 * notifier decides again once a notification built asynchronously (live unique keys) is ready,
 * and Delivery sends nothing, and keeps nothing pending, for a notification that resolves to
 * undefined (agent/notify/notifier.ts emit, delivery.ts).
 */
import t from 'tap';
import { SILENT_LOGGER } from '../../../agent/log.js';
import { Delivery } from '../../../agent/notify/delivery.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { freshAgent } from '../../helpers/agent.js';

t.test('a notification that resolves to undefined is not sent (fire and reliable)', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const sent: string[] = [];
  const delivery = new Delivery({
    dm: agent.dm,
    log: SILENT_LOGGER,
    clock: new FakeClock(),
    endpointId: 'proto::agent',
    send: async (eid) => {
      sent.push(eid);
      return true;
    },
  });
  t.teardown(() => delivery.stop());
  const to = { controller: 'Device.LocalAgent.Controller.1.', endpointId: 'proto::c1' };
  delivery.fire(to, Promise.resolve(undefined));
  const id = delivery.reliable(to, Promise.resolve(undefined), { expires: 0, persist: false });
  delivery.fire(to, Promise.resolve({ subscriptionId: 'ok', event: { objPath: 'Device.', eventName: 'Boot!', params: {} } }));
  for (let i = 0; i < 50 && sent.length < 1; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.strictSame(sent, ['proto::c1'], 'only the permitted notification went out');
  t.notOk(delivery.isPending(id), 'the dropped reliable one is not kept for retries');
});
