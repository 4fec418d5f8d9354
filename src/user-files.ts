/**
 * Reading and writing the user's files safely, for every front end and the CLI: only regular files
 * are read (a FIFO or /dev/zero would block or never end), never more than the size limit, a
 * byte-order mark is dropped, and JSON is checked for depth before a recursive parser sees it.
 * Output is written atomically (temp file, then rename) and never over a file being read.
 */
import { type Stats, closeSync, existsSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as jsonc from 'jsonc-parser';
import { oneLine } from './escape';
import { jsonKeyOffset, jsonNestingPast } from './json-text';
import { limitName, overSizeMessage, type SizeLimitKey } from './limits';
import { withoutBom } from './model/located';

/** A problem with one of the user's files, at an offset of its text (0 when it could not be read). */
export class UserFileError extends Error {
  override name = 'UserFileError';
  constructor(
    readonly file: string,
    message: string,
    /** UTF-16 offset into the file's text, as `positionAt` takes it. */
    readonly offset = 0,
    /** The text, when it was read: for line and column. */
    readonly text = '',
    /** The system's error code when the file could not be opened ('ENOENT'). */
    readonly code?: string,
  ) {
    super(oneLine(message));
  }
}

export interface ReadLimit {
  maxBytes: number;
  /** The limit it comes from, named in the message. */
  limit: SizeLimitKey;
  /** What the file is, for messages: "spec", "state file". */
  what: string;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errnoMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? (e as Error).message;
}

/** Whether a folder is at `path` on disk (a Python namespace package when it has no __init__.py). */
export function isUserFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/**
 * The text of a regular file of at most `limit.maxBytes` bytes (UTF-8, byte-order mark replaced by
 * a space so offsets hold).
 */
export function readUserFile(path: string, limit: ReadLimit): string {
  return withoutBom(readUserBytes(path, limit).toString('utf8'));
}

/** The bytes of a regular file of at most `limit.maxBytes`. Reads at most one byte past the limit, whatever the file claims to be. */
export function readUserBytes(path: string, limit: ReadLimit): Buffer {
  let fd: number;
  try {
    const s = statSync(path);
    if (!s.isFile()) throw new UserFileError(path, `cannot read the ${limit.what}: ${path} is ${kindOf(s)}, not a regular file`);
    if (s.size > limit.maxBytes) throw tooLarge(path, s.size, limit);
    fd = openSync(path, 'r');
  } catch (e) {
    if (e instanceof UserFileError) throw e;
    throw new UserFileError(path, `cannot read the ${limit.what}: ${errnoMessage(e)}`, 0, '', (e as NodeJS.ErrnoException).code);
  }
  try {
    // The size stat gives is a claim (files under /proc say 0): count what is actually read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit.maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit.maxBytes) throw tooLarge(path, total, limit, true);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof UserFileError) throw e;
    throw new UserFileError(path, `cannot read the ${limit.what}: ${errnoMessage(e)}`);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(path: string, bytes: number, limit: ReadLimit, atLeast = false): UserFileError {
  return new UserFileError(path, overSizeMessage(`the ${limit.what}`, bytes, limit.maxBytes, limit.limit, atLeast));
}

/** Offsets where JSON.parse's message says the error is (V8 gives a position, or a line and column). */
function jsonErrorOffset(text: string, message: string): number {
  const pos = /position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    let offset = 0;
    for (let line = 1; line < Number(lc[1]); line++) {
      const nl = text.indexOf('\n', offset);
      if (nl < 0) break;
      offset = nl + 1;
    }
    return offset + Number(lc[2]) - 1;
  }
  // Node 20's "Unexpected end of JSON input" and the like: at the end.
  return /end of JSON/.test(message) ? text.length : 0;
}

/** JSON text (already read) parsed, or a UserFileError at the offending place: too deep, or invalid. */
export function parseUserJson(path: string, text: string, maxDepth: number, what: string): unknown {
  const deep = jsonNestingPast(text, maxDepth);
  if (deep >= 0) throw new UserFileError(path, `the ${what} nests lists and maps deeper than ${maxDepth} levels here (limit: ${limitName('maxDepth')})`, deep, text);
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message.replace(/, "[\s\S]*? is not valid JSON$/, '').replace(/ in JSON at position \d+.*$/, '');
    // V8 does not always say where; jsonc-parser's scanner does (the depth is already checked).
    const errors: jsonc.ParseError[] = [];
    jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
    const offset = errors.length ? errors[0].offset : jsonErrorOffset(text, (e as Error).message);
    throw new UserFileError(path, `invalid JSON: ${message}`, Math.min(offset, text.length), text);
  }
}

/** A UserFileError at the key `path` of a JSON file's text (its first line when the key is absent). */
export function errorAtKey(file: string, text: string, path: readonly string[], message: string): UserFileError {
  return new UserFileError(file, message, Math.max(0, jsonKeyOffset(text, path)), text);
}

/** Whether two paths name the same file: the same path, or (when both exist) the same inode. */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Writes `text` to `path` all at once: to a temporary file beside it, then renamed over it, so a
 * crash never leaves half a file. Refuses to write over any of `inputs` (by path, `./`, symlink or
 * hard link), naming both.
 */
export function writeOutputFile(path: string, text: string, inputs: readonly { path: string; what: string }[], what = 'output'): void {
  for (const input of inputs) {
    if (sameFile(path, input.path)) {
      const named = resolve(path) === resolve(input.path) ? '' : ` (${input.path})`;
      throw new UserFileError(path, `refusing to write the ${what} to ${path}: it is the ${input.what}${named}, which would be lost; choose another file with -o`);
    }
  }
  // Through a symlink to where it points, so the link survives.
  let target = path;
  try {
    if (existsSync(path)) target = realpathSync(path);
  } catch {
    // Written as given.
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    writeFileSync(temp, text, { flag: 'wx' });
    renameSync(temp, target);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // Never created.
    }
    throw new UserFileError(path, `cannot write the ${what}: ${errnoMessage(e)}`);
  }
}

/** Whether a read failed because there is no such file (the error a reader throws, with its errno code). */
export function isMissingFile(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
