/**
 * `gradient-lens trace|grads|report model.py` (and notebooks): the PyTorch front end under the same
 * limits, options and output forms as a spec. The file is read, never run; what Gradient Lens
 * cannot follow is printed at its line, like a finding.
 */
import { oneLine } from '../escape';
import { limitName, maxPythonBytes, maxSpecBytes, memoryLimitBytes } from '../limits';
import { positionAt } from '../model';
import type { PythonDiagnostic } from '../model/python/front';
import type { DType } from '../engine';
import type { StateEntry } from '../engine/state';
import { tensorFromJson } from '../trace/data';
import { READING } from '../limits';
import { stepTimeBudget, withinLimits } from '../trace/bounded';
import { resolve } from 'node:path';
import { parseSpec } from '../model';
import type { PythonSidecar } from '../model/parse';
import { parsePython } from '../model/python/parse';
import { analysePythonNow, noModel, pythonGrads, PythonJob, PythonResult, pythonTooLarge, readyForPython, sidecarCandidates, sidecarTarget, userModuleSources, withSidecar } from '../worker/python';
import { cellAt, NotebookError, NotebookSource, notebookSource, storedOffset } from '../model/python/notebook';
import { inText, Locate, Place, placeText, shown } from './findings';
import { choice, limitsFromArgs, ParsedArgs, positiveInt, UsageError } from './args';
import { errorAt, Inputs, loadBatch, loadRuleConfig, loadState, locateTraceError } from './input';
import { TraceError } from '../trace/errors';
import type { Io } from './main';

export function isPythonModel(file: string): boolean {
  return /\.(py|ipynb)$/i.test(file);
}

/** A Python file, or a spec that is a Python file's sidecar (`model: {python: model.py, ...}`). */
export function isPythonTarget(file: string, io: Io): boolean {
  if (isPythonModel(file)) return true;
  if (!/\.grad\.(ya?ml|json)$/i.test(file)) return false;
  try {
    const text = io.readFile(file, { maxBytes: 1 << 20, limit: 'maxSpecKB', what: 'spec' });
    return /\bpython\s*["']?\s*:/.test(text) && !!parseSpec(text, file).sidecar;
  } catch {
    return false;
  }
}

/** The sidecar of a Python file beside it, if one names it. */
function findSidecar(pyFile: string, inputs: Inputs): { path: string; text: string; sidecar: PythonSidecar } | null {
  for (const path of sidecarCandidates(pyFile)) {
    let text: string;
    try {
      text = inputs.io.readFile(path, inputs.limitFor('spec'));
    } catch {
      continue;
    }
    const parsed = parseSpec(text, path, { limits: inputs.limits });
    if (parsed.sidecar && resolve(sidecarTarget(path, parsed.sidecar)) === resolve(pyFile)) {
      inputs.files.set(path, { text, what: 'spec' });
      return { path, text, sidecar: parsed.sidecar };
    }
  }
  return null;
}

/** A sidecar spec read and checked: its first error is the CLI's one line. */
function loadSidecar(path: string, inputs: Inputs): { path: string; text: string; sidecar: PythonSidecar } {
  const text = inputs.read(path, 'spec');
  const parsed = parseSpec(text, path, { limits: inputs.limits });
  const first = parsed.diagnostics.find((d) => d.severity === 'error');
  if (first) throw errorAt(path, text, first.range.start, first.message);
  if (!parsed.sidecar) throw errorAt(path, text, 0, 'this spec does not name a Python file (model: {python: model.py, ...})');
  return { path, text, sidecar: parsed.sidecar };
}

/** Where the sidecar's build or loss expression is written: its errors are told there. */
export type SidecarAt = (part: 'build' | 'loss') => Place;

function sidecarPlaces(found: { path: string; text: string; sidecar: PythonSidecar }): SidecarAt {
  const locate = inText(found.path, found.text);
  return (part) => locate((part === 'loss' ? found.sidecar.lossRange : found.sidecar.buildRange) ?? found.sidecar.pythonRange);
}

/** A diagnostic's place: the sidecar's expression for its errors (with the file's line as a note when raised there), else its range. */
function placesOf(d: PythonDiagnostic, locate: Locate, sidecarAt: SidecarAt | null | undefined): { at: Place; raisedAt: Place | null } {
  if (!d.sidecar || !sidecarAt) return { at: locate(d.range), raisedAt: null };
  return { at: sidecarAt(d.sidecar.part), raisedAt: d.sidecar.inFile ? locate(d.range) : null };
}

const SEVERITY_WORD: Record<PythonDiagnostic['severity'], string> = { error: 'error', warning: 'warning', info: 'info' };

/** `file:line:col: info python/cant-follow: message`, with its notes (`file:cell N:line:col` in a notebook). */
export function formatPythonDiagnostics(diags: readonly PythonDiagnostic[], locate: Locate, sidecarAt?: SidecarAt | null): string {
  const lines: string[] = [];
  for (const d of diags) {
    const { at, raisedAt } = placesOf(d, locate, sidecarAt);
    lines.push(`${placeText(at)}: ${SEVERITY_WORD[d.severity]} ${d.code}: ${oneLine(d.message)}`);
    if (raisedAt) lines.push(`    ${placeText(raisedAt)}: note: raised here`);
    for (const r of d.related) lines.push(`    ${placeText(locate(r.range))}: note: ${oneLine(r.message)}`);
  }
  return lines.join('\n');
}

/**
 * Where the ranges of a notebook's joined code are: the cell (counted from 1 among all the
 * notebook's cells, as a reader scrolling it counts) and the line and column within it.
 */
export function inNotebook(file: string, nb: NotebookSource): Locate {
  return (range) => {
    const s = cellAt(nb, range.start);
    if (!s) return { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
    const cellText = nb.text.slice(s.cell.start, s.cell.end);
    const e = Math.min(Math.max(range.end, range.start) - s.cell.start, cellText.length);
    const a = positionAt(cellText, s.offset);
    const b = positionAt(cellText, e);
    return { file, cell: s.cell.index + 1, line: a.line + 1, column: a.character + 1, endLine: b.line + 1, endColumn: b.character + 1 };
  };
}

/** The same ranges as places in the .ipynb file's own text (its JSON), for tools that read the file as stored (SARIF). */
export function inStoredNotebook(file: string, nb: NotebookSource, json: string): Locate {
  return (range) => {
    const a = positionAt(json, storedOffset(nb, json, range.start));
    const b = positionAt(json, storedOffset(nb, json, Math.max(range.start, range.end)));
    return { file, line: a.line + 1, column: a.character + 1, endLine: b.line + 1, endColumn: b.character + 1 };
  };
}

export interface PythonRun {
  /** The Python file or notebook (a sidecar given: the file it names). */
  file: string;
  /** The program read: the file's text, or a notebook's code cells joined. */
  text: string;
  inputs: Inputs;
  job: PythonJob;
  /** Where a range of `text` is, as the terminal prints it (a notebook's cell, line and column). */
  locate: Locate;
  /** Where it is in the file as stored, for SARIF (a notebook's JSON text). */
  stored: Locate;
  /** The notebook's cells, when the file is one. */
  notebook: NotebookSource | null;
  /** Where the sidecar's build and loss expressions are, when a sidecar builds the model. */
  sidecarAt: SidecarAt | null;
}

/** Reads a Python file (or notebook) and the options; runs `work` within the time and memory limits. */
export async function runPython<T>(file: string, args: ParsedArgs, io: Io, work: (run: PythonRun) => T): Promise<T> {
  const inputs = new Inputs(io, limitsFromArgs(args));
  const limits = inputs.limits;
  const dtype: DType = choice(args.options.get('dtype'), ['float32', 'float64'] as const, 'dtype', 'float32');
  const steps = positiveInt(args.options.get('steps'), 'steps');
  if (steps !== undefined && steps > limits.maxSteps) throw new UsageError(`--steps ${steps} is over the limit of ${limits.maxSteps} steps per trace (${limitName('maxSteps')})`);
  // A sidecar given: the Python file it names. A Python file given: its sidecar, when one names it.
  let pyFile = file;
  const found = !isPythonModel(file) ? loadSidecar(file, inputs) : findSidecar(file, inputs);
  const sidecar: PythonSidecar | null = found?.sidecar ?? null;
  if (found && !isPythonModel(file)) pyFile = sidecarTarget(file, found.sidecar);
  const sidecarAt = found ? sidecarPlaces(found) : null;
  const isNotebook = /\.ipynb$/i.test(pyFile);
  const raw = inputs.read(pyFile, isNotebook ? 'notebook' : 'Python file');
  let notebook: NotebookSource | null = null;
  if (isNotebook) {
    try {
      notebook = notebookSource(raw, pyFile);
    } catch (e) {
      if (e instanceof NotebookError) throw errorAt(pyFile, raw, e.range.start, e.message);
      throw e;
    }
  }
  const text = notebook?.text ?? raw;
  const tooLarge = pythonTooLarge(text, pyFile, limits);
  if (tooLarge) throw errorAt(pyFile, raw, 0, tooLarge);
  // The script's own modules, read from disk; a place in one of them is shown at its own file and line.
  const sources = userModuleSources(inputs.io.readFile, limits);
  const inImported = (own: Locate): Locate => (range) => (range.file !== undefined ? inText(shown(range.file), sources.texts.get(range.file) ?? '')(range) : own(range));
  const locate = inImported(notebook ? inNotebook(pyFile, notebook) : inText(pyFile, text));
  const stored = notebook ? inImported(inStoredNotebook(pyFile, notebook, raw)) : locate;
  const statePath = args.options.get('state');
  const batchPath = args.options.get('batch');
  const configPath = args.options.get('config');
  const state = statePath ? (loadState(statePath, inputs) as Record<string, StateEntry>) : undefined;
  const batchJson = batchPath ? loadBatch(batchPath, inputs) : undefined;
  const config = configPath ? loadRuleConfig(configPath, inputs) : undefined;
  await readyForPython();
  // Parsed before the time limit starts (see parsePython), the read within it finding the tree:
  // code of a spec's size, whose parse takes a moment. Longer code is parsed within the limit,
  // which must be able to stop it (a script at the 1 MiB size limit takes seconds).
  const parsedBefore = text.length <= maxSpecBytes(limits);
  if (parsedBefore) parsePython(text);
  // What the time went to when it runs out: parsing, running the script up to its model, or (null) the trace.
  const interpreting = READING.pythonModel(pyFile);
  let reading: string | null = parsedBefore ? interpreting : READING.pythonCode(pyFile, text);
  try {
    const batch = batchJson ? { input: tensorFromJson(batchJson.input, 'batch input', dtype, 'input'), target: tensorFromJson(batchJson.target, 'batch target', dtype, 'target') } : undefined;
    const chosen = args.options.has('dtype') ? dtype : undefined;
    const budget = stepTimeBudget(limits.timeLimitMs);
    let job: PythonJob = {
      text,
      fileName: pyFile,
      config,
      steps,
      dtype: chosen,
      state,
      batch,
      memoryLimitBytes: memoryLimitBytes(limits),
      sources,
      maxCodeBytes: maxPythonBytes(limits),
      onRead: () => {
        reading = null;
        budget.traceStarts();
      },
      onStep: budget.onStep,
      ...(args.scriptArgs ? { argv: args.scriptArgs } : {}),
    };
    if (sidecar) job = withSidecar(job, sidecar, { steps, dtype: chosen, batch });
    return withinLimits(
      () => {
        parsePython(text);
        reading = interpreting;
        return work({ file: pyFile, text, inputs, job, locate, stored, notebook, sidecarAt });
      },
      limits,
      () => reading,
    );
  } catch (e) {
    // A batch file's tensors that are not tensors, a state file that does not fit (each at its key),
    // the time or memory limit (at the file's start, as for a spec).
    if (!(e instanceof TraceError)) throw e;
    throw locateTraceError(e, { spec: { path: pyFile, text: raw }, state: statePath, batch: batchPath }, inputs);
  }
}

export function tracePython(run: PythonRun): PythonResult {
  return analysePythonNow(run.job);
}

/** `grads model.py`: one step's loss and gradients by the model's parameter names, or the reason there are none. */
export function gradsPython(run: PythonRun): { ok: true; loss: number; grads: Record<string, { shape: number[]; data: number[] }> } | { ok: false; diagnostics: PythonDiagnostic[] } {
  const out = pythonGrads(run.job);
  if ('diagnostics' in out) return { ok: false, diagnostics: out.diagnostics };
  const grads: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [k, g] of Object.entries(out.grads)) grads[k] = { shape: g.shape, data: Array.from(g.data) };
  return { ok: true, loss: out.loss, grads };
}

/**
 * Why a file has no model to trace (`trace`, `grads`, `report`): one line, the first error (else
 * the first warning, else the first can't-follow, else the first diagnostic) at its place, as a spec's first error is, with how many more there are.
 */
export function oneReason(result: { diagnostics: readonly PythonDiagnostic[]; read?: PythonResult['read'] }, locate: Locate, sidecarAt?: SidecarAt | null): string {
  const diags = result.diagnostics.length || !result.read ? result.diagnostics : [noModel(result.read)];
  // An info about what the trace assumed (synthetic images for a folder) never hides why nothing was traced: a warning, a can't-follow.
  const first = diags.find((d) => d.severity === 'error') ?? diags.find((d) => d.severity === 'warning') ?? diags.find((d) => d.code === 'python/cant-follow') ?? diags[0];
  if (!first) return '';
  const more = diags.length > 1 ? ` (and ${diags.length - 1} more)` : '';
  const { at, raisedAt } = placesOf(first, locate, sidecarAt);
  return `${placeText(at)}: ${oneLine(first.message)}${raisedAt ? ` (raised at ${placeText(raisedAt)})` : ''}${more}`;
}
