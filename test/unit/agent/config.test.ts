import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { ConfigError, loadConfig } from '../../../agent/config.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'usp-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('embedded defaults: WebSocket MTP with TLS on 127.0.0.1:8443, the lab controller, lab PKI under the data folder', async (t) => {
  const dir = tempDir(t);
  const c = loadConfig(undefined, { dataDir: dir });
  t.strictSame(c.mtps, [{ protocol: 'WebSocket', host: '127.0.0.1', port: 8443, path: '/usp', encryption: true, keepAliveS: 60 }]);
  t.strictSame(c.controllers, [{ endpointId: 'proto::controller-1', mtps: [] }]);
  t.equal(c.tls.cert, join(dir, 'pki', 'agent.crt'));
  t.equal(c.tls.createLabPki, true);
  t.match(c.endpointId, /^os::00256D-/);
});

t.test('--set overrides: JSON values, nested keys, list indexes, plain strings', async (t) => {
  const dir = tempDir(t);
  const c = loadConfig(undefined, {
    dataDir: dir,
    sets: ['endpointId=proto::lab-7', 'mtps.0.port=9443', 'log.level=debug', `controllers=${JSON.stringify([{ endpointId: 'proto::c', mtps: [{ protocol: 'MQTT' }] }])}`],
  });
  t.equal(c.endpointId, 'proto::lab-7');
  t.equal(c.mtps[0]?.protocol === 'WebSocket' && c.mtps[0].port, 9443);
  t.equal(c.log.level, 'debug');
  t.strictSame(c.controllers, [{ endpointId: 'proto::c', mtps: [{ protocol: 'MQTT', topic: 'usp/controller/proto::c' }] }]);
});

t.test('every config problem is reported at once, each with its location', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'agent.json');
  writeFileSync(
    file,
    JSON.stringify({
      identity: { manufacturerOUI: 'xyz', serialNumber: 'has space' },
      mtps: [{ protocol: 'CoAP' }, { protocol: 'MQTT', port: 70000, qos: 3, bogus: 1 }],
      controllers: [{ mtps: [{ protocol: 'WebSocket', encryption: 'yes' }] }],
      log: { level: 'loud' },
      extra: true,
    }),
  );
  const err = t.throws(() => loadConfig(file)) as ConfigError;
  t.type(err, ConfigError);
  const problems = err.problems.join('\n');
  for (const where of ['identity.manufacturerOUI', 'identity.serialNumber', 'mtps.0.protocol', 'mtps.1.port', 'mtps.1.qos', 'mtps.1.bogus', 'controllers.0.endpointId', 'controllers.0.mtps.0.encryption', 'log.level', 'extra']) {
    t.match(problems, new RegExp(`^${where.replace(/\./g, '\\.')}: `, 'm'), where);
  }
});

t.test('bad --set syntax and a list index out of range are config problems, not crashes', async (t) => {
  const dir = tempDir(t);
  const err = t.throws(() => loadConfig(undefined, { dataDir: dir, sets: ['novalue', 'mtps.5.port=1'] })) as ConfigError;
  t.match(err.problems.join('\n'), /--set novalue: expected key=value/);
  t.match(err.problems.join('\n'), /'5' is not a valid list index/);
});

t.test('a missing file and broken JSON give one clear problem each', async (t) => {
  const dir = tempDir(t);
  t.throws(() => loadConfig(join(dir, 'nope.json')), ConfigError);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "mtps": [ }');
  const err = t.throws(() => loadConfig(broken)) as ConfigError;
  t.equal(err.problems.length, 1);
});

t.test('platform.rebootCommand / factoryResetCommand: argv lists, validated like the other settings', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-cfg-platform-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.same(loadConfig(undefined, { dataDir: dir }).platform, { rebootCommand: undefined, factoryResetCommand: undefined }, 'default: none (the agent restarts its own process)');
  const cfg = loadConfig(undefined, { dataDir: dir, sets: ['platform.rebootCommand=["systemctl","reboot"]', 'platform.factoryResetCommand=["/usr/sbin/reset-config","--all"]'] });
  t.same(cfg.platform, { rebootCommand: ['systemctl', 'reboot'], factoryResetCommand: ['/usr/sbin/reset-config', '--all'] });
  const err = t.throws(() => loadConfig(undefined, { dataDir: dir, sets: ['platform.rebootCommand="reboot now"', 'platform.factoryResetCommand=[]', 'platform.powerOff=1'] })) as ConfigError;
  t.match(err.problems, [/^platform\.powerOff: unknown setting/, /^platform\.rebootCommand: must be a command/, /^platform\.factoryResetCommand: must be a command/], 'every problem, with its location');
});

t.test('notify.liveSampleSeconds: default 5, 0 turns sampling off, bad values are config problems', async (t) => {
  const dir = tempDir(t);
  t.equal(loadConfig(undefined, { dataDir: dir }).notify.liveSampleSeconds, 5);
  t.equal(loadConfig(undefined, { dataDir: dir, sets: ['notify.liveSampleSeconds=0'] }).notify.liveSampleSeconds, 0);
  t.equal(loadConfig(undefined, { dataDir: dir, sets: ['notify.liveSampleSeconds=60'] }).notify.liveSampleSeconds, 60);
  const bad = (() => {
    try {
      loadConfig(undefined, { dataDir: dir, sets: ['notify.liveSampleSeconds=-1', 'notify.colour=1'] });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(bad instanceof ConfigError);
  t.match((bad as ConfigError).problems, [/^notify\.colour: unknown setting/, /^notify\.liveSampleSeconds: must be an integer/]);
});
