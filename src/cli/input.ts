/**
 * Reading the CLI's inputs: the spec, the rule config, the state and batch files. Every error is
 * one line `file:line:col: message` at the text at fault, in the file it came from.
 */
import { oneLine } from '../escape';
import { Limits, maxDataBytes, maxPythonBytes, maxSpecBytes } from '../limits';
import { parseSpec, positionAt } from '../model';
import type { ModelSpec } from '../model/graph';
import { locateJson } from '../model/located';
import { didYouMean } from '../model/suggest';
import type { RuleConfig } from '../rules/config';
import { readRuleConfig } from '../rules/config-check';
import { Blame, specRangeOf, TraceError } from '../trace/errors';
import { errorAtKey, parseUserJson, ReadLimit, UserFileError } from '../user-files';
import type { Io } from './main';

/** Bad input: printed as one line and exit code 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/** `file:line:col: message`, the one form every input error takes. */
export function errorAt(file: string, text: string, offset: number, message: string): InputError {
  const p = positionAt(text, offset);
  return new InputError(`${oneLine(file)}:${p.line + 1}:${p.character + 1}: ${oneLine(message)}`);
}

export function fromUserFileError(e: UserFileError): InputError {
  return errorAt(e.file, e.text, e.offset, e.message);
}

export type InputKind = 'spec' | 'rule config' | 'state file' | 'batch file' | 'Python file' | 'notebook';

/** What a command reads: through `io`, under `limits`, each file remembered with its text. */
export class Inputs {
  /** Every file read, by the path given: for error positions, and so no output overwrites one. */
  readonly files = new Map<string, { text: string; what: InputKind | string }>();

  constructor(
    readonly io: Io,
    readonly limits: Limits,
  ) {}

  limitFor(what: InputKind | string): ReadLimit {
    if (what === 'spec' || what === 'rule config') return { maxBytes: maxSpecBytes(this.limits), limit: 'maxSpecKB', what };
    // Python is parsed, which takes memory in proportion (a notebook's JSON is not: its code cells are checked once found).
    if (what === 'Python file') return { maxBytes: maxPythonBytes(this.limits), limit: 'maxPythonKB', what };
    return { maxBytes: maxDataBytes(this.limits), limit: 'maxDataMB', what };
  }

  read(path: string, what: InputKind | string): string {
    let text: string;
    try {
      text = this.io.readFile(path, this.limitFor(what));
    } catch (e) {
      if (e instanceof UserFileError) throw fromUserFileError(e);
      const code = (e as NodeJS.ErrnoException).code;
      throw errorAt(path, '', 0, `cannot read the ${what}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
    }
    this.files.set(path, { text, what });
    return text;
  }

  json(path: string, what: InputKind): { json: unknown; text: string } {
    const text = this.read(path, what);
    try {
      return { json: parseUserJson(path, text, this.limits.maxDepth, what), text };
    } catch (e) {
      if (e instanceof UserFileError) throw fromUserFileError(e);
      throw e;
    }
  }

  textOf(path: string): string {
    return this.files.get(path)?.text ?? '';
  }
}

export interface LoadedSpec {
  spec: ModelSpec;
  text: string;
}

export function loadSpec(path: string, inputs: Inputs): LoadedSpec {
  const text = inputs.read(path, 'spec');
  const { spec, diagnostics } = parseSpec(text, path, { limits: inputs.limits });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !spec) {
    const first = errors[0] ?? diagnostics[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw errorAt(path, text, first.range.start, `${first.message}${more}`);
  }
  return { spec, text };
}

const BATCH_KEYS = ['input', 'target'] as const;
const TENSOR_KEYS = ['shape', 'data'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A key the trace would not read is a typo or the wrong file: refused at that key with the form
 * expected and the nearest known key, never silently ignored.
 */
function refuseUnknownKeys(file: { path: string; text: string }, obj: Record<string, unknown>, known: readonly string[], at: string[], what: string, form: string): void {
  const k = Object.keys(obj).find((x) => !known.includes(x));
  if (k !== undefined) throw fromUserFileError(errorAtKey(file.path, file.text, [...at, k], `unknown key "${k}" in ${what} (${form}).${didYouMean(k, known)}`));
}

/** A batch file's two tensors, unchecked: the trace checks them against the spec and blames the key. */
export function loadBatch(path: string, inputs: Inputs): { input: unknown; target: unknown } {
  const { json, text } = inputs.json(path, 'batch file');
  const form = 'a batch file is an object {"input": {"shape": [...], "data": [...]}, "target": {...}}';
  if (!isObject(json)) throw errorAt(path, text, 0, form);
  for (const key of ['input', 'target']) {
    if (!Object.prototype.hasOwnProperty.call(json, key)) throw errorAt(path, text, 0, `the batch file has no "${key}": ${form}`);
  }
  refuseUnknownKeys({ path, text }, json, BATCH_KEYS, [], 'the batch file', form);
  for (const key of BATCH_KEYS) {
    const t = json[key];
    if (isObject(t)) refuseUnknownKeys({ path, text }, t, TENSOR_KEYS, [key], `the batch ${key}`, form);
  }
  return { input: json.input, target: json.target };
}

/** A state file's tensors by name, each entry's keys checked; the trace checks names and shapes against the model and blames the key. */
export function loadState(path: string, inputs: Inputs): Record<string, unknown> {
  const { json, text } = inputs.json(path, 'state file');
  const form = 'a state file is a state_dict exported to JSON: {"<parameter name>": {"shape": [...], "data": [...]}, ...}';
  if (!isObject(json)) throw errorAt(path, text, 0, form);
  for (const [name, entry] of Object.entries(json)) {
    if (isObject(entry)) refuseUnknownKeys({ path, text }, entry, TENSOR_KEYS, [name], `the state entry "${name}"`, form);
  }
  return json;
}

/** A `--config` file, checked like a spec: the first problem at its range, with the expected form. */
export function loadRuleConfig(path: string, inputs: Inputs): RuleConfig {
  const text = inputs.read(path, 'rule config');
  const located = locateJson(text, { maxDepth: inputs.limits.maxDepth, what: 'the rule config' });
  const first = located.diagnostics[0];
  if (first || !located.root) throw errorAt(path, text, first?.range.start ?? 0, first?.message ?? 'the rule config is empty: write a JSON object of rule settings');
  const { config, problems } = readRuleConfig(located.root);
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw errorAt(path, text, problems[0].range.start, `${problems[0].message}${more}`);
  }
  return config;
}

export interface InputFiles {
  /** The file traced; a spec's parsed form places a blame on its range, else it is at 1:1 (a Python file). */
  spec: { path: string; text: string; spec?: ModelSpec };
  state?: string;
  batch?: string;
}

/** A trace error placed in the file whose text is at fault: the batch or state file when it came from one, else the spec (or Python file). */
export function locateTraceError(e: TraceError, files: InputFiles, inputs: Inputs): InputError {
  const b: Blame = e.blame;
  if (b.kind === 'data' && files.batch) {
    const text = inputs.textOf(files.batch);
    return fromUserFileError(errorAtKey(files.batch, text, b.field ? [b.which, b.field] : [b.which], e.message));
  }
  if (b.kind === 'state' && files.state) {
    const text = inputs.textOf(files.state);
    return fromUserFileError(errorAtKey(files.state, text, b.key ? [b.key] : [], e.message));
  }
  return errorAt(files.spec.path, files.spec.text, files.spec.spec ? specRangeOf(b, files.spec.spec).start : 0, e.message);
}
