/**
 * The protocol trace's formats (agent/transport/trace.ts) and the logger's JSON lines
 * (agent/log.ts): every entry is one readable block or one JSON line, bad input included, and
 * neither ever throws.
 */
import t from 'tap';
import { createLogger } from '../../../../agent/log.js';
import { createRecordTrace } from '../../../../agent/transport/trace.js';
import { buildRecord, buildRequest, encodeMsg, encodeRecord, websocketConnectRecord } from '../../../../proto/index.js';

const NOW = (): Date => new Date('2025-01-01T10:00:00.000Z');
const get = encodeRecord(
  buildRecord({ toId: 'proto::agent', fromId: 'proto::ctrl', payload: encodeMsg(buildRequest('m-1', { get: { paramPaths: ['Device.'] } })) }),
);

t.test('text: a head line with direction, MTP, peer and address, then the Msg as indented JSON', async (t) => {
  const out: string[] = [];
  const trace = createRecordTrace({ format: 'text', write: (s) => out.push(s), now: NOW });
  trace('in', { mtp: 'mqtt:Device.LocalAgent.MTP.1.', address: { kind: 'mqtt', topic: 'usp/controller/c' } }, get);
  trace(
    'out',
    { mtp: 'ws', address: { kind: 'websocket', endpointId: 'proto::ctrl' } },
    encodeRecord(websocketConnectRecord({ toId: 'proto::ctrl', fromId: 'proto::agent' })),
  );
  trace('in', { mtp: 'ws' }, new Uint8Array([1, 2, 3]));
  const [head, ...json] = (out[0] ?? '').split('\n');
  t.equal(
    head,
    '2025-01-01T10:00:00.000Z TRACE USP-T01 in  mqtt:Device.LocalAgent.MTP.1. from proto::ctrl (MQTT topic usp/controller/c): GET id="m-1" request.get',
  );
  t.match(JSON.parse(json.join('\n')), { header: { msgId: 'm-1', msgType: 'GET' }, body: { request: { get: { paramPaths: ['Device.'] } } } });
  t.match(out[1], /^\S+ TRACE USP-T01 out ws to proto::ctrl \(WebSocket\): websocketConnect record\n\{/);
  t.match(out[2], /^\S+ TRACE USP-T01 in  ws: undecodable record \(3 bytes\): /);
  t.equal(out[2]?.includes('\n'), false, 'garbage gives one line');
});

t.test('json: one line per record with the decoded Msg as an object', async (t) => {
  const out: string[] = [];
  const trace = createRecordTrace({ format: 'json', write: (s) => out.push(s), now: NOW });
  trace('out', { mtp: 'stomp', address: { kind: 'stomp', destination: '/queue/c' } }, get);
  trace('in', { mtp: 'stomp' }, new Uint8Array([0xff]));
  t.ok(out.every((l) => !l.includes('\n')));
  const e = JSON.parse(out[0] ?? '') as Record<string, unknown>;
  t.match(e, {
    time: '2025-01-01T10:00:00.000Z',
    level: 'trace',
    id: 'USP-T01',
    dir: 'out',
    mtp: 'stomp',
    address: 'STOMP destination /queue/c',
    from: 'proto::ctrl',
    to: 'proto::agent',
    msg: { header: { msgId: 'm-1' } },
  });
  t.notOk((e.record as Record<string, unknown>).noSessionContext, 'the payload is shown decoded, not as base64');
  t.match(JSON.parse(out[1] ?? ''), { dir: 'in', error: /undecodable record \(1 bytes\)/ });
});

t.test('log.format json: every level and every kind of error detail is one JSON line', async (t) => {
  const out: string[] = [];
  const log = createLogger({ level: 'debug', format: 'json', write: (s) => out.push(s) });
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  log.error('T-E01', 'failed', new Error('boom'));
  log.warn('T-W01', 'odd', circular);
  log.warn('T-W02', 'big', { n: 10n });
  log.info('T-I01', 'line\nbreak');
  log.debug('T-D01', 'detail');
  t.equal(out.length, 5);
  const entries = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(
    out.every((l) => !l.includes('\n')),
    'one line each',
  );
  t.same(
    entries.map((e) => [e.level, e.id]),
    [
      ['error', 'T-E01'],
      ['warn', 'T-W01'],
      ['warn', 'T-W02'],
      ['info', 'T-I01'],
      ['debug', 'T-D01'],
    ],
  );
  t.match(entries[0]?.err, /Error: boom\n\s+at /, 'errors carry their stack');
  t.equal(entries[1]?.err, '<unserializable object>', 'a circular detail does not throw');
  t.equal(entries[2]?.err, '{"n":"10"}');
  const text: string[] = [];
  createLogger({ level: 'warn', write: (s) => text.push(s) }).info('T-I02', 'hidden');
  t.same(text, [], 'below the level: nothing');
});
