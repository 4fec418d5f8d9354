/**
 * Reads the lines a file gained since the last read, in bounded chunks: a training run appends to
 * its log while we read it. A last line without its newline yet (a write in progress, or a run
 * killed mid-write) is kept, as bytes, for the next read; a file that shrank or was replaced
 * (a new run in the same folder) starts over.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface TailResult {
  /** New bytes consumed. */
  bytes: number;
  /** More bytes are waiting beyond the budget. */
  more: boolean;
  /** The file was replaced or truncated: everything read before is void. */
  reset: boolean;
}

const NEWLINE = 0x0a;

export class LineTail {
  /** Bytes of the file consumed so far (complete lines plus the kept partial line). */
  offset = 0;
  /** 1-based number of the last complete line delivered. */
  lineNo = 0;
  /** Pieces of a line still without its newline (joined once the newline comes). */
  private rest: Buffer[] = [];
  private restBytes = 0;
  /** Inside a line longer than maxLineBytes: drop bytes until its newline. */
  private skipping = false;
  private ino: number | null = null;

  constructor(
    readonly file: string,
    private readonly chunkBytes = 1 << 20,
    readonly maxLineBytes = 64 << 20,
  ) {}

  /** Bytes of a last line still without its newline. */
  get pendingBytes(): number {
    return this.restBytes;
  }

  /** The partial last line, as text (for a message). */
  pendingText(max = 80): string {
    return Buffer.concat(this.rest).subarray(0, max).toString('utf8');
  }

  /**
   * Delivers each new complete line (without its newline; a trailing \r is dropped) to `onLine`,
   * reading at most `budget` bytes. Lines longer than maxLineBytes are skipped and reported through
   * `onLongLine` so memory stays bounded whatever the file holds.
   */
  read(onLine: (line: string, lineNo: number) => void, budget = Infinity, onLongLine?: (lineNo: number) => void): TailResult {
    const fd = openSync(this.file, 'r');
    try {
      const st = fstatSync(fd);
      let reset = false;
      if ((this.ino !== null && st.ino !== this.ino) || st.size < this.offset) {
        this.offset = 0;
        this.lineNo = 0;
        this.clearRest();
        this.skipping = false;
        reset = true;
      }
      this.ino = st.ino;
      const size = st.size;
      let consumed = 0;
      const buf = Buffer.allocUnsafe(this.chunkBytes);
      while (this.offset < size && consumed < budget) {
        const want = Math.min(this.chunkBytes, size - this.offset, budget - consumed);
        const n = readSync(fd, buf, 0, want, this.offset);
        if (n <= 0) break;
        this.offset += n;
        consumed += n;
        this.split(buf.subarray(0, n), onLine, onLongLine);
      }
      return { bytes: consumed, more: this.offset < size, reset };
    } finally {
      closeSync(fd);
    }
  }

  private clearRest(): void {
    this.rest = [];
    this.restBytes = 0;
  }

  private split(chunk: Buffer, onLine: (line: string, lineNo: number) => void, onLongLine?: (lineNo: number) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      this.lineNo++;
      if (this.skipping) {
        this.skipping = false;
        this.clearRest();
        continue;
      }
      const whole = this.restBytes ? Buffer.concat([...this.rest, piece]) : piece;
      this.clearRest();
      let end = whole.length;
      if (end && whole[end - 1] === 0x0d) end--;
      onLine(whole.toString('utf8', 0, end), this.lineNo);
    }
    if (start >= chunk.length || this.skipping) return;
    const tail = chunk.subarray(start);
    if (this.restBytes + tail.length > this.maxLineBytes) {
      this.clearRest();
      this.skipping = true;
      onLongLine?.(this.lineNo + 1);
      return;
    }
    // Copy: `chunk` is the reused read buffer.
    this.rest.push(Buffer.from(tail));
    this.restBytes += tail.length;
  }
}
