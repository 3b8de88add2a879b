/**
 * JSON and CSV Bulk Data encodings (TR-369 Annex A; agent/bulkdata/json.ts, csv.ts) against
 * expected bodies: every ReportFormat with every timestamp option, separators and escaping,
 * retained failed reports appended, typed JSON leaves.
 */
import t from 'tap';
import type { Collected, Item } from '../../../agent/bulkdata/collect.js';
import { encodeCsv } from '../../../agent/bulkdata/csv.js';
import { encodeJson } from '../../../agent/bulkdata/json.js';
import type { CsvOptions } from '../../../agent/bulkdata/profile.js';
import { decodeSeparator } from '../../../agent/bulkdata/profile.js';

const T1 = Date.UTC(2026, 0, 1, 12, 0, 0); // 1767268800000
const T2 = T1 + 120_000;

const item = (name: string, value: string, type: Item['type'], json: Item['json'] = value): Item => ({ name, value, type, json });
const current: Collected = {
  atMs: T2,
  items: [
    item('Device.DeviceInfo.Manufacturer', 'ACME', 'string'),
    item('Device.DeviceInfo.UpTime', '3600', 'unsignedInt', 3600),
    item('MQTT.1.Enable', 'true', 'boolean', true),
    item('MQTT.1.BrokerAddress', 'broker, "main"', 'string'),
  ],
};
const failed: Collected = { atMs: T1, items: [item('Device.DeviceInfo.UpTime', '3480', 'unsignedInt', 3480)] };

t.test('JSON ObjectHierarchy nests objects, types leaves, and puts CollectionTime first', async (t) => {
  t.equal(
    encodeJson([current], { format: 'ObjectHierarchy', timestamp: 'Unix-Epoch' }),
    '{"Report":[{"CollectionTime":1767268920000,"Device":{"DeviceInfo":{"Manufacturer":"ACME","UpTime":3600}},"MQTT":{"1":{"Enable":true,"BrokerAddress":"broker, \\"main\\""}}}]}',
  );
  t.equal(
    encodeJson([failed, current], { format: 'ObjectHierarchy', timestamp: 'ISO-8601' }),
    '{"Report":[{"CollectionTime":"2026-01-01T12:00:00Z","Device":{"DeviceInfo":{"UpTime":3480}}},' +
      '{"CollectionTime":"2026-01-01T12:02:00Z","Device":{"DeviceInfo":{"Manufacturer":"ACME","UpTime":3600}},"MQTT":{"1":{"Enable":true,"BrokerAddress":"broker, \\"main\\""}}}]}',
    'a retained failed report is its own Report element, before the current one',
  );
  t.equal(encodeJson([failed], { format: 'ObjectHierarchy', timestamp: 'None' }), '{"Report":[{"Device":{"DeviceInfo":{"UpTime":3480}}}]}');
  t.equal(encodeJson([{ atMs: T1, items: [] }], { format: 'ObjectHierarchy', timestamp: 'None' }), '{"Report":[{}]}', 'an empty report is an empty object');
  const parsed = JSON.parse(encodeJson([current], { format: 'ObjectHierarchy', timestamp: 'Unix-Epoch' })) as { Report: Record<string, unknown>[] };
  t.same(Object.keys(parsed.Report[0] ?? {}), ['CollectionTime', 'Device', 'MQTT'], 'valid JSON');
});

t.test('JSON NameValuePair has one member per parameter', async (t) => {
  t.equal(
    encodeJson([current], { format: 'NameValuePair', timestamp: 'Unix-Epoch' }),
    '{"Report":[{"CollectionTime":1767268920000,"Device.DeviceInfo.Manufacturer":"ACME","Device.DeviceInfo.UpTime":3600,"MQTT.1.Enable":true,"MQTT.1.BrokerAddress":"broker, \\"main\\""}]}',
  );
  t.equal(
    encodeJson([failed, current], { format: 'NameValuePair', timestamp: 'ISO-8601' }),
    '{"Report":[{"CollectionTime":"2026-01-01T12:00:00Z","Device.DeviceInfo.UpTime":3480},' +
      '{"CollectionTime":"2026-01-01T12:02:00Z","Device.DeviceInfo.Manufacturer":"ACME","Device.DeviceInfo.UpTime":3600,"MQTT.1.Enable":true,"MQTT.1.BrokerAddress":"broker, \\"main\\""}]}',
  );
  t.equal(encodeJson([failed], { format: 'NameValuePair', timestamp: 'None' }), '{"Report":[{"Device.DeviceInfo.UpTime":3480}]}');
});

const csv = (o: Partial<CsvOptions>): CsvOptions => ({ fieldSeparator: ',', rowSeparator: '\r\n', escape: '"', format: 'ParameterPerRow', timestamp: 'Unix-Epoch', ...o });

t.test('CSV ParameterPerRow: header, one row per parameter with its TR-106 type, escaped fields', async (t) => {
  t.equal(
    encodeCsv([current], csv({})),
    'ReportTimestamp,ParameterName,ParameterValue,ParameterType\r\n' +
      '1767268920000,Device.DeviceInfo.Manufacturer,ACME,string\r\n' +
      '1767268920000,Device.DeviceInfo.UpTime,3600,unsignedInt\r\n' +
      '1767268920000,MQTT.1.Enable,true,boolean\r\n' +
      '1767268920000,MQTT.1.BrokerAddress,"broker, ""main""",string\r\n',
  );
  t.equal(
    encodeCsv([failed, current], csv({ timestamp: 'None', fieldSeparator: ';', rowSeparator: '\n', escape: "'" })),
    'ParameterName;ParameterValue;ParameterType\n' +
      'Device.DeviceInfo.UpTime;3480;unsignedInt\n' +
      'Device.DeviceInfo.Manufacturer;ACME;string\n' +
      'Device.DeviceInfo.UpTime;3600;unsignedInt\n' +
      'MQTT.1.Enable;true;boolean\n' +
      'MQTT.1.BrokerAddress;broker, "main";string\n',
    'other separators: only fields holding them are escaped; the failed report comes first, no second header',
  );
  t.equal(
    encodeCsv([failed], csv({ timestamp: 'ISO-8601' })),
    'ReportTimestamp,ParameterName,ParameterValue,ParameterType\r\n2026-01-01T12:00:00Z,Device.DeviceInfo.UpTime,3480,unsignedInt\r\n',
  );
});

t.test('CSV ParameterPerColumn: one column per parameter, one row per report', async (t) => {
  t.equal(
    encodeCsv([failed, current], csv({ format: 'ParameterPerColumn' })),
    'ReportTimestamp,Device.DeviceInfo.UpTime,Device.DeviceInfo.Manufacturer,MQTT.1.Enable,MQTT.1.BrokerAddress\r\n' +
      '1767268800000,3480,,,\r\n' +
      '1767268920000,3600,ACME,true,"broker, ""main"""\r\n',
  );
  t.equal(
    encodeCsv([current], csv({ format: 'ParameterPerColumn', timestamp: 'ISO-8601', fieldSeparator: '|', escape: '' })),
    'ReportTimestamp|Device.DeviceInfo.Manufacturer|Device.DeviceInfo.UpTime|MQTT.1.Enable|MQTT.1.BrokerAddress\r\n2026-01-01T12:02:00Z|ACME|3600|true|broker, "main"\r\n',
    'an empty EscapeCharacter writes fields as they are',
  );
  t.equal(
    encodeCsv([failed], csv({ format: 'ParameterPerColumn', timestamp: 'None' })),
    'Device.DeviceInfo.UpTime\r\n3480\r\n',
  );
});

t.test('separators may be written as XML character references (the TR-181 default form)', async (t) => {
  t.equal(decodeSeparator('&#13;&#10;'), '\r\n');
  t.equal(decodeSeparator('&#10;'), '\n');
  t.equal(decodeSeparator('&#x9;'), '\t');
  t.equal(decodeSeparator(';'), ';');
});
