/**
 * Messages quote the user's text (layer names, keys, paths). A raw control character there could
 * drive the terminal (ESC sequences) or break the one-line `file:line:col: message` form (a CR or
 * LF inside a name), so every message is made printable on one line where it is created.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with every control character written as an escape (`\n`, `\x1b`, `\u2028`). */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
}

/** Whether `text` holds a character `oneLine` would escape. */
export function hasControl(text: string): boolean {
  return new RegExp(CONTROL.source).test(text);
}
