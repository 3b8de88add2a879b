/** Device.Time. (TR-181 Time:2): the clock comes from the system; the time zone is stored. */
import type { Registry } from '../../datamodel/registry.js';
import { InvalidValueError } from '../../datamodel/errors.js';

/** `2026-11-26T05:30:00+01:00`: local time with its UTC offset (TR-106 dateTime). */
export function localIso(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '00';
  const asUtc = Date.UTC(+get('year'), +get('month') - 1, +get('day'), +get('hour'), +get('minute'), +get('second'));
  const offMin = Math.round((asUtc - Math.floor(d.getTime() / 1000) * 1000) / 60000);
  const sign = offMin < 0 ? '-' : '+';
  const off = offMin === 0 ? 'Z' : `${sign}${String(Math.floor(Math.abs(offMin) / 60)).padStart(2, '0')}:${String(Math.abs(offMin) % 60).padStart(2, '0')}`;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}${off}`;
}

function isZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function registerTime(dm: Registry, readZone: () => string, synchronized: () => boolean): void {
  dm.param('Device.Time.LocalTimeZone', {
    validate: (v) => {
      // We accept IANA names (what Linux uses); POSIX TZ strings are not interpreted.
      if (v !== '' && !isZone(v)) throw new InvalidValueError(`'${v}' is not a known IANA time zone`);
    },
  });
  dm.param('Device.Time.CurrentLocalTime', { get: (ctx) => localIso(new Date(), ctx.stored.get('LocalTimeZone') || readZone() || 'UTC') });
  dm.param('Device.Time.Status', { get: () => (synchronized() ? 'Synchronized' : 'Unsynchronized') });
}
