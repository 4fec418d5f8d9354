/**
 * Offsets → line/character positions, counted in UTF-16 code units like VS Code's `TextDocument`.
 * One index per text and a binary search per lookup, because a trace resolves many ranges.
 */
import type { Pos, RangeView } from '../protocol';

export interface LineIndex {
  position(offset: number): Pos;
  range(r: { start: number; end: number }): RangeView;
}

export function lineIndex(text: string): LineIndex {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // \r\n is one line break; a lone \r is one too (VS Code agrees).
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  const position = (offset: number): Pos => {
    const at = Math.max(0, Math.min(Math.trunc(offset), text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: at - starts[lo] };
  };
  return { position, range: (r) => ({ start: position(r.start), end: position(Math.max(r.start, r.end)) }) };
}
