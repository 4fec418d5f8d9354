/**
 * One reading of a spec: its text, the limits it is read under, and the diagnostics found so far.
 * Every part of the spec reader (sections, layers, arguments, checks) reports through it.
 */
import type { SourceRange, SpecDiagnostic, SpecFix } from '../graph';
import { REQUIRED_TOP_LEVEL_KEYS } from '../catalogue';
import { closest } from '../suggest';
import { startEdit } from '../skeleton';
import { formatValue, syntaxOf, type Syntax } from '../spec-fixes';
import { andList } from './messages';
import { oneLine } from '../../escape';
import { limitName, type Limits } from '../../limits';
import { formatBytes } from '../../numbers';

export class SpecReading {
  readonly diags: SpecDiagnostic[] = [];
  /** The one memory error reported so far: the earliest in the text. */
  private overMemory: SpecDiagnostic | null = null;

  /** The file's syntax: fixes write values as YAML or as JSON. */
  readonly syntax: Syntax;

  constructor(
    readonly text: string,
    /** Any parameter, activation or the whole model past this many bytes is an error. */
    readonly maxBytes: number,
    readonly limits: Limits,
    fileName: string,
  ) {
    this.syntax = syntaxOf(fileName);
  }

  error(code: string, message: string, range: SourceRange, fixes?: SpecFix[]): void {
    const d: SpecDiagnostic = { severity: 'error', code, message: oneLine(message), range: { start: range.start, end: range.end } };
    if (fixes?.length) d.fixes = fixes;
    this.diags.push(d);
  }

  /**
   * "Did you mean": the fix that writes the known name nearest to `word` where `word` is written
   * (inside `range`, quotes kept), or nothing when no name is near enough to be a typo.
   */
  meant(word: string, known: readonly string[], range: SourceRange): SpecFix[] | undefined {
    const to = closest(word, known);
    if (to === undefined || to === word) return undefined;
    const at = this.text.slice(range.start, range.end).indexOf(word);
    if (at < 0) return undefined;
    const start = range.start + at;
    return [{ title: `Change to '${to}'`, edits: [{ range: { start, end: start + word.length }, newText: to }], preferred: true }];
  }

  /** The fix that writes `value` over the value at `range`, in the file's syntax. */
  setTo(title: string, range: SourceRange, value: unknown): SpecFix[] {
    return [{ title, edits: [{ range, newText: formatValue(value, this.syntax) }], preferred: true }];
  }

  /** A file with nothing in it yet: a hint and the skeleton to start from, not an error. */
  empty(range: SourceRange | null): void {
    const message = `This model file is empty: a spec needs ${andList([...REQUIRED_TOP_LEVEL_KEYS])}, then optionally optimizer and trace. The quick fix writes a small model to start from.`;
    const fixes: SpecFix[] = [{ title: 'Start from a small model (Linear → ReLU → Linear, MSELoss, SGD)', edits: [startEdit(this.text, this.syntax, range)], preferred: true }];
    this.diags.push({ severity: 'info', code: 'spec/empty', message, range: range ?? { start: 0, end: 0 }, fixes });
  }

  /** The first line of a value: where "missing" findings go when there is no better place. */
  firstLine(r: SourceRange): SourceRange {
    const nl = this.text.indexOf('\n', r.start);
    return { start: r.start, end: nl < 0 || nl > r.end ? r.end : nl };
  }

  /**
   * Something past the memory limit: only the one earliest in the text is reported (the first place
   * to fix, and the first the editor lists), not every tensor or layer after it. Every such message
   * ends the same way, naming the setting that raises the limit.
   */
  overMemoryLimit(message: string, range: SourceRange): void {
    if (this.overMemory && range.start >= this.overMemory.range.start) return;
    const full = oneLine(`${message}, over the ${formatBytes(this.maxBytes)} memory limit (${limitName('memoryLimitMB')})`);
    if (this.overMemory) Object.assign(this.overMemory, { message: full, range: { start: range.start, end: range.end } });
    else {
      this.error('spec/too-large', full, range);
      this.overMemory = this.diags[this.diags.length - 1];
    }
  }
}
