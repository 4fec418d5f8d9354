/**
 * A PyTorch source file through the one analyse step: read it (the interpreter, never Python),
 * trace the model with the script's own loop (or a sidecar's build expression), run the rules, and
 * put each finding on the user's lines: the call that built the layer, the forward line that
 * applies it, one finding for the layers one line built in a loop. Nothing of the user's runs,
 * so this is as safe in Restricted Mode as a spec file. The CLI and the trace worker call it.
 */
import { analyse, Analysis } from '../analyse';
import { type Limits, maxPythonBytes, overSizeMessage } from '../limits';
import type { FloatArray } from '../engine/dtype';
import * as F from '../engine/functional';
import { Rng } from '../engine/rng';
import type { DataSpec, LossSpec } from '../model/graph';
import type { PythonSidecar } from '../model/parse';
export { sidecarCandidates, sidecarTarget } from '../sidecar-files';
import { likeOwnBatch } from '../model/python/own-batch';
import { synthesize } from '../trace/data';
import { loadStateDict, StateError } from '../engine/state';
import { blameFor } from '../trace/errors';
import { setDefaultDtype } from '../engine/dtype';
import type { DType } from '../engine/dtype';
import type { StateEntry } from '../engine/state';
import type { Tensor } from '../engine/tensor';
import { explainError, PythonBuild, PythonDiagnostic, PythonModel, PythonRead, readPython } from '../model/python/front';
import { loadPythonParser } from '../model/python/tree-sitter';
import type { PythonSources } from '../model/python/imports';
import { isMissingFile, isUserFolder, type ReadLimit } from '../user-files';
import { watchApplications } from '../model/python/torch';
import { customFunctionUses } from '../model/python/torch/autograd-function';
import type { RuleConfig } from '../rules/config';
import type { Finding } from '../rules/types';
import type { StepRecord } from '../trace/types';
import { forwardBackward, Session } from '../trace/run';

export interface PythonJob {
  text: string;
  fileName: string;
  config?: RuleConfig;
  /** Steps at most (the script's loop may be shorter). */
  steps?: number;
  /** The floating-point type chosen for the run; unset: float32, or the script's own when it casts its model. */
  dtype?: DType;
  seed?: number;
  memoryLimitBytes?: number;
  onStep?: (record: StepRecord) => boolean | string | void;
  /** Called once the file is read and its model built, before the trace. */
  onRead?: (model: PythonModel) => void;
  /** Starting weights by the model's state_dict names. */
  state?: Record<string, StateEntry>;
  /** A fixed batch for every step. */
  batch?: { input: Tensor; target: Tensor };
  /** A sidecar's build expression and settings. */
  build?: PythonBuild;
  dropout?: boolean;
  /** Reads the user's own modules the script imports (userModuleSources); without it they stay opaque. */
  sources?: PythonSources;
  /** Bytes of Python read at most, the script's and its imports' together. */
  maxCodeBytes?: number;
  /** The script's command-line arguments: the sidecar's `args`, or the CLI's words after `--`. */
  argv?: readonly string[];
  /** Values for the script's randn/rand calls, in call order (PythonOptions.noise). */
  noise?: readonly FloatArray[];
}

/**
 * The one reader of the user's own modules for every caller: an open document's unsaved text
 * first (the editor's), else the file on disk within the size limit. `texts` keeps what was read,
 * by path, so places in those files can be shown by line; `missing` the paths looked for and not
 * there (a module file, a package's folder), whose creation would change what an import finds.
 */
export function userModuleSources(
  readFile: (path: string, limit: ReadLimit) => string,
  limits: Pick<Limits, 'maxPythonKB'>,
  unsaved: ReadonlyMap<string, string> = new Map(),
  isFolder: (path: string) => boolean = isUserFolder,
): PythonSources & { texts: Map<string, string>; missing: Set<string> } {
  const texts = new Map<string, string>();
  const missing = new Set<string>();
  const limit: ReadLimit = { maxBytes: maxPythonBytes(limits), limit: 'maxPythonKB', what: 'Python file' };
  return {
    texts,
    missing,
    read(path) {
      let text = unsaved.get(path);
      if (text === undefined) {
        try {
          text = readFile(path, limit);
        } catch (e) {
          if (isMissingFile(e)) {
            missing.add(path);
            return null;
          }
          throw e;
        }
      }
      texts.set(path, text);
      return text;
    },
    isFolder(path) {
      const is = isFolder(path);
      if (!is) missing.add(path);
      return is;
    },
  };
}

export interface PythonResult {
  read: PythonRead;
  /** Syntax errors, what could not be followed, what raises, limits. */
  diagnostics: PythonDiagnostic[];
  analysis: Analysis | null;
}

/** Runs a function with the engine set up as the run needs it: the default float type, the application hook. */
function within<T>(model: PythonModel, dtype: DType, fn: () => T): T {
  const prev = setDefaultDtype(dtype);
  const unwatch = watchApplications(model.torch);
  try {
    return fn();
  } finally {
    unwatch();
    setDefaultDtype(prev);
  }
}

function sessionOf(model: PythonModel): Session {
  return model.training as unknown as Session;
}

function prepareModel(job: PythonJob, model: PythonModel): void {
  if (job.state) {
    try {
      loadStateDict(model.training.built.module, dropTiedNames(model, job.state));
    } catch (e) {
      // Names or shapes that do not fit the model are the state file's, at the key at fault.
      throw (e instanceof StateError && blameFor(e, 'build', { input: false, target: false })) || e;
    }
  }
  if (job.batch) model.rebindBatch(job.batch.input, job.batch.target);
}

/**
 * PyTorch's state_dict lists a tied weight under every name it is registered as (`lm_head.weight`
 * beside `transformer.wte.weight`); the engine holds it once: the extra names are dropped when they
 * name the same tensor.
 */
function dropTiedNames(model: PythonModel, state: Record<string, StateEntry>): Record<string, StateEntry> {
  const all = new Map<string, Tensor>();
  const walk = (m: import('../engine/nn').Module, prefix: string) => {
    const { params, buffers } = m.ownState();
    for (const [k, t] of [...params, ...buffers]) all.set(prefix + k, t);
    for (const [k, c] of m.namedChildren()) walk(c, `${prefix}${k}.`);
  };
  walk(model.training.built.module, '');
  const first = new Map<Tensor, string>();
  for (const [name, t] of all) if (!first.has(t)) first.set(t, name);
  const out: Record<string, StateEntry> = {};
  for (const [k, v] of Object.entries(state)) {
    const t = all.get(k);
    if (t && first.get(t) !== k) continue;
    out[k] = v;
  }
  return out;
}

/**
 * What a sidecar adds to a job: its trace settings (steps, seed, dtype, dropout) and, with a build
 * expression, the model's data, loss and optimiser, with a batch drawn from its input and target
 * (integer distributions as int64 indices, as PyTorch wants them).
 */
export function withSidecar(job: PythonJob, sidecar: PythonSidecar, given: { steps?: number; dtype?: DType; batch?: { input: Tensor; target: Tensor } }): PythonJob {
  const { parts } = sidecar;
  const trace = parts.trace;
  const dtype = given.dtype ?? trace.dtype;
  const out: PythonJob = { ...job, dtype, seed: trace.seed, steps: given.steps ?? (trace.range ? trace.steps : job.steps), dropout: trace.dropout !== false };
  // Arguments given on the command line win over the sidecar's, as a shell's would over a default.
  if (!job.argv && sidecar.args) out.argv = sidecar.args;
  if (!sidecar.build) return out;
  const input = parts.input!;
  const target = parts.target!;
  const rng = new Rng(trace.seed + 1);
  const draw = (spec: DataSpec) => {
    const t = synthesize(spec, trace.batchSize, dtype, rng);
    const d = spec.distribution;
    return d && (d.kind === 'integers' || d.kind === 'classes') ? F.long(t) : t;
  };
  const indices = (spec: DataSpec) => (spec.distribution?.kind === 'integers' || spec.distribution?.kind === 'classes' ? 'int64' : undefined);
  const batch = given.batch ? { input: likeOwnBatch(given.batch.input, indices(input)), target: likeOwnBatch(given.batch.target, indices(target)) } : { input: draw(input), target: draw(target) };
  const loss = parts.loss ?? { type: 'MSELoss', args: { reduction: 'mean' }, range: NO_RANGE, typeRange: NO_RANGE, argRanges: {} };
  out.build = {
    build: sidecar.build,
    loss: sidecar.loss,
    spec: { input, target, loss: loss as LossSpec, optimizer: parts.optimizer, trace: { ...trace, steps: out.steps ?? trace.steps, dtype } },
    batch,
  };
  out.batch = undefined;
  return out;
}

const NO_RANGE = { start: 0, end: 0 };

/**
 * Why code is not read at all: past the Python size limit. Reading takes memory in proportion to
 * the code (see LIMITS.maxPythonKB) before any limit can stop it, so a bigger file is refused
 * first. Measured in UTF-8 bytes, as the file's size is.
 */
export function pythonTooLarge(text: string, fileName: string, limits: Pick<Limits, 'maxPythonKB'>): string | null {
  const max = maxPythonBytes(limits);
  if (text.length * 3 <= max) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > max ? overSizeMessage(/\.ipynb$/i.test(fileName) ? "the notebook's code" : 'the Python file', bytes, max, 'maxPythonKB') : null;
}

/** Loads the Python parser (once per process); the functions below need it. */
export function readyForPython(): Promise<unknown> {
  return loadPythonParser();
}

/**
 * Reads the file in the job's dtype. When none was chosen (`--dtype`, a sidecar's trace.dtype) and
 * the script works in another floating-point type (`model.double()`), it is read again in that one:
 * the trace computes what the script computes.
 */
function readInDtype(job: PythonJob, steps: number | undefined): { read: PythonRead; dtype: DType } {
  const read = (dtype: DType) =>
    readPython(job.text, { fileName: job.fileName, dtype, seed: job.seed, steps, build: job.build, dropout: job.dropout, sources: job.sources, maxCodeBytes: job.maxCodeBytes, ...(job.argv ? { argv: job.argv } : {}), ...(job.noise ? { noise: job.noise } : {}) });
  if (job.dtype) return { read: read(job.dtype), dtype: job.dtype };
  const first = read('float32');
  const wanted = first.diagnostics.find((d) => d.dtype)?.dtype;
  if (!wanted || wanted === 'float32') return { read: first, dtype: 'float32' };
  first.release();
  return { read: read(wanted), dtype: wanted };
}

/** Reads and traces a Python file; a model Gradient Lens cannot follow gives a diagnostic, not a trace. */
export async function analysePython(job: PythonJob): Promise<PythonResult> {
  await loadPythonParser();
  return analysePythonNow(job);
}

/** The same, synchronous, once the parser is loaded (inside the CLI's time limit). */
export function analysePythonNow(job: PythonJob): PythonResult {
  const { read, dtype } = readInDtype(job, job.steps);
  const diagnostics = [...read.diagnostics];
  const model = read.model;
  if (!model) return { read, diagnostics, analysis: null };
  job.onRead?.(model);
  try {
    const analysis = within(model, dtype, () => {
      prepareModel(job, model);
      return analyse(
        { text: job.text, fileName: job.fileName, graph: model.graph, fixes: model.fixes, customOps: () => customFunctionUses(model.torch) },
        { kind: 'built', session: sessionOf(model), meta: model.meta, options: { memoryLimitBytes: job.memoryLimitBytes, onStep: job.onStep } },
        job.config,
      );
    });
    analysis.findings = adaptFindings(analysis.findings, model);
    diagnostics.push(...(model.notes?.() ?? []));
    return { read, diagnostics, analysis };
  } catch (e) {
    const d = model.explain(e);
    if (!d) throw e;
    diagnostics.push(d);
    return { read, diagnostics, analysis: null };
  }
}

/**
 * The caller is done with a result's read (its model and interpreter): the next job may reuse its
 * torch bindings, which saves most of a warm quick run's allocations. Plain data taken from the
 * result (the analysis, the diagnostics, a graph already made) stays valid.
 */
export function releasePython(result: PythonResult): void {
  result.read.release();
}

export type PythonGrads = { loss: number; grads: Record<string, { shape: number[]; data: Float32Array | Float64Array }> } | { diagnostics: PythonDiagnostic[] };

/** Loss and gradients of one step at the given weights and batch (`gradient-lens grads` on a .py); the parser must be loaded. */
export function pythonGrads(job: PythonJob): PythonGrads {
  const { read, dtype } = readInDtype(job, 1);
  const model = read.model;
  if (!model) return { diagnostics: read.diagnostics.length ? read.diagnostics : [noModel(read)] };
  job.onRead?.(model);
  try {
    return within(model, dtype, () => {
      prepareModel(job, model);
      const session = sessionOf(model);
      const loss = forwardBackward(session);
      const grads: Record<string, { shape: number[]; data: Float32Array | Float64Array }> = {};
      for (const p of session.built.params) grads[p.name ?? ''] = { shape: [...p.shape], data: p.grad ?? new Float64Array(p.size) };
      return { loss: loss.item(), grads };
    });
  } catch (e) {
    const d = explainError(e);
    if (!d) throw e;
    return { diagnostics: [d] };
  }
}

/** What to say when a file has no model to trace. */
export function noModel(read: PythonRead): PythonDiagnostic {
  const first = read.classes[0];
  return {
    severity: 'info',
    code: 'python/no-model',
    message: first
      ? `no training loop calls loss.backward() here: to trace ${first.name}, give it a sidecar spec with a build expression (the "Trace this model…" CodeLens writes one)`
      : 'no nn.Module model and no training loop with loss.backward() in this file',
    range: first?.range ?? { start: 0, end: 0 },
    related: [],
  };
}

/**
 * Findings as the Python front end places them: a layer's finding also points at the forward
 * line that applies it, and the findings of layers one line built (a loop, a helper function)
 * become one finding naming them all (`blocks.0-3.act`).
 */
export function adaptFindings(findings: Finding[], model: PythonModel): Finding[] {
  for (const f of findings) {
    if (!f.layer) continue;
    const site = model.sites(f.layer);
    if (site?.applied && site.applied.start !== f.range.start && !f.related.some((r) => r.range.start === site.applied!.start)) {
      f.related.push({ range: site.applied, message: `${site.type} ${f.layer} is applied here` });
    }
  }
  const groups = new Map<string, Finding[]>();
  const out: Finding[] = [];
  for (const f of findings) {
    const site = f.layer ? model.sites(f.layer) : null;
    if (!site) {
      out.push(f);
      continue;
    }
    // One line, one rule: one finding, whatever the severity of each instance (the ranked first is the worst).
    const key = `${f.rule}:${site.created.start}:${site.created.end}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else {
      groups.set(key, [f]);
      out.push(f);
    }
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const [first] = group;
    const names = group.map((g) => g.layer);
    const joined = joinPaths(names);
    const same = group.every((g) => g.message.replace(g.layer, '') === first.message.replace(first.layer, ''));
    first.message = `${first.message.replace(first.layer, joined)} (${same ? '' : `the worst of `}${group.length} layers built by this line)`;
    first.layer = joined;
    for (const g of group.slice(1)) {
      const i = out.indexOf(g);
      if (i >= 0) out.splice(i, 1);
    }
  }
  return out;
}

/** `blocks.0.act`, `blocks.1.act`, … → `blocks.0-3.act` when the paths differ in one index; else a list. */
export function joinPaths(paths: string[]): string {
  const parts = paths.map((p) => p.split('.'));
  const n = parts[0].length;
  if (parts.some((p) => p.length !== n)) return paths.join(', ');
  const differing = [...Array(n).keys()].filter((i) => parts.some((p) => p[i] !== parts[0][i]));
  if (differing.length !== 1 || !parts.every((p) => /^\d+$/.test(p[differing[0]]))) return paths.join(', ');
  const k = differing[0];
  const nums = parts.map((p) => Number(p[k])).sort((a, b) => a - b);
  const contiguous = nums.every((v, i) => i === 0 || v === nums[i - 1] + 1);
  const range = contiguous ? `${nums[0]}-${nums[nums.length - 1]}` : nums.join(',');
  return [...parts[0].slice(0, k), range, ...parts[0].slice(k + 1)].join('.');
}
