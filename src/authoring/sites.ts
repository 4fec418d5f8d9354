/**
 * Where the user's code created or applied something: the first stack frame in the user's file.
 * Gradient Lens runs the file with source maps on, so frames carry the user's own line and column.
 */

/** A position as a stack frame gives it: 1-based line and column in `file`. */
export interface Site {
  file: string;
  line: number;
  column: number;
}

let userFile: string | null = null;

/** The file whose frames count as "the user's" (set by the runner; null outside Gradient Lens). */
export function setUserFile(file: string | null): void {
  userFile = file;
}

export function getUserFile(): string | null {
  return userFile;
}

// "    at new Net (/a/model.ts:7:9)", "    at /a/model.ts:7:9", "    at Object.<anonymous> (C:\a\model.ts:7:9)"
const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?\s*$/;

/** Every frame of a V8 stack that names a position, innermost first. */
export function parseStack(stack: string): Site[] {
  const out: Site[] = [];
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (m) out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]) });
  }
  return out;
}

/** The innermost frame of `stack` in the user's file, or null. */
export function userSiteIn(stack: string | undefined): Site | null {
  if (!userFile || !stack) return null;
  for (const s of parseStack(stack)) if (s.file === userFile) return s;
  return null;
}

/** The current stack, looking further than V8's default 10 frames: models nest layers in helpers and Sequentials. */
export function deepStack(): string {
  // V8's knob (not in the standard library's types, so users' projects need no node typings).
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 64;
  try {
    return new Error().stack ?? '';
  } finally {
    E.stackTraceLimit = limit;
  }
}

/** The user's line that is running right now (constructing a layer, applying it, defining an op). */
export function captureSite(): Site | null {
  return userFile ? userSiteIn(deepStack()) : null;
}
