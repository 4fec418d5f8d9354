/**
 * One reading of a spec: its text, the limits it is read under, and the diagnostics found so far.
 * Every part of the spec reader (sections, layers, arguments, checks) reports through it.
 */
import type { SourceRange, SpecDiagnostic } from '../graph';
import { oneLine } from '../../escape';
import { limitName, type Limits } from '../../limits';
import { formatBytes } from '../../numbers';

export class SpecReading {
  readonly diags: SpecDiagnostic[] = [];
  /** The one memory error reported so far: the earliest in the text. */
  private overMemory: SpecDiagnostic | null = null;

  constructor(
    readonly text: string,
    /** Any parameter, activation or the whole model past this many bytes is an error. */
    readonly maxBytes: number,
    readonly limits: Limits,
  ) {}

  error(code: string, message: string, range: SourceRange): void {
    this.diags.push({ severity: 'error', code, message: oneLine(message), range: { start: range.start, end: range.end } });
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
