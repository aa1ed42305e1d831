/**
 * LOAD DATA text (db/tsv.ts) built straight into byte chunks: rows are appended as bytes copied
 * from record payloads or as encoded strings, so a batch's text costs no string per row and the
 * chunks can be transferred to another thread as they are.
 */

/** Bytes per chunk: big enough to be cheap to send, small enough to start sending early. */
const CHUNK_BYTES = 256 * 1024;
const encoder = new TextEncoder();

export class TsvOutput {
  private readonly done: Uint8Array<ArrayBuffer>[] = [];
  private chunk = new Uint8Array(CHUNK_BYTES);
  private at = 0;

  /** Room for `bytes` more in the current chunk: a row is never split between two chunks. */
  reserve(bytes: number): Uint8Array {
    if (this.at + bytes > this.chunk.length) {
      if (this.at > 0) this.done.push(this.chunk.subarray(0, this.at));
      this.chunk = new Uint8Array(Math.max(CHUNK_BYTES, bytes));
      this.at = 0;
    }
    return this.chunk;
  }

  /** Where the next byte goes in the chunk `reserve` returned. */
  get position(): number {
    return this.at;
  }

  /** Marks bytes written by the caller into the reserved chunk as taken. */
  advance(to: number): void {
    this.at = to;
  }

  /** Appends text (rows written by `tsvLine`) as UTF-8. */
  appendString(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const chunk = this.reserve(text.length * 3);
    this.at += encoder.encodeInto(text, chunk.subarray(this.at)).written;
  }

  /** The text so far, in chunks; the output is not used afterwards. */
  finish(): Uint8Array<ArrayBuffer>[] {
    if (this.at > 0) this.done.push(this.chunk.subarray(0, this.at));
    this.at = 0;
    return this.done;
  }
}
