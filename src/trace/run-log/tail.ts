/**
 * Reads the lines a file gained since the last read, in bounded chunks: a training run appends to
 * its log while we read it. A last line without its newline yet (a write in progress, or a run
 * killed mid-write) is kept, as bytes, for the next read; a file that shrank or was replaced
 * (a new run in the same folder) starts over. Lines end as VS Code reads them: LF, CRLF (Python's
 * text mode on Windows) or a lone CR; a UTF-8 byte-order mark before the first line is dropped.
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

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A line's bytes without a byte-order mark when it is the file's first line. */
export function withoutBomBytes(line: Buffer, lineNo: number): Buffer {
  return lineNo === 1 && line.subarray(0, 3).equals(BOM) ? line.subarray(3) : line;
}

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
  /** The last line read ended with a CR as the last byte read: an LF first in the next read is its CRLF's. */
  private afterCr = false;
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
   * Delivers each new complete line (without its line ending: LF, CRLF or CR) to `onLine`,
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
        this.afterCr = false;
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
    if (this.afterCr && chunk.length) {
      this.afterCr = false;
      if (chunk[0] === LF) start = 1;
    }
    // The next CR and LF at or after `start` (Infinity: none left in this chunk), each searched for
    // again only once passed: a chunk of LF lines is not scanned for a CR at every line.
    const next = (byte: number, from: number) => {
      const i = chunk.indexOf(byte, from);
      return i < 0 ? Infinity : i;
    };
    let cr = -1;
    let lf = -1;
    for (;;) {
      if (cr < start) cr = next(CR, start);
      if (lf < start) lf = next(LF, start);
      const end = Math.min(cr, lf);
      if (end === Infinity) break;
      const piece = chunk.subarray(start, end);
      start = end + 1;
      if (end === cr) {
        if (start < chunk.length) start += chunk[start] === LF ? 1 : 0;
        else this.afterCr = true;
      }
      this.lineNo++;
      if (this.skipping) {
        this.skipping = false;
        this.clearRest();
        continue;
      }
      const whole = withoutBomBytes(this.restBytes ? Buffer.concat([...this.rest, piece]) : piece, this.lineNo);
      this.clearRest();
      onLine(whole.toString('utf8'), this.lineNo);
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
