/**
 * A tiny USP Controller for tests, over any MTP: wraps requests in Records addressed to the
 * agent, sends them through a ControllerTransport and waits for the response with the same
 * msg_id. Records that are not the awaited response (connect records, notifications) are kept
 * for `nextOther()`, so later issues can assert on notifications too.
 */
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { DecodedMsg, DecodedRecord, Request } from '../../proto/index.js';
import type { ControllerTransport } from './controller-transport.js';
import { Inbox } from './controller-transport.js';

export interface ReceivedRecord {
  readonly record: DecodedRecord;
  /** The decoded Msg for no_session_context records. */
  readonly msg: DecodedMsg | undefined;
}

export class TestController {
  private seq = 0;
  private readonly pending = new Map<string, (m: ReceivedRecord) => void>();
  private readonly others = new Inbox<ReceivedRecord>();
  private pumping = true;

  constructor(
    readonly transport: ControllerTransport,
    readonly endpointId: string,
    readonly agentEndpointId: string,
  ) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    while (this.pumping) {
      let bytes: Uint8Array;
      try {
        bytes = await this.transport.nextRecord(60_000);
      } catch {
        continue; // idle: keep waiting until closed
      }
      let rec: DecodedRecord;
      try {
        rec = decodeRecord(bytes);
      } catch {
        continue; // not a Record: the tests that care look at the transport directly
      }
      const msg = rec.recordType === 'noSessionContext' && rec.noSessionContext?.payload ? safeMsg(rec.noSessionContext.payload) : undefined;
      const item = { record: rec, msg };
      const waiter = msg ? this.pending.get(msg.header.msgId) : undefined;
      if (waiter && msg) {
        this.pending.delete(msg.header.msgId);
        waiter(item);
      } else {
        this.others.push(item);
      }
    }
  }

  /** Sends `request` and resolves with the agent's reply Msg (response or Error). */
  request(request: Request, timeoutMs = 10_000): Promise<DecodedMsg> {
    const msgId = `${this.endpointId}-${++this.seq}`;
    const payload = encodeMsg(buildRequest(msgId, request));
    const bytes = encodeRecord(buildRecord({ toId: this.agentEndpointId, fromId: this.endpointId, payload }));
    return this.requestRaw(bytes, msgId, timeoutMs);
  }

  /** Sends pre-built Record bytes and waits for the reply to `msgId`. */
  requestRaw(bytes: Uint8Array, msgId: string, timeoutMs = 10_000): Promise<DecodedMsg> {
    return new Promise<DecodedMsg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new Error(`no reply to ${msgId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(msgId, (r) => {
        clearTimeout(timer);
        resolve(r.msg as DecodedMsg);
      });
      this.transport.send(bytes).catch((e: unknown) => {
        clearTimeout(timer);
        this.pending.delete(msgId);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** The next Record that was not a reply (connect records, notifications, Disconnect). */
  nextOther(timeoutMs = 10_000): Promise<ReceivedRecord> {
    return this.others.next(timeoutMs, 'unsolicited record from the agent');
  }

  /** Waits for the next unsolicited Record of `type` (e.g. 'mqttConnect'), skipping others. */
  async nextOfType(type: DecodedRecord['recordType'], timeoutMs = 10_000): Promise<ReceivedRecord> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.nextOther(Math.max(1, end - Date.now()));
      if (r.record.recordType === type) return r;
    }
  }

  async close(): Promise<void> {
    this.pumping = false;
    for (const [id, w] of this.pending) {
      this.pending.delete(id);
      void w;
    }
    await this.transport.close();
  }
}

function safeMsg(payload: Uint8Array): DecodedMsg | undefined {
  try {
    return decodeMsg(payload);
  } catch {
    return undefined;
  }
}
