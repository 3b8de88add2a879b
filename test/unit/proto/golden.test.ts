// Golden USP Records in test/fixtures/records/: <name>.bin plus a readable <name>.json twin.
// Regenerate after an intended change with: UPDATE_GOLDEN=1 npx tap test/unit/proto/golden.test.ts
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  buildError,
  buildRecord,
  buildRequest,
  buildResponse,
  decodeMsg,
  decodeRecord,
  encodeMsg,
  encodeRecord,
  mqttConnectRecord,
  MqttVersion,
  msgFromJson,
  msgToJson,
  recordFromJson,
  recordToJson,
} from '../../../proto/index.js';
import type { JsonObject, Msg, UspRecord } from '../../../proto/index.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'records');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const AGENT = 'os::00256D-0123456789';
const CONTROLLER = 'proto::controller-1';

function toController(msg: Msg): UspRecord {
  return buildRecord({ toId: CONTROLLER, fromId: AGENT, payload: encodeMsg(msg) });
}

interface GoldenCase {
  readonly name: string;
  readonly description: string;
  readonly record: UspRecord;
}

const CASES: readonly GoldenCase[] = [
  {
    name: 'get-request',
    description: 'Controller to Agent: Get of two paths with max_depth 2 (TR-369 §The Get Message)',
    record: buildRecord({
      toId: AGENT,
      fromId: CONTROLLER,
      payload: encodeMsg(
        buildRequest('ctrl-get-0001', {
          get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion', 'Device.LocalAgent.Controller.'], maxDepth: 2 },
        }),
      ),
    }),
  },
  {
    name: 'get-resp',
    description: 'Agent to Controller: GetResp with one resolved object and one 7026 path error',
    record: toController(
      buildResponse('ctrl-get-0001', {
        getResp: {
          reqPathResults: [
            {
              requestedPath: 'Device.DeviceInfo.SoftwareVersion',
              resolvedPathResults: [{ resolvedPath: 'Device.DeviceInfo.', resultParams: { SoftwareVersion: '1.2.3' } }],
            },
            { requestedPath: 'Device.Nope.', errCode: 7026, errMsg: 'Invalid path: Device.Nope.' },
          ],
        },
      }),
    ),
  },
  {
    name: 'error',
    description: 'Agent to Controller: Error 7004 with full-path param_errs (TR-369 §The Error Message)',
    record: toController(
      buildError('ctrl-set-0002', 7004, 'Invalid arguments', [
        { paramPath: 'Device.LocalAgent.Controller.1.PeriodicNotifInterval', errCode: 7012, errMsg: 'Invalid value: -5' },
      ]),
    ),
  },
  {
    name: 'notify-value-change',
    description: 'Agent to Controller: Notify ValueChange, send_resp true (TR-369 §The Notify Message)',
    record: toController(
      buildRequest('agent-notify-0001', {
        notify: {
          subscriptionId: 'vc-friendly-name',
          sendResp: true,
          valueChange: { paramPath: 'Device.DeviceInfo.FriendlyName', paramValue: 'Living room gateway' },
        },
      }),
    ),
  },
  {
    name: 'mqtt-connect',
    description: 'Agent to Controller: MQTTConnectRecord, MQTT 5, our reply topic (TR-369 R-MTP.6)',
    record: mqttConnectRecord({ toId: CONTROLLER, fromId: AGENT, version: MqttVersion.V5, subscribedTopic: `usp/v1/agent/${AGENT}` }),
  },
];

interface Twin {
  description: string;
  record: JsonObject;
  /** The decoded no_session_context payload, when there is one. */
  msg?: JsonObject;
}

function twinOf(c: GoldenCase, bytes: Uint8Array): Twin {
  const rec = decodeRecord(bytes);
  const payload = rec.noSessionContext?.payload;
  const twin: Twin = { description: c.description, record: recordToJson(rec) };
  if (payload) twin.msg = msgToJson(decodeMsg(payload));
  return twin;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

if (UPDATE) {
  mkdirSync(FIXTURES, { recursive: true });
  for (const c of CASES) {
    const bytes = encodeRecord(c.record);
    writeFileSync(join(FIXTURES, `${c.name}.bin`), bytes);
    writeFileSync(join(FIXTURES, `${c.name}.json`), `${JSON.stringify(twinOf(c, bytes), null, 2)}\n`);
  }
  t.comment(`UPDATE_GOLDEN=1: rewrote ${CASES.length} fixtures in ${FIXTURES}`);
}

for (const c of CASES) {
  t.test(`golden record ${c.name}`, async (t) => {
    const bin = new Uint8Array(readFileSync(join(FIXTURES, `${c.name}.bin`)));
    const twin = JSON.parse(readFileSync(join(FIXTURES, `${c.name}.json`), 'utf8')) as Twin;

    const rec = decodeRecord(bin);
    t.same(recordToJson(rec), twin.record, 'decoded .bin matches the .json record');
    t.equal(hex(encodeRecord(rec)), hex(bin), 're-encoding the decoded record gives the same bytes');
    t.equal(hex(encodeRecord(recordFromJson(twin.record))), hex(bin), 'encoding the .json record gives the same bytes');
    t.equal(hex(encodeRecord(c.record)), hex(bin), "today's builders still produce the golden bytes");

    const payload = rec.noSessionContext?.payload;
    if (twin.msg === undefined) {
      t.equal(payload, undefined, 'no payload expected');
      return;
    }
    if (payload === undefined || payload === null) throw new Error('fixture has a msg twin but no payload');
    t.same(msgToJson(decodeMsg(payload)), twin.msg, 'decoded payload matches the .json msg');
    t.equal(hex(encodeMsg(msgFromJson(twin.msg))), hex(payload), 'encoding the .json msg gives the payload bytes');
  });
}

t.test('every fixture file belongs to a golden case', async (t) => {
  const names = new Set(CASES.flatMap((c) => [`${c.name}.bin`, `${c.name}.json`]));
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin') || f.endsWith('.json'));
  t.same(
    files.filter((f) => !names.has(f)),
    [],
    'no orphan fixtures',
  );
});
