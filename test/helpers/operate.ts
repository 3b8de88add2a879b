/**
 * Test doubles for Operate: a recording EventSink (OperationComplete, OnBoardRequest), a
 * recording platform (reboot and factory reset are recorded, never done) and small helpers
 * to send Operate and read Request rows. Waiting is on events, never on time.
 */
import type { PlatformHooks } from '../../agent/hooks.js';
import type { EventSink, OperationResult } from '../../agent/notify/events.js';
import type { ChangeEvent } from '../../datamodel/txn.js';
import type { OperationResult as OperateResult } from '../../proto/index.js';
import { ADMIN_REQUESTER } from './agent.js';
import type { TestAgent } from './agent.js';
import type { Requester } from '../../agent/handlers/context.js';

/** A FIFO whose next() waits for the next item. */
export class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const w = this.waiters.shift();
    if (w) w(item);
    else this.items.push(item);
  }

  next(): Promise<T> {
    const item = this.items.shift();
    return item !== undefined ? Promise.resolve(item) : new Promise((resolve) => this.waiters.push(resolve));
  }

  get size(): number {
    return this.items.length;
  }
}

export interface Completion {
  readonly objPath: string;
  readonly commandName: string;
  readonly commandKey: string;
  readonly result: OperationResult;
}

export class RecordingEvents implements EventSink {
  readonly completions = new Queue<Completion>();
  readonly onBoard: string[] = [];
  readonly events: { objPath: string; eventName: string }[] = [];

  event(objPath: string, eventName: string): void {
    this.events.push({ objPath, eventName });
  }

  operationComplete(objPath: string, commandName: string, commandKey: string, result: OperationResult): void {
    this.completions.push({ objPath, commandName, commandKey, result });
  }

  onBoardRequest(controllerPath: string): void {
    this.onBoard.push(controllerPath);
  }
}

/** Platform hooks that only record what they were asked to do, in order. */
export function recordingPlatform(): { platform: Partial<PlatformHooks>; calls: string[]; rebooted: Promise<void> } {
  const calls: string[] = [];
  let done: () => void = () => undefined;
  const rebooted = new Promise<void>((resolve) => (done = resolve));
  return {
    calls,
    rebooted,
    platform: {
      reboot: async () => {
        calls.push('reboot');
        done();
      },
      factoryReset: async () => {
        calls.push('factoryReset');
      },
    },
  };
}

/** Sends Operate (send_resp=true) and returns its operation results (throws on an Error reply). */
export async function operate(agent: TestAgent, command: string, inputArgs: Record<string, string> = {}, commandKey = 'ck', requester: Requester = ADMIN_REQUESTER): Promise<OperateResult[]> {
  const reply = await agent.request({ operate: { command, commandKey, sendResp: true, inputArgs } }, requester);
  const resp = reply.body.response?.operateResp;
  if (!resp) throw new Error(`Operate ${command}: ${JSON.stringify(reply.body)}`);
  return resp.operationResults ?? [];
}

/** The parameters of one object, via Get (undefined when the path does not exist). */
export async function values(agent: TestAgent, objPath: string): Promise<Record<string, string> | undefined> {
  const reply = await agent.request({ get: { paramPaths: [objPath], maxDepth: 1 } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  return r?.errCode ? undefined : (r?.resolvedPathResults?.[0]?.resultParams ?? undefined);
}

/** Status values a Request row goes through (value changes after commit), and whether it was deleted. */
export function watchStatus(agent: TestAgent, rowPath: string): { statuses: string[]; deleted: Promise<void> } {
  const statuses: string[] = [];
  let done: () => void = () => undefined;
  const deleted = new Promise<void>((resolve) => (done = resolve));
  agent.dm.onChange((events: readonly ChangeEvent[]) => {
    for (const e of events) {
      if (e.objPath !== rowPath) continue;
      if (e.kind === 'value' && e.name === 'Status') statuses.push(e.newValue);
      if (e.kind === 'deleted') done();
    }
  });
  return { statuses, deleted };
}
