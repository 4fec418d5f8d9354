/**
 * The spec's `input: {data: path}` and `target: {data: path}`: a .json file ({"shape": [...],
 * "data": [...]} or a nested list) or a NumPy .npy file, resolved relative to the spec and refused
 * outside the folders the caller allows (the spec's folder tree, the workspace). Its first axis is
 * the batch. Every problem is a TraceError on the `data:` value, naming the file.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { DType } from '../engine';
import { alloc } from '../engine/dtype';
import { formatShape, sizeOf } from '../engine/shape';
import { flatten, numberFromJson } from '../engine/state';
import { Tensor } from '../engine/tensor';
import { Limits, maxDataBytes } from '../limits';
import { positionAt, type DataSpec, type ModelSpec } from '../model/graph';
import { parseUserJson, readUserBytes, ReadLimit, UserFileError } from '../user-files';
import { TraceError } from './errors';
import { parseNpy } from './npy';

export interface DataFileOptions {
  /** The spec's own path: `data:` paths are relative to its folder. */
  specPath: string;
  /** Folders a data file may be in (with their subfolders); the spec's folder is always one. */
  roots: readonly string[];
  limits: Pick<Limits, 'maxDataMB' | 'maxDepth'>;
  dtype: DType;
  /** How the bytes are read (tests, the CLI's Io); the safe reader by default. */
  readBytes?: (path: string, limit: ReadLimit) => Buffer;
}

export interface DataFiles {
  input?: Tensor;
  target?: Tensor;
  /** The absolute paths read, so an output never overwrites one. */
  paths: string[];
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function inside(path: string, root: string): boolean {
  const r = relative(root, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Reads the spec's data files, when it names any. */
export function loadDataFiles(spec: ModelSpec, opts: DataFileOptions): DataFiles {
  const out: DataFiles = { paths: [] };
  for (const which of ['input', 'target'] as const) {
    const d = spec[which];
    if (!d.file) continue;
    const path = resolve(dirname(resolve(opts.specPath)), d.file);
    out.paths.push(path);
    out[which] = readDataFile(path, d, which, opts);
  }
  return out;
}

function readDataFile(path: string, d: DataSpec, which: 'input' | 'target', opts: DataFileOptions): Tensor {
  const fail = (message: string) => new TraceError(`${which} data ${d.file}: ${message}`, { kind: 'data', which });
  const allowed = [...new Set([dirname(resolve(opts.specPath)), ...opts.roots].map(realOrResolved))];
  // Through symlinks to where the file really is: a link must not lead out of the folders either.
  const real = realOrResolved(path);
  if (!allowed.some((root) => inside(real, root))) {
    throw fail(`the file is outside the spec's folder and the workspace (${allowed.join(', ')}); data files are read only from there`);
  }
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext !== 'json' && ext !== 'npy') throw fail('a data file is a .json file ({"shape": [...], "data": [...]} or a nested list) or a NumPy .npy file');
  let bytes: Buffer;
  try {
    bytes = (opts.readBytes ?? readUserBytes)(real, { maxBytes: maxDataBytes(opts.limits), limit: 'maxDataMB', what: 'data file' });
  } catch (e) {
    if (e instanceof UserFileError) throw fail(e.message.replace(/^cannot read the data file: /, 'cannot read it: '));
    throw e;
  }
  let shape: number[];
  let values: ArrayLike<unknown>;
  try {
    if (ext === 'npy') {
      const a = parseNpy(bytes);
      shape = a.shape;
      values = a.data;
    } else {
      const json = parseUserJson(path, bytes.toString('utf8').replace(/^\ufeff/, ''), opts.limits.maxDepth, 'data file');
      ({ shape, values } = fromJson(json));
    }
  } catch (e) {
    if (e instanceof UserFileError) throw fail(placedInFile(e));
    if (e instanceof Error && (e.name === 'NpyError' || e.name === 'DataShapeError')) throw fail(e.message);
    throw e;
  }
  const want = `[samples, ${d.shape.join(', ')}]`.replace(', ]', ']');
  if (shape.length !== d.shape.length + 1 || shape.slice(1).some((n, i) => n !== d.shape[i])) {
    if (d.distribution?.kind === 'classes') throw fail(`the file holds shape ${formatShape(shape)}; class-index targets are one index per sample: [samples]`);
    throw fail(`the file holds shape ${formatShape(shape)}; the spec's ${which} shape ${formatShape(d.shape)} needs ${want} (the first axis is the batch)`);
  }
  if (shape[0] === 0) throw fail(`the file holds 0 samples (shape ${formatShape(shape)}): a training step needs at least one`);
  const data = alloc(opts.dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = numberFromJson(values[i]);
    if (v === null) throw fail(`value ${i} is not a number (${String(JSON.stringify(values[i])).slice(0, 40)})`);
    data[i] = v;
  }
  return new Tensor(data, shape);
}

/**
 * A problem found at a place in the data file: the error sits on the spec's `data:` line, so the
 * message says where in the file ("here" would point at the spec).
 */
function placedInFile(e: UserFileError): string {
  if (!e.text) return e.message;
  const p = positionAt(e.text, e.offset);
  const where = `line ${p.line + 1}, column ${p.character + 1} of the file`;
  return / here\b/.test(e.message) ? e.message.replace(/ here\b/, ` at ${where}`) : `${e.message} (at ${where})`;
}

class DataShapeError extends Error {
  override name = 'DataShapeError';
}

/** `{"shape", "data"}` or a rectangular nested list, as a shape and row-major values. */
function fromJson(json: unknown): { shape: number[]; values: unknown[] } {
  if (Array.isArray(json)) {
    const shape: number[] = [];
    for (let level: unknown = json; Array.isArray(level); level = level[0]) shape.push(level.length);
    const values = flatten(json);
    if (values.length !== sizeOf(shape)) throw new DataShapeError(`the nested list is not rectangular (its first entries give shape ${formatShape(shape)})`);
    return { shape, values };
  }
  const t = json as { shape?: unknown; data?: unknown } | null;
  if (!t || typeof t !== 'object' || !Array.isArray(t.shape) || !Array.isArray(t.data)) {
    throw new DataShapeError('a JSON data file is {"shape": [...], "data": [...]} or a nested list of numbers');
  }
  if (!t.shape.every((n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1)) throw new DataShapeError('"shape" must be a list of non-negative integers');
  const shape = t.shape as number[];
  const values = flatten(t.data);
  if (values.length !== sizeOf(shape)) throw new DataShapeError(`it has ${values.length} values but shape ${formatShape(shape)} needs ${sizeOf(shape)}`);
  return { shape, values };
}
