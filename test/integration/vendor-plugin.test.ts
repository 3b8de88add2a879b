/**
 * The example vendor plugin (examples/vendor-plugin/widget.ts) loaded from the config file's
 * `plugins` list by the whole agent (createAgent), exercised by a controller over the WebSocket
 * MTP with mutual TLS: Get of its stored and live parameters, Set with its validator, Add to its
 * table, its sync command, and its async command with OperationComplete and its own event.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createAgent, loadConfig } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { createLabPki } from '../../certs/pki.js';
import { buildRecord, buildResponse, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { Request, usp } from '../../proto/index.js';
import { TestController } from '../helpers/controller.js';
import { startWsControllerServer } from '../helpers/controller-ws.js';
import type { WsControllerServer } from '../helpers/controller-ws.js';

t.setTimeout(60_000);

const AGENT = 'proto::widget-agent';
const CTRL = 'proto::widget-ctrl';
const W = 'Device.X_EXAMPLE-COM_Widget.';
const PLUGIN = fileURLToPath(new URL('../../examples/vendor-plugin/widget.ts', import.meta.url));

t.test('a vendor plugin from the config file: Get, Set, Add, Operate over a real MTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-plugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createLabPki({ dir: join(dir, 'pki'), agentEndpointId: AGENT, controllerEndpointIds: [CTRL] });
  const cf = pki.controllers[CTRL];
  if (!cf) throw new Error('no controller certificate');
  const server: WsControllerServer = await startWsControllerServer({
    controllerEndpointId: CTRL,
    tls: { cert: readFileSync(cf.cert), key: readFileSync(cf.key), ca: readFileSync(pki.ca.cert) },
  });
  t.teardown(() => server.close());
  const file = join(dir, 'agent.json');
  writeFileSync(
    file,
    JSON.stringify({
      endpointId: AGENT,
      dataDir: 'data',
      tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert },
      mtps: [],
      controllers: [{ endpointId: CTRL, mtps: [{ protocol: 'WebSocket', host: '127.0.0.1', port: server.port, path: '/usp', retryMinWait: 1 }] }],
      plugins: [PLUGIN],
    }),
  );
  const config = loadConfig(file);
  t.same(config.plugins, [PLUGIN], 'the config lists the plugin');
  const agent = await createAgent(config, { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());
  await server.nextSession(15_000);
  const tc = new TestController({ send: (b) => server.send(b), nextRecord: (ms = 5000) => server.nextRecord(Math.min(ms, 1000)), close: () => server.close() }, CTRL, AGENT);
  t.teardown(() => tc.close());
  await tc.nextOfType('websocketConnect', 15_000);

  const ok = async (req: Request): Promise<usp.Response.$Shape> => {
    const r = await tc.request(req);
    if (!r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
    return r.body.response;
  };
  const params = async (path: string): Promise<Record<string, string>> => {
    const r = await ok({ get: { paramPaths: [path] } });
    return Object.assign({}, ...(r.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? []).map((x) => x.resultParams ?? {})) as Record<string, string>;
  };
  /** The next Notify; OnBoardRequests (configured controllers get one first) are answered and skipped. */
  const nextNotify = async (): Promise<usp.Notify.$Shape> => {
    for (;;) {
      const r = await tc.nextOther(15_000);
      const n = r.msg?.body.request?.notify;
      if (!n || !r.msg) continue;
      if (n.sendResp) await server.send(encodeRecord(buildRecord({ toId: AGENT, fromId: CTRL, payload: encodeMsg(buildResponse(r.msg.header.msgId, { notifyResp: { subscriptionId: n.subscriptionId } })) })));
      if (n.notification !== 'onBoardReq') return n;
    }
  };

  await t.test('Get: stored defaults and a live value', async (t) => {
    const v = await params(W);
    t.equal(v.Label, 'widget');
    t.equal(v.Threshold, '80');
    t.match(v.LoadAverage, /^\d+\.\d\d$/, 'LoadAverage read from the OS');
    t.equal(v.SlotNumberOfEntries, '0');
  });

  await t.test('Set: stored and validated (range facet and the plugin validator)', async (t) => {
    await ok({ set: { updateObjs: [{ objPath: W, paramSettings: [{ param: 'Label', value: 'hall', required: true }, { param: 'Threshold', value: '55', required: true }] }] } });
    t.same([(await params(W)).Label, (await params(W)).Threshold], ['hall', '55']);
    const bad = await tc.request({ set: { updateObjs: [{ objPath: W, paramSettings: [{ param: 'Threshold', value: '101', required: true }] }] } });
    t.equal(bad.body.error?.paramErrs?.[0]?.errCode, 7012, 'out of range: 7012');
    const ctrlChar = await tc.request({ set: { updateObjs: [{ objPath: W, paramSettings: [{ param: 'Label', value: 'a\tb', required: true }] }] } });
    t.equal(ctrlChar.body.error?.paramErrs?.[0]?.errCode, 7012, 'the validator refuses it: 7012');
    const ro = await tc.request({ set: { updateObjs: [{ objPath: W, paramSettings: [{ param: 'LoadAverage', value: '1', required: true }] }] } });
    t.equal(ro.body.error?.paramErrs?.[0]?.errCode, 7013, 'a live value without a setter is read-only');
    t.equal(agent.dm.store.load().params.find((p) => p.obj === W && p.name === 'Label')?.value, 'hall', 'stored in SQLite');
  });

  await t.test('Add: a row in the vendor table, counted', async (t) => {
    const r = await ok({ add: { createObjs: [{ objPath: `${W}Slot.`, paramSettings: [{ param: 'Name', value: 'left', required: true }, { param: 'Enable', value: 'true', required: true }] }] } });
    const path = r.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
    t.equal(path, `${W}Slot.1.`);
    t.same(await params(`${W}Slot.[Name=="left"].Enable`), { Enable: 'true' });
    t.equal((await params(W)).SlotNumberOfEntries, '1');
  });

  await t.test('Operate: the sync command answers in the OperateResp and stores its count', async (t) => {
    const r = await ok({ operate: { command: `${W}Blink()`, commandKey: 'b1', sendResp: true, inputArgs: { Times: '3' } } });
    t.same(r.operateResp?.operationResults?.[0]?.reqOutputArgs?.outputArgs, { BlinkCount: '3' });
    const again = await ok({ operate: { command: `${W}Blink()`, commandKey: 'b2', sendResp: true, inputArgs: { Times: '2' } } });
    t.same(again.operateResp?.operationResults?.[0]?.reqOutputArgs?.outputArgs, { BlinkCount: '5' });
    t.equal((await params(W)).BlinkCount, '5');
    const bad = await ok({ operate: { command: `${W}Blink()`, commandKey: 'b3', sendResp: true, inputArgs: { Times: '11' } } });
    t.equal(bad.operateResp?.operationResults?.[0]?.cmdFailure?.errCode, 7027, 'bad input: 7027 in the OperateResp');
  });

  await t.test('Operate: the async command gives a Request row, its event and OperationComplete', async (t) => {
    for (const [id, type, ref] of [
      ['ev', 'Event', `${W}SelfTestDone!`],
      ['oc', 'OperationComplete', `${W}SelfTest()`],
    ] as const) {
      await ok({ add: { createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: Object.entries({ Enable: 'true', ID: id, NotifType: type, ReferenceList: ref }).map(([param, value]) => ({ param, value })) }] } });
    }
    const r = await ok({ operate: { command: `${W}SelfTest()`, commandKey: 'st', sendResp: true, inputArgs: { DurationMs: '50' } } });
    t.match(r.operateResp?.operationResults?.[0]?.reqObjPath, /^Device\.LocalAgent\.Request\.\d+$/);
    const got = [await nextNotify(), await nextNotify()];
    const ev = got.find((n) => n.notification === 'event');
    const oc = got.find((n) => n.notification === 'operComplete');
    t.same([ev?.subscriptionId, ev?.event?.objPath, ev?.event?.eventName, ev?.event?.params?.Result], ['ev', W, 'SelfTestDone!', 'Passed']);
    t.same([oc?.subscriptionId, oc?.operComplete?.commandName, oc?.operComplete?.commandKey, oc?.operComplete?.reqOutputArgs?.outputArgs?.Result], ['oc', 'SelfTest()', 'st', 'Passed']);
  });
});

t.test('a plugin that is missing or exports no register() stops start-up with its name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-plugin-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.mjs');
  writeFileSync(bad, 'export const nothing = 1;\n');
  for (const [plugin, why] of [
    [bad, /plugin .*bad\.mjs: does not export a register/],
    [join(dir, 'missing.mjs'), /plugin .*missing\.mjs: cannot be loaded/],
  ] as const) {
    const config = loadConfig(undefined, { dataDir: join(dir, 'data'), sets: [`plugins=${JSON.stringify([plugin])}`, 'mtps=[]', 'controllers=[]'] });
    await t.rejects(createAgent(config, { log: SILENT_LOGGER }), why);
  }
  t.throws(() => loadConfig(undefined, { dataDir: dir, sets: ['plugins="x.js"'] }), /plugins: must be a list of module paths/);
});
