/** Client side of the admin socket, used by the CLI: send one Msg, wait for the reply with the same msg_id. */
import { createConnection } from 'node:net';
import { decodeMsg, encodeMsg } from '../../proto/index.js';
import type { DecodedMsg, Msg } from '../../proto/index.js';
import { FrameReader, frame } from './framing.js';

export class AdminConnectError extends Error {}

export function adminRequest(socketPath: string, msg: Msg, timeoutMs = 30_000): Promise<DecodedMsg> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    const reader = new FrameReader();
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply from the agent within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    sock.once('connect', () => sock.write(frame(encodeMsg(msg))));
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) {
          const reply = decodeMsg(f);
          if (reply.header?.msgId === msg.header?.msgId || reply.header?.msgId === '') return done(() => resolve(reply));
        }
      } catch (e) {
        done(() => reject(e instanceof Error ? e : new Error(String(e))));
      }
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `no agent is running on ${socketPath} (start one with 'npm start' or 'usp-agent start')` : e.message;
      done(() => reject(new AdminConnectError(why)));
    });
  });
}
