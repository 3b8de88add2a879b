/**
 * Framing on the admin socket: each frame is a 4-byte big-endian length followed by one
 * encoded USP Msg. The socket is a local Unix socket with mode 0600, so whoever can open it
 * already has the agent's file rights: requests on it run with full rights (admin CLI).
 */
export const MAX_ADMIN_FRAME = 64 * 1024 * 1024;

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/** Accumulates stream chunks and yields whole frames; throws on a frame over MAX_ADMIN_FRAME. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len > MAX_ADMIN_FRAME) throw new Error(`admin frame of ${len} bytes is over the ${MAX_ADMIN_FRAME}-byte limit`);
      if (this.buf.length < 4 + len) break;
      frames.push(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
    }
    return frames;
  }
}
