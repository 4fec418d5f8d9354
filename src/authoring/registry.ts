/**
 * What the user's file declares as it runs: its @model classes, its custom ops, and where each
 * layer was created and applied. Module-level, like the engine's context: one file runs per process.
 */
import { currentBuildScope, setBuildScope, type BuildScope } from '../engine/context';
import type { DType } from '../engine/dtype';
import type { Module as EngineModule } from '../engine/nn';
import type { LossArgs, LossType, OptimizerArgs, OptimizerType } from '../model/catalogue';
import { Rng } from '../engine/rng';
import type { CustomOpFunctions } from '../engine/ops/custom';
import type { Site } from './sites';

// ── Building layers ──────────────────────────────────────────────────────────

/** Seeds PyTorch's default initialisation of every layer built while it is set, and gives new parameters their element type. */
export type BuildContext = BuildScope;

/** The rng and dtype layers are built with (the engine's build scope); seed 0 and float32 when no run has set them. */
export function buildContext(): BuildContext {
  let scope = currentBuildScope();
  if (!scope) setBuildScope((scope = { rng: new Rng(0), dtype: 'float32' }));
  return scope;
}

export function setBuildContext(ctx: BuildContext | null): void {
  setBuildScope(ctx);
}

// ── Where layers come from ───────────────────────────────────────────────────

/** Where each module was constructed. */
export const createdAt = new WeakMap<EngineModule, Site>();

export interface Application {
  /** The user's line that applied the module (its `forward` call), if it was in the user's file. */
  site: Site | null;
  /** Per-sample input shape (without the batch axis) of the first application. */
  inShape: number[];
  outShape: number[];
}

/** How each module was first applied while recording was on. */
export const appliedAt = new WeakMap<EngineModule, Application>();

let recording = false;

/** While on, the first application of each module records its site and shapes (stack capture is too slow for every step). */
export function setRecording(on: boolean): void {
  recording = on;
}

export function isRecording(): boolean {
  return recording;
}

// ── @model classes ───────────────────────────────────────────────────────────

/** A per-sample shape, or a shape with a synthetic distribution as in the spec format. */
export type DistributionOption =
  | 'normal'
  | 'bernoulli'
  | { normal: { mean?: number; std?: number } }
  | { uniform: { low?: number; high?: number } }
  | { integers: { low?: number; high: number } }
  | { bernoulli: { p?: number } };

export type DataOption = readonly number[] | { shape?: readonly number[]; distribution?: DistributionOption; classes?: number };

export type Reduction = LossArgs<'MSELoss'>['reduction'] & string;

/** A loss as the spec format writes it: its name, or `{Name: {arguments}}` (every loss of the catalogue). */
export type LossOption = LossType | { [K in LossType]: { [P in K]: LossArgs<K> } }[LossType];

/** An optimiser as the spec format writes it: `{Name: {arguments}}` (every optimiser of the catalogue). */
export type OptimizerOption = { [K in OptimizerType]: { [P in K]: OptimizerArgs<K> } }[OptimizerType];

/** What `@model` takes: the spec format's `input`, `target`, `loss` and `optimizer`. */
export interface ModelOptions {
  input: DataOption;
  target: DataOption;
  loss: LossOption;
  optimizer: OptimizerOption;
}

/** What `@trace` takes (the spec format's `trace:`). */
export interface TraceOptions {
  steps?: number;
  batchSize?: number;
  seed?: number;
  dtype?: DType;
}

export interface RegisteredModel {
  cls: new () => EngineModule;
  /** The class's name as written. */
  name: string;
  options: ModelOptions;
  /** Where `@model(...)` is written. */
  site: Site | null;
}

const models: RegisteredModel[] = [];
const traceOptions = new WeakMap<object, { options: TraceOptions; site: Site | null }>();

export function registerModel(m: RegisteredModel): void {
  models.push(m);
}

export function registeredModels(): readonly RegisteredModel[] {
  return models;
}

export function setTraceOptions(cls: object, options: TraceOptions, site: Site | null): void {
  traceOptions.set(cls, { options, site });
}

export function traceOptionsOf(cls: object): { options: TraceOptions; site: Site | null } | undefined {
  return traceOptions.get(cls);
}

// ── Custom ops ───────────────────────────────────────────────────────────────

/** An input a custom op saw, copied: the custom-gradient rule re-runs the op on it. */
export interface SeenInput {
  shape: number[];
  data: Float64Array;
}

export interface RegisteredCustomOp {
  fns: CustomOpFunctions;
  /** Where the op was defined: the `customOp(...)` call, or the `new` of a CustomOp subclass. */
  site: Site | null;
  /** The CustomOp subclass's name for the class form (its `backward` is found in its class body). */
  className: string | null;
  /** The first and the latest input since the last reset: what the rule checks. */
  first: SeenInput | null;
  latest: SeenInput | null;
  /** Layers it ran in. */
  layers: Set<string>;
}

const customOps: RegisteredCustomOp[] = [];

export function registerCustomOp(op: RegisteredCustomOp): void {
  customOps.push(op);
}

export function registeredCustomOps(): readonly RegisteredCustomOp[] {
  return customOps;
}

/** Forgets the inputs seen, before tracing the next model. */
export function resetCustomOpInputs(): void {
  for (const op of customOps) {
    op.first = op.latest = null;
    op.layers.clear();
  }
}
