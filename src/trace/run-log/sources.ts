/**
 * The Python files a training run's sites point into, read for their text so a site (line and
 * column) becomes a range the editor and the CLI place. A run recorded on another machine or in a
 * container names paths that do not exist here: they are mapped through the log folder (the run
 * wrote `logDir` relative to its `cwd`; we read it at a known local path). A file that cannot be
 * read at all gets a stand-in text with the recorded lines and columns, so positions stay exact.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { offsetOf } from '../../model/typescript/text';
import type { SourceRange } from '../../model/graph';
import type { SourceSite, Trace } from '../types';

/** Largest source file read for positions; bigger ones get the stand-in text. */
const MAX_SOURCE_BYTES = 16 << 20;

export function readSource(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_SOURCE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

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
  private texts = new Map<string, { text: string; real: boolean }>();
  private remotePrefix: string | null = null;
  private localPrefix: string | null = null;

  /**
   * @param logPath the folder (or file) the log was read from, here
   * @param read returns a file's text, or undefined (the extension passes open documents' text first)
   */
  constructor(
    private readonly trace: Trace,
    logPath: string,
    private readonly read: (path: string) => string | undefined = readSource,
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

  /** Where a recorded path is here: itself when it exists, else mapped through the log folder. */
  localPath(file: string): string {
    if (this.read(file) !== undefined || !this.remotePrefix || !this.localPrefix) return file;
    const rel = relative(this.remotePrefix, file.replace(/\\/g, '/'));
    if (rel.startsWith('..') || isAbsolute(rel)) return file;
    return join(this.localPrefix, rel);
  }

  /** Whether the file's real text was read (otherwise positions come from the stand-in). */
  isReal(file: string): boolean {
    return this.entry(file).real;
  }

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
    let e = this.texts.get(file);
    if (!e) {
      const local = this.localPath(file);
      const text = this.read(local);
      e = text !== undefined ? { text, real: true } : { text: this.standIn(file), real: false };
      this.texts.set(file, e);
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
