/**
 * The admin socket: a local Unix socket (mode 0600) on which the `usp-agent` CLI sends USP
 * Msgs that run with full rights. Frames are length-prefixed (framing.ts).
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import { UspErrorCode } from '../../datamodel/errors.js';
import { buildError, decodeMsg, encodeMsg } from '../../proto/index.js';
import type { Dispatcher } from '../dispatch.js';
import type { Requester } from '../handlers/context.js';
import type { Logger } from '../log.js';
import { FrameReader, frame } from './framing.js';

export const ADMIN_REQUESTER: Requester = { endpointId: '', controllerPath: undefined, readSecured: true };

/** True when something answers on the Unix socket `path` (an agent runs there). */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startAdminServer(path: string, dispatcher: Dispatcher, log: Logger): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) {
    if (await socketAnswers(path)) throw new Error(`another agent is already running with admin socket ${path}; stop it first (or give this one another --data-dir)`);
    unlinkSync(path); // stale socket from a process that died
  }
  const server = createServer((sock) => serve(sock, dispatcher, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

function serve(sock: Socket, dispatcher: Dispatcher, log: Logger): void {
  const reader = new FrameReader();
  // Replies go out in request order even when a later request finishes first.
  let chain: Promise<void> = Promise.resolve();
  sock.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = reader.push(chunk);
    } catch (e) {
      log.warn('ADM-W01', 'dropping admin connection', e);
      sock.destroy();
      return;
    }
    for (const f of frames) {
      chain = chain.then(async () => {
        let reply: Uint8Array | undefined;
        try {
          const msg = decodeMsg(f);
          const out = await dispatcher.handle(msg, ADMIN_REQUESTER);
          reply = out ? encodeMsg(out) : undefined;
        } catch (e) {
          reply = encodeMsg(buildError('', UspErrorCode.InvalidArguments, `cannot decode the message: ${(e as Error).message}`));
        }
        if (reply && !sock.destroyed) sock.write(frame(reply));
      });
    }
  });
  sock.on('error', (e) => log.debug('ADM-D01', `admin client error: ${e.message}`));
}
