/**
 * Reads exact byte counts from a stream, for the tar extractor: headers as whole blocks, file
 * data in pieces (so a large file never sits in memory at once).
 */
import type { Readable } from 'node:stream';
import { SmmFault, SmmFaultError } from './faults.js';

export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;

  constructor(private readonly stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async fill(n: number): Promise<void> {
    while (this.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else {
        this.chunks.push(r.value);
        this.length += r.value.length;
      }
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = n < all.length ? [all.subarray(n)] : [];
    this.length = all.length - n;
    return all.subarray(0, n);
  }

  /** Exactly `n` bytes; undefined at a clean end of stream; throws 7035 when it ends part-way. */
  async read(n: number): Promise<Buffer | undefined> {
    await this.fill(n);
    if (this.length === 0 && this.ended) return undefined;
    if (this.length < n) throw new SmmFaultError(SmmFault.CorruptData, 'archive refused: truncated');
    return this.take(n);
  }

  /** `n` bytes as a sequence of pieces. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      await this.fill(1);
      if (this.length === 0) throw new SmmFaultError(SmmFault.CorruptData, 'archive refused: truncated');
      const piece = this.take(Math.min(left, this.length));
      left -= piece.length;
      yield piece;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const piece of this.pieces(n)) void piece;
  }

  close(): void {
    this.stream.destroy();
  }
}
