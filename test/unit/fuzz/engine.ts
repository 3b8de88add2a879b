/**
 * The fuzzer: builds hostile Records (gen.ts, mutate.ts), feeds each through the full
 * record → router → dispatch path of a real in-process agent (real SQLite file), and checks
 * - nothing throws out of the router, and no promise is left rejected;
 * - every reply decodes as a USP 1.4 Record to the sender, carrying a Response of the request's
 *   kind or an Error with a USP code, under the request's msg_id;
 * - the stored data's checksum changes only for an accepted Set/Add/Delete/Operate (counted),
 *   never for a rejected input; memory and the store agree.
 * Used by record-fuzz.test.ts (bounded, in `npm test`) and bench/fuzz.ts (`npm run fuzz`).
 */
import { buildRecord, buildRequest, decodeMsg, decodeRecord, disconnectRecord, encodeMsg, encodeRecord, mqttConnectRecord, MqttVersion, requestKind, USP_RECORD_VERSION } from '../../../proto/index.js';
import type { DecodedMsg, DecodedRecord, Request, UspRecord } from '../../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';
import { FileDigest, memoryVsStore } from '../../helpers/digest.js';
import { hostileString, randomRequest, Rng } from './gen.js';
import { damage, fieldPayload, lenField, merge, splice } from './mutate.js';

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  /** Compare memory with the store every N cases (it walks the whole tree); default 100. */
  readonly memoryCheckEvery?: number;
  /** Called every 500 cases (progress for long runs). */
  readonly onProgress?: (done: number) => void;
}

export interface FuzzFailure {
  readonly index: number;
  readonly strategy: string;
  readonly problem: string;
  /** The input, hex (first 200 bytes). */
  readonly input: string;
}

export interface FuzzResult {
  readonly cases: number;
  readonly failures: FuzzFailure[];
  readonly replies: number;
  readonly errors: number;
  /** Accepted changes (the store changed after a successful Set/Add/Delete/Operate). */
  readonly changes: number;
  readonly byStrategy: Record<string, number>;
}

/** Controllers the fuzzer speaks as (the test agent's router accepts any from_id). */
const SENDERS = [CONTROLLER_EID, 'proto::controller-2', 'proto::c3'];
const MUTATING = new Set(['set', 'add', 'delete', 'operate']);

const msgBytes = (id: string, req: Request): Uint8Array => encodeMsg(buildRequest(id, req));
const requestBytes = (req: Request): Uint8Array => fieldPayload(fieldPayload(msgBytes('x', req), 2) ?? new Uint8Array(), 1) ?? new Uint8Array();
const envelope = (payload: Uint8Array, from = CONTROLLER_EID): Uint8Array => encodeRecord(buildRecord({ toId: AGENT_EID, fromId: from, payload }));
/** A Msg around raw Body bytes. */
const withBody = (id: string, body: Uint8Array): Uint8Array => merge([lenField(1, fieldPayload(msgBytes(id, { get: {} }), 1) ?? new Uint8Array()), lenField(2, body)]);

/** One fuzz case: a strategy name and the Record bytes it produced. */
export function makeCase(r: Rng, index: number): { strategy: string; bytes: Uint8Array } {
  const id = r.chance(0.03) ? hostileString(r) : `f-${index}`;
  const from = r.pick(SENDERS);
  const k = r.int(100);
  if (k < 35) return { strategy: 'request', bytes: envelope(msgBytes(id, randomRequest(r)), from) };
  if (k < 50) return { strategy: 'damage-record', bytes: damage(r, envelope(msgBytes(id, randomRequest(r)), from)) };
  if (k < 65) return { strategy: 'damage-msg', bytes: envelope(damage(r, msgBytes(id, randomRequest(r))), from) };
  if (k < 73) return { strategy: 'splice-msg', bytes: envelope(splice(r, msgBytes(id, randomRequest(r)), msgBytes(`g-${index}`, randomRequest(r))), from) };
  if (k < 80) {
    const spliced = splice(r, requestBytes(randomRequest(r)), requestBytes(randomRequest(r)));
    return { strategy: 'splice-request', bytes: envelope(withBody(id, lenField(1, spliced)), from) };
  }
  if (k < 86) {
    // Two request members in one Request, or request + response/error members in one Body (R-ENC.3/5).
    const two = merge([requestBytes(randomRequest(r)), requestBytes(randomRequest(r))]);
    const body = r.chance(0.5) ? lenField(1, two) : merge([lenField(1, requestBytes(randomRequest(r))), lenField(r.pick([2, 3]), new Uint8Array(0))]);
    return { strategy: 'oneof', bytes: envelope(withBody(id, body), from) };
  }
  if (k < 93) {
    const others: UspRecord[] = [
      mqttConnectRecord({ toId: AGENT_EID, fromId: from, version: MqttVersion.V5, subscribedTopic: hostileString(r).slice(0, 100) }),
      disconnectRecord({ toId: AGENT_EID, fromId: from, reason: hostileString(r).slice(0, 100), reasonCode: r.int(8000) }),
      { version: USP_RECORD_VERSION, toId: AGENT_EID, fromId: from, recordType: 'sessionContext', sessionContext: { sessionId: 2, sequenceId: 1, expectedId: 1, payload: [msgBytes(id, randomRequest(r))] } },
    ];
    return { strategy: 'splice-record', bytes: splice(r, envelope(msgBytes(id, randomRequest(r)), from), encodeRecord(r.pick(others))) };
  }
  const rec = buildRecord({ toId: AGENT_EID, fromId: from, payload: msgBytes(id, randomRequest(r)) });
  const field = r.pick(['version', 'toId', 'fromId'] as const);
  const value = r.chance(0.3) ? r.pick(['1.4', '1.0', '1.99', '2.0', AGENT_EID, CONTROLLER_EID, '']) : hostileString(r);
  return { strategy: 'envelope', bytes: encodeRecord({ ...rec, [field]: value }) };
}

/** What the agent could read of an input (the same decoders the router uses). */
function inspect(bytes: Uint8Array): { rec?: DecodedRecord; msg?: DecodedMsg } {
  let rec: DecodedRecord;
  try {
    rec = decodeRecord(bytes);
  } catch {
    return {};
  }
  try {
    return { rec, msg: decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array()) };
  } catch {
    return { rec };
  }
}

const uspCode = (c: number | undefined): boolean => c !== undefined && ((c >= 7000 && c <= 7031) || (c >= 7100 && c <= 7199) || (c >= 7800 && c <= 7999));

/** Problems with a reply to `input`; empty when it is a well-formed answer. */
export function checkReply(input: { rec?: DecodedRecord; msg?: DecodedMsg }, out: Uint8Array): string[] {
  const { rec, msg } = input;
  if (!rec) return ['answered a Record that does not decode'];
  if (rec.toId !== AGENT_EID || rec.fromId === AGENT_EID) return [`answered a Record from ${rec.fromId.slice(0, 40)} to ${rec.toId.slice(0, 40)}`];
  let reply: DecodedRecord;
  try {
    reply = decodeRecord(out);
  } catch (e) {
    return [`reply Record does not decode: ${(e as Error).message}`];
  }
  const problems: string[] = [];
  if (reply.version !== USP_RECORD_VERSION || reply.fromId !== AGENT_EID || reply.toId !== rec.fromId) problems.push('reply envelope is wrong');
  if (rec.recordType === 'sessionContext') return reply.recordType === 'disconnect' ? problems : [...problems, `a session context got a ${reply.recordType} Record`];
  if (reply.recordType !== 'noSessionContext') return [...problems, `reply record type ${reply.recordType}`];
  let m: DecodedMsg;
  try {
    m = decodeMsg(reply.noSessionContext?.payload ?? new Uint8Array());
  } catch (e) {
    return [...problems, `reply Msg does not decode: ${(e as Error).message}`];
  }
  if (msg && m.header.msgId !== msg.header.msgId) problems.push('reply msg_id differs from the request');
  if (m.body.msgBody === 'error') {
    const err = m.body.error;
    if (!uspCode(err?.errCode ?? undefined)) problems.push(`Error with code ${err?.errCode}`);
    for (const pe of err?.paramErrs ?? []) if (!uspCode(pe.errCode ?? undefined)) problems.push(`param_err code ${pe.errCode}`);
  } else if (m.body.msgBody === 'response') {
    const kind = msg?.body.request ? requestKind(msg.body.request) : undefined;
    if (!kind || !m.body.response?.[`${kind}Resp`]) problems.push(`a ${Object.keys(m.body.response ?? {}).join()} answers a ${kind ?? 'non-request'}`);
  } else problems.push(`reply body is a ${m.body.msgBody}`);
  return problems;
}

/** True when the input was a Set/Add/Delete/Operate that the agent accepted (the store may then change). */
function accepted(msg: DecodedMsg | undefined, reply: DecodedMsg | undefined): boolean {
  const kind = msg?.body.request ? requestKind(msg.body.request) : undefined;
  if (!kind || !MUTATING.has(kind)) return false;
  if (kind === 'operate' && !msg?.body.request?.operate?.sendResp) return reply === undefined;
  return reply?.body.msgBody === 'response';
}

/** Rows the fuzzer's real paths point at, added through the router like any request. */
export async function prepare(agent: TestAgent): Promise<void> {
  for (let n = 1; n <= 3; n++) {
    for (const [table, params] of [
      ['Controller', { EndpointID: `proto::c${n}` }],
      ['Subscription', { ID: `sub-${n}`, NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone', Enable: 'true' }],
    ] as const) {
      const req: Request = { add: { allowPartial: false, createObjs: [{ objPath: `Device.LocalAgent.${table}.`, paramSettings: Object.entries(params).map(([param, value]) => ({ param, value, required: true })) }] } };
      const out = await agent.router.handle(envelope(msgBytes(`prep-${table}-${n}`, req)));
      const m = out && decodeMsg(decodeRecord(out).noSessionContext?.payload ?? new Uint8Array());
      if (m?.body.msgBody !== 'response') throw new Error(`fuzz set-up: adding a ${table} row failed: ${JSON.stringify(m?.body.error)}`);
    }
  }
}

/** Runs `cases` fuzz cases with `seed` against `agent` (prepared with {@link prepare}). */
export async function runFuzz(agent: TestAgent, opts: FuzzOptions): Promise<FuzzResult> {
  const failures: FuzzFailure[] = [];
  const byStrategy: Record<string, number> = {};
  let replies = 0;
  let errors = 0;
  let changes = 0;
  let current: { index: number; strategy: string; bytes: Uint8Array } | undefined;
  const fail = (problem: string): void => {
    if (failures.length < 50) failures.push({ index: current?.index ?? -1, strategy: current?.strategy ?? '-', problem, input: Buffer.from(current?.bytes.subarray(0, 200) ?? []).toString('hex') });
  };
  const onRejection = (e: unknown): void => fail(`unhandled rejection: ${String(e)}`);
  process.on('unhandledRejection', onRejection);
  const r = new Rng(opts.seed);
  const files = new FileDigest(agent.dm.store.file);
  let digest = files.digest();
  try {
    for (let index = 0; index < opts.cases; index++) {
      current = { index, ...makeCase(r, index) };
      byStrategy[current.strategy] = (byStrategy[current.strategy] ?? 0) + 1;
      let out: Uint8Array | undefined;
      try {
        out = await agent.router.handle(current.bytes);
      } catch (e) {
        fail(`router threw ${(e as Error).stack ?? String(e)}`);
      }
      const input = inspect(current.bytes);
      let replyMsg: DecodedMsg | undefined;
      if (out !== undefined) {
        replies++;
        for (const p of checkReply(input, out)) fail(p);
        try {
          const rec = decodeRecord(out);
          if (rec.noSessionContext?.payload) replyMsg = decodeMsg(rec.noSessionContext.payload);
        } catch {
          // Reported by checkReply.
        }
        if (replyMsg?.body.msgBody === 'error') errors++;
      }
      // No commit since the last case means the file cannot have changed (SQLite data_version).
      const now = files.committedSince() ? files.digest() : digest;
      if (now !== digest) {
        if (accepted(input.msg, replyMsg)) changes++;
        else fail(`stored data changed after a rejected input (${replyMsg ? replyMsg.body.msgBody : 'no reply'})`);
        digest = now;
      }
      if (index % (opts.memoryCheckEvery ?? 100) === 0) for (const p of memoryVsStore(agent.dm).slice(0, 3)) fail(`memory and store disagree: ${p}`);
      if (index % 500 === 499) opts.onProgress?.(index + 1);
    }
  } finally {
    process.off('unhandledRejection', onRejection);
    files.close();
  }
  current = undefined;
  for (const p of memoryVsStore(agent.dm).slice(0, 3)) fail(`at the end, memory and store disagree: ${p}`);
  return { cases: opts.cases, failures, replies, errors, changes, byStrategy };
}
