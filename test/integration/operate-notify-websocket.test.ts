/**
 * Event and OperationComplete notifications over a real MTP (TR-369 §The Notify Message,
 * §The Operate Message; USP-NOTES §5.9, §5.10, §9): the whole agent (createAgent) dials a ws
 * controller with mutual TLS. Over that MTP the controller subscribes, then
 * - Device.ScheduleTimer(DelaySeconds=1) gets a Request row and, a second later, an
 *   OperationComplete with the command name, command_key and output args; the row is gone after
 *   (R-OPR.0, TP-469 1.79);
 * - a vendor async command with output args and one that fails: OperationComplete with
 *   req_output_args, and with cmd_failure (err_code, err_msg);
 * - a vendor event raised through the EventSink (agent.events.event): Event with its params.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { ResourcesExceededError, UspErrorCode } from '../../datamodel/errors.js';
import { acceptAgent, controllerServer, inProcessConfig, labPki } from '../helpers/ws-notify.js';
import type { ReceivedNotify } from '../helpers/ws-notify.js';

t.setTimeout(60_000);

const AGENT = 'proto::opnotify-agent';
const CTRL = 'proto::opnotify-ctrl';
const VENDOR = 'Device.X_TEST_Ops.';

t.test('OperationComplete and Event notifications reach the subscriber over the WebSocket MTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-opnotify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pki, pem } = labPki(dir, AGENT, [CTRL]);
  const server = await controllerServer(t, CTRL, pem(CTRL));
  const config = inProcessConfig(dir, AGENT, pki, [server]);
  const agent = await createAgent(config, {
    log: SILENT_LOGGER,
    register: (dm) => {
      dm.object(VENDOR);
      dm.event(`${VENDOR}Alarm!`, { args: ['Level', 'Text'] });
      dm.command(`${VENDOR}Echo()`, {
        mode: 'async',
        input: ['Text'],
        output: ['Echoed', 'Length'],
        run: (input) => ({ Echoed: input['Text'] ?? '', Length: String((input['Text'] ?? '').length) }),
      });
      dm.command(`${VENDOR}Broken()`, {
        mode: 'async',
        run: () => {
          // Not the 7022 every unexplained failure gets: the command's own code must come through.
          throw new ResourcesExceededError('the widget is jammed');
        },
      });
    },
  });
  await agent.start();
  t.teardown(() => agent.stop());

  const c = await acceptAgent(t, server, CTRL, AGENT);
  await c.onboard('Device.LocalAgent.Controller.1.');
  await c.subscribe({ ID: 'ops', NotifType: 'OperationComplete', ReferenceList: `Device.ScheduleTimer(),${VENDOR}` });
  await c.subscribe({ ID: 'alarm', NotifType: 'Event', ReferenceList: `${VENDOR}Alarm!` });

  await t.test('ScheduleTimer(DelaySeconds=1) → OperationComplete after the delay, Request row gone (TP-469 1.79)', async (t) => {
    const began = Date.now();
    const res = await c.operate('Device.ScheduleTimer()', 'timer-key', { DelaySeconds: '1' });
    const reqPath = res.reqObjPath ?? '';
    t.match(reqPath, /^Device\.LocalAgent\.Request\.\d+$/, 'OperateResp: req_obj_path is a Request row (R-OPR.0)');
    const row = (await c.get('Device.LocalAgent.Request.'))[`${reqPath}.`];
    t.strictSame(
      [row?.['Command'], row?.['CommandKey'], row?.['Originator']],
      ['Device.ScheduleTimer()', 'timer-key', CTRL],
      'the Request row names the command, its command_key and the requesting controller',
    );
    t.ok(['Requested', 'Active'].includes(row?.['Status'] ?? ''), `Status while it runs: ${row?.['Status'] ?? ''}`);
    const n = await c.nextNotify();
    t.ok(Date.now() - began >= 950, 'not before DelaySeconds');
    t.equal(n.notify.subscriptionId, 'ops');
    t.equal(n.notify.sendResp, false, 'NotifRetry=false: send_resp=false');
    t.strictSame(
      [n.notify.operComplete?.objPath, n.notify.operComplete?.commandName, n.notify.operComplete?.commandKey],
      ['Device.', 'ScheduleTimer()', 'timer-key'],
      'obj_path, command_name and command_key',
    );
    t.strictSame({ ...n.notify.operComplete?.reqOutputArgs?.outputArgs }, {}, 'success: req_output_args (ScheduleTimer has none)');
    t.strictSame(await c.get('Device.LocalAgent.Request.'), {}, 'the Request row is gone once the command completed');
  });

  await t.test('an async command with output args, and one that fails: req_output_args / cmd_failure', async (t) => {
    const ok = await c.operate(`${VENDOR}Echo()`, 'echo-key', { Text: 'hello', Ignored: 'x' });
    t.match(ok.reqObjPath ?? '', /^Device\.LocalAgent\.Request\.\d+$/);
    const done = await c.nextNotify();
    t.strictSame(
      [done.notify.subscriptionId, done.notify.operComplete?.objPath, done.notify.operComplete?.commandName, done.notify.operComplete?.commandKey],
      ['ops', VENDOR, 'Echo()', 'echo-key'],
    );
    t.strictSame({ ...done.notify.operComplete?.reqOutputArgs?.outputArgs }, { Echoed: 'hello', Length: '5' }, 'the output args');
    await c.operate(`${VENDOR}Broken()`, 'broken-key');
    const failed = await c.nextNotify();
    t.strictSame([failed.notify.operComplete?.commandName, failed.notify.operComplete?.commandKey], ['Broken()', 'broken-key']);
    t.notOk(failed.notify.operComplete?.reqOutputArgs, 'no output args on failure');
    t.strictSame(
      [failed.notify.operComplete?.cmdFailure?.errCode, failed.notify.operComplete?.cmdFailure?.errMsg],
      [UspErrorCode.ResourcesExceeded, 'the widget is jammed'],
      'cmd_failure with the command’s err_code and err_msg',
    );
    t.strictSame(await c.get('Device.LocalAgent.Request.'), {}, 'no Request row left behind by either');
  });

  await t.test('a vendor event raised through the EventSink → Event Notify with its params', async (t) => {
    agent.events.event(VENDOR, 'Alarm!', { Level: 'major', Text: 'door open' });
    const n: ReceivedNotify = await c.nextNotify();
    t.equal(n.notify.subscriptionId, 'alarm');
    t.strictSame(
      [n.notify.event?.objPath, n.notify.event?.eventName, { ...n.notify.event?.params }],
      [VENDOR, 'Alarm!', { Level: 'major', Text: 'door open' }],
      'obj_path, event_name and params',
    );
    // An event nobody subscribed to is not sent: the next Notify is the next Alarm!.
    agent.events.event('Device.LocalAgent.', 'WakeUp!', {});
    agent.events.event(VENDOR, 'Alarm!', { Level: 'minor', Text: 'door closed' });
    const next = await c.nextNotify();
    t.strictSame([next.notify.event?.eventName, next.notify.event?.params?.['Text']], ['Alarm!', 'door closed'], 'the unsubscribed WakeUp! never came');
  });
});
