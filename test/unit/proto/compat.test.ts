// Wire compatibility of our proto/*.proto + generated code with the official Broadband
// Forum schemas (TR-369 §Message Encoding, R-ENC.0/1): same descriptors, same bytes.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import t from 'tap';
import { decodeMsg, decodeRecord, encodeMsg, encodeRecord, msgToJson, recordToJson } from '../../../proto/index.js';
import { MSG_SAMPLES, RECORD_SAMPLES } from './samples.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const OFFICIAL_DIR = resolve(REPO_ROOT, '..', 'shared', 'reference', 'proto');
const OURS_DIR = join(REPO_ROOT, 'proto');
const MSG_PROTO = 'usp-msg-1-4.proto';
const RECORD_PROTO = 'usp-record-1-4.proto';

const TO_JSON: protobuf.IConversionOptions = { enums: String, longs: String, bytes: String, oneofs: true, json: true };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const skip =
  existsSync(join(OFFICIAL_DIR, MSG_PROTO)) && existsSync(join(OFFICIAL_DIR, RECORD_PROTO))
    ? false
    : `official schemas not found in ${OFFICIAL_DIR} (the shared reference folder beside the repo); compatibility not checked`;

t.test('our schemas match the official USP 1.4 schemas', { skip }, async (t) => {
  const [officialMsg, officialRecord] = await Promise.all([protobuf.load(join(OFFICIAL_DIR, MSG_PROTO)), protobuf.load(join(OFFICIAL_DIR, RECORD_PROTO))]);

  t.test('descriptors are identical: names, numbers, types, oneofs, maps, enums', async (t) => {
    for (const [file, official] of [
      [MSG_PROTO, officialMsg],
      [RECORD_PROTO, officialRecord],
    ] as const) {
      const ours = await protobuf.load(join(OURS_DIR, file));
      t.same(ours.toJSON(), official.toJSON(), file);
    }
  });

  const OfficialMsg = officialMsg.lookupType('usp.Msg');
  const OfficialRecord = officialRecord.lookupType('usp_record.Record');

  t.test('every Msg sample encodes to the same bytes and decodes back equally', async (t) => {
    for (const { name, value } of MSG_SAMPLES) {
      // The official side starts from the same plain object, never from our output.
      const official = OfficialMsg.fromObject(value);
      const ours = encodeMsg(value);
      const theirs = OfficialMsg.encode(official).finish();
      t.equal(hex(ours), hex(theirs), `${name}: same bytes`);
      const expected = OfficialMsg.toObject(official, TO_JSON);
      t.same(OfficialMsg.toObject(OfficialMsg.decode(ours), TO_JSON), expected, `${name}: official decodes ours`);
      t.same(msgToJson(decodeMsg(theirs)), expected, `${name}: we decode theirs`);
    }
  });

  t.test('every Record sample encodes to the same bytes and decodes back equally', async (t) => {
    for (const { name, value } of RECORD_SAMPLES) {
      const official = OfficialRecord.fromObject(value);
      const ours = encodeRecord(value);
      const theirs = OfficialRecord.encode(official).finish();
      t.equal(hex(ours), hex(theirs), `${name}: same bytes`);
      const expected = OfficialRecord.toObject(official, TO_JSON);
      t.same(OfficialRecord.toObject(OfficialRecord.decode(ours), TO_JSON), expected, `${name}: official decodes ours`);
      t.same(recordToJson(decodeRecord(theirs)), expected, `${name}: we decode theirs`);
    }
  });

  t.test('samples cover every request, response, notification and record type', async (t) => {
    const seen = new Set<string>();
    for (const { value } of MSG_SAMPLES) {
      const json = msgToJson(value);
      const body = json['body'] as Record<string, Record<string, unknown>>;
      const request = body['request'];
      const response = body['response'];
      if (request) seen.add(`request.${String(request['reqType'])}`);
      if (response) seen.add(`response.${String(response['respType'])}`);
      if (body['error']) seen.add('error');
      const notify = request?.['notify'] as Record<string, unknown> | undefined;
      if (notify) seen.add(`notification.${String(notify['notification'])}`);
    }
    const oneof = (type: string, name: string, prefix: string): string[] =>
      (officialMsg.lookupType(type).oneofs[name]?.oneof ?? []).map((m) => `${prefix}.${m}`);
    const wanted = [
      ...oneof('usp.Request', 'reqType', 'request'),
      ...oneof('usp.Response', 'respType', 'response'),
      ...oneof('usp.Notify', 'notification', 'notification'),
      'error',
    ];
    t.same([...seen].sort(), wanted.sort());
    const recordTypes = new Set(RECORD_SAMPLES.map((s) => recordToJson(s.value)['recordType']));
    t.same([...recordTypes].sort(), [...(OfficialRecord.oneofs['recordType']?.oneof ?? [])].sort());
  });
});
