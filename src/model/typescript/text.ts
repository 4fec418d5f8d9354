/**
 * Just enough of a TypeScript scanner to turn a stack position into the range of the expression
 * the user wrote there (`new Sigmoid()`, `this.fc1.forward(x)`, a decorator's `loss:` value).
 * It skips strings, template literals and comments and matches brackets; nothing more.
 */
import type { SourceRange } from '../graph';

/** Offset of a 1-based line and column, as stack frames and source maps give them (columns in UTF-16 units). */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const n = text.indexOf('\n', offset);
    const r = text.indexOf('\r', offset);
    // "\r\n" and a lone "\r" end a line too, as in positionAt.
    const next = r >= 0 && (n < 0 || r < n) ? (text[r + 1] === '\n' ? r + 1 : r) : n;
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(offset + Math.max(0, column - 1), text.length);
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** JavaScript's line terminators: a file saved with CR-only (old Mac) line endings has no "\n". */
const isLineBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';

/** Index of the first line terminator at or after `i`, or -1. */
function lineBreakFrom(text: string, i: number): number {
  for (let j = i; j < text.length; j++) if (isLineBreak(text[j])) return j;
  return -1;
}

/** Index just past the string literal starting at `i` (its quote). */
function skipString(text: string, i: number): number {
  const q = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === q || isLineBreak(text[j])) return j + 1;
  }
  return text.length;
}

/** Index just past the template literal starting at `i`, substitutions included. */
function skipTemplate(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '`') return j + 1;
    else if (text[j] === '$' && text[j + 1] === '{') {
      const close = matchingClose(text, j + 1);
      if (close < 0) return text.length;
      j = close;
    }
  }
  return text.length;
}

/** Index just past a comment starting at `i`, or `i` when none starts there. */
function skipComment(text: string, i: number): number {
  if (text[i] !== '/') return i;
  if (text[i + 1] === '/') {
    const n = lineBreakFrom(text, i);
    return n < 0 ? text.length : n;
  }
  if (text[i + 1] === '*') {
    const e = text.indexOf('*/', i + 2);
    return e < 0 ? text.length : e + 2;
  }
  return i;
}

/**
 * The text with every comment, string and template literal blanked out: the same length and line
 * breaks, so offsets still point into the user's text, and a search for code (`@model(`) finds
 * none inside them.
 */
export function blankLiterals(text: string): string {
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const end =
      c === '"' || c === "'" ? skipString(text, i) : c === '`' ? skipTemplate(text, i) : c === '/' && (text[i + 1] === '/' || text[i + 1] === '*') ? skipComment(text, i) : i;
    if (end > i) {
      parts.push(text.slice(from, i), text.slice(i, end).replace(/[^\r\n]/g, ' '));
      from = i = end;
    } else i++;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** Index of the bracket closing the one at `open`, or -1. */
export function matchingClose(text: string, open: number): number {
  const stack: string[] = [OPEN[text[open]]];
  if (!stack[0]) return -1;
  let i = open + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'") i = skipString(text, i);
    else if (c === '`') i = skipTemplate(text, i);
    else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) i = skipComment(text, i);
    else {
      if (OPEN[c]) stack.push(OPEN[c]);
      else if (c === ')' || c === ']' || c === '}') {
        if (stack.pop() !== c) return -1;
        if (!stack.length) return i;
      }
      i++;
    }
  }
  return -1;
}

/** First index at or after `i` that is not whitespace or a comment. */
export function skipTrivia(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    const j = skipComment(text, i);
    if (j === i) return i;
    i = j;
  }
}

const WORD = /[\w$]/;

/** End of the dotted name (`nn.Linear`, `this.fc1.forward`) starting at `i`. */
function nameEnd(text: string, i: number): number {
  while (i < text.length && (WORD.test(text[i]) || text[i] === '.' || text[i] === '?' && text[i + 1] === '.')) i++;
  return i;
}

/** Past type arguments `<…>` right after a name, if any. */
function skipTypeArgs(text: string, i: number): number {
  const j = skipTrivia(text, i);
  if (text[j] !== '<') return i;
  let depth = 0;
  for (let k = j; k < text.length; k++) {
    if (text[k] === '<') depth++;
    else if (text[k] === '>' && --depth === 0) return k + 1;
    else if (text[k] === ';' || isLineBreak(text[k])) return i;
  }
  return i;
}

/** Past a call's argument list after `i`, if one follows. */
function skipCall(text: string, i: number): number {
  const j = skipTrivia(text, skipTypeArgs(text, i));
  if (text[j] !== '(') return i;
  const close = matchingClose(text, j);
  return close < 0 ? i : close + 1;
}

/**
 * The expression a construction site points at: `new Linear(10, 10)` when the position is its
 * `new`, else the (dotted) name there with its call arguments.
 */
export function constructionRange(text: string, at: number): SourceRange {
  let i = at;
  if (text.startsWith('new', i) && !WORD.test(text[i + 3] ?? '')) i = skipTrivia(text, i + 3);
  const end = nameEnd(text, i);
  if (end === i) return { start: at, end: Math.min(text.length, at + 1) };
  return { start: at, end: skipCall(text, end) };
}

/** The call an application site points at, receiver included: `this.fc1.forward(x)`. */
export function callRange(text: string, at: number): SourceRange {
  let start = at;
  while (start > 0 && (WORD.test(text[start - 1]) || text[start - 1] === '.')) start--;
  const end = nameEnd(text, at);
  if (end === at) return { start: at, end: Math.min(text.length, at + 1) };
  return { start, end: skipCall(text, end) };
}

/** The attribute a construction initialises, for the layer's whole entry: `fc1 = new Linear(10, 10)`. */
export function fieldStart(text: string, at: number): number {
  const lineStart = Math.max(text.lastIndexOf('\n', at - 1), text.lastIndexOf('\r', at - 1)) + 1;
  const m = /(?:this\.)?[\w$]+\s*(?::[^=]*)?=\s*$|[\w$]+\s*:\s*$/.exec(text.slice(lineStart, at));
  return m ? lineStart + m.index : at;
}

/** The name and body of the first class declared at or after `from`. */
export function classAfter(text: string, from: number, name?: string): { name: SourceRange; whole: SourceRange; bodyOpen: number } | null {
  const re = name ? new RegExp(`\\bclass\\s+(${name.replace(/\$/g, '\\$')})\\b`, 'g') : /\bclass\s+([\w$]+)/g;
  re.lastIndex = from;
  const m = re.exec(text);
  if (!m) return null;
  const nameStart = m.index + m[0].length - m[1].length;
  const nameRange = { start: nameStart, end: nameStart + m[1].length };
  let open = -1;
  // `extends Base<{ a: 1 }>(…)`: a brace inside type arguments or brackets is not the body's.
  let angles = 0;
  for (let i = nameRange.end; i < text.length; i++) {
    const j = skipComment(text, i);
    if (j !== i) {
      i = j - 1;
      continue;
    }
    const c = text[i];
    if (c === '<') angles++;
    else if (c === '>' && angles > 0) angles--;
    else if (c === '(' || c === '[' || (c === '{' && angles > 0)) i = Math.max(i, matchingClose(text, i));
    else if (c === '{') {
      open = i;
      break;
    }
  }
  const close = open < 0 ? -1 : matchingClose(text, open);
  return { name: nameRange, whole: { start: m.index, end: close < 0 ? text.length : close + 1 }, bodyOpen: open };
}

/**
 * The keys of the object literal whose `{` is at `open`, each with the range of its key and of its
 * value, at the top level of that object only.
 */
export function objectEntries(text: string, open: number): Map<string, { key: SourceRange; value: SourceRange }> {
  const out = new Map<string, { key: SourceRange; value: SourceRange }>();
  const close = matchingClose(text, open);
  if (text[open] !== '{' || close < 0) return out;
  let i = skipTrivia(text, open + 1);
  while (i < close) {
    let key: string;
    let keyEnd: number;
    if (text[i] === '"' || text[i] === "'") {
      keyEnd = skipString(text, i);
      key = text.slice(i + 1, keyEnd - 1);
    } else {
      keyEnd = i;
      while (keyEnd < close && WORD.test(text[keyEnd])) keyEnd++;
      key = text.slice(i, keyEnd);
    }
    const keyRange = { start: i, end: keyEnd };
    let j = skipTrivia(text, keyEnd);
    if (!key || text[j] !== ':') {
      // A shorthand property, a method or a spread: skip to the next top-level comma.
      j = nextComma(text, j, close);
      i = skipTrivia(text, j + 1);
      continue;
    }
    const vStart = skipTrivia(text, j + 1);
    let vEnd = nextComma(text, vStart, close);
    while (vEnd > vStart && /\s/.test(text[vEnd - 1])) vEnd--;
    out.set(key, { key: keyRange, value: { start: vStart, end: vEnd } });
    i = skipTrivia(text, nextComma(text, vStart, close) + 1);
  }
  return out;
}

/** The next top-level `,` from `i`, or `close`. */
function nextComma(text: string, i: number, close: number): number {
  while (i < close) {
    const c = text[i];
    if (c === ',') return i;
    if (c === '"' || c === "'") i = skipString(text, i);
    else if (c === '`') i = skipTemplate(text, i);
    else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) i = skipComment(text, i);
    else if (OPEN[c]) {
      const e = matchingClose(text, i);
      i = e < 0 ? close : e + 1;
    } else i++;
  }
  return close;
}

/** The range of the member `name` (a method `backward(…)` or a property `backward:`) at the top level of the body at `open`. */
export function memberNamed(text: string, open: number, name: string): SourceRange | null {
  const close = matchingClose(text, open);
  if (close < 0) return null;
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipString(text, i) - 1;
      continue;
    }
    if (c === '`') {
      i = skipTemplate(text, i) - 1;
      continue;
    }
    const j = skipComment(text, i);
    if (j !== i) {
      i = j - 1;
      continue;
    }
    if (OPEN[c]) depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && text.startsWith(name, i) && !WORD.test(text[i - 1]) && !WORD.test(text[i + name.length] ?? '')) {
      const after = skipTrivia(text, i + name.length);
      if (text[after] === '(' || text[after] === ':' || text[after] === '<' || text[after] === '=') return { start: i, end: i + name.length };
    }
  }
  return null;
}
