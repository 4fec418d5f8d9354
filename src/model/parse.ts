/**
 * The spec front end: YAML or JSON text → a validated ModelSpec with inferred shapes, or
 * diagnostics on the exact text at fault. Never throws: an editor calls it on every keystroke.
 */
import type {
  ArgValue,
  DataSpec,
  Distribution,
  InitScheme,
  InitSpec,
  LayerNode,
  LossSpec,
  LossType,
  ModelSpec,
  OptimizerSpec,
  OptimizerType,
  SourceRange,
  SpecDiagnostic,
  TraceSettings,
} from './graph';
import {
  ArgDef,
  ArgType,
  CLIP_KEYS,
  CLIPS,
  type ClipKey,
  DEFAULT_OPTIMIZER,
  DISTRIBUTION_KINDS,
  DISTRIBUTIONS,
  DistributionKind,
  formatShape,
  INIT_SCHEMES,
  INITS,
  isRequired,
  layerTypes,
  layerDef,
  LOSS_TYPES,
  LOSSES,
  MAX_SIZE,
  OPTIMIZER_TYPES,
  OPTIMIZERS,
  type OptimizerDef,
  REQUIRED_TOP_LEVEL_KEYS,
  ShapeInput,
  TOP_LEVEL_KEYS,
  TRACE_ARGS,
  withDefaults,
} from './catalogue';
import { locate, LEntry, LList, LValue } from './located';
import { didYouMean } from './suggest';
import { oneLine } from '../escape';
import { DEFAULT_LIMITS, limitName, Limits, maxSpecBytes, memoryLimitBytes } from '../limits';
import { formatBytes } from '../numbers';
import { memoryByLayer } from './memory';

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
    return new Reader(text, options.maxTensorBytes ?? memoryLimitBytes(limits), limits).read(String(fileName));
  } catch (e) {
    // A bug here must not take the editor's diagnostics down with it.
    const message = e instanceof Error ? e.message : String(e);
    return { spec: null, diagnostics: [{ severity: 'error', code: 'spec/internal', message: `internal error while reading the spec: ${message}`, range: { start: 0, end: 0 } }] };
  }
}

// ---------------------------------------------------------------- messages

function describe(v: LValue): string {
  if (v.kind === 'list') return 'a list';
  if (v.kind === 'map') return 'a map';
  const x = v.value;
  if (x === null) return 'an empty value';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  return String(x);
}

function numberForm(t: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): string {
  if (t.min !== undefined && t.max !== undefined) return `a number in ${t.minExclusive ? '(' : '['}${t.min}, ${t.max}${t.maxExclusive ? ')' : ']'}`;
  if (t.min !== undefined) return `a number ${t.minExclusive ? '>' : '≥'} ${t.min}`;
  if (t.max !== undefined) return `a number ${t.maxExclusive ? '<' : '≤'} ${t.max}`;
  return 'a number';
}

function intForm(min: number | undefined): string {
  return min === 1 ? 'a positive integer' : min === undefined ? 'an integer' : `an integer ≥ ${min}`;
}

function expectedForm(t: ArgType): string {
  switch (t.kind) {
    case 'int':
      return intForm(t.min);
    case 'int-or-pair':
      return `${intForm(t.min)} or a [height, width] pair of them`;
    case 'int-or-list':
      return `${intForm(t.min)} or a list of them`;
    case 'int-or-null':
      return 'an integer or null';
    case 'number':
      return numberForm(t);
    case 'number-pair':
      return `a pair of numbers, each ${numberForm(t).replace(/^a number /, '')}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${t.values.map((v) => `'${v}'`).join(', ')}`;
  }
}

function example(defs: readonly ArgDef[]): string {
  const req = defs.filter(isRequired);
  return `{${req.map((a) => `${a.name}: …`).join(', ')}}`;
}

function andList(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

const isScalar = (v: LValue | null | undefined, type: 'string' | 'number' | 'boolean'): boolean => !!v && v.kind === 'scalar' && typeof v.value === type;
const isNull = (v: LValue | null | undefined): boolean => !v || (v.kind === 'scalar' && v.value === null);

interface ReadArgs {
  values: Record<string, ArgValue>;
  ranges: Record<string, SourceRange>;
  ok: boolean;
}

/** How the shape chain stands before the next layer. */
interface Flow {
  /** null once an earlier error makes the shape unknown: later shape checks would only echo it. */
  shape: number[] | null;
  indices: ShapeInput['indices'];
  from: string;
}

interface Frame {
  node: LayerNode;
  items: LValue[];
  next: number;
  names: Map<string, string>;
  /**
   * A container of named branches (Residual): each branch is a Sequential read from the same input
   * in turn, then their outputs are joined. `queue` holds the branches not yet read.
   */
  branches?: { queue: { node: LayerNode; items: LValue[] }[]; input: Flow; outputs: { node: LayerNode; shape: number[] | null }[]; running: LayerNode | null };
}

class Reader {
  private diags: SpecDiagnostic[] = [];

  constructor(
    private readonly text: string,
    private readonly maxBytes: number,
    private readonly limits: Limits,
  ) {}

  private error(code: string, message: string, range: SourceRange): void {
    this.diags.push({ severity: 'error', code, message: oneLine(message), range: { start: range.start, end: range.end } });
  }

  /** The first line of a value: where "missing" findings go when there is no better place. */
  private firstLine(r: SourceRange): SourceRange {
    const nl = this.text.indexOf('\n', r.start);
    return { start: r.start, end: nl < 0 || nl > r.end ? r.end : nl };
  }

  read(fileName: string): ParseResult {
    const located = locate(this.text, fileName, { maxDepth: this.limits.maxDepth, what: 'the spec' });
    this.diags.push(...located.diagnostics);
    const root = located.root;
    if (!root || isNull(root)) {
      if (!this.diags.length) {
        this.error('spec/missing', `the spec is empty: it needs ${andList(REQUIRED_TOP_LEVEL_KEYS)} (and optionally optimizer and trace)`, { start: 0, end: 0 });
      }
      return this.done(null);
    }
    if (root.kind !== 'map') {
      this.error('spec/type', `a model spec is a map with the keys ${andList(REQUIRED_TOP_LEVEL_KEYS)} (and optionally optimizer and trace), not ${describe(root)}`, this.firstLine(root.range));
      return this.done(null);
    }
    const top = new Map<string, LEntry>();
    for (const e of root.entries) {
      if (TOP_LEVEL_KEYS.includes(e.key)) top.set(e.key, e);
      else if (e.key !== '$schema') {
        this.error('spec/unknown-key', `unknown key '${e.key}'.${didYouMean(e.key, TOP_LEVEL_KEYS)} A spec's keys are ${TOP_LEVEL_KEYS.join(', ')}.`, e.keyRange);
      }
    }
    const modelEntry = top.get('model');
    if (modelEntry && modelEntry.value.kind === 'map' && modelEntry.value.entries.some((x) => x.key === 'python')) return this.readSidecar(modelEntry, top);
    for (const k of REQUIRED_TOP_LEVEL_KEYS) {
      if (!top.has(k)) this.error('spec/missing', `the spec has no '${k}': ${MISSING_HINT[k]}`, this.firstLine(root.range));
    }

    const trace = this.readTrace(top.get('trace'));
    const input = top.has('input') ? this.readData(top.get('input')!, 'input') : null;
    const target = top.has('target') ? this.readData(top.get('target')!, 'target') : null;
    const loss = top.has('loss') ? this.readLoss(top.get('loss')!) : null;
    const optimizer = this.readOptimizer(top.get('optimizer'));
    const bytesPer = trace?.dtype === 'float64' ? 8 : 4;
    // A batch too large to hold would only be reported again at every layer.
    const inputFits = !!input && !!trace && this.checkActivation(input.spec.shape, trace.batchSize, bytesPer, 'the input', input.shapeRange);
    if (target && trace) this.checkActivation(target.spec.shape, trace.batchSize, bytesPer, 'the target', target.shapeRange);
    const model = top.has('model') ? this.readModel(top.get('model')!, input, inputFits ? trace : null, bytesPer) : null;
    if (model && loss && target && model.known) this.checkLossTarget(model.node, loss, target);
    if (model && model.known && input && target && optimizer && trace) this.checkModelMemory(model.node, input.spec, target.spec, optimizer, trace, bytesPer);

    if (!model || !input || !target || !loss || !optimizer || !trace) return this.done(null);
    return this.done({ model: model.node, input: input.spec, target: target.spec, loss, optimizer, trace });
  }

  /** `model: {python: model.py, build: "...", loss: "..."}`: the sections a Python model's trace takes from the spec. */
  private readSidecar(e: LEntry, top: Map<string, LEntry>): ParseResult {
    const v = e.value as Extract<LValue, { kind: 'map' }>;
    const strings = new Map<string, { value: string; range: SourceRange }>();
    for (const x of v.entries) {
      if (!['python', 'build', 'loss'].includes(x.key)) {
        this.error('spec/unknown-key', `unknown key '${x.key}' in a Python model: it takes python (the file), build (a Python expression that builds the model) and loss (one for the loss over model, x and y)`, x.keyRange);
        continue;
      }
      if (x.value.kind !== 'scalar' || typeof x.value.value !== 'string' || !x.value.value.trim()) {
        this.error('spec/type', `model.${x.key} must be a string (${x.key === 'python' ? 'a .py or .ipynb file next to the spec' : 'a Python expression'})`, x.value.range);
        continue;
      }
      strings.set(x.key, { value: x.value.value, range: x.value.range });
    }
    const python = strings.get('python');
    if (python && !/\.(py|ipynb)$/i.test(python.value)) this.error('spec/type', 'model.python names a .py or .ipynb file', python.range);
    const build = strings.get('build') ?? null;
    const lossExpr = strings.get('loss') ?? null;
    if (lossExpr && !build) this.error('spec/missing', 'model.loss needs model.build: without build the script\'s own training loop computes the loss', lossExpr.range);
    // With build, the spec says what the model is trained on; without, the script does.
    if (build) {
      for (const k of ['input', 'target']) if (!top.has(k)) this.error('spec/missing', `the spec has no '${k}': ${MISSING_HINT[k]}`, this.firstLine(e.keyRange));
      if (!lossExpr && !top.has('loss')) this.error('spec/missing', `the spec has no 'loss' and model has no loss expression: write loss: CrossEntropyLoss, or model.loss: "model(x, y)[1]"`, this.firstLine(e.keyRange));
    }
    const trace = this.readTrace(top.get('trace'));
    const input = top.has('input') ? this.readData(top.get('input')!, 'input') : null;
    const target = top.has('target') ? this.readData(top.get('target')!, 'target') : null;
    const loss = top.has('loss') ? this.readLoss(top.get('loss')!) : null;
    const optimizer = this.readOptimizer(top.get('optimizer'));
    const result = this.done(null);
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
        parts: { input: input?.spec, target: target?.spec, loss: loss ?? undefined, optimizer, trace },
        optimizerWritten: top.has('optimizer'),
      },
    };
  }

  private done(spec: ModelSpec | null): ParseResult {
    const diagnostics = this.diags.map((d, i) => ({ d, i })).sort((a, b) => a.d.range.start - b.d.range.start || a.i - b.i).map((x) => x.d);
    return { spec: diagnostics.some((d) => d.severity === 'error') ? null : spec, diagnostics };
  }

  // ---------------------------------------------------------------- arguments

  /** One argument's value, or undefined after reporting why it is wrong. */
  private arg(def: ArgDef, v: LValue, owner: string): ArgValue | undefined {
    const t = def.type;
    const bad = (range = v.range, got = describe(v)) => {
      this.error('spec/type', `${owner} ${def.name} must be ${expectedForm(t)} (got ${got})`, range);
      return undefined;
    };
    const int = (x: LValue, min: number | undefined): number | undefined => {
      if (x.kind !== 'scalar' || typeof x.value !== 'number' || !Number.isFinite(x.value) || !Number.isInteger(x.value)) return bad(x.range, describe(x));
      if (Math.abs(x.value) > MAX_SIZE) {
        this.error('spec/too-large', `${owner} ${def.name} is ${x.value}, above the largest supported value ${MAX_SIZE}`, x.range);
        return undefined;
      }
      if (min !== undefined && x.value < min) return bad(x.range, describe(x));
      return x.value;
    };
    const num = (x: LValue, b: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): number | undefined => {
      if (x.kind !== 'scalar' || typeof x.value !== 'number' || !Number.isFinite(x.value)) return bad(x.range, describe(x));
      const y = x.value;
      if (b.min !== undefined && (b.minExclusive ? y <= b.min : y < b.min)) return bad(x.range, describe(x));
      if (b.max !== undefined && (b.maxExclusive ? y >= b.max : y > b.max)) return bad(x.range, describe(x));
      return y;
    };
    const ints = (list: LList, min: number, count?: number): number[] | undefined => {
      if (list.items.length === 0 || (count !== undefined && list.items.length !== count)) return bad();
      const out: number[] = [];
      for (const x of list.items) {
        const k = int(x, min);
        if (k === undefined) return undefined;
        out.push(k);
      }
      return out;
    };
    switch (t.kind) {
      case 'int':
        return int(v, t.min);
      case 'int-or-pair':
        return v.kind === 'list' ? ints(v, t.min, 2) : int(v, t.min);
      case 'int-or-list':
        return v.kind === 'list' ? ints(v, t.min) : int(v, t.min);
      case 'int-or-null':
        return isNull(v) ? null : int(v, undefined);
      case 'number':
        return num(v, t);
      case 'number-pair': {
        if (v.kind !== 'list' || v.items.length !== 2) return bad();
        const a = num(v.items[0], t);
        const b = a === undefined ? undefined : num(v.items[1], t);
        return a === undefined || b === undefined ? undefined : [a, b];
      }
      case 'bool':
        return isScalar(v, 'boolean') ? ((v as { value: boolean }).value as boolean) : bad();
      case 'enum':
        return v.kind === 'scalar' && typeof v.value === 'string' && t.values.includes(v.value) ? v.value : bad();
    }
  }

  /**
   * A map of arguments checked against their definitions: unknown names, types, the required
   * ones. `values` has every default filled; `ranges` has the values the user wrote.
   */
  private args(defs: readonly ArgDef[], node: LValue | null | undefined, owner: string, ownerRange: SourceRange, mustWrite = true): ReadArgs {
    const written: Record<string, ArgValue> = {};
    const ranges: Record<string, SourceRange> = {};
    // Written but wrong is reported as wrong, not also as missing.
    const present = new Set<string>();
    let ok = true;
    if (node && !isNull(node)) {
      if (node.kind !== 'map') {
        const form = defs.length ? `a map like ${example(defs).replace('{}', `{${defs[0].name}: …}`)}` : 'nothing (it takes no arguments)';
        this.error('spec/type', `${owner} takes ${form}, not ${describe(node)}`, node.range);
        return { values: withDefaults(defs, {}), ranges, ok: false };
      }
      const names = defs.map((d) => d.name);
      for (const e of node.entries) {
        const def = defs.find((d) => d.name === e.key);
        if (def) present.add(def.name);
        if (!def) {
          const known = names.length ? ` Its arguments are ${names.join(', ')}.` : ' It takes no arguments.';
          this.error('spec/unknown-arg', `${owner} has no argument '${e.key}'.${didYouMean(e.key, names)}${known}`, e.keyRange);
          ok = false;
          continue;
        }
        // null means "the default" only where PyTorch takes None (pooling's stride).
        if (def.defaultFrom && isNull(e.value)) {
          ranges[def.name] = e.value.range;
          continue;
        }
        const v = this.arg(def, e.value, owner);
        if (v === undefined) ok = false;
        else {
          written[def.name] = v;
          ranges[def.name] = e.value.range;
        }
      }
    }
    const missing = defs.filter((d) => isRequired(d) && !present.has(d.name));
    if (missing.length && mustWrite) {
      const names = missing.map((d) => d.name);
      this.error('spec/missing', `${owner} needs ${andList(names)}: write ${owner}: ${example(defs)}`, ownerRange);
      ok = false;
    }
    return { values: withDefaults(defs, written), ranges, ok };
  }

  /** `Name` or `{Name: args}`: the one-key form of losses, optimisers, init schemes and distributions. */
  private oneKey(v: LValue, what: string): { key: string; keyRange: SourceRange; args: LValue | null } | null {
    if (v.kind === 'scalar' && typeof v.value === 'string') return { key: v.value, keyRange: v.range, args: null };
    if (v.kind === 'map' && v.entries.length === 1) return { key: v.entries[0].key, keyRange: v.entries[0].keyRange, args: v.entries[0].value };
    this.error('spec/type', `${what} is a name or a map with one key (the name) holding its arguments, not ${v.kind === 'map' ? `a map with ${v.entries.length} keys` : describe(v)}`, v.range);
    return null;
  }

  // ---------------------------------------------------------------- sections

  private readTrace(e: LEntry | undefined): TraceSettings | null {
    if (!e) return { steps: 20, batchSize: 8, seed: 0, dtype: 'float32', range: null };
    const a = this.args(TRACE_ARGS, e.value, 'trace', e.keyRange);
    if (!a.ok) return null;
    if ((a.values.steps as number) > this.limits.maxSteps) {
      this.error('spec/too-large', `trace steps is ${a.values.steps}, over the limit of ${this.limits.maxSteps} steps per trace (${limitName('maxSteps')})`, a.ranges.steps);
      return null;
    }
    return {
      steps: a.values.steps as number,
      batchSize: a.values.batch_size as number,
      seed: a.values.seed as number,
      dtype: a.values.dtype as 'float32' | 'float64',
      ...(a.values.dropout === false ? { dropout: false } : {}),
      range: e.value.range,
    };
  }

  private readData(e: LEntry, which: 'input' | 'target'): { spec: DataSpec; range: SourceRange; shapeRange: SourceRange; classesRange: SourceRange | null } | null {
    const v = e.value;
    const keys = which === 'target' ? ['shape', 'distribution', 'data', 'classes'] : ['shape', 'distribution', 'data'];
    const form = which === 'target' ? '{shape: [1], distribution: normal} or {classes: 10}' : '{shape: [10], distribution: normal}';
    if (v.kind !== 'map') {
      this.error('spec/type', `${which} must be a map like ${form}, not ${describe(v)}`, isNull(v) ? e.keyRange : v.range);
      return null;
    }
    const field = new Map<string, LEntry>();
    let ok = true;
    for (const f of v.entries) {
      if (keys.includes(f.key)) field.set(f.key, f);
      else {
        this.error('spec/unknown-key', `${which} has no field '${f.key}'.${didYouMean(f.key, keys)} Its fields are ${keys.join(', ')}.`, f.keyRange);
        ok = false;
      }
    }
    const classes = field.get('classes');
    if (classes) {
      const count = this.arg({ name: 'classes', type: { kind: 'int', min: 1 }, doc: '' }, classes.value, which);
      const dist = field.get('distribution');
      if (dist) {
        this.error('spec/type', `${which} with classes draws class indices in [0, classes), or reads them from data: remove 'distribution'`, dist.keyRange);
        ok = false;
      }
      const data = field.get('data');
      const file = data ? this.dataPath(data, which) : null;
      if (data && file === null) ok = false;
      const shape = field.get('shape');
      if (shape && !(shape.value.kind === 'list' && shape.value.items.length === 0)) {
        this.error('spec/type', `class-index targets have one index per sample (shape []): remove shape, or use a shape-matching target without classes`, shape.value.range);
        ok = false;
      }
      if (count === undefined || !ok) return null;
      return {
        spec: { shape: [], distribution: { kind: 'classes', count: count as number }, file, ...(data && file !== null ? { fileRange: data.value.range } : {}), range: v.range },
        range: v.range,
        shapeRange: classes.value.range,
        classesRange: classes.value.range,
      };
    }
    const shapeEntry = field.get('shape');
    let shape: number[] | undefined;
    if (!shapeEntry) {
      const also = field.has('data') ? ' (with data, shape is still needed so the layers can be checked before the file is read)' : '';
      this.error('spec/missing', `${which} needs shape, the size of one sample without the batch axis: ${form}${also}`, e.keyRange);
      ok = false;
    } else if (shapeEntry.value.kind !== 'list') {
      this.error('spec/type', `${which} shape must be a list of positive integers, e.g. [10] or [1, 8, 8] (got ${describe(shapeEntry.value)})`, shapeEntry.value.range);
      ok = false;
    } else {
      shape = [];
      for (const d of shapeEntry.value.items) {
        const k = this.arg({ name: 'shape', type: { kind: 'int', min: 1 }, doc: '' }, d, which);
        if (k === undefined) {
          shape = undefined;
          break;
        }
        shape.push(k as number);
      }
    }
    let distribution: Distribution | null = null;
    let file: string | null = null;
    const dataEntry = field.get('data');
    const distEntry = field.get('distribution');
    if (dataEntry) {
      if (distEntry) {
        this.error('spec/type', `${which} takes either data (a file) or distribution (synthetic samples), not both`, distEntry.keyRange);
        ok = false;
      }
      file = this.dataPath(dataEntry, which);
      if (file === null) ok = false;
    } else if (distEntry) {
      const d = this.readDistribution(distEntry, which);
      if (d) distribution = d;
      else ok = false;
    } else {
      distribution = { kind: 'normal', mean: 0, std: 1 };
    }
    if (!ok || !shape) return null;
    const fileRange = dataEntry && file !== null ? { fileRange: dataEntry.value.range } : {};
    return { spec: { shape, distribution, file, ...fileRange, range: v.range }, range: v.range, shapeRange: shapeEntry!.value.range, classesRange: null };
  }

  /** The `data:` path as written, or null (reported) when it is not a path. */
  private dataPath(e: LEntry, which: string): string | null {
    const v = e.value;
    if (v.kind === 'scalar' && typeof v.value === 'string' && v.value.trim()) return v.value;
    this.error('spec/type', `${which} data must be the path of a .json or .npy file relative to the spec (got ${describe(v)})`, v.range);
    return null;
  }

  private readDistribution(e: LEntry, which: string): Distribution | null {
    const one = this.oneKey(e.value, `${which} distribution`);
    if (!one) return null;
    if (!(DISTRIBUTION_KINDS as string[]).includes(one.key)) {
      const hint = one.key === 'classes' && which === 'target' ? ' For class indices write target: {classes: N}.' : '';
      this.error('spec/unknown-distribution', `unknown distribution '${one.key}'.${didYouMean(one.key, DISTRIBUTION_KINDS)} Distributions are ${DISTRIBUTION_KINDS.join(', ')}.${hint}`, one.keyRange);
      return null;
    }
    const kind = one.key as DistributionKind;
    const a = this.args(DISTRIBUTIONS[kind].args, one.args, kind, one.keyRange);
    if (!a.ok) return null;
    const x = a.values as Record<string, number>;
    if ((kind === 'uniform' && x.low > x.high) || (kind === 'integers' && x.low >= x.high)) {
      this.error('spec/type', `${kind} needs low ${kind === 'integers' ? '<' : '≤'} high (got low ${x.low}, high ${x.high})`, a.ranges.high ?? a.ranges.low ?? one.keyRange);
      return null;
    }
    switch (kind) {
      case 'normal':
        return { kind, mean: x.mean, std: x.std };
      case 'uniform':
        return { kind, low: x.low, high: x.high };
      case 'integers':
        return { kind, low: x.low, high: x.high };
      case 'bernoulli':
        return { kind, p: x.p };
    }
  }

  private readLoss(e: LEntry): LossSpec | null {
    const one = this.oneKey(e.value, 'loss');
    if (!one) return null;
    if (!(LOSS_TYPES as string[]).includes(one.key)) {
      this.error('spec/unknown-loss', `unknown loss '${one.key}'.${didYouMean(one.key, LOSS_TYPES)} Losses are ${LOSS_TYPES.join(', ')}.`, one.keyRange);
      return null;
    }
    const type = one.key as LossType;
    const a = this.args(LOSSES[type].args, one.args, type, one.keyRange);
    if (!a.ok) return null;
    return { type, args: a.values as LossSpec['args'], range: e.value.range, typeRange: one.keyRange, argRanges: a.ranges };
  }

  private readOptimizer(e: LEntry | undefined): OptimizerSpec | null {
    if (!e) {
      const end = { start: this.text.length, end: this.text.length };
      const args = withDefaults(OPTIMIZERS.SGD.args, DEFAULT_OPTIMIZER.args) as OptimizerSpec['args'];
      return { type: DEFAULT_OPTIMIZER.type, args, range: end, typeRange: end, argRanges: {}, clip: null };
    }
    // clip_grad_norm / clip_grad_value sit beside the optimiser's own key
    let value = e.value;
    let clip: OptimizerSpec['clip'] = null;
    if (value.kind === 'map' && value.entries.some((x) => (CLIP_KEYS as string[]).includes(x.key))) {
      const clips = value.entries.filter((x) => (CLIP_KEYS as string[]).includes(x.key));
      for (const extra of clips.slice(1)) {
        this.error('spec/type', `one gradient clipping per optimizer: ${clips[0].key} is already given`, extra.keyRange);
        return null;
      }
      clip = this.readClip(clips[0]);
      if (!clip) return null;
      value = { ...value, entries: value.entries.filter((x) => !(CLIP_KEYS as string[]).includes(x.key)) };
      if (!value.entries.length) {
        this.error('spec/missing', `the optimizer section needs an optimizer beside ${clips[0].key}, e.g. {Adam: {lr: 0.001}, ${clips[0].key}: …}`, e.keyRange);
        return null;
      }
    }
    // {Adam: {…}, clip_grad_nrom: 1}: the stray key is the one to point at, not the whole map
    if (value.kind === 'map' && value.entries.length > 1 && value.entries.some((x) => (OPTIMIZER_TYPES as string[]).includes(x.key))) {
      const stray = value.entries.find((x) => !(OPTIMIZER_TYPES as string[]).includes(x.key)) ?? value.entries[1];
      const known = (OPTIMIZER_TYPES as string[]).includes(stray.key) ? '' : didYouMean(stray.key, CLIP_KEYS);
      this.error('spec/unknown-key', `the optimizer section holds one optimizer and at most one of ${CLIP_KEYS.join(', ')}, not '${stray.key}'.${known}`, stray.keyRange);
      return null;
    }
    const one = this.oneKey(value, 'optimizer');
    if (!one) return null;
    if (!(OPTIMIZER_TYPES as string[]).includes(one.key)) {
      const known = [...OPTIMIZER_TYPES, ...CLIP_KEYS];
      this.error('spec/unknown-optimizer', `unknown optimizer '${one.key}'.${didYouMean(one.key, known)} Optimizers are ${OPTIMIZER_TYPES.join(', ')}; ${CLIP_KEYS.join(' and ')} may go beside one.`, one.keyRange);
      return null;
    }
    const type = one.key as OptimizerType;
    const a = this.args(OPTIMIZERS[type].args, one.args, type, one.keyRange);
    if (!a.ok) return null;
    const x = a.values;
    const wrong = (OPTIMIZERS[type] as OptimizerDef).check?.(x);
    if (wrong) {
      this.error('spec/type', wrong.error, a.ranges[wrong.arg] ?? one.keyRange);
      return null;
    }
    return { type, args: x as OptimizerSpec['args'], range: e.value.range, typeRange: one.keyRange, argRanges: a.ranges, clip };
  }

  /** `clip_grad_norm: {max_norm: 1.0, norm_type: 2}`, or its shorthand `clip_grad_norm: 1.0`; clip_grad_value likewise. */
  private readClip(e: LEntry): OptimizerSpec['clip'] {
    const key = e.key as ClipKey;
    const def = CLIPS[key];
    let node = e.value;
    if (node.kind === 'scalar' && node.value !== null) node = { kind: 'map', entries: [{ key: def.shorthand, keyRange: node.range, value: node }], range: node.range };
    const a = this.args(def.args, node, key, e.keyRange);
    if (!a.ok) return null;
    const range = { key: e.keyRange, value: e.value.range };
    return key === 'clip_grad_norm'
      ? { kind: 'norm', maxNorm: a.values.max_norm as number, normType: a.values.norm_type as number, ranges: range }
      : { kind: 'value', clipValue: a.values.clip_value as number, ranges: range };
  }

  // ---------------------------------------------------------------- the model

  private readModel(
    e: LEntry,
    input: { spec: DataSpec } | null,
    trace: TraceSettings | null,
    bytesPer: number,
  ): { node: LayerNode; known: boolean } | null {
    const v = e.value;
    if (v.kind !== 'list' || v.items.length === 0) {
      const got = v.kind === 'list' ? 'an empty list' : describe(v);
      this.error(v.kind === 'list' || isNull(v) ? 'spec/missing' : 'spec/type', `model must be a list of layers, e.g. [{Linear: {in_features: 10, out_features: 1}}] (got ${got})`, isNull(v) ? e.keyRange : v.range);
      return null;
    }
    const inShape = input ? [...input.spec.shape] : [];
    const root: LayerNode = {
      type: 'Sequential',
      name: '',
      path: '',
      args: {},
      init: {},
      params: [],
      children: [],
      range: v.range,
      typeRange: e.keyRange,
      argRanges: {},
      inShape,
      outShape: inShape,
    };
    const d = input?.spec.distribution;
    const flow: Flow = {
      shape: input && trace ? inShape : null,
      indices: input?.spec.file ? 'unknown' : d?.kind === 'integers' ? { low: d.low, high: d.high } : null,
      from: 'the input',
    };
    let ok = true;
    // An explicit stack of open Sequentials instead of recursion: nesting depth is the user's.
    const frames: Frame[] = [{ node: root, items: v.items, next: 0, names: new Map() }];
    while (frames.length) {
      const f = frames[frames.length - 1];
      if (f.branches) {
        const b = f.branches;
        if (b.running) b.outputs.push({ node: b.running, shape: flow.shape });
        const next = b.queue.shift();
        if (next) {
          // every branch starts from the container's input
          Object.assign(flow, { ...b.input, shape: b.input.shape && [...b.input.shape] });
          b.running = next.node;
          next.node.inShape = flow.shape ? [...flow.shape] : [];
          frames.push({ node: next.node, items: next.items, next: 0, names: new Map() });
          continue;
        }
        frames.pop();
        if (!this.joinBranches(f.node, b.input, b.outputs, flow)) ok = false;
        continue;
      }
      if (f.next >= f.items.length) {
        f.node.outShape = flow.shape ? [...flow.shape] : [];
        frames.pop();
        continue;
      }
      const index = f.next++;
      const entry = this.readEntry(f.items[index], index, f.node);
      if (!entry) {
        ok = false;
        flow.shape = null;
        continue;
      }
      const { node, nameRange } = entry;
      const clash = f.names.get(node.name);
      if (clash !== undefined) {
        const where = f.node.path ? `'${f.node.path}'` : 'model';
        this.error('spec/duplicate-name', `two layers in ${where} are named '${node.name}' (${clash} and this one): names must be unique within a Sequential`, nameRange ?? node.typeRange);
        ok = false;
      } else {
        f.names.set(node.name, nameRange ? `the one named '${node.name}'` : `the entry at index ${index}`);
      }
      f.node.children.push(node);
      node.inShape = flow.shape ? [...flow.shape] : [];
      if (!entry.ok) ok = false;
      const def = layerDef(node.type)!;
      if (def.traits.branches) {
        const queue = (entry.branches ?? []).map((br) => ({ node: br.node, items: br.items }));
        for (const br of queue) node.children.push(br.node);
        frames.push({ node, items: [], next: 0, names: new Map(), branches: { queue, input: { ...flow, shape: flow.shape && [...flow.shape] }, outputs: [], running: null } });
        continue;
      }
      if (def.traits.container) {
        frames.push({ node, items: entry.children, next: 0, names: new Map() });
        continue;
      }
      if (!entry.ok) {
        flow.shape = null;
        continue;
      }
      for (const p of node.params) {
        const bytes = product(p.shape) * bytesPer;
        if (bytes > this.maxBytes) {
          this.overMemoryLimit(`${node.path}: ${node.type}'s ${p.name} ${formatShape(p.shape)} needs ${formatBytes(bytes)}`, node.typeRange);
          ok = false;
        }
      }
      if (!flow.shape || !trace) continue;
      const r = def.shape({ args: node.args, inShape: flow.shape, from: flow.from, batchSize: trace.batchSize, indices: flow.indices });
      if ('error' in r) {
        const range = (r.arg && node.argRanges[r.arg]) || node.typeRange;
        this.error(r.code ?? 'spec/shape-mismatch', r.error, range);
        ok = false;
        flow.shape = null;
        continue;
      }
      node.outShape = r.shape;
      if (!this.checkActivation(r.shape, trace.batchSize, bytesPer, `the output of ${node.path}: ${node.type}`, node.typeRange)) {
        ok = false;
        flow.shape = null;
        continue;
      }
      flow.shape = r.shape;
      flow.indices = def.traits.keepsIndices ? flow.indices : null;
      flow.from = `the previous layer (${node.path}: ${node.type})`;
    }
    return { node: root, known: ok && flow.shape !== null && !!input && !!trace };
  }

  /** One `model:` entry: `Sigmoid`, `{Linear: {...}, name, init}` or `{Sequential: [...], name}`. */
  private readEntry(
    item: LValue,
    index: number,
    parent: LayerNode,
  ): { node: LayerNode; ok: boolean; nameRange: SourceRange | null; children: LValue[]; branches?: { node: LayerNode; items: LValue[] }[] } | null {
    const entryForm = 'a layer entry is a layer name (- ReLU) or a map with one layer key (- Linear: {in_features: 10, out_features: 5}), plus optional name and init';
    let type: string;
    let typeRange: SourceRange;
    let argsNode: LValue | null = null;
    let nameEntry: LEntry | undefined;
    let initEntry: LEntry | undefined;
    let ok = true;
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      type = item.value;
      typeRange = item.range;
      if (!layerDef(type)) {
        this.unknownLayer(type, typeRange);
        return null;
      }
    } else if (item.kind === 'map') {
      const layerKeys: LEntry[] = [];
      const other: LEntry[] = [];
      for (const e of item.entries) {
        if (e.key === 'name') nameEntry = e;
        else if (e.key === 'init') initEntry = e;
        else if (layerDef(e.key)) layerKeys.push(e);
        else other.push(e);
      }
      if (layerKeys.length === 0) {
        if (other.length === 0) {
          this.error('spec/missing', `this entry has no layer: ${entryForm}`, this.firstLine(item.range));
          return null;
        }
        this.unknownLayer(other[0].key, other[0].keyRange);
        for (const o of other.slice(1)) this.error('spec/unknown-key', `a layer entry has no key '${o.key}'.${didYouMean(o.key, ['name', 'init'])} ${entryForm}`, o.keyRange);
        return null;
      }
      for (const extra of layerKeys.slice(1)) {
        this.error('spec/type', `one layer per entry: move ${extra.key} to its own entry (- ${extra.key}: ...)`, extra.keyRange);
        ok = false;
      }
      for (const o of other) {
        this.error('spec/unknown-key', `a layer entry has no key '${o.key}'.${didYouMean(o.key, ['name', 'init'])} Besides the layer (${layerKeys[0].key}) it takes name and init.`, o.keyRange);
        ok = false;
      }
      type = layerKeys[0].key;
      typeRange = layerKeys[0].keyRange;
      argsNode = layerKeys[0].value;
    } else {
      this.error('spec/type', `${entryForm}; got ${describe(item)}`, item.range);
      return null;
    }

    let name = String(index);
    let nameRange: SourceRange | null = null;
    if (nameEntry) {
      const nv = nameEntry.value;
      // No dots (they separate named_parameters() paths), no spaces or control characters.
      if (nv.kind === 'scalar' && typeof nv.value === 'string' && /^[^.\s\u0000-\u001f\u007f-\u009f]+$/.test(nv.value)) {
        name = nv.value;
        nameRange = nv.range;
      } else {
        this.error('spec/type', `a layer name must be a non-empty string without dots or spaces, like fc1 (got ${describe(nv)})`, nv.range);
        ok = false;
      }
    }
    const def = layerDef(type)!;
    const node: LayerNode = {
      type,
      name,
      path: parent.path ? `${parent.path}.${name}` : name,
      args: {},
      init: {},
      params: [],
      children: [],
      range: item.range,
      typeRange,
      argRanges: {},
      inShape: [],
      outShape: [],
    };
    if (def.traits.branches) {
      if (initEntry) {
        this.error('spec/unknown-param', `${type} has no parameters of its own: put init on the layers inside its branches`, initEntry.keyRange);
        ok = false;
      }
      const branches = this.readBranches(type, def.traits.branches, argsNode, typeRange, node);
      if (!branches) return { node, ok: false, nameRange, children: [], branches: [] };
      return { node, ok, nameRange, children: [], branches };
    }
    if (def.traits.container) {
      let children: LValue[] = [];
      if (argsNode && !isNull(argsNode)) {
        if (argsNode.kind === 'list') children = argsNode.items;
        else {
          this.error('spec/type', `Sequential takes a list of layer entries, e.g. Sequential: [{Linear: {in_features: 4, out_features: 4}}, ReLU] (got ${describe(argsNode)})`, argsNode.range);
          ok = false;
        }
      }
      if (initEntry) {
        this.error('spec/unknown-param', 'Sequential has no parameters of its own: put init on the layers inside it', initEntry.keyRange);
        ok = false;
      }
      return { node, ok, nameRange, children };
    }

    const a = this.args(def.args, argsNode, type, typeRange);
    node.args = a.values;
    node.argRanges = a.ranges;
    if (!a.ok) return { node, ok: false, nameRange, children: [] };
    const wrong = def.check?.(a.values);
    if (wrong) {
      this.error('spec/type', `${type} ${wrong.error}`, a.ranges[wrong.arg] ?? typeRange);
      return { node, ok: false, nameRange, children: [] };
    }
    node.params = def.params(a.values);
    if (initEntry && !this.readInit(initEntry, node)) ok = false;
    return { node, ok, nameRange, children: [] };
  }

  /**
   * `Residual: {body: [...], shortcut: [...]}`: each branch a Sequential under the container's path
   * (`0.body`, `0.shortcut`), as the engine's module names them. The first branch is required.
   */
  private readBranches(type: string, names: readonly string[], v: LValue | null, typeRange: SourceRange, parent: LayerNode): { node: LayerNode; items: LValue[] }[] | null {
    const form = `${type} takes {${names.map((b) => `${b}: [layers…]`).join(', ')}}${names.length > 1 ? ` (${names.slice(1).join(', ')} optional)` : ''}`;
    if (!v || isNull(v) || v.kind !== 'map') {
      this.error(v && !isNull(v) ? 'spec/type' : 'spec/missing', `${form}, e.g. ${type}: {${names[0]}: [{Linear: {in_features: 8, out_features: 8}}, ReLU]}${v && !isNull(v) ? ` (got ${describe(v)})` : ''}`, v && !isNull(v) ? v.range : typeRange);
      return null;
    }
    let ok = true;
    const out: { node: LayerNode; items: LValue[] }[] = [];
    for (const e of v.entries) {
      if (!names.includes(e.key)) {
        this.error('spec/unknown-key', `${type} has no branch '${e.key}'.${didYouMean(e.key, [...names])} ${form}.`, e.keyRange);
        ok = false;
        continue;
      }
      if (e.value.kind !== 'list' || e.value.items.length === 0) {
        this.error('spec/type', `${type} ${e.key} must be a non-empty list of layer entries (got ${e.value.kind === 'list' ? 'an empty list' : describe(e.value)})`, isNull(e.value) ? e.keyRange : e.value.range);
        ok = false;
        continue;
      }
      out.push({
        node: {
          type: 'Sequential',
          name: e.key,
          path: parent.path ? `${parent.path}.${e.key}` : e.key,
          args: {},
          init: {},
          params: [],
          children: [],
          range: e.value.range,
          typeRange: e.keyRange,
          argRanges: {},
          inShape: [],
          outShape: [],
        },
        items: e.value.items,
      });
    }
    if (ok && !out.some((b) => b.node.name === names[0])) {
      this.error('spec/missing', `${type} needs its ${names[0]}: ${form}`, typeRange);
      ok = false;
    }
    // the engine adds the branches in the catalogue's order, whatever order they were written in
    out.sort((a, b) => names.indexOf(a.node.name) - names.indexOf(b.node.name));
    return ok ? out : null;
  }

  /** Joins the branches of a Residual: body(x) + shortcut(x), or body(x) + x, which must have one shape. */
  private joinBranches(node: LayerNode, input: Flow, outputs: { node: LayerNode; shape: number[] | null }[], flow: Flow): boolean {
    flow.indices = null;
    flow.from = `the previous layer (${node.path}: ${node.type})`;
    const body = outputs[0];
    const shortcut = outputs[1];
    if (!body || !body.shape || (shortcut && !shortcut.shape) || !input.shape) {
      flow.shape = null;
      node.outShape = [];
      return true;
    }
    const other = shortcut ? shortcut.shape! : input.shape;
    if (other.length !== body.shape.length || other.some((d, i) => d !== body.shape![i])) {
      const what = shortcut ? `the shortcut gives ${formatShape(other)}` : `its input is ${formatShape(other)}`;
      const hint = shortcut ? '' : ': add a shortcut that projects the input to the body\'s shape, e.g. shortcut: [{Linear: …}] or [{Conv2d: {…, kernel_size: 1}}]';
      this.error('spec/shape-mismatch', `${node.type} adds its body's output to ${shortcut ? "its shortcut's" : 'its input'}, but the body gives ${formatShape(body.shape)} and ${what}${hint}`, node.typeRange);
      flow.shape = null;
      node.outShape = [];
      return false;
    }
    node.outShape = [...body.shape];
    flow.shape = [...body.shape];
    return true;
  }

  private unknownLayer(type: string, range: SourceRange): void {
    const hint = didYouMean(type, layerTypes());
    const list = hint ? '' : ` Layers are ${layerTypes().join(', ')}.`;
    this.error('spec/unknown-layer', `unknown layer '${type}'.${hint}${list}`, range);
  }

  /** `init: {weight: xavier_uniform, bias: {constant: 0.1}}`, checked against the layer's parameters. */
  private readInit(e: LEntry, node: LayerNode): boolean {
    const v = e.value;
    const def = layerDef(node.type)!;
    if (v.kind !== 'map') {
      this.error('spec/type', `init maps parameter names to schemes, e.g. init: {weight: xavier_uniform, bias: zeros} (got ${describe(v)})`, isNull(v) ? e.keyRange : v.range);
      return false;
    }
    let ok = true;
    for (const p of v.entries) {
      const param = node.params.find((x) => x.name === p.key);
      if (!param) {
        const has = node.params.map((x) => x.name);
        const why = def.paramNames.includes(p.key)
          ? ` because of its arguments (${Object.keys(node.args).filter((k) => node.args[k] === false).map((k) => `${k}: false`).join(', ')})`
          : `.${didYouMean(p.key, def.paramNames)}`;
        const list = has.length ? ` Its parameters are ${has.join(', ')}.` : ' It has no parameters.';
        this.error('spec/unknown-param', `${node.type} has no parameter '${p.key}'${why}${list}`, p.keyRange);
        ok = false;
        continue;
      }
      const one = this.oneKey(p.value, `init of ${p.key}`);
      if (!one) {
        ok = false;
        continue;
      }
      if (!(INIT_SCHEMES as string[]).includes(one.key)) {
        this.error('spec/unknown-init', `unknown init scheme '${one.key}'.${didYouMean(one.key, INIT_SCHEMES)} Schemes are ${INIT_SCHEMES.join(', ')}.`, one.keyRange);
        ok = false;
        continue;
      }
      const scheme = one.key as InitScheme;
      const idef = INITS[scheme];
      let argsNode = one.args;
      // `{constant: 0.5}` is `{constant: {val: 0.5}}`.
      if (idef.shorthand && argsNode && argsNode.kind === 'scalar' && argsNode.value !== null) {
        argsNode = { kind: 'map', entries: [{ key: idef.shorthand, keyRange: argsNode.range, value: argsNode }], range: argsNode.range };
      }
      const a = this.args(idef.args, argsNode, scheme, one.keyRange);
      if (!a.ok) {
        ok = false;
        continue;
      }
      if (idef.needsFans && param.shape.length < 2) {
        this.error(
          'spec/init',
          `${scheme} needs a parameter with at least 2 axes to compute fan in and fan out, but ${p.key} has shape ${formatShape(param.shape)}: use zeros, constant, normal or uniform`,
          one.keyRange,
        );
        ok = false;
        continue;
      }
      if (scheme === 'uniform' && (a.values.a as number) > (a.values.b as number)) {
        this.error('spec/init', `uniform needs a ≤ b (got a ${a.values.a}, b ${a.values.b})`, a.ranges.a ?? one.keyRange);
        ok = false;
        continue;
      }
      const args: Record<string, number | string> = {};
      for (const k of Object.keys(a.ranges)) args[k] = a.values[k] as number | string;
      node.init[p.key] = { scheme, args, range: p.value.range } satisfies InitSpec;
    }
    return ok;
  }

  /** The one memory error reported so far: the earliest in the text. */
  private overMemory: SpecDiagnostic | null = null;

  /**
   * Something past the memory limit: only the one earliest in the text is reported (the first place
   * to fix, and the first the editor lists), not every tensor or layer after it. Every such message
   * ends the same way, naming the setting that raises the limit.
   */
  private overMemoryLimit(message: string, range: SourceRange): void {
    if (this.overMemory && range.start >= this.overMemory.range.start) return;
    const full = oneLine(`${message}, over the ${formatBytes(this.maxBytes)} memory limit (${limitName('memoryLimitMB')})`);
    if (this.overMemory) Object.assign(this.overMemory, { message: full, range: { start: range.start, end: range.end } });
    else {
      this.error('spec/too-large', full, range);
      this.overMemory = this.diags[this.diags.length - 1];
    }
  }

  /** The activation (or data) tensor for a whole batch must fit under the cap. */
  private checkActivation(shape: number[], batch: number, bytesPer: number, what: string, range: SourceRange): boolean {
    const bytes = product(shape) * batch * bytesPer;
    if (bytes <= this.maxBytes) return true;
    this.overMemoryLimit(`${what} is ${formatShape([batch, ...shape])} for batch_size ${batch}: ${formatBytes(bytes)} in ${bytesPer === 8 ? 'float64' : 'float32'}`, range);
    return false;
  }

  /** The whole model's memory, estimated from the shapes before anything is built: the first layer past the limit is reported. */
  private checkModelMemory(model: LayerNode, input: DataSpec, target: DataSpec, optimizer: OptimizerSpec, trace: TraceSettings, bytesPer: number): void {
    const over = memoryByLayer({ model, input, target, optimizer }, trace.batchSize, bytesPer).find((m) => m.bytes > this.maxBytes);
    if (!over) return;
    const { layer } = over;
    const state = OPTIMIZERS[optimizer.type].state(optimizer.args).what;
    this.overMemoryLimit(
      `the model needs about ${formatBytes(over.bytes)} of memory by ${layer.path}: ${layer.type} (parameters with their gradients, copies and ${state}: ${formatBytes(over.parameterBytes)}; ` +
        `activations and their gradients for batch_size ${trace.batchSize}: ${formatBytes(over.activationBytes)})`,
      layer.typeRange,
    );
  }

  private checkLossTarget(model: LayerNode, loss: LossSpec, target: { spec: DataSpec; shapeRange: SourceRange; classesRange: SourceRange | null }): void {
    const out = model.outShape;
    const t = target.spec;
    const needs = LOSSES[loss.type].target;
    if (needs === 'classes') {
      if (t.distribution?.kind !== 'classes') {
        const c = out.length === 1 ? out[0] : 'C';
        this.error('spec/loss-target', `${loss.type} needs class-index targets: write target: {classes: ${c}} (the model's output ${formatShape(out)} holds one score per class)`, target.spec.range);
        return;
      }
      const count = t.distribution.count;
      if (out.length !== 1 || out[0] !== count) {
        const want = out.length === 1 ? `${out[0]} classes` : `one score per class, [${count}]`;
        this.error(
          'spec/shape-mismatch',
          `${loss.type} compares the model's output ${formatShape(out)} with ${count} classes: the last layer must give [${count}] per sample, or classes must be ${want}`,
          target.classesRange ?? target.spec.range,
        );
      }
      return;
    }
    if (t.distribution?.kind === 'classes') {
      this.error(
        'spec/loss-target',
        `${loss.type} compares the output with a target of the same shape: write target: {shape: ${formatShape(out)}}; {classes: N} targets are for CrossEntropyLoss and NLLLoss`,
        target.classesRange ?? target.spec.range,
      );
      return;
    }
    if (out.length !== t.shape.length || out.some((d, i) => d !== t.shape[i])) {
      this.error('spec/shape-mismatch', `${loss.type} compares the model's output ${formatShape(out)} with the target ${formatShape(t.shape)}: they must have the same shape`, target.shapeRange);
    }
  }
}

const MISSING_HINT: Record<string, string> = {
  model: 'add model: a list of layers, e.g. model: [{Linear: {in_features: 10, out_features: 1}}]',
  input: 'add input: {shape: [...], distribution: normal}, the shape of one sample without the batch axis',
  target: 'add target: {shape: [...], distribution: normal}, or {classes: N} for CrossEntropyLoss',
  loss: `add loss: one of ${LOSS_TYPES.join(', ')}`,
};

