/**
 * HTTP delivery of Bulk Data reports to real node:http collectors (fake clock for the schedule):
 * retained failed reports (NumberOfRetainedFailedReports, oldest dropped first), retries with the
 * profile's back-off while the collector is down until it comes back (R-BULK.2–5), retained
 * reports across a restart (PersistAcrossReboot), gzip/deflate, PUT, Basic and Digest credentials,
 * RequestURIParameter, CSV headers, and Push! for USPEventNotif profiles.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { EventSink } from '../../agent/notify/events.js';
import type { Request } from '../../proto/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempConfig } from '../helpers/agent.js';
import { startBulkAgent } from '../unit/bulkdata/agent.js';
import type { BulkAgent } from '../unit/bulkdata/agent.js';
import { startCollector } from '../unit/bulkdata/collector.js';
import type { Collector } from '../unit/bulkdata/collector.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
type Report = Record<string, unknown>;

const settings = (o: Record<string, string>): { param: string; value: string; required: boolean }[] => Object.entries(o).map(([param, value]) => ({ param, value, required: true }));

async function ok(agent: BulkAgent, req: Request): Promise<NonNullable<Awaited<ReturnType<BulkAgent['request']>>['body']['response']>> {
  const r = await agent.request(req);
  if (!r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
  return r.body.response;
}

/** A JSON NameValuePair profile on the serial number, reporting every 120 s. */
async function profile(agent: BulkAgent, url: string, extra: Record<string, string> = {}): Promise<string> {
  const r = await ok(agent, {
    add: {
      createObjs: [
        {
          objPath: 'Device.BulkData.Profile.',
          paramSettings: settings({ Enable: 'true', Protocol: 'HTTP', EncodingType: 'JSON', 'JSONEncoding.ReportFormat': 'NameValuePair', ReportingInterval: '120', 'HTTP.URL': url, ...extra }),
        },
      ],
    },
  });
  const path = r.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
  await ok(agent, { add: { createObjs: [{ objPath: `${path}Parameter.`, paramSettings: settings({ Name: 'SN', Reference: 'Device.DeviceInfo.SerialNumber' }) }] } });
  return path;
}

const times = (body: string): unknown[] => (JSON.parse(body) as { Report: Report[] }).Report.map((r) => r['CollectionTime']);

async function setup(t: Test, clock = new FakeClock(T0), extra: Record<string, unknown> = {}): Promise<{ agent: BulkAgent; collector: Collector; clock: FakeClock }> {
  const collector = await startCollector();
  t.teardown(() => collector.close());
  const { config, cleanup } = tempConfig(extra);
  t.teardown(cleanup);
  const agent = await startBulkAgent(config, { clock });
  t.teardown(() => agent.close());
  return { agent, collector, clock };
}

t.test('failed reports are retained up to NumberOfRetainedFailedReports and sent with the next report', async (t) => {
  const { agent, collector, clock } = await setup(t);
  await profile(agent, collector.url, { NumberOfRetainedFailedReports: '1' });
  collector.status = 503;
  const step = async (): Promise<{ ok: boolean; times: unknown[] }> => {
    const done = agent.cycles(1);
    clock.advance(120_000);
    const [c] = await done;
    return { ok: c?.ok ?? false, times: times((await collector.next()).body) };
  };
  t.same(await step(), { ok: false, times: [T0 + 120_000] }, '503: failed');
  t.same(await step(), { ok: false, times: [T0 + 120_000, T0 + 240_000] }, 'the failed report goes first, then the current one');
  collector.status = 200;
  t.same(await step(), { ok: true, times: [T0 + 240_000, T0 + 360_000] }, 'only one is retained: the oldest was dropped');
  t.same(await step(), { ok: true, times: [T0 + 480_000] }, 'after a success nothing is retained');
});

t.test('with RetryEnable the agent retries while the collector is down and delivers when it is back', async (t) => {
  const { agent, collector, clock } = await setup(t);
  await profile(agent, collector.url, { 'HTTP.RetryEnable': 'true', 'HTTP.RetryMinimumWaitInterval': '5', NumberOfRetainedFailedReports: '3' });
  await collector.stop();
  let done = agent.cycles(1);
  clock.advance(120_000);
  await clock.whenArmed(2); // the schedule, and the first retry after the refused connection
  await collector.start();
  clock.advance(10_000); // retry 1 waits 5–10 s (R-BULK.2, TR-369 back-off)
  const [first] = await done;
  t.equal(first?.ok, true, 'the retry succeeded');
  t.same(times((await collector.next()).body), [T0 + 120_000], 'the report of the interval, once');

  await t.test('retries stop when the next interval starts; the report is then retained', async (t) => {
    await collector.stop();
    done = agent.cycles(2);
    clock.advance(120_000); // T0+240 s: attempt fails, retry armed
    await clock.whenArmed(2);
    clock.advance(110_000); // retry 1 fires and fails again; retry 2 is armed
    await clock.whenArmed(2);
    await collector.start();
    clock.advance(10_000); // T0+360 s: the next interval aborts the retries
    const results = await done;
    t.same(
      results.map((r) => r.ok),
      [false, true],
      'the 240 s report failed at the end of its interval; the 360 s transfer succeeded',
    );
    t.same(times((await collector.next()).body), [T0 + 240_000, T0 + 360_000], 'and carried the failed report');
  });
});

t.test('PersistAcrossReboot keeps failed reports across a restart', async (t) => {
  for (const persist of [true, false]) {
    const clock = new FakeClock(T0);
    const collector = await startCollector();
    t.teardown(() => collector.close());
    const { config, cleanup } = tempConfig();
    t.teardown(cleanup);
    let agent = await startBulkAgent(config, { clock });
    const path = await profile(agent, collector.url, { NumberOfRetainedFailedReports: '-1', 'HTTP.PersistAcrossReboot': String(persist) });
    collector.status = 500;
    const failed = agent.cycles(1);
    clock.advance(120_000);
    await failed;
    await agent.bulkData.stop();
    agent.close();
    collector.status = 200;
    agent = await startBulkAgent(config, { clock });
    t.teardown(() => agent.close());
    const forced = agent.cycles(1);
    await ok(agent, { operate: { command: `${path}ForceCollection()`, sendResp: true } });
    await forced;
    const received = collector.received.at(-1)?.body ?? '';
    t.same(times(received), persist ? [T0 + 120_000, T0 + 120_000] : [T0 + 120_000], persist ? 'PersistAcrossReboot=true: the failed report survived' : 'false: it did not');
  }
});

t.test('HTTP details: compression, PUT, credentials, Request-URI parameters, CSV headers', async (t) => {
  const { agent, collector } = await setup(t);
  const path = await profile(agent, collector.url);
  const force = async (change: Record<string, string>): Promise<NonNullable<(typeof collector.received)[number]>> => {
    await ok(agent, { set: { updateObjs: [{ objPath: path, paramSettings: settings(change) }] } });
    const done = agent.cycles(1);
    await ok(agent, { operate: { command: `${path}ForceCollection()`, sendResp: true } });
    const [c] = await done;
    t.ok(c?.ok, 'delivered');
    return collector.next();
  };
  const sn = agent.config.identity.serialNumber;
  for (const [compression, encoding] of [
    ['GZIP', 'gzip'],
    ['Deflate', 'deflate'],
  ]) {
    const r = await force({ 'HTTP.Compression': compression ?? '' });
    t.equal(r.headers['content-encoding'], encoding, `${compression}: Content-Encoding ${encoding}`);
    t.same(JSON.parse(r.body), { Report: [{ CollectionTime: T0, SN: sn }] }, 'the body decompresses to the report');
  }
  const put = await force({ 'HTTP.Compression': 'None', 'HTTP.Method': 'PUT', 'HTTP.UseDateHeader': 'false', 'HTTP.Username': 'agent', 'HTTP.Password': 's3cret' });
  t.equal(put.method, 'PUT');
  t.equal(put.headers['date'], undefined, 'UseDateHeader=false: no Date');
  t.equal(put.headers['authorization'], `Basic ${Buffer.from('agent:s3cret').toString('base64')}`, 'Basic credentials');
  t.equal(put.headers['content-encoding'], undefined);

  await ok(agent, { add: { createObjs: [{ objPath: `${path}HTTP.RequestURIParameter.`, paramSettings: settings({ Name: 'model', Reference: 'Device.DeviceInfo.ModelName' }) }] } });
  const csv = await force({ 'HTTP.Method': 'POST', EncodingType: 'CSV', 'CSVEncoding.ReportFormat': 'ParameterPerRow', 'CSVEncoding.RowTimestamp': 'None' });
  t.same([...csv.url.searchParams.keys()], ['oui', 'pc', 'sn', 'model'], 'R-BULK.1 pairs, then the RequestURIParameter');
  t.equal(csv.url.searchParams.get('model'), agent.config.identity.modelName);
  t.equal(csv.headers['content-type'], 'text/csv; charset=UTF-8; header=present', 'R-BULK.11');
  t.equal(csv.headers['bbf-report-format'], '"ParameterPerRow"');
  t.equal(csv.body, `ParameterName,ParameterValue,ParameterType\r\nSN,${sn},string\r\n`, 'the TR-181 default RowSeparator is CR LF');
});

t.test('HTTP Digest credentials when the collector challenges', async (t) => {
  const collector = await startCollector({ digest: { user: 'agent', password: 'pa:ss' } });
  t.teardown(() => collector.close());
  const { config, cleanup } = tempConfig();
  t.teardown(cleanup);
  const agent = await startBulkAgent(config, { clock: new FakeClock(T0) });
  t.teardown(() => agent.close());
  const path = await profile(agent, collector.url, { 'HTTP.Username': 'agent', 'HTTP.Password': 'pa:ss' });
  const done = agent.cycles(1);
  await ok(agent, { operate: { command: `${path}ForceCollection()`, sendResp: true } });
  const [c] = await done;
  t.ok(c?.ok, 'delivered after the challenge');
  const r = await collector.next();
  t.match(r.headers['authorization'], /^Digest username="agent", realm="bulk@example"/);
  t.equal(collector.received.length, 2, 'one challenged attempt, one authorised');
});

t.test('USPEventNotif profiles deliver the report as a Push! event', async (t) => {
  const events: { objPath: string; name: string; params: Readonly<Record<string, string>> }[] = [];
  const sink: EventSink = { event: (objPath, name, params) => void events.push({ objPath, name, params }), operationComplete: () => undefined, onBoardRequest: () => undefined };
  const clock = new FakeClock(T0);
  const { config, cleanup } = tempConfig();
  t.teardown(cleanup);
  const agent = await startBulkAgent(config, { clock, events: sink });
  t.teardown(() => agent.close());
  const path = await profile(agent, '', { Protocol: 'USPEventNotif' });
  const done = agent.cycles(1);
  clock.advance(120_000);
  await done;
  t.same(events, [{ objPath: path, name: 'Push!', params: { Data: `{"Report":[{"CollectionTime":${T0 + 120_000},"SN":"${config.identity.serialNumber}"}]}` } }]);
});
