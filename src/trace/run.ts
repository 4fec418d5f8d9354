/**
 * Runs a model spec for N optimiser steps and records what the rules read. Synchronous and
 * self-contained: the extension runs it in a worker and ends the worker to cancel.
 */
import { backward, Instrument, LossInputError, Rng, resetMemory, setInstrument, Tensor } from '../engine';
import { setMemoryBaseline, withMemoryLimit } from '../engine/context';
import type * as nn from '../engine/nn';
import { traitsOf } from '../model/catalogue';
import { layersBelow } from '../model/graph';
import { DEFAULT_LIMITS, memoryLimitBytes } from '../limits';
import { persistentBytes } from '../model/memory';
import { LoopEnded } from '../model/python/errors';
import type { SteppedParam } from '../model/stepped';
import type { DType, FloatArray } from '../engine';
import { loadStateDict, stateDict } from '../engine/state';
import { StepReplay } from '../engine/replay/step';
import { recordStep, releaseGradients, releaseStep, type StepScope, type StepSurvivors } from '../engine/step-scope';
import { buildLoss, buildModule, buildOptimizer, BuiltModel } from '../model/build';
import type { ModelSpec } from '../model/graph';
import { modelKey, reusableModule } from './model-cache';
import { Batch, checkBatch, summarizeData, synthesize, TensorJson, tensorFromJson, tensorToJson } from './data';
import { blameFor, DataOrigin, Phase, TraceError } from './errors';
import { activationSteps, layerFlow, layerOutputs, paramStep, UnitAxis } from './stats';
import type { AttentionStep, NamedLoss, NonFiniteEvent, RecurrentStep, StepRecord, Trace, TraceOptimizer } from './types';

export interface TraceOptions {
  /** Overrides the spec's `trace.steps`. */
  steps?: number;
  dtype?: DType;
  /** Starting weights (a PyTorch state_dict exported to JSON); the spec's init otherwise. */
  state?: Record<string, unknown>;
  /** A fixed batch {input, target}; synthetic data from the spec's distributions otherwise. */
  batch?: { input: unknown; target: unknown };
  /** The input and target read from the spec's `data:` files, when it names them. */
  data?: { input?: Tensor; target?: Tensor };
  /** Cap on the tensor bytes one step may allocate. */
  memoryLimitBytes?: number;
  /** Called after each step; return false to stop (cancellation), or the reason to stop (the time limit: stepTimeBudget). */
  onStep?: (record: StepRecord) => boolean | string | void;
  /**
   * Start from the model the last run with this option built, put back as it was built, when the
   * spec's model part is the same (model-cache.ts): the editor's quick trace after each edit.
   */
  reuseModel?: boolean;
}

/** The memory limit's default (src/limits.ts), for callers that give none. */
export const DEFAULT_MEMORY_LIMIT = memoryLimitBytes(DEFAULT_LIMITS);

export type { SteppedParam } from '../model/stepped';

/** A built model with its loss, optimiser and batch: one training setup, whoever built the model. */
export interface Session {
  built: BuiltModel;
  batch: Batch;
  dtype: DType;
  /**
   * The forward and the loss of one step, when the user's code computes them (a training script's
   * own loop body, which may draw a new batch each step); `built.module` on `batch` through
   * `built.loss` otherwise.
   */
  step?: () => Tensor;
  /**
   * Whether the backward of `step`'s loss keeps the graph (the script's retain_graph=True at it):
   * otherwise it frees the graph, as PyTorch's does, and a later step's backward reaching it raises.
   */
  retainGraph?: () => boolean;
  /** The losses of every backward() the last `step` made, when it made several (read after its backward). */
  stepLosses?: () => NamedLoss[] | null;
  /**
   * Parameters another optimiser stepped during the last `step` (a GAN's other model, stepped by the
   * script's own `optimizer_G.step()`): the gradient that step applied and the weights before it.
   * Their records read these, not the gradients left after the step's last backward().
   */
  steppedInStep?: () => ReadonlyMap<Tensor, SteppedParam> | null;
  /** Runs once a step is recorded: the rest of the user's step after its optimiser step, when it changes the next step (a WGAN's weight clipping). */
  afterStep?: () => void;
  /**
   * Set when the trace built the module itself from a spec (no user code ran, nothing outside the
   * trace holds a tensor of a step): each step's forward intermediates then go back to the buffer
   * pool once the step is recorded (src/engine/step-scope.ts).
   */
  ownsSteps?: boolean;
  /** The replay of a static graph's steps (engine/replay), made by the first step that runs the module on the batch. */
  replay?: StepReplay;
}

export function prepare(spec: ModelSpec, opts: TraceOptions = {}): Session {
  const dtype = opts.dtype ?? spec.trace.dtype;
  requireParameters(spec);
  const build = () => buildModule(spec, dtype, new Rng(spec.trace.seed));
  // Given weights are loaded into the module: such runs (the CLI's grads, parity) build their own.
  const limit = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT;
  const module = opts.reuseModel && !opts.state ? reusableModule(modelKey(spec, dtype, limit), build, limit).module : build();
  if (opts.state) loadStateDict(module, opts.state as Record<string, TensorJson>);
  return { ...trainingOf(spec, module, layersBelow(spec.model), dtype, opts), ownsSteps: true };
}

/**
 * The loss, optimiser and batch for a built module, from the graph's loss, optimiser, data and
 * trace settings: the same for every front end, whoever built the module (the catalogue from a
 * spec, or the user's own code).
 */
export function trainingOf(
  spec: Pick<ModelSpec, 'input' | 'target' | 'loss' | 'optimizer' | 'trace'>,
  module: nn.Module,
  layers: readonly { path: string; type: string }[],
  dtype: DType,
  opts: Pick<TraceOptions, 'batch' | 'data'> = {},
): Session {
  const params = module.parameters();
  // A model built by the user's code (TypeScript) is checked here, before the optimiser refuses it.
  if (!params.length) throw noParameters(layers.map((l) => l.type), spec.optimizer.type);
  const built = { module, loss: buildLoss(spec.loss), optimizer: buildOptimizer(spec.optimizer, params), params, layers };
  let batch: Batch;
  if (opts.batch) {
    batch = {
      input: tensorFromJson(opts.batch.input, 'batch input', dtype, 'input'),
      target: tensorFromJson(opts.batch.target, 'batch target', dtype, 'target'),
    };
    checkBatch(batch, spec.input, spec.target);
  } else {
    // A spec that names data files must be traced on them: never silently on synthetic data.
    for (const which of ['input', 'target'] as const) {
      if (spec[which].file && !opts.data?.[which]) throw new TraceError(`${which} data ${spec[which].file} was not read: the caller must load the spec's data files`, { kind: 'data', which });
    }
    const dataRng = new Rng(spec.trace.seed + 1);
    // A data file's first axis is the batch; synthetic data beside it takes the same size.
    const n = opts.data?.input?.shape[0] ?? opts.data?.target?.shape[0] ?? spec.trace.batchSize;
    const input = opts.data?.input ?? synthesize(spec.input, n, dtype, dataRng);
    const target = opts.data?.target ?? synthesize(spec.target, n, dtype, dataRng);
    batch = { input, target };
    if (opts.data?.input || opts.data?.target) checkBatch(batch, spec.input, spec.target, { input: `the input (${spec.input.file ?? 'synthetic'})`, target: `the target (${spec.target.file ?? 'synthetic'})` });
  }
  return { built, batch, dtype };
}

/**
 * A model without parameters has nothing to train and no gradient to trace (PyTorch's optimisers
 * refuse it: "optimizer got an empty parameter list"). Said the same for every front end: the layer
 * types it has (containers left out) and the optimiser that would have nothing to do.
 */
function noParameters(types: Iterable<string>, optimizer: string): TraceError {
  const own = [...new Set([...types].filter((t) => !traitsOf(t).container))];
  return new TraceError(
    `the model has no parameters (${own.length ? `only ${own.join(', ')}` : 'no layers'}): there is nothing for ${optimizer} to train and no gradient to trace; add a layer with weights, such as Linear`,
    { kind: 'model' },
  );
}

/** A spec's model is checked before anything is built. */
function requireParameters(spec: ModelSpec): void {
  const types: string[] = [];
  const stack = [spec.model];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.params.length) return;
    types.push(n.type);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  throw noParameters(types, spec.optimizer.type);
}

/** Where a step is, so an error can be blamed on the part that raised it. */
export interface StepPhase {
  phase: Phase;
}

/** One forward and backward pass; gradients are left on the parameters. */
export function forwardBackward(session: Pick<Session, 'built' | 'batch' | 'step' | 'retainGraph' | 'replay'>, at: StepPhase = { phase: 'forward' }): Tensor {
  const { built, batch } = session;
  resetMemory();
  if (!session.step) {
    // the module on the batch: replayed once recorded, when its graph is static
    if (session.replay?.module !== built.module || session.replay.loss !== built.loss) session.replay = new StepReplay(built.module, built.loss);
    return session.replay.step(built.params, batch.input, batch.target, at);
  }
  for (const p of built.params) p.grad = null;
  at.phase = 'forward';
  const loss = session.step();
  at.phase = 'backward';
  backward(loss, undefined, session.retainGraph?.() ?? false);
  return loss;
}

/** Which parts of the batch the user supplied. */
function originOf(opts: TraceOptions): DataOrigin {
  return { input: !!(opts.batch || opts.data?.input), target: !!(opts.batch || opts.data?.target) };
}

/**
 * The error as the user's (see blameFor), or itself. An op refusing a value of a spec's `data:`
 * file names that file: the error sits on the spec's `data:` line, and the value is not in the
 * spec. (Our own TraceErrors name their file already.)
 */
function blamed(e: unknown, phase: Phase, spec: Pick<ModelSpec, 'input' | 'target'>, opts: TraceOptions): unknown {
  const t = blameFor(e, phase, originOf(opts));
  if (!t || e instanceof TraceError) return t ?? e;
  const b = t.blame;
  if (b.kind !== 'data' || opts.batch || !opts.data?.[b.which]) return t;
  return new TraceError(`${b.which} data ${spec[b.which].file}: ${t.message}`, b);
}

export interface GradsResult {
  loss: number;
  grads: Record<string, TensorJson>;
}

/** Loss and gradients of one step at the given weights, as `gradient-lens grads` prints them. */
export function computeGrads(spec: ModelSpec, opts: TraceOptions = {}): GradsResult {
  const at: StepPhase = { phase: 'build' };
  try {
    return withMemoryLimit(opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT, () => {
      const session = prepare(spec, opts);
      setMemoryBaseline(persistentBytes(session.built.params, 0, [session.batch.input, session.batch.target]));
      const loss = forwardBackward(session, at);
      const grads: Record<string, TensorJson> = {};
      for (const p of session.built.params) {
        grads[p.name ?? ''] = tensorToJson({ shape: p.shape, data: p.grad ?? new Float64Array(p.size) });
      }
      return { loss: loss.item(), grads };
    });
  } catch (e) {
    throw blamed(e, at.phase, spec, opts);
  }
}

/** Runs `steps` optimiser steps (a forward, backward and update each) and returns the trace. */
export function traceModel(spec: ModelSpec, file: string, opts: TraceOptions = {}): Trace {
  const started = performance.now();
  const at: StepPhase = { phase: 'build' };
  try {
    return withMemoryLimit(opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT, () => {
      const session = prepare(spec, opts);
      const meta: TraceMeta = {
        seed: spec.trace.seed,
        steps: opts.steps ?? spec.trace.steps,
        optimizer: { type: spec.optimizer.type, lr: Number(spec.optimizer.args.lr), clip: clipOf(spec.optimizer.clip) },
      };
      return runSteps(session, file, meta, { ...opts, started, at });
    });
  } catch (e) {
    throw blamed(e, at.phase, spec, opts);
  }
}

/** What a trace records about the run besides the measurements. */
export interface TraceMeta {
  seed: number;
  steps: number;
  optimizer: TraceOptimizer;
}


/** The spec's clipping as the trace records it (without its source ranges). */
function clipOf(clip: ModelSpec['optimizer']['clip']): TraceOptimizer['clip'] {
  if (!clip) return null;
  return clip.kind === 'norm' ? { kind: 'norm', maxNorm: clip.maxNorm, normType: clip.normType } : { kind: 'value', clipValue: clip.clipValue };
}

/** The recurrent ops' and attention softmaxes' statistics of one step, each op numbered within its layer. */
function sequenceSteps(instrument: Instrument): Pick<StepRecord, 'recurrent' | 'attention'> {
  const out: Pick<StepRecord, 'recurrent' | 'attention'> = {};
  if (instrument.recurrent.length) {
    const seen = new Map<string, number>();
    out.recurrent = instrument.recurrent.map((r): RecurrentStep => {
      const layer = r.layer ?? '';
      const index = seen.get(layer) ?? 0;
      seen.set(layer, index + 1);
      return {
        layer,
        op: r.op,
        index,
        reverse: r.reverse,
        steps: r.steps,
        gates: r.gates.map((g) => ({ kind: g.kind, saturatedShare: g.count ? g.saturated / g.count : 0, flatShare: g.count ? g.flat / g.count : 0 })),
        gradNorms: r.hiddenGradNorms,
        firstNonFiniteStep: r.firstNonFiniteStep,
        firstNonFiniteGradStep: r.firstNonFiniteGradStep,
      };
    });
  }
  if (instrument.attention.length) {
    out.attention = instrument.attention.map((a): AttentionStep => ({
      layer: a.layer ?? '',
      heads: a.heads,
      keys: a.keys,
      perHead: a.perHead.map((h) => ({ meanNormalizedEntropy: h.meanNormalizedEntropy, collapsedShare: h.collapsedShare, meanMaxWeight: h.meanMaxWeight })),
    }));
  }
  return out;
}

/** Traces an already-built model: the steps of `traceModel` without the spec. */
export function traceBuilt(
  session: Session,
  file: string,
  meta: TraceMeta,
  opts: Pick<TraceOptions, 'memoryLimitBytes' | 'onStep'> & { started?: number; at?: StepPhase } = {},
): Trace {
  return withMemoryLimit(opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT, () => runSteps(session, file, meta, opts));
}

/** The steps themselves, under the memory cap the caller set. */
function runSteps(session: Session, file: string, meta: TraceMeta, opts: Pick<TraceOptions, 'onStep'> & { started?: number; at?: StepPhase }): Trace {
  const at = opts.at ?? { phase: 'forward' };
  const started = opts.started ?? performance.now();
  const instrument = new Instrument();
  setInstrument(instrument);
  try {
    const { built } = session;
    setMemoryBaseline(persistentBytes(built.params, built.optimizer.stateSlots, [session.batch.input, session.batch.target]));
    const trace: Trace = {
      file,
      dtype: session.dtype,
      batchSize: session.batch.input.shape[0],
      seed: meta.seed,
      params: built.params.map((p) => ({ name: p.name ?? '', layer: layerOf(p.name ?? ''), shape: [...p.shape] })),
      layers: built.layers.map((l) => ({ path: l.path, type: l.type })),
      data: { input: summarizeData(session.batch.input), target: summarizeData(session.batch.target) },
      steps: [],
      firstNonFinite: null,
      lossRejected: null,
      stoppedEarly: null,
      durationMs: 0,
      optimizer: meta.optimizer,
    };
    const unitAxis = unitAxes(built.layers);
    // The weights before each update, copied into the same arrays every step: a fresh copy of a
    // CNN's half a million weights each step cost more than the statistics read from it.
    let before: FloatArray[] = [];
    // A step the user's own code computes may keep any of its tensors.
    const owns = session.ownsSteps === true && !session.step;
    // What outlives a step, when the session owns its steps: the module, the batch, the optimiser's
    // state and the trace. Of the trace's records only the newest can hold an array of this step
    // (older ones were checked in their own step), so a long trace is not searched again each step.
    const survivors = (record: StepRecord | undefined): StepSurvivors => ({
      module: built.module,
      tensors: [session.batch.input, session.batch.target],
      values: [built.optimizer, { ...trace, steps: [] }, record, session.replay?.held()],
    });
    for (let step = 0; step < meta.steps; step++) {
      instrument.reset();
      // The last step's gradients were read into its record; the last step's own stay on the parameters.
      if (owns && step > 0) releaseGradients(built.params, survivors(trace.steps[trace.steps.length - 1]));
      let loss: number;
      let lossTensor: Tensor;
      let scope: StepScope | null = null;
      try {
        if (owns) ({ result: lossTensor, scope } = recordStep(() => forwardBackward(session, at)));
        else lossTensor = forwardBackward(session, at);
        loss = lossTensor.item();
      } catch (e) {
        // The script's own loop takes no further step (gradient accumulation over one pass): the trace is complete.
        if (e instanceof LoopEnded) break;
        // The user's model fed the loss values it is not defined on: a finding, not a failed run.
        if (!(e instanceof LossInputError)) throw e;
        trace.lossRejected = { step, message: e.message, loss: e.loss, accepts: e.accepts, ...e.input };
        trace.stoppedEarly = `the loss refused the model's outputs at step ${step}: ${e.message}`;
        break;
      }
      before = built.params.map((p, i) => copyInto(before[i], p.data));
      const grads = built.params.map((p) => p.grad);
      at.phase = 'step';
      built.optimizer.step();
      const elsewhere = session.steppedInStep?.();
      const record: StepRecord = {
        step,
        loss,
        params: built.params.map((p, i) => {
          const o = elsewhere?.get(p);
          return o ? paramStep(o.grad, o.before, p.data, p.shape) : paramStep(grads[i], before[i], p.data, p.shape);
        }),
        activations: activationSteps(instrument.activations, unitAxis),
        outputs: layerOutputs(instrument.outputs),
        flow: layerFlow(instrument.flow),
        ...sequenceSteps(instrument),
      };
      const losses = session.stepLosses?.();
      if (losses) record.losses = losses;
      const clip = built.optimizer.lastClip;
      if (built.optimizer.clip && clip) record.clip = { ...clip };
      trace.steps.push(record);
      session.afterStep?.();
      if (instrument.firstNonFinite && !trace.firstNonFinite) trace.firstNonFinite = { step, ...instrument.firstNonFinite } as NonFiniteEvent;
      // The step is recorded: its graph is dead (the loss was read as a number), so the next step reuses its arrays.
      if (scope) releaseStep(scope, lossTensor, survivors(record));
      if (!Number.isFinite(loss)) {
        trace.stoppedEarly = `the loss became ${loss} at step ${step}`;
        break;
      }
      const go = opts.onStep?.(record);
      if (go === false || typeof go === 'string') {
        trace.stoppedEarly = typeof go === 'string' ? go : `stopped after step ${step}`;
        break;
      }
    }
    trace.durationMs = performance.now() - started;
    return trace;
  } finally {
    setInstrument(null);
  }
}

/** `src`'s values in `dst` when it has the same type and length, else in a new copy. */
function copyInto(dst: FloatArray | undefined, src: FloatArray): FloatArray {
  if (dst === undefined || dst.constructor !== src.constructor || dst.length !== src.length) return src.slice();
  (dst as Float64Array).set(src as Float64Array);
  return dst;
}

/**
 * Per layer, what its units are when it is an activation: channels when the nearest weight layer
 * before it has filters (a convolution, whose outputs are channel-first), features otherwise.
 */
function unitAxes(layers: readonly { path: string; type: string }[]): (layer: string) => UnitAxis {
  const axes = new Map<string, UnitAxis>();
  let axis: UnitAxis = 'feature';
  for (const l of layers) {
    const weight = traitsOf(l.type).weight;
    if (weight) axis = weight === 'filters' ? 'channel' : 'feature';
    axes.set(l.path, axis);
  }
  return (layer) => axes.get(layer) ?? 'feature';
}

/** "encoder.0.weight" → "encoder.0". */
export function layerOf(paramName: string): string {
  const dot = paramName.lastIndexOf('.');
  return dot < 0 ? '' : paramName.slice(0, dot);
}

export { stateDict };
