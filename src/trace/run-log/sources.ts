/**
 * The Python files a training run's sites point into, read for their text so a site (line and
 * column) becomes a range the editor and the CLI place. A run recorded on another machine or in a
 * container names paths that do not exist here: they are mapped through the log folder (the run
 * wrote `logDir` relative to its `cwd`; we read it at a known local path). A file that cannot be
 * read at all gets a stand-in text with the recorded lines and columns, so positions stay exact.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { offsetOf } from '../../model/typescript/text';
import type { SourceRange } from '../../model/graph';
import type { SourceSite, Trace } from '../types';

/** Every site the run recorded. */
export function sitesOf(trace: Trace): SourceSite[] {
  const run = trace.run;
  if (!run) return [];
  const out: SourceSite[] = [];
  for (const m of run.modules) if (m.site) out.push(m.site);
  for (const s of [run.loss?.site, run.backwardSite, run.optimizerSite]) if (s) out.push(s);
  return out;
}

function parts(p: string): string[] {
  return p.split(/[\\/]+/).filter(Boolean);
}

export class RunSources {
  /** By local path. */
  private texts = new Map<string, { text: string; real: boolean }>();
  /** Local path → the path the run recorded (for the stand-in text). */
  private recorded = new Map<string, string>();
  private locals = new Map<string, string>();
  private remotePrefix: string | null = null;
  private localPrefix: string | null = null;

  /**
   * @param logPath the folder (or file) the log was read from, here
   * @param read returns a file's text, or undefined (./read-source.ts reads the disk; the extension
   *   passes open documents' text first)
   */
  constructor(
    private readonly trace: Trace,
    logPath: string,
    private readonly read: (path: string) => string | undefined,
  ) {
    const run = trace.run;
    if (!run) return;
    const recorded = parts(isAbsolute(run.logDir) ? run.logDir : `${run.cwd}/${run.logDir}`).filter((p) => p !== '.');
    const here = parts(resolve(logPath));
    // The longest common tail of the recorded log folder and ours: what lies before it differs between the machines.
    let k = 0;
    while (k < recorded.length && k < here.length && recorded[recorded.length - 1 - k] === here[here.length - 1 - k]) k++;
    if (k > 0 && (k < recorded.length || k < here.length)) {
      const root = (p: string[]) => (p.length ? `${run.cwd.startsWith('/') ? '/' : ''}${p.join('/')}` : '/');
      this.remotePrefix = root(recorded.slice(0, recorded.length - k));
      this.localPrefix = root(here.slice(0, here.length - k)).replace(/\//g, sep);
    }
  }

  /** Where a recorded path is here: itself when it exists, else mapped through the log folder. A local path stays itself. */
  localPath(file: string): string {
    let local = this.locals.get(file);
    if (local === undefined) {
      local = this.map(file);
      this.locals.set(file, local);
      this.locals.set(local, local);
      if (!this.recorded.has(local)) this.recorded.set(local, file);
    }
    return local;
  }

  private map(file: string): string {
    if (this.recorded.has(file) || !this.remotePrefix || !this.localPrefix) return file;
    const rel = relative(this.remotePrefix, file.replace(/\\/g, '/'));
    if (rel.startsWith('..') || isAbsolute(rel)) return file;
    const local = join(this.localPrefix, rel);
    // Where the recorded path is readable (the same machine), it is the file.
    return this.read(file) !== undefined && this.read(local) === undefined ? file : local;
  }

  /** Whether the file's real text was read (otherwise positions come from the stand-in). Recorded or local path. */
  isReal(file: string): boolean {
    return this.entry(file).real;
  }

  /** The file's text, or its stand-in. Recorded or local path. */
  text(file: string): string {
    return this.entry(file).text;
  }

  /** A site as a range in its file, the range naming the local path. */
  rangeOf = (site: SourceSite): SourceRange => {
    const file = this.localPath(site.file);
    const text = this.text(site.file);
    return { start: offsetOf(text, site.line, site.column), end: offsetOf(text, site.endLine, site.endColumn), file };
  };

  private entry(file: string): { text: string; real: boolean } {
    const local = this.localPath(file);
    let e = this.texts.get(local);
    if (!e) {
      const text = this.read(local);
      e = text !== undefined ? { text, real: true } : { text: this.standIn(this.recorded.get(local) ?? file), real: false };
      this.texts.set(local, e);
    }
    return e;
  }

  /** Lines as long as the sites on them need, so offsets map back to the recorded lines and columns. */
  private standIn(file: string): string {
    const width = new Map<number, number>();
    for (const s of sitesOf(this.trace)) {
      if (s.file !== file) continue;
      width.set(s.line, Math.max(width.get(s.line) ?? 0, s.column));
      width.set(s.endLine, Math.max(width.get(s.endLine) ?? 0, s.endColumn));
    }
    const last = Math.max(0, ...width.keys());
    const lines: string[] = [];
    for (let l = 1; l <= last; l++) lines.push(' '.repeat(Math.max(0, (width.get(l) ?? 1) - 1)));
    return lines.join('\n');
  }
}
