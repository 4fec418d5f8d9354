/** Reading the CLI's inputs: the spec (errors as file:line:col) and the JSON state and batch files. */
import { parseSpec, positionAt } from '../model';
import type { ModelSpec } from '../model/graph';
import type { Io } from './main';

/** Bad input: printed as one line and exit code 2. */
export class InputError extends Error {
  override name = 'InputError';
}

export function read(path: string, io: Io): string {
  try {
    return io.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read file${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
}

export interface LoadedSpec {
  spec: ModelSpec;
  text: string;
}

export function loadSpec(path: string, io: Io): LoadedSpec {
  const text = read(path, io);
  const { spec, diagnostics } = parseSpec(text, path);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !spec) {
    const first = errors[0] ?? diagnostics[0];
    const pos = positionAt(text, first.range.start);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw new InputError(`${path}:${pos.line + 1}:${pos.character + 1}: ${first.message}${more}`);
  }
  return { spec, text };
}

export function loadJson(path: string, io: Io): unknown {
  const text = read(path, io);
  try {
    return JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    if (m) {
      const pos = positionAt(text, Number(m[1]));
      throw new InputError(`${path}:${pos.line + 1}:${pos.character + 1}: invalid JSON: ${(e as Error).message}`);
    }
    throw new InputError(`${path}:1:1: invalid JSON: ${(e as Error).message}`);
  }
}

export function loadBatch(path: string, io: Io): { input: unknown; target: unknown } {
  const json = loadJson(path, io) as { input?: unknown; target?: unknown } | null;
  if (!json || typeof json !== 'object' || !('input' in json) || !('target' in json)) {
    throw new InputError(`${path}:1:1: a batch file needs "input" and "target", each {"shape": [...], "data": [...]}`);
  }
  return { input: json.input, target: json.target };
}

export function loadState(path: string, io: Io): Record<string, unknown> {
  const json = loadJson(path, io);
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new InputError(`${path}:1:1: a state file maps parameter names to {"shape": [...], "data": [...]}`);
  }
  return json as Record<string, unknown>;
}

export interface InputFiles {
  spec: string;
  state?: string;
  batch?: string;
}

/**
 * Errors the engine raises about the user's data become one-line input errors naming the file at
 * fault: a state_dict that does not fit → the state file, a batch of the wrong shape → the batch file.
 */
export function asInputError(e: unknown, files: InputFiles): never {
  if (!(e instanceof Error)) throw e;
  const where =
    e.name === 'StateError' ? files.state : e.name === 'DataError' ? files.batch ?? files.spec : ['ShapeError', 'TensorMemoryError', 'RangeError'].includes(e.name) ? files.spec : undefined;
  if (!where) throw e;
  throw new InputError(`${where}: ${e.message.replace(/:?\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; '))}`);
}
