import t from 'tap';
import {
  buildRecord,
  decodeRecord,
  disconnectRecord,
  encodeRecord,
  mqttConnectRecord,
  MqttVersion,
  PayloadSecurity,
  stompConnectRecord,
  StompVersion,
  udsConnectRecord,
  uint64FromBigInt,
  uint64ToBigInt,
  USP_RECORD_VERSION,
  websocketConnectRecord,
} from '../../../proto/index.js';
import { AGENT_ID, CONTROLLER_ID, RECORD_SAMPLES } from './samples.js';

const address = { toId: CONTROLLER_ID, fromId: AGENT_ID };

t.test('buildRecord makes a no_session_context Record with version 1.4 (R-E2E.26)', async (t) => {
  const payload = new Uint8Array([1, 2, 3]);
  const rec = decodeRecord(encodeRecord(buildRecord({ ...address, payload })));
  t.equal(USP_RECORD_VERSION, '1.4');
  t.equal(rec.version, '1.4');
  t.equal(rec.toId, CONTROLLER_ID);
  t.equal(rec.fromId, AGENT_ID);
  t.equal(rec.payloadSecurity, PayloadSecurity.PLAINTEXT);
  t.equal(rec.recordType, 'noSessionContext');
  t.same([...(rec.noSessionContext?.payload ?? [])], [1, 2, 3]);
});

t.test('buildRecord passes the optional integrity fields through', async (t) => {
  const rec = decodeRecord(
    encodeRecord(
      buildRecord({
        ...address,
        payload: new Uint8Array([9]),
        payloadSecurity: PayloadSecurity.TLS12,
        macSignature: new Uint8Array([0xaa]),
        senderCert: new Uint8Array([0xbb]),
      }),
    ),
  );
  t.equal(rec.payloadSecurity, PayloadSecurity.TLS12);
  t.same([...rec.macSignature], [0xaa]);
  t.same([...rec.senderCert], [0xbb]);
});

t.test('connect and disconnect Records (R-MTP.6-9)', async (t) => {
  const mqtt = decodeRecord(encodeRecord(mqttConnectRecord({ ...address, version: MqttVersion.V5, subscribedTopic: 'usp/agent' })));
  t.equal(mqtt.recordType, 'mqttConnect');
  t.same({ v: mqtt.mqttConnect?.version, topic: mqtt.mqttConnect?.subscribedTopic }, { v: MqttVersion.V5, topic: 'usp/agent' });

  const stomp = decodeRecord(encodeRecord(stompConnectRecord({ ...address, subscribedDestination: '/queue/agent' })));
  t.equal(stomp.recordType, 'stompConnect');
  t.equal(stomp.stompConnect?.version, StompVersion.V1_2, 'STOMP 1.2 by default');
  t.equal(stomp.stompConnect?.subscribedDestination, '/queue/agent');

  t.equal(decodeRecord(encodeRecord(websocketConnectRecord(address))).recordType, 'websocketConnect', 'empty member survives the wire');
  t.equal(decodeRecord(encodeRecord(udsConnectRecord(address))).recordType, 'udsConnect');

  const bye = decodeRecord(encodeRecord(disconnectRecord({ ...address, reason: 'session terminated', reasonCode: 7105 })));
  t.equal(bye.recordType, 'disconnect');
  t.equal(bye.disconnect?.reasonCode, 7105);
  t.equal(bye.disconnect?.reason, 'session terminated');
  t.equal(decodeRecord(encodeRecord(disconnectRecord(address))).disconnect?.reasonCode, 0, 'reason is optional');
});

t.test('uint64 session fields keep full precision near the top of the range (R-E2E.8/9)', async (t) => {
  const sample = RECORD_SAMPLES.find((s) => s.name === 'session_context');
  if (!sample) throw new Error('session_context sample missing');
  const rec = decodeRecord(encodeRecord(sample.value));
  t.equal(rec.recordType, 'sessionContext');
  t.equal(uint64ToBigInt(rec.sessionContext?.sequenceId), 2n ** 64n - 16n);
  t.equal(uint64ToBigInt(rec.sessionContext?.sessionId), 2n ** 53n + 1n);
  t.equal(uint64ToBigInt(rec.sessionContext?.expectedId), 7n, 'small values may be plain numbers');
  t.equal(uint64ToBigInt(rec.sessionContext?.retransmitId), 3n);
  t.equal(rec.sessionContext?.payload?.length, 2);
});

t.test('uint64 bigint helpers round-trip through the wire and reject out-of-range values', async (t) => {
  for (const v of [0n, 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
    const rec = decodeRecord(
      encodeRecord({
        version: '1.4',
        ...address,
        recordType: 'sessionContext',
        sessionContext: { sessionId: uint64FromBigInt(v), sequenceId: 1, expectedId: 1 },
      }),
    );
    t.equal(uint64ToBigInt(rec.sessionContext?.sessionId), v, String(v));
  }
  t.equal(uint64ToBigInt(undefined), 0n);
  t.throws(() => uint64FromBigInt(-1n), RangeError);
  t.throws(() => uint64FromBigInt(2n ** 64n), RangeError);
});

t.test('every Record sample decodes with its record_type', async (t) => {
  for (const { name, value } of RECORD_SAMPLES) {
    const rec = decodeRecord(encodeRecord(value));
    t.ok(rec.recordType, name);
    t.equal(rec.version, '1.4', name);
  }
});
