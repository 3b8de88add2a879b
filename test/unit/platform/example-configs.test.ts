// examples/: the example configs load with the real config loader, and the systemd unit restarts
// the agent the way agent/hooks.ts asks for it (exit code RESTART_EXIT_CODE under SUPERVISED_ENV).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../../agent/config.js';
import { RESTART_EXIT_CODE, SUPERVISED_ENV } from '../../../agent/hooks.js';

const example = (rel: string): string => fileURLToPath(new URL(`../../../examples/${rel}`, import.meta.url));

t.test('gateway.json: MQTT and STOMP to the operator brokers, identity, device commands', async (t) => {
  const c = loadConfig(example('config/gateway.json'));
  t.same(c.mtps.map((m) => [m.protocol, m.host, m.port, m.encryption]), [
    ['MQTT', 'mqtt.operator.example', 8883, true],
    ['STOMP', 'stomp.operator.example', 61614, true],
  ]);
  t.same(c.controllers.map((x) => [x.endpointId, x.mtps.map((m) => m.protocol)]), [['self::operator-controller', ['MQTT', 'STOMP']]]);
  t.equal(c.endpointId, 'os::00256D-EXGW1-000001', 'Endpoint ID from OUI and serial number');
  t.equal(c.identity.productClass, 'HomeGateway');
  t.equal(c.tls.createLabPki, false, 'operator certificates, no lab PKI');
  t.same(c.platform.rebootCommand, ['systemctl', 'reboot']);
  t.equal(c.adminSocket, '/run/usp-agent/usp-agent.sock');
  t.equal(c.database, '/var/lib/usp-agent/usp-agent.db');
  t.equal(c.log.format, 'json');
});

t.test('lab-pi.json: a WebSocket server and a local MQTT broker; --data-dir moves the data', async (t) => {
  const c = loadConfig(example('config/lab-pi.json'), { dataDir: '/srv/usp-lab' });
  t.same(c.mtps.map((m) => [m.protocol, m.host, m.port, m.encryption]), [
    ['WebSocket', '0.0.0.0', 8443, true],
    ['MQTT', '127.0.0.1', 1883, false],
  ]);
  t.equal(c.database, '/srv/usp-lab/usp-agent.db');
  t.equal(c.tls.createLabPki, true, 'the lab PKI is made on first start');
  t.same(c.plugins, []);
});

t.test('plugins: paths relative to the config file; bad entries reported with their index', async (t) => {
  const c = loadConfig(example('config/lab-pi.json'), { sets: ['plugins=["../vendor-plugin/widget.js"]'] });
  t.same(c.plugins, [example('vendor-plugin/widget.js')]);
  t.throws(() => loadConfig(undefined, { sets: ['plugins=["ok.js", 3, ""]'] }), /plugins\.1: must be a non-empty path[\s\S]*plugins\.2: must be a non-empty path/);
});

t.test('the systemd unit restarts the agent on RESTART_EXIT_CODE and marks it supervised', async (t) => {
  const unit = readFileSync(example('systemd/usp-agent.service'), 'utf8');
  const setting = (k: string): string[] => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
  t.same(setting('Restart'), ['on-failure']);
  t.same(setting('RestartForceExitStatus'), [String(RESTART_EXIT_CODE)]);
  t.same(setting('Environment'), [`${SUPERVISED_ENV}=1`]);
  t.match(setting('ExecStart')[0], /usp-agent start --config /);
  t.same(setting('KillSignal'), ['SIGTERM']);
});
