/**
 * A training run's log folder (or one log file) read into a Trace, incrementally: each `poll` reads
 * only the bytes the files gained, within a budget, so a run being written can be followed live and
 * a 2 GB log is read in bounded memory and in slices that leave the caller responsive.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Trace } from '../types';
import { RUN_LOG_FILE, RUN_LOG_FORMAT, RUN_LOG_VERSION, RunHeaderRecord, RunRecord } from './format';
import { DEFAULT_MAX_STEPS, RunMerger } from './merge';
import { DecodeError, decodeRecord } from './schema';
import { LineTail, withoutBomBytes } from './tail';

/** A log that cannot be read at all: not a log, a newer format, nothing there. The message is for the user. */
export class RunLogError extends Error {
  override name = 'RunLogError';
}

export interface RunReaderOptions {
  /** Merged steps kept in memory before thinning (default 1000). */
  maxSteps?: number;
  /** Bytes read per file per read call (default 1 MiB). */
  chunkBytes?: number;
  /** Lines longer than this are skipped (default 64 MiB). */
  maxLineBytes?: number;
}

export interface PollResult {
  /** The trace gained steps or information. */
  changed: boolean;
  /** Bytes are waiting beyond this poll's budget. */
  more: boolean;
  /** Bytes read by this poll. */
  bytes: number;
}

interface LogFile {
  path: string;
  rank: number;
  part: number;
  tail: LineTail;
  header: RunHeaderRecord | null;
  /** Not part of the run being read (another run, another model): not read further. */
  ignored: boolean;
}

const FIRST_LINE_LIMIT = 64 << 20;

/** The first line of a file, or null when it has none yet (a run that just started). */
export function readFirstLine(path: string, limit = FIRST_LINE_LIMIT): string | null {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, total);
      if (n <= 0) return null;
      // Ended as LineTail ends lines: LF, CRLF or a lone CR.
      const got = buf.subarray(0, n);
      const ends = [got.indexOf(0x0a), got.indexOf(0x0d)].filter((i) => i >= 0);
      if (ends.length) {
        chunks.push(Buffer.from(got.subarray(0, Math.min(...ends))));
        return withoutBomBytes(Buffer.concat(chunks), 1).toString('utf8');
      }
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total > limit) throw new RunLogError(`${path}: the first line is longer than ${limit >> 20} MiB: not a Gradient Lens run log`);
    }
  } finally {
    closeSync(fd);
  }
}

function parseHeader(line: string, path: string): RunHeaderRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RunLogError(`${path}:1: not a Gradient Lens run log (the first line is not JSON)`);
  }
  const v = value as Partial<RunHeaderRecord> | null;
  if (!v || typeof v !== 'object' || v.kind !== 'header' || v.format !== RUN_LOG_FORMAT) {
    throw new RunLogError(`${path}:1: not a Gradient Lens run log (the first line is not a "${RUN_LOG_FORMAT}" header)`);
  }
  if (typeof v.version === 'number' && v.version > RUN_LOG_VERSION) {
    throw new RunLogError(
      `${path}: written by a newer gradient_lens (log format ${v.version}); this Gradient Lens reads format ${RUN_LOG_VERSION}: update the extension or the gradient-lens CLI`,
    );
  }
  try {
    return decodeRecord(value) as RunHeaderRecord;
  } catch (e) {
    throw new RunLogError(`${path}:1: the header is malformed: ${(e as Error).message}`);
  }
}

/** The folder that holds a run's files: the folder itself, or the newest of its subfolders that holds some. */
export function resolveRunFolder(path: string): { folder: string; single: string | null; note: string | null } {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunLogError(`${path}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot read (${code})`}`);
  }
  if (st.isFile()) return { folder: dirname(path), single: basename(path), note: null };
  if (!st.isDirectory()) throw new RunLogError(`${path}: not a file or folder`);
  const logsIn = (dir: string) => {
    try {
      return readdirSync(dir).filter((n) => RUN_LOG_FILE.test(n));
    } catch {
      return [];
    }
  };
  if (logsIn(path).length) return { folder: path, single: null, note: null };
  const subfolders = readdirSync(path, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'previous' && logsIn(join(path, d.name)).length)
    .map((d) => ({ dir: join(path, d.name), mtime: Math.max(...logsIn(join(path, d.name)).map((n) => statSync(join(path, d.name, n)).mtimeMs)) }))
    .sort((a, b) => b.mtime - a.mtime);
  if (!subfolders.length) return { folder: path, single: null, note: null };
  const note = subfolders.length > 1 ? `${path} holds ${subfolders.length} run folders; reading the newest, ${subfolders[0].dir}` : null;
  return { folder: subfolders[0].dir, single: null, note };
}

/** Whether the folder (or the newest run folder below it), or the file, holds a log yet. */
export function hasLogs(path: string): boolean {
  try {
    const { folder, single } = resolveRunFolder(path);
    return !!single || readdirSync(folder).some((n) => RUN_LOG_FILE.test(n));
  } catch {
    return false;
  }
}

export class RunReader {
  private files = new Map<string, LogFile>();
  private merger: RunMerger | null = null;
  private runId: string | null = null;
  private runStarted = '';
  private readonly folder: string;
  private readonly single: string | null;
  private readonly opts: Required<RunReaderOptions>;
  private readonly startNote: string | null;

  constructor(
    readonly path: string,
    opts: RunReaderOptions = {},
  ) {
    const r = resolveRunFolder(path);
    this.folder = r.folder;
    this.single = r.single;
    this.startNote = r.note;
    this.opts = { maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS, chunkBytes: opts.chunkBytes ?? 1 << 20, maxLineBytes: opts.maxLineBytes ?? 64 << 20 };
  }

  /** The trace read so far; null until a header has been read. The same object is updated by later polls. */
  get trace(): Trace | null {
    return this.merger?.trace ?? null;
  }

  /** Log files being read, in rank and part order. */
  get paths(): string[] {
    return [...this.files.values()].filter((f) => !f.ignored).sort((a, b) => a.rank - b.rank || a.part - b.part).map((f) => f.path);
  }

  /**
   * Reads what the files gained since the last poll, at most `budget` bytes in all. Throws
   * RunLogError when the log cannot be read (not a log, a newer format, nothing there).
   */
  poll(budget = Infinity): PollResult {
    this.discover();
    const active = [...this.files.values()].filter((f) => !f.ignored && f.header).sort((a, b) => a.rank - b.rank || a.part - b.part);
    let changed = false;
    let more = false;
    let bytes = 0;
    // Interleave the ranks in slices, so no rank runs far ahead of the others in the merge.
    const slice = Math.max(this.opts.chunkBytes, Math.floor(budget / Math.max(1, active.length)));
    let progress = true;
    while (progress && bytes < budget) {
      progress = false;
      more = false;
      for (const f of active) {
        if (f.ignored) continue;
        const r = this.readFile(f, Math.min(slice, budget - bytes));
        if (r === 'reset') return this.restart();
        bytes += r.bytes;
        changed ||= r.changed;
        if (r.more) {
          more = true;
          progress = true;
        }
        if (bytes >= budget) break;
      }
      if (this.merger?.mergeReady()) changed = true;
    }
    return { changed, more, bytes };
  }

  /** Reads to the end and merges every step there is: for the CLI, or once a run has ended. */
  readAll(): Trace {
    while (this.poll(64 << 20).more);
    return this.finish();
  }

  /** Merges what is left and notes a last line cut short. */
  finish(): Trace {
    if (!this.merger) {
      const where = this.single ? join(this.folder, this.single) : this.folder;
      throw new RunLogError(`${where}: no Gradient Lens run log here yet (rank<N>.gl.jsonl files, written by gradient_lens.watch or python -m gradient_lens run)`);
    }
    for (const f of this.files.values()) {
      if (f.ignored || !f.tail.pendingBytes) continue;
      this.merger.note(
        `${basename(f.path)}: the last line is cut short (${f.tail.pendingBytes} bytes without a newline): the run stopped while writing it, or is still writing; everything before it was read`,
      );
    }
    this.merger.mergeReady(true);
    return this.merger.trace;
  }

  private restart(): PollResult {
    const old = this.runId;
    this.files.clear();
    this.merger = null;
    this.runId = null;
    const r = this.poll();
    (this.merger as RunMerger | null)?.note(`a new run started in this folder${old ? ` (the previous one, ${old}, was moved to previous/)` : ''}`);
    return { ...r, changed: true };
  }

  private discover(): void {
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch (e) {
      throw new RunLogError(`${this.folder}: cannot read the folder (${(e as NodeJS.ErrnoException).code})`);
    }
    const single = this.single ? RUN_LOG_FILE.exec(this.single) : null;
    for (const name of names) {
      const path = join(this.folder, name);
      if (this.files.get(path)?.header) continue;
      let rank = 0;
      let part = 0;
      if (this.single) {
        // One file: that file, and its rank's other parts.
        const m = RUN_LOG_FILE.exec(name);
        if (name !== this.single && !(single && m && m[1] === single[1])) continue;
        if (m) [rank, part] = [Number(m[1]), Number(m[2] ?? 0)];
      } else {
        const m = RUN_LOG_FILE.exec(name);
        if (!m) continue;
        [rank, part] = [Number(m[1]), Number(m[2] ?? 0)];
      }
      const line = readFirstLine(path);
      if (line === null) continue; // created, header not written yet
      const header = parseHeader(line, path);
      const file: LogFile = { path, rank: header.rank ?? rank, part: header.part ?? part, tail: new LineTail(path, this.opts.chunkBytes, this.opts.maxLineBytes), header, ignored: false };
      this.files.set(path, file);
      this.adopt(file);
    }
  }

  /** Decides whether a file belongs to the run being read: the newest run wins. */
  private adopt(f: LogFile): void {
    const h = f.header!;
    if (this.runId === null || (h.run !== this.runId && h.startedAt > this.runStarted)) {
      if (this.runId !== null) {
        for (const other of this.files.values()) if (other !== f) other.ignored = true;
        this.merger?.note(`${basename(f.path)} belongs to a newer run (${h.run}); files of run ${this.runId} are ignored`);
        for (const other of this.files.values()) if (other !== f && other.header?.run === h.run) other.ignored = false;
      }
      const notes = this.merger?.run.notes ?? [];
      this.runId = h.run;
      this.runStarted = h.startedAt;
      this.merger = new RunMerger(h, this.single ? join(this.folder, this.single) : this.folder, this.opts.maxSteps);
      for (const n of notes) this.merger.note(n);
      if (this.startNote) this.merger.note(this.startNote);
      // Files of the same run seen before the switch are read again from the start.
      for (const other of this.files.values()) {
        if (!other.ignored && other.header) {
          other.tail = new LineTail(other.path, this.opts.chunkBytes, this.opts.maxLineBytes);
          this.merger.addHeader(other.header, other.path);
        }
      }
      return;
    }
    if (h.run !== this.runId) {
      f.ignored = true;
      this.merger!.note(`${basename(f.path)} belongs to another run (${h.run}, started ${h.startedAt}) than the one read (${this.runId}); ignored`);
      return;
    }
    if (!this.merger!.addHeader(h, f.path)) f.ignored = true;
  }

  private readFile(f: LogFile, budget: number): { bytes: number; more: boolean; changed: boolean } | 'reset' {
    const merger = this.merger!;
    const name = basename(f.path);
    let changed = false;
    let reset = false;
    let r;
    try {
      r = f.tail.read(
        (line, lineNo) => {
          if (reset) return;
          if (lineNo === 1) {
            // The header, read again: a changed one means the file was replaced by a new run.
            let run: unknown;
            try {
              run = (JSON.parse(line) as { run?: unknown }).run;
            } catch {
              run = undefined;
            }
            if (f.header && run !== f.header.run) reset = true;
            return;
          }
          if (!line.trim()) return;
          changed = this.dispatch(f, line, `${name}:${lineNo}`) || changed;
        },
        budget,
        (lineNo) => merger.note(`${name}:${lineNo}: a line longer than ${this.opts.maxLineBytes >> 20} MiB was skipped`),
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // Moved to previous/ by a new run starting, or deleted: the folder is looked at again.
        return 'reset';
      }
      throw new RunLogError(`${f.path}: cannot read (${code ?? (e as Error).message})`);
    }
    if (reset || r.reset) return 'reset';
    return { bytes: r.bytes, more: r.more, changed };
  }

  private dispatch(f: LogFile, line: string, where: string): boolean {
    const merger = this.merger!;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      merger.note(`${where}: not JSON; skipped (${line.length > 60 ? line.slice(0, 60) + '…' : line})`, `json:${where}`);
      return false;
    }
    let rec: RunRecord | null;
    try {
      rec = decodeRecord(value);
    } catch (e) {
      if (e instanceof DecodeError) {
        merger.note(`${where}: malformed ${String((value as { kind?: unknown }).kind ?? 'record')} record skipped: ${e.message}`, `bad:${f.path}`);
        return false;
      }
      throw e;
    }
    if (rec === null) {
      const kind = String((value as { kind: unknown }).kind);
      merger.note(`${where}: a record of unknown kind "${kind}" was skipped (written by a newer gradient_lens?)`, `kind:${kind}`);
      return false;
    }
    const rank = f.header!.rank;
    switch (rec.kind) {
      case 'header':
        if (rec.version > RUN_LOG_VERSION) throw new RunLogError(`${where}: log format ${rec.version} is newer than this Gradient Lens reads (${RUN_LOG_VERSION})`);
        return false;
      case 'graph':
        merger.addGraph(rank, rec);
        return true;
      case 'step':
        merger.addStep(rank, rec, where);
        return false; // changes when merged
      case 'nonFinite':
        merger.addNonFinite(rank, rec);
        return true;
      case 'message':
        merger.note(`rank ${rank}, step ${rec.step}: ${rec.text}`);
        return true;
      case 'end':
        merger.addEnd(rank, rec);
        return true;
    }
  }
}
