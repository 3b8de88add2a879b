/**
 * NotifyResp retries over a real MTP (R-NOT.1, R-NOT.4, TP-469 1.54/1.56): the whole agent
 * (createAgent) dials a ws controller with mutual TLS, on a fake clock. The controller does not
 * answer a send_resp=true ValueChange: the same msg_id comes again over the MTP 5-10 s after the
 * first attempt and 10-20 s after that; the pending notification survives an agent restart (the
 * new process-equivalent agent sends it again, same msg_id) until the NotifyResp settles it; a
 * notification whose NotifExpiration has passed is dropped and never sent again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { createAgent } from '../../agent/agent.js';
import type { Agent, AgentConfig } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { acceptAgent, controllerServer, inProcessConfig, labPki } from '../helpers/ws-notify.js';
import type { NotifyController, ReceivedNotify } from '../helpers/ws-notify.js';

t.setTimeout(90_000);

const AGENT = 'proto::retry-agent';
const CTRL = 'proto::retry-ctrl';
const CTRL_PATH = 'Device.LocalAgent.Controller.1.';
/** How long "nothing arrives" is watched for, in real time, after the fake clock moved. */
const QUIET_MS = 400;

/** Resolves with the next Notify, or undefined if none arrives within QUIET_MS. */
async function maybeNotify(c: NotifyController): Promise<ReceivedNotify | undefined> {
  try {
    return await c.nextNotify(QUIET_MS);
  } catch {
    return undefined;
  }
}

/** Waits (in real time, bounded) until the agent has `n` notifications pending in its database. */
async function pendingCount(agent: Agent, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (agent.dm.store.loadNotifications().length === n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`expected ${n} pending notifications, have ${agent.dm.store.loadNotifications().length}`);
}

async function startAgent(t: Test, config: AgentConfig, clock: FakeClock): Promise<Agent> {
  const agent = await createAgent(config, { log: SILENT_LOGGER, clock });
  await agent.start();
  t.teardown(() => agent.stop());
  return agent;
}

t.test('a send_resp=true notification is retried over the MTP with the spec timing, survives a restart and expires', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-retry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pki, pem } = labPki(dir, AGENT, [CTRL]);
  const server = await controllerServer(t, CTRL, pem(CTRL));
  const config = inProcessConfig(dir, AGENT, pki, [server]);
  const clock = new FakeClock(Date.now());
  let agent = await startAgent(t, config, clock);
  let c = await acceptAgent(t, server, CTRL, AGENT);
  await c.onboard(CTRL_PATH);
  await c.subscribe({
    ID: 'rel',
    NotifType: 'ValueChange',
    ReferenceList: 'Device.Time.LocalTimeZone',
    NotifRetry: 'true',
    NotifExpiration: '3600',
    Persistent: 'true',
  });

  await c.set('Device.Time.', { LocalTimeZone: 'Europe/Paris' });
  const first = await c.nextNotify();
  t.strictSame([first.notify.subscriptionId, first.notify.sendResp, first.notify.valueChange?.paramValue], ['rel', true, 'Europe/Paris'], 'the first attempt');
  await pendingCount(agent, 1);

  // The set happened at fake time T0 (the clock only moves when the test moves it). Retry 1 is
  // due at d1 in [T0+5 s, T0+10 s]; retry 2 at d1 + [10 s, 20 s], so in [T0+15 s, T0+30 s].
  const t0 = clock.now();
  clock.advance(4_999);
  t.equal(await maybeNotify(c), undefined, 'no retry before 5 s');
  clock.advance(t0 + 10_000 - clock.now());
  const retry1 = await c.nextNotify();
  t.equal(retry1.msgId, first.msgId, 'the first retry came by 10 s, with the same msg_id');
  clock.advance(t0 + 14_999 - clock.now());
  t.equal(await maybeNotify(c), undefined, 'no second retry before 15 s (at least 10 s after the first retry)');
  clock.advance(t0 + 30_000 - clock.now());
  const retry2 = await c.nextNotify();
  t.equal(retry2.msgId, first.msgId, 'the second retry came by 30 s (at most 20 s after the first retry)');

  // Started under the outer test so that it runs on into the next subtest.
  const restart = async (): Promise<void> => {
    await agent.stop();
    agent = await startAgent(t, config, clock);
    c = await acceptAgent(t, server, CTRL, AGENT);
  };
  await t.test('the pending notification survives an agent restart and the NotifyResp settles it', async (t) => {
    await restart();
    const again = await c.nextNotify();
    t.equal(again.msgId, first.msgId, 'sent again after the restart, same msg_id');
    t.equal(again.notify.valueChange?.paramValue, 'Europe/Paris', 'same content');
    await c.respond(again.msgId, 'rel');
    await pendingCount(agent, 0);
    clock.advance(3_600_000);
    t.equal(await maybeNotify(c), undefined, 'no retries after the NotifyResp');
  });

  await t.test('NotifExpiration passed: the notification is dropped, never sent again', async (t) => {
    await c.subscribe({ ID: 'short', NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone', NotifRetry: 'true', NotifExpiration: '12' });
    await c.set('Device.Time.', { LocalTimeZone: 'UTC' });
    const got = [await c.nextNotify(), await c.nextNotify()];
    const short = got.find((n) => n.notify.subscriptionId === 'short');
    t.ok(short, 'the first attempt of the short-lived one');
    const other = got.find((n) => n.notify.subscriptionId === 'rel');
    if (other) await c.respond(other.msgId, 'rel');
    await pendingCount(agent, 1);
    clock.advance(10_000);
    const retry = await c.nextNotify();
    t.equal(retry.msgId, short?.msgId, 'retried while not expired');
    clock.advance(2_000);
    await pendingCount(agent, 0);
    clock.advance(600_000);
    t.equal(await maybeNotify(c), undefined, 'dropped at its expiry (12 s): never sent again');
  });
});
