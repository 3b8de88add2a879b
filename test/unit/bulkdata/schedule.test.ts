/** Report due times (agent/bulkdata/schedule.ts): always anchor + k·interval, whatever time it is now. */
import t from 'tap';
import { at, nextDue } from '../../../agent/bulkdata/schedule.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const MIN = 60_000;

t.test('nextDue is the first anchor + k·interval strictly after now, for anchors in the past and the future', async (t) => {
  t.equal(nextDue(0, 2 * MIN, 0), 2 * MIN, 'at the anchor: one interval later');
  t.equal(nextDue(0, 2 * MIN, 5 * MIN + 1), 6 * MIN, 'late wake-up: back on the grid, not now + interval');
  t.equal(nextDue(10 * MIN, 2 * MIN, 0), 2 * MIN, 'anchor in the future still sets the phase');
  t.equal(nextDue(30_000, 2 * MIN, 6 * MIN), 6 * MIN + 30_000, 'TimeReference 30 s past the grid');
  const day = 86_400_000;
  t.equal(nextDue(Date.UTC(2020, 0, 1), day, Date.UTC(2026, 4, 3, 13, 7)), Date.UTC(2026, 4, 4), 'daily at UTC midnight, years after the reference');
});

t.test('at() fires once at the due time, also beyond the 24.8-day timer limit, and can be cancelled', async (t) => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  at(clock, 30 * 86_400_000, () => fired.push(clock.now()));
  clock.advance(29 * 86_400_000);
  t.same(fired, []);
  clock.advance(86_400_000);
  t.same(fired, [30 * 86_400_000]);
  const cancel = at(clock, clock.now() + 1000, () => fired.push(-1));
  cancel();
  clock.advance(5000);
  t.same(fired, [30 * 86_400_000], 'cancelled');
  t.equal(clock.pending, 0);
});
