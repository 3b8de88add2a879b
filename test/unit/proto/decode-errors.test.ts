// Bad input to decodeRecord / decodeMsg: each case must throw ProtoDecodeError of the
// right kind and nothing else (TR-369 R-ENC.2-R-ENC.5, R-MTP.4b, R-MTP.5).
import protobuf from 'protobufjs/minimal.js';
import t from 'tap';
import type { Test } from 'tap';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord, ProtoDecodeError, usp, usp_record } from '../../../proto/index.js';
import type { ProtoDecodeErrorKind } from '../../../proto/index.js';
import { MSG_SAMPLES, RECORD_SAMPLES } from './samples.js';

// Hand-built wire fields, so tests can put on the wire what our encoder never would.
const LEN = 2;
const VARINT = 0;
function field(id: number, wire: number, write: (w: protobuf.Writer) => void): Uint8Array {
  const w = protobuf.Writer.create().uint32((id << 3) | wire);
  write(w);
  return w.finish();
}
const str = (id: number, s: string): Uint8Array => field(id, LEN, (w) => w.string(s));
const sub = (id: number, ...parts: Uint8Array[]): Uint8Array => field(id, LEN, (w) => w.bytes(cat(...parts)));
const int = (id: number, n: number): Uint8Array => field(id, VARINT, (w) => w.int32(n));
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const GOOD_MSG = encodeMsg(buildRequest('m-1', { get: { paramPaths: ['Device.'] } }));
const ENVELOPE = cat(str(1, '1.4'), str(2, 'proto::ctrl'), str(3, 'os::00256D-1'));
const GOOD_RECORD = cat(ENVELOPE, sub(7, sub(2, GOOD_MSG)));
const HEADER = sub(1, str(1, 'm-1'), int(2, 1));

function expectDecodeError(
  t: Test,
  fn: () => unknown,
  kind: ProtoDecodeErrorKind,
  field?: string,
  msg = `throws ProtoDecodeError ${kind}${field === undefined ? '' : ` at ${field}`}`,
): ProtoDecodeError | undefined {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtoDecodeError)) {
      t.fail(`${msg}: got ${String(e)}`);
      return undefined;
    }
    t.equal(e.kind, kind, `${msg} (${e.message})`);
    if (field !== undefined) t.equal(e.field, field, `${msg}: field`);
    return e;
  }
  t.fail(`${msg}: did not throw`);
  return undefined;
}

// A tiny seeded PRNG so the fuzz cases are the same on every run.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}

/** Decodes and reports how it ended; anything but ProtoDecodeError is a test failure. */
function outcome(fn: () => unknown): 'ok' | ProtoDecodeErrorKind | 'other' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof ProtoDecodeError ? e.kind : 'other';
  }
}

t.test('hand-built good inputs decode (the helpers are sound)', async (t) => {
  t.equal(decodeRecord(GOOD_RECORD).toId, 'proto::ctrl');
  t.equal(decodeMsg(cat(HEADER, sub(2, sub(1, sub(1, str(1, 'Device.')))))).header.msgId, 'm-1');
});

t.test('random garbage never escapes as anything but ProtoDecodeError', async (t) => {
  const rnd = prng(369);
  const seen = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const bytes = Uint8Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256));
    for (const [what, fn] of [
      ['record', decodeRecord],
      ['msg', decodeMsg],
    ] as const) {
      const o = outcome(() => fn(bytes));
      seen.set(`${what}:${o}`, (seen.get(`${what}:${o}`) ?? 0) + 1);
    }
  }
  t.notOk(
    [...seen.keys()].some((k) => k.endsWith(':other') || k.endsWith(':ok')),
    `outcomes: ${JSON.stringify([...seen])}`,
  );
});

t.test('bit flips in valid samples decode or fail with ProtoDecodeError only', async (t) => {
  const rnd = prng(1404);
  let others = 0;
  for (const [decode, samples] of [
    [decodeRecord, RECORD_SAMPLES.map((s) => encodeRecord(s.value))],
    [decodeMsg, MSG_SAMPLES.map((s) => encodeMsg(s.value))],
  ] as const) {
    for (const good of samples) {
      for (let i = 0; i < 40; i++) {
        const bad = Uint8Array.from(good);
        const at = Math.floor(rnd() * bad.length);
        bad[at] = (bad[at] ?? 0) ^ (1 << Math.floor(rnd() * 8));
        if (outcome(() => decode(bad)) === 'other') others++;
      }
    }
  }
  t.equal(others, 0, 'no other error types');
});

t.test('every truncation of a valid Record or Msg is rejected', async (t) => {
  for (const { name, value } of RECORD_SAMPLES) {
    const bytes = encodeRecord(value);
    const bad = [];
    for (let n = 0; n < bytes.length; n++) {
      const o = outcome(() => decodeRecord(bytes.subarray(0, n)));
      if (o !== 'malformed' && o !== 'missing') bad.push(`${n}:${o}`);
    }
    t.same(bad, [], `record ${name}`);
  }
  for (const { name, value } of MSG_SAMPLES) {
    const bytes = encodeMsg(value);
    const bad = [];
    for (let n = 0; n < bytes.length; n++) {
      const o = outcome(() => decodeMsg(bytes.subarray(0, n)));
      if (o !== 'malformed' && o !== 'missing') bad.push(`${n}:${o}`);
    }
    t.same(bad, [], `msg ${name}`);
  }
});

t.test('malformed: invalid UTF-8, bad wire data, length past the end', async (t) => {
  const badUtf8 = cat(
    field(1, LEN, (w) => w.bytes(new Uint8Array([0xc3, 0x28]))),
    str(2, 'a'),
    str(3, 'b'),
    sub(7, sub(2, GOOD_MSG)),
  );
  expectDecodeError(t, () => decodeRecord(badUtf8), 'malformed');
  expectDecodeError(t, () => decodeRecord(new Uint8Array([0x0a, 0x7f, 0x31])), 'malformed');
  expectDecodeError(t, () => decodeMsg(new Uint8Array([0x0f])), 'malformed'); // wire type 7
  expectDecodeError(t, () => decodeMsg(new Uint8Array([0x0a, 0x02, 0x0a, 0x05])), 'malformed');
});

t.test('oneof: two record_type members on the wire (R-ENC.3/4)', async (t) => {
  expectDecodeError(t, () => decodeRecord(cat(GOOD_RECORD, sub(9))), 'oneof', 'recordType');
  expectDecodeError(t, () => decodeRecord(cat(ENVELOPE, sub(10, int(1, 1)), sub(12, str(1, 'bye')))), 'oneof', 'recordType');
  // protobufjs alone silently keeps the last member: the reason for the wire scan.
  const raw = usp_record.Record.decode(cat(GOOD_RECORD, sub(9)));
  t.equal(raw.recordType, 'websocketConnect');
  t.equal(raw.noSessionContext, null, 'protobufjs dropped the first member');
});

t.test('oneof: two body members, nested request members, notifications (R-ENC.5)', async (t) => {
  const request = sub(1, sub(1, str(1, 'Device.')));
  const error = sub(
    3,
    field(1, 5, (w) => w.fixed32(7004)),
  );
  const e = expectDecodeError(t, () => decodeMsg(cat(HEADER, sub(2, request, error))), 'oneof', 'body.msgBody');
  t.equal(e?.msgId, 'm-1', 'msg_id is still reported so a 7004 Error can be sent');
  // The same singular field twice merges (protobuf rules), so its oneofs add up.
  expectDecodeError(t, () => decodeMsg(cat(HEADER, sub(2, request), sub(2, error))), 'oneof', 'body.msgBody');
  expectDecodeError(t, () => decodeMsg(cat(HEADER, sub(2, sub(1, sub(1), sub(4))))), 'oneof', 'body.request.reqType');
  const notify = sub(8, str(1, 'sub-1'), sub(4, str(1, 'Device.X')), sub(6, str(1, 'Device.Y.1.')));
  expectDecodeError(t, () => decodeMsg(cat(HEADER, sub(2, sub(1, notify)))), 'oneof', 'body.request.notify.notification');
  const opResult = sub(
    1,
    str(1, 'Device.Reboot()'),
    str(2, 'Device.LocalAgent.Request.1'),
    sub(
      4,
      field(1, 5, (w) => w.fixed32(7022)),
    ),
  );
  expectDecodeError(t, () => decodeMsg(cat(HEADER, sub(2, sub(2, sub(7, opResult))))), 'oneof', 'body.response.operateResp.operationResults.operationResp');
});

t.test('oneof: the same member repeated is one member, not a violation', async (t) => {
  const msg = decodeMsg(cat(HEADER, sub(2, sub(1, sub(1, str(1, 'A.')))), sub(2, sub(1, sub(1, str(1, 'B.'))))));
  t.same(msg.body.request?.get?.paramPaths, ['A.', 'B.'], 'merged as protobuf requires');
  const rec = decodeRecord(cat(GOOD_RECORD, sub(7, sub(2, GOOD_MSG))));
  t.equal(rec.recordType, 'noSessionContext');
});

t.test('missing: mandatory Record fields (R-MTP.4b, R-E2E.26)', async (t) => {
  const payload = sub(7, sub(2, GOOD_MSG));
  expectDecodeError(t, () => decodeRecord(new Uint8Array()), 'missing', 'version');
  expectDecodeError(t, () => decodeRecord(cat(str(2, 'a'), str(3, 'b'), payload)), 'missing', 'version');
  expectDecodeError(t, () => decodeRecord(cat(str(1, '1.4'), str(3, 'b'), payload)), 'missing', 'toId');
  expectDecodeError(t, () => decodeRecord(cat(str(1, '1.4'), str(2, 'a'), payload)), 'missing', 'fromId');
  expectDecodeError(t, () => decodeRecord(ENVELOPE), 'missing', 'recordType');
  expectDecodeError(t, () => decodeRecord(cat(ENVELOPE, sub(7))), 'missing', 'noSessionContext.payload');
  expectDecodeError(
    t,
    () => decodeRecord(encodeRecord(buildRecord({ toId: 'a', fromId: 'b', payload: new Uint8Array() }))),
    'missing',
    'noSessionContext.payload',
  );
  // A record_type from a newer USP version is an unknown field: nothing we can act on.
  expectDecodeError(t, () => decodeRecord(cat(ENVELOPE, sub(14, str(1, 'x')))), 'missing', 'recordType');
});

t.test('missing: header, msg_id and body of a Msg (R-MSG.6-8)', async (t) => {
  const body = sub(2, sub(1, sub(1, str(1, 'Device.'))));
  expectDecodeError(t, () => decodeMsg(new Uint8Array()), 'missing', 'header');
  expectDecodeError(t, () => decodeMsg(body), 'missing', 'header');
  expectDecodeError(t, () => decodeMsg(cat(sub(1, int(2, 1)), body)), 'missing', 'header.msgId');
  const e = expectDecodeError(t, () => decodeMsg(HEADER), 'missing', 'body');
  t.equal(e?.msgId, 'm-1');
  expectDecodeError(t, () => decodeMsg(cat(HEADER, sub(2))), 'missing', 'body.msgBody');
  // An empty Request is accepted: the dispatcher answers an unknown type (R-MSG.1).
  t.equal(decodeMsg(cat(HEADER, sub(2, sub(1, sub(12, str(1, 'future')))))).body.msgBody, 'request');
});

t.test('unknown enum values are malformed (R-ENC.2)', async (t) => {
  const body = sub(2, sub(1, sub(1, str(1, 'Device.'))));
  const e = expectDecodeError(t, () => decodeMsg(cat(sub(1, str(1, 'm-9'), int(2, 99)), body)), 'malformed', 'header.msgType');
  t.equal(e?.msgId, 'm-9');
  expectDecodeError(t, () => decodeMsg(cat(sub(1, str(1, 'm-9'), int(2, -1)), body)), 'malformed', 'header.msgType');
  expectDecodeError(t, () => decodeRecord(cat(GOOD_RECORD, int(4, 2))), 'malformed', 'payloadSecurity');
  expectDecodeError(t, () => decodeRecord(cat(ENVELOPE, sub(10, int(1, 7), str(2, 't')))), 'malformed', 'mqttConnect.version');
  expectDecodeError(t, () => decodeRecord(cat(ENVELOPE, sub(11, int(1, 1)))), 'malformed', 'stompConnect.version');
  expectDecodeError(t, () => decodeRecord(cat(ENVELOPE, sub(8, int(5, 4)))), 'malformed', 'sessionContext.payloadSarState');
  const param = sub(6, str(1, 'X'), int(3, 42));
  const gsdm = sub(2, sub(2, sub(2, sub(1, str(1, 'Device.'), sub(5, str(1, 'Device.'), param)))));
  expectDecodeError(
    t,
    () => decodeMsg(cat(HEADER, gsdm)),
    'malformed',
    'body.response.getSupportedDmResp.reqObjResults.supportedObjs.supportedParams.valueType',
  );
  // protobufjs alone keeps the number.
  t.equal(usp.Header.decode(int(2, 99)).msgType, 99);
});

t.test('unknown fields and foreign wire types are skipped, as protobuf requires', async (t) => {
  const rec = decodeRecord(cat(GOOD_RECORD, str(99, 'future field'), int(7, 5)));
  t.equal(rec.recordType, 'noSessionContext', 'field 7 as a varint is an unknown field, not a member');
});
