// agent/record/router.ts + admission.ts: one controller flooding the agent cannot starve another
// (round-robin turns per controller), a per-controller rate limit answers the excess with 7005
// and says so once in the log, and a per-controller queue cap bounds memory.
// Ordering is asserted, never speed.
import t from 'tap';
import type { Test } from 'tap';
import type { RateLimitConfig } from '../../../agent/config-limits.js';
import type { Logger } from '../../../agent/log.js';
import { RecordRouter } from '../../../agent/record/router.js';
import { UspErrorCode } from '../../../datamodel/errors.js';
import { decodeMsg, decodeRecord } from '../../../proto/index.js';
import type { DecodedMsg, Request } from '../../../proto/index.js';
import { AGENT_EID } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';
import { memoryVsStore } from '../../helpers/digest.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { agentFor, CTRL, requestRecord } from '../../helpers/router-helpers.js';

const A = 'proto::flooder-a';
const B = 'proto::quiet-b';
const C = 'proto::flooder-c';

/** A Get that walks the whole data model: each one takes the agent a while. */
const HEAVY: Request = { get: { paramPaths: ['Device.'], maxDepth: 0 } };
const LIGHT: Request = { get: { paramPaths: ['Device.DeviceInfo.SerialNumber'] } };

interface Captured {
  readonly logger: Logger;
  readonly lines: string[];
}

function capture(): Captured {
  const lines: string[] = [];
  const put = (level: string) => (id: string, msg: string) => void lines.push(`${level} ${id} ${msg}`);
  return { logger: { error: put('error'), warn: put('warn'), info: put('info'), debug: () => undefined }, lines };
}

/** A router over the test agent's real dispatcher, with the given rate settings and clock. */
function routerFor(agent: TestAgent, rate: RateLimitConfig, clock = new FakeClock(), log = capture()): { router: RecordRouter; clock: FakeClock; log: Captured } {
  const router = new RecordRouter({
    endpointId: AGENT_EID,
    dispatcher: agent.dispatcher,
    log: log.logger,
    maxRecordBytes: agent.config.limits.maxMessageBytes,
    requesterFor: (eid) => ({ endpointId: eid, controllerPath: undefined, readSecured: false }),
    rate,
    clock,
  });
  return { router, clock, log };
}

interface Done {
  readonly from: string;
  readonly id: string;
  readonly msg: DecodedMsg | undefined;
}

/** Sends without waiting; `order` receives each reply as it completes. */
function send(router: RecordRouter, from: string, id: string, req: Request, order: Done[]): Promise<void> {
  return router.handle(requestRecord(id, req, { fromId: from })).then((bytes) => {
    const rec = bytes && decodeRecord(bytes);
    order.push({ from, id, msg: rec ? decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array()) : undefined });
  });
}

const isError = (d: Done, code: number): boolean => d.msg?.body.error?.errCode === code;
const isResponse = (d: Done): boolean => d.msg?.body.msgBody === 'response';

async function setup(t: Test, rate: Partial<RateLimitConfig> = {}): Promise<ReturnType<typeof routerFor> & { agent: TestAgent }> {
  const agent = await agentFor(t);
  return { agent, ...routerFor(agent, { messagesPerSecond: 0, burst: 100, maxQueued: 1000, ...rate }) };
}

t.test('controller A floods 300 heavy Gets; controller B sent one after them and is answered among the first three', async (t) => {
  const { router, agent } = await setup(t);
  const order: Done[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 300; i++) all.push(send(router, A, `a-${i}`, HEAVY, order));
  all.push(send(router, B, 'b-0', LIGHT, order));
  await Promise.all(all);
  t.equal(order.length, 301, 'every request answered');
  t.ok(order.every(isResponse), 'all with a Response (no rate limit configured)');
  const bAt = order.findIndex((d) => d.from === B);
  t.ok(bAt >= 0 && bAt <= 2, `B's reply came as number ${bAt + 1} of 301, not after A's backlog`);
  t.same(
    order.filter((d) => d.from === A).map((d) => d.id),
    Array.from({ length: 300 }, (_, i) => `a-${i}`),
    "A's own requests are still answered in the order it sent them",
  );
  t.same(memoryVsStore(agent.dm), []);
});

t.test('two flooding controllers take turns; a third one is served at once', async (t) => {
  const { router } = await setup(t);
  const order: Done[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) {
    all.push(send(router, A, `a-${i}`, HEAVY, order));
  }
  for (let i = 0; i < 100; i++) all.push(send(router, C, `c-${i}`, HEAVY, order));
  all.push(send(router, B, 'b-0', LIGHT, order));
  await Promise.all(all);
  const first40 = order.slice(0, 40);
  const a = first40.filter((d) => d.from === A).length;
  const c = first40.filter((d) => d.from === C).length;
  t.ok(Math.abs(a - c) <= 2, `A and C alternate: ${a} and ${c} of the first 40 replies`);
  t.ok(order.findIndex((d) => d.from === B) <= 3, 'B waits for at most one message of each busy controller');
});

t.test('rate limit: over the burst, requests get Error 7005 at once, one log line per episode; B is unaffected', async (t) => {
  const { router, clock, log } = await setup(t, { messagesPerSecond: 10, burst: 20 });
  const order: Done[] = [];
  await Promise.all(Array.from({ length: 50 }, (_, i) => send(router, A, `a-${i}`, LIGHT, order)));
  const ok = order.filter(isResponse).map((d) => d.id);
  t.same(ok, Array.from({ length: 20 }, (_, i) => `a-${i}`), 'the first 20 (the burst) are served');
  t.equal(order.filter((d) => isError(d, UspErrorCode.ResourcesExceeded)).length, 30, 'the other 30 get Error 7005');
  t.match(order.find((d) => isError(d, UspErrorCode.ResourcesExceeded))?.msg?.body.error?.errMsg, /rate limit/);
  t.equal(log.lines.filter((l) => l.includes('REC-W08')).length, 1, 'one warning, not one per refused message');
  t.match(log.lines.find((l) => l.includes('REC-W08')), new RegExp(`REC-W08 ${A} is over its rate limit \\(10 messages/s, burst 20\\)`));

  const b: Done[] = [];
  await send(router, B, 'b-0', LIGHT, b);
  t.ok(b[0] && isResponse(b[0]), 'B has its own bucket: answered');

  clock.advance(1000);
  const later: Done[] = [];
  await Promise.all(Array.from({ length: 15 }, (_, i) => send(router, A, `a2-${i}`, LIGHT, later)));
  t.equal(later.filter(isResponse).length, 10, 'one second later A has 10 more tokens (10 messages/s)');
  t.equal(later.filter((d) => isError(d, UspErrorCode.ResourcesExceeded)).length, 5);
  t.match(log.lines.find((l) => l.includes('REC-I01')), /back under its rate limit; 30 message\(s\) were refused/);
  t.equal(log.lines.filter((l) => l.includes('REC-W08')).length, 2, 'a new episode, a new warning');
});

t.test('queue cap: a controller with maxQueued messages waiting gets 7005 for more; nothing of the refused ones runs', async (t) => {
  const { router, agent, log } = await setup(t, { maxQueued: 5 });
  const order: Done[] = [];
  const add = (i: number): Request => ({ add: { allowPartial: false, createObjs: [{ objPath: CTRL, paramSettings: [{ param: 'EndpointID', value: `proto::q${i}`, required: true }] }] } });
  await Promise.all(Array.from({ length: 20 }, (_, i) => send(router, A, `q-${i}`, add(i), order)));
  const served = order.filter(isResponse).map((d) => d.id);
  t.same(served, ['q-0', 'q-1', 'q-2', 'q-3', 'q-4', 'q-5'], 'one in service plus 5 waiting are served');
  const refused = order.filter((d) => isError(d, UspErrorCode.ResourcesExceeded));
  t.equal(refused.length, 14, 'the other 14 get 7005');
  t.match(refused[0]?.msg?.body.error?.errMsg, /too many messages waiting/);
  t.equal(agent.dm.tree.get(CTRL.slice(0, -'Controller.'.length))?.rowCount('Controller'), 6, 'exactly the 6 served Adds created rows');
  t.ok(log.lines.some((l) => l.includes('REC-W09')), 'logged');
  t.same(memoryVsStore(agent.dm), []);
});
