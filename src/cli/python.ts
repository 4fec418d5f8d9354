/**
 * `gradient-lens trace|grads|report model.py` (and notebooks): the PyTorch front end under the same
 * limits, options and output forms as a spec. The file is read, never run; what Gradient Lens
 * cannot follow is printed at its line, like a finding.
 */
import { oneLine } from '../escape';
import { limitName, memoryLimitBytes } from '../limits';
import { positionAt } from '../model';
import type { PythonDiagnostic } from '../model/python/front';
import type { DType } from '../engine';
import type { StateEntry } from '../engine/state';
import { tensorFromJson } from '../trace/data';
import { withinLimits } from '../trace/bounded';
import { resolve } from 'node:path';
import { parseSpec } from '../model';
import type { PythonSidecar } from '../model/parse';
import { analysePythonNow, noModel, pythonGrads, PythonJob, PythonResult, readyForPython, sidecarCandidates, sidecarTarget, withSidecar } from '../worker/python';
import { notebookSource } from '../model/python/notebook';
import { choice, limitsFromArgs, ParsedArgs, positiveInt, UsageError } from './args';
import { errorAt, Inputs, loadBatch, loadRuleConfig, loadState } from './input';
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
function loadSidecar(path: string, inputs: Inputs): PythonSidecar {
  const text = inputs.read(path, 'spec');
  const parsed = parseSpec(text, path, { limits: inputs.limits });
  const first = parsed.diagnostics.find((d) => d.severity === 'error');
  if (first) throw errorAt(path, text, first.range.start, first.message);
  if (!parsed.sidecar) throw errorAt(path, text, 0, 'this spec does not name a Python file (model: {python: model.py, ...})');
  return parsed.sidecar;
}

const SEVERITY_WORD: Record<PythonDiagnostic['severity'], string> = { error: 'error', warning: 'warning', info: 'info' };

/** `file:line:col: info python/cant-follow: message`, with its notes. */
export function formatPythonDiagnostics(diags: readonly PythonDiagnostic[], file: string, text: string): string {
  const at = (offset: number) => {
    const p = positionAt(text, offset);
    return `${oneLine(file)}:${p.line + 1}:${p.character + 1}`;
  };
  const lines: string[] = [];
  for (const d of diags) {
    lines.push(`${at(d.range.start)}: ${SEVERITY_WORD[d.severity]} ${d.code}: ${oneLine(d.message)}`);
    for (const r of d.related) lines.push(`    ${at(r.range.start)}: note: ${oneLine(r.message)}`);
  }
  return lines.join('\n');
}

export interface PythonRun {
  file: string;
  text: string;
  inputs: Inputs;
  job: PythonJob;
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
  let sidecar: PythonSidecar | null = null;
  if (!isPythonModel(file)) {
    sidecar = loadSidecar(file, inputs);
    pyFile = sidecarTarget(file, sidecar);
  } else sidecar = findSidecar(file, inputs)?.sidecar ?? null;
  const raw = inputs.read(pyFile, 'Python file');
  let text = raw;
  if (/\.ipynb$/i.test(pyFile)) {
    try {
      text = notebookSource(raw, pyFile).text;
    } catch (e) {
      throw errorAt(pyFile, raw, 0, (e as Error).message);
    }
  }
  const statePath = args.options.get('state');
  const batchPath = args.options.get('batch');
  const configPath = args.options.get('config');
  const state = statePath ? (loadState(statePath, inputs) as Record<string, StateEntry>) : undefined;
  const batchJson = batchPath ? loadBatch(batchPath, inputs) : undefined;
  const config = configPath ? loadRuleConfig(configPath, inputs) : undefined;
  const batch = batchJson ? { input: tensorFromJson(batchJson.input, 'batch input', dtype, 'input'), target: tensorFromJson(batchJson.target, 'batch target', dtype, 'target') } : undefined;
  await readyForPython();
  const chosen = args.options.has('dtype') ? dtype : undefined;
  let job: PythonJob = { text, fileName: pyFile, config, steps, dtype: chosen, state, batch, memoryLimitBytes: memoryLimitBytes(limits) };
  if (sidecar) job = withSidecar(job, sidecar, { steps, dtype: chosen, batch });
  return withinLimits(() => work({ file: pyFile, text, inputs, job }), limits);
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

/** What `trace` prints when there is nothing to trace. */
export function noModelText(result: PythonResult, file: string, text: string): string {
  const diags = result.diagnostics.length ? result.diagnostics : [noModel(result.read)];
  return formatPythonDiagnostics(diags, file, text);
}
