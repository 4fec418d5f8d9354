/**
 * The spec front end: YAML or JSON text → a validated ModelSpec with inferred shapes, or
 * diagnostics on the exact text at fault. Never throws: an editor calls it on every keystroke.
 * The reading is cut by concern under ./spec: the sections (sections.ts), the layer list and its
 * shape chain (model.ts, entries.ts), arguments (args.ts), checks across sections (checks.ts) and
 * the wording of messages (messages.ts); this file reads the top level and a Python sidecar.
 */
import type { ModelSpec, SourceRange, SpecDiagnostic, SpecFix } from './graph';
import { REQUIRED_TOP_LEVEL_KEYS, TOP_LEVEL_KEYS } from './catalogue';
import { locate, type LEntry, type LValue } from './located';
import { closest, didYouMean } from './suggest';
import { missingKeysEdit, type SkeletonKey } from './skeleton';
import { DEFAULT_LIMITS, limitName, type Limits, maxSpecBytes, memoryLimitBytes } from '../limits';
import { formatBytes } from '../numbers';
import { SpecReading } from './spec/context';
import { describe, andList, MISSING_HINT } from './spec/messages';
import { isNull } from './spec/args';
import { readTrace, readData, readLoss, readOptimizer } from './spec/sections';
import { readModel } from './spec/model';
import { checkActivation, checkModelMemory, checkLossTarget } from './spec/checks';

export interface ParseOptions {
  /**
   * Any parameter, or activation for batch_size samples, larger than this is an error at its range,
   * and so is the first layer where the whole model's estimate passes it. Default: the memory limit.
   */
  maxTensorBytes?: number;
  /** The size, depth and step limits (defaults: DEFAULT_LIMITS). */
  limits?: Partial<Limits>;
}

export interface ParseResult {
  /** null when there is any error, or when the model is a Python file's (see `sidecar`). */
  spec: ModelSpec | null;
  diagnostics: SpecDiagnostic[];
  /** A sidecar spec: `model: {python: model.py, build: "...", loss: "..."}` names a PyTorch file. */
  sidecar?: PythonSidecar | null;
}

/**
 * A spec whose model is a Python file's: `python` is the file (relative to the spec), `build` a
 * Python expression that builds the model (none: the script's own training loop), `loss` one over
 * `model`, `x` and `y` (none: the spec's loss of `model(x)`). The rest are the spec's sections,
 * those it writes (input, target and loss are needed with `build`).
 */
export interface PythonSidecar {
  python: string;
  pythonRange: SourceRange;
  build: string | null;
  buildRange: SourceRange | null;
  loss: string | null;
  lossRange: SourceRange | null;
  /** `args`: the script's command-line arguments (sys.argv[1:], what argparse reads); null: not given. */
  args: string[] | null;
  argsRange: SourceRange | null;
  parts: Partial<Pick<ModelSpec, 'input' | 'target' | 'loss'>> & Pick<ModelSpec, 'optimizer' | 'trace'>;
  /** Whether the spec wrote an optimiser (without one a script keeps its own). */
  optimizerWritten: boolean;
}

export function parseSpec(text: string, fileName: string, options: ParseOptions = {}): ParseResult {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  text = String(text);
  // Checked before any parsing: the YAML reader's time and memory grow fast with the text.
  if (text.length > maxSpecBytes(limits)) {
    const message = `the spec is ${formatBytes(text.length)}, over the ${formatBytes(maxSpecBytes(limits))} limit for a spec (${limitName('maxSpecKB')})`;
    return { spec: null, diagnostics: [{ severity: 'error', code: 'spec/too-large', message, range: { start: 0, end: 0 } }] };
  }
  try {
    return read(new SpecReading(text, options.maxTensorBytes ?? memoryLimitBytes(limits), limits, String(fileName)), String(fileName));
  } catch (e) {
    // A bug here must not take the editor's diagnostics down with it.
    const message = e instanceof Error ? e.message : String(e);
    return { spec: null, diagnostics: [{ severity: 'error', code: 'spec/internal', message: `internal error while reading the spec: ${message}`, range: { start: 0, end: 0 } }] };
  }
}

function read(cx: SpecReading, fileName: string): ParseResult {
  if (!cx.text.trim()) {
    cx.empty(null);
    return done(cx, null);
  }
  const located = locate(cx.text, fileName, { maxDepth: cx.limits.maxDepth, what: 'the spec' });
  cx.diags.push(...located.diagnostics);
  const root = located.root;
  if (!root || isNull(root)) {
    if (!cx.diags.length) cx.empty(root && root.range.end > root.range.start ? root.range : null);
    return done(cx, null);
  }
  if (root.kind === 'map' && root.entries.length === 0) {
    cx.empty(root.range);
    return done(cx, null);
  }
  if (root.kind !== 'map') {
    cx.error('spec/type', `a model spec is a map with the keys ${andList(REQUIRED_TOP_LEVEL_KEYS)} (and optionally optimizer and trace), not ${describe(root)}`, cx.firstLine(root.range));
    return done(cx, null);
  }
  const top = new Map<string, LEntry>();
  for (const e of root.entries) {
    if (TOP_LEVEL_KEYS.includes(e.key)) top.set(e.key, e);
    else if (e.key !== '$schema') {
      cx.error('spec/unknown-key', `unknown key '${e.key}'.${didYouMean(e.key, TOP_LEVEL_KEYS)} A spec's keys are ${TOP_LEVEL_KEYS.join(', ')}.`, e.keyRange, cx.meant(e.key, TOP_LEVEL_KEYS, e.keyRange));
    }
  }
  const modelEntry = top.get('model');
  if (modelEntry && modelEntry.value.kind === 'map' && modelEntry.value.entries.some((x) => x.key === 'python')) return readSidecar(cx, modelEntry, top);
  // A misspelt key is not also missing: its fix is the rename, not a second copy of the key.
  const misspelt = new Set(root.entries.map((e) => (TOP_LEVEL_KEYS.includes(e.key) ? undefined : closest(e.key, TOP_LEVEL_KEYS))));
  const missing = REQUIRED_TOP_LEVEL_KEYS.filter((k) => !top.has(k) && !misspelt.has(k)) as SkeletonKey[];
  const addMissing: SpecFix[] = missing.length
    ? [{ title: `Add ${andList(missing)} (a starting point to change)`, edits: [missingKeysEdit(cx.text, cx.syntax, missing, root.range)] }]
    : [];
  for (const k of REQUIRED_TOP_LEVEL_KEYS) {
    if (missing.includes(k as SkeletonKey)) cx.error('spec/missing', `the spec has no '${k}': ${MISSING_HINT[k]}`, cx.firstLine(root.range), addMissing);
  }

  const trace = readTrace(cx, top.get('trace'));
  const input = top.has('input') ? readData(cx, top.get('input')!, 'input') : null;
  const target = top.has('target') ? readData(cx, top.get('target')!, 'target') : null;
  const loss = top.has('loss') ? readLoss(cx, top.get('loss')!) : null;
  const optimizer = readOptimizer(cx, top.get('optimizer'));
  const bytesPer = trace?.dtype === 'float64' ? 8 : 4;
  // A batch too large to hold would only be reported again at every layer.
  const inputFits = !!input && !!trace && checkActivation(cx, input.spec.shape, trace.batchSize, bytesPer, 'the input', input.shapeRange);
  if (target && trace) checkActivation(cx, target.spec.shape, trace.batchSize, bytesPer, 'the target', target.shapeRange);
  const model = top.has('model') ? readModel(cx, top.get('model')!, input, inputFits ? trace : null, bytesPer) : null;
  if (model && loss && target && model.known) checkLossTarget(cx, model.node, loss, target);
  if (model && model.known && input && target && optimizer && trace) checkModelMemory(cx, model.node, input.spec, target.spec, optimizer, trace, bytesPer);

  if (!model || !input || !target || !loss || !optimizer || !trace) return done(cx, null);
  return done(cx, { model: model.node, input: input.spec, target: target.spec, loss, optimizer, trace });
}

/** `model: {python: model.py, build: "...", loss: "..."}`: the sections a Python model's trace takes from the spec. */
function readSidecar(cx: SpecReading, e: LEntry, top: Map<string, LEntry>): ParseResult {
  const v = e.value as Extract<LValue, { kind: 'map' }>;
  const strings = new Map<string, { value: string; range: SourceRange }>();
  let args: { value: string[]; range: SourceRange } | null = null;
  for (const x of v.entries) {
    if (!['python', 'build', 'loss', 'args'].includes(x.key)) {
      cx.error('spec/unknown-key', `unknown key '${x.key}' in a Python model: it takes python (the file), build (a Python expression that builds the model), loss (one for the loss over model, x and y) and args (the script's command-line arguments)`, x.keyRange);
      continue;
    }
    if (x.key === 'args') {
      args = readScriptArgs(cx, x.value);
      continue;
    }
    if (x.value.kind !== 'scalar' || typeof x.value.value !== 'string' || !x.value.value.trim()) {
      cx.error('spec/type', `model.${x.key} must be a string (${x.key === 'python' ? 'a .py or .ipynb file next to the spec' : 'a Python expression'})`, x.value.range);
      continue;
    }
    strings.set(x.key, { value: x.value.value, range: x.value.range });
  }
  const python = strings.get('python');
  if (python && !/\.(py|ipynb)$/i.test(python.value)) cx.error('spec/type', 'model.python names a .py or .ipynb file', python.range);
  const build = strings.get('build') ?? null;
  const lossExpr = strings.get('loss') ?? null;
  if (lossExpr && !build) cx.error('spec/missing', 'model.loss needs model.build: without build the script\'s own training loop computes the loss', lossExpr.range);
  // With build, the spec says what the model is trained on; without, the script does.
  if (build) {
    for (const k of ['input', 'target']) if (!top.has(k)) cx.error('spec/missing', `the spec has no '${k}': ${MISSING_HINT[k]}`, cx.firstLine(e.keyRange));
    if (!lossExpr && !top.has('loss')) cx.error('spec/missing', `the spec has no 'loss' and model has no loss expression: write loss: CrossEntropyLoss, or model.loss: "model(x, y)[1]"`, cx.firstLine(e.keyRange));
  }
  const trace = readTrace(cx, top.get('trace'));
  const input = top.has('input') ? readData(cx, top.get('input')!, 'input') : null;
  const target = top.has('target') ? readData(cx, top.get('target')!, 'target') : null;
  const loss = top.has('loss') ? readLoss(cx, top.get('loss')!) : null;
  const optimizer = readOptimizer(cx, top.get('optimizer'));
  const result = done(cx, null);
  if (result.diagnostics.some((d) => d.severity === 'error') || !python || !trace || !optimizer) return result;
  return {
    ...result,
    sidecar: {
      python: python.value,
      pythonRange: python.range,
      build: build?.value ?? null,
      buildRange: build?.range ?? null,
      loss: lossExpr?.value ?? null,
      lossRange: lossExpr?.range ?? null,
      args: args?.value ?? null,
      argsRange: args?.range ?? null,
      parts: { input: input?.spec, target: target?.spec, loss: loss ?? undefined, optimizer, trace },
      optimizerWritten: top.has('optimizer'),
    },
  };
}

/**
 * A sidecar's `args`: a list of words (`[--dataset, fake, --niter, 1]`; numbers as written), or one
 * string split at spaces as a shell would, quotes keeping a word with spaces whole.
 */
function readScriptArgs(cx: SpecReading, v: LValue): { value: string[]; range: SourceRange } | null {
  const hint = 'model.args is the script\'s command-line arguments: a list of words ([--dataset, fake]) or one string ("--dataset fake")';
  if (v.kind === 'scalar' && typeof v.value === 'string') {
    const words = splitWords(v.value);
    if (words === null) {
      cx.error('spec/type', `model.args has an unclosed quote: ${hint}`, v.range);
      return null;
    }
    return { value: words, range: v.range };
  }
  if (v.kind !== 'list') {
    cx.error('spec/type', hint, v.range);
    return null;
  }
  const words: string[] = [];
  for (const item of v.items) {
    if (item.kind !== 'scalar' || (typeof item.value !== 'string' && typeof item.value !== 'number')) {
      cx.error('spec/type', `each word of model.args is a string or a number: ${hint}`, item.range);
      return null;
    }
    words.push(String(item.value));
  }
  return { value: words, range: v.range };
}

/** Words as a POSIX shell splits them: at unquoted spaces; '...' and "..." keep spaces, \ escapes. null: a quote left open. */
export function splitWords(text: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word ??= '';
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < text.length) word += text[++i];
      else word += c;
    }
  }
  if (quote) return null;
  if (word !== null) words.push(word);
  return words;
}

function done(cx: SpecReading, spec: ModelSpec | null): ParseResult {
  const diagnostics = cx.diags.map((d, i) => ({ d, i })).sort((a, b) => a.d.range.start - b.d.range.start || a.i - b.i).map((x) => x.d);
  return { spec: diagnostics.some((d) => d.severity === 'error') ? null : spec, diagnostics };
}
