/**
 * The loader reports every problem at once, each with the location the user wrote: broken JSON
 * with its line and column (whether or not V8 names a position), and list entries by their
 * index in the file even after a bad entry (agent/config-json.ts, agent/config-transport.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../../agent/config.js';

const dir = mkdtempSync(join(tmpdir(), 'usp-cfg-errors-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function problems(text: string): string[] {
  const file = join(dir, 'c.json');
  writeFileSync(file, text);
  try {
    loadConfig(file);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

t.test('broken JSON: line and column for every kind of syntax error, without echoing the file', async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      'a trailing comma (V8 gives a position)',
      '{\n  "log": {\n    "level": "info",\n  }\n}',
      /^not valid JSON: Expected double-quoted property name at line 4, column 3$/,
    ],
    ['a bad literal (V8 gives no position)', '{\n  "a": tru,\n  "b": 1\n}', /^not valid JSON: Unexpected token ',' at line 2, column 11$/],
    ['a bad token in a list (no position)', '{ "mtps": [1,] }', /^not valid JSON: Unexpected token '\]' at line 1, column 14$/],
    ['the file stops early', '{\n  "mtps": [\n', /^not valid JSON: Unexpected end of the file at line 3, column 1$/],
    ['an empty file', '', /^not valid JSON: Unexpected end of the file at line 1, column 1$/],
    ['text after the object', '{}\n}', /^not valid JSON: Unexpected non-whitespace character after JSON at line 2, column 1$/],
  ];
  for (const [what, text, want] of cases) {
    const p = problems(text);
    t.equal(p.length, 1, `${what}: one problem`);
    t.match(p[0], want, what);
  }
  t.same(problems('[1, 2]'), ['the top level must be a JSON object']);
});

t.test('every problem at once, list entries named by their index in the file', async (t) => {
  const p = problems(
    JSON.stringify({
      mtps: [{ protocol: 'MQTT', topics: ['ok', 5] }, 7, { protocol: 'FTP' }, { protocol: 'STOMP', port: 0 }],
      controllers: [{ endpointId: 3 }, 'x', { endpointId: 'proto::c', mtps: [{ protocol: 'MQTT', topic: 5 }] }],
      log: { trace: 'yes' },
    }),
  );
  t.same(p.sort(), [
    'controllers.0.endpointId: must be a string',
    'controllers.1: must be an object',
    'controllers.2.mtps.0.topic: must be a string',
    'log.trace: must be true or false',
    'mtps.0.topics.1: must be a string',
    'mtps.1: must be an object',
    'mtps.2.protocol: must be one of WebSocket, MQTT, STOMP',
    'mtps.3.port: must be a whole number from 1 to 65535',
  ]);
});

t.test('log.trace: off by default, on with true', async (t) => {
  t.equal(loadConfig(undefined, { dataDir: dir }).log.trace, false);
  t.equal(loadConfig(undefined, { dataDir: dir, sets: ['log.trace=true'] }).log.trace, true);
});
