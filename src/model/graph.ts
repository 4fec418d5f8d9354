/**
 * The model graph: what a front end (the spec parser today, TypeScript and Python sources later)
 * produces and everything downstream consumes. Every node keeps the source range it came from,
 * so findings land on the text the user wrote.
 */

import type { InitScheme } from './catalogue/inits';
import { isLayerType } from './catalogue/layers';
import type { LossType } from './catalogue/losses';
import type { OptimizerType } from './catalogue/optimizers';
import type { TextEdit } from './fixes';

export type { InitScheme, LossType, OptimizerType };

/** UTF-16 offsets into the text, as editors and JavaScript strings count them. */
export interface SourceRange {
  start: number;
  end: number;
  /**
   * Set when the range is in another file than the one analysed: a training run's findings land
   * on the .py files its modules were built in. Its local path.
   */
  file?: string;
}

/** 0-based, like vscode.Position. */
export interface Position {
  line: number;
  character: number;
}

/** Line and column of an offset; `\n`, `\r\n` and a lone `\r` each end a line, as in VS Code. */
export function positionAt(text: string, offset: number): Position {
  const end = Math.max(0, Math.min(Math.floor(offset) || 0, text.length));
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: end - lineStart };
}

export type ArgValue = number | boolean | string | null | number[];


export interface InitSpec {
  scheme: InitScheme;
  /** The arguments as written (torch.nn.init names: gain, a, mode, nonlinearity, mean, std, b, val); defaults are the builder's. */
  args: Record<string, number | string>;
  range: SourceRange;
  /** The shape the init filled when it covered only part of the parameter (orthogonal_ on one gate's rows of weight_hh). */
  span?: number[];
}

export interface LayerNode {
  /** 'Linear', 'Sequential', ... as torch.nn names them. */
  type: string;
  /** The key under the parent: its index ('0') or the name the user gave ('fc1'). */
  name: string;
  /** As named_parameters() prefixes: 'encoder.0'; '' for the root Sequential. */
  path: string;
  /** Every argument, defaults filled, PyTorch names. */
  args: Record<string, ArgValue>;
  /** Per parameter ('weight', 'bias'), only those the user gave an init for. */
  init: Record<string, InitSpec>;
  /** This layer's own parameters with PyTorch shapes ([out, in] for Linear). */
  params: { name: string; shape: number[] }[];
  /** Sequential only. */
  children: LayerNode[];
  /** The whole entry. */
  range: SourceRange;
  /** The layer type's name (the `Linear` key or the `Sigmoid` scalar): findings go here. */
  typeRange: SourceRange;
  /** The value of each argument the user wrote. */
  argRanges: Record<string, SourceRange>;
  /** Per sample (no batch axis). */
  inShape: number[];
  outShape: number[];
  /**
   * The layers whose outputs reached this layer's input when the model's own forward ran (a front
   * end that runs it knows; a spec's list order says it otherwise). Paths, as `path`.
   */
  inputsFrom?: string[];
}

export type Distribution =
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'uniform'; low: number; high: number }
  /** Integers in [low, high), as torch.randint draws them. */
  | { kind: 'integers'; low: number; high: number }
  | { kind: 'bernoulli'; p: number }
  /** Class indices in [0, count), per-sample shape []. */
  | { kind: 'classes'; count: number };

export interface DataSpec {
  /** Per sample (no batch axis). */
  shape: number[];
  /** null when the data comes from a file; class-index targets keep their count either way. */
  distribution: Distribution | null;
  /** The `data:` path as written (relative to the spec file); null for synthetic data. */
  file: string | null;
  /** The `data:` value: where problems with the file go. */
  fileRange?: SourceRange;
  range: SourceRange;
}

export interface LossSpec {
  type: LossType;
  /** Every argument, defaults filled, torch.nn names (reduction, delta, beta, ignore_index, label_smoothing). */
  args: { reduction: 'mean' | 'sum' } & Record<string, ArgValue>;
  range: SourceRange;
  typeRange: SourceRange;
  /** The value of each argument the user wrote. */
  argRanges: Record<string, SourceRange>;
  /**
   * No torch loss function computes it (a policy gradient's `-(probs.log() * advantage).sum()`):
   * `type` is a placeholder, and the rules that reason about a loss's inputs have nothing to go on.
   */
  byHand?: true;
  /**
   * The loss scores another model's output, not the traced one's (a GAN's generator: its loss is
   * the discriminator's verdict on its samples): the traced model's last layer does not feed it.
   */
  onOtherModel?: true;
  /**
   * Weights outside any layer act between the model's last layer and the loss (makemore's `logits =
   * h @ W2 + b2` after a tanh): that layer does not feed the loss.
   */
  weightsAfterLast?: true;
}

export interface OptimizerSpec {
  type: OptimizerType;
  /** Every argument, defaults filled, torch.optim names. */
  args: Record<string, number | boolean | number[]>;
  /** The whole value; when the spec has no `optimizer`, an empty range at the end of the text. */
  range: SourceRange;
  typeRange: SourceRange;
  /** The value of each argument the user wrote. */
  argRanges: Record<string, SourceRange>;
  /** Gradient clipping before each step (clip_grad_norm / clip_grad_value beside the optimiser), or null. */
  clip: ((
    | { kind: 'norm'; maxNorm: number; normType: number }
    | { kind: 'value'; clipValue: number }
  ) & { ranges: { key: SourceRange; value: SourceRange } }) | null;
}

export interface TraceSettings {
  steps: number;
  batchSize: number;
  seed: number;
  dtype: 'float32' | 'float64';
  /** false: every dropout off (exact comparisons); absent: on, as in training. */
  dropout?: boolean;
  /** null when the spec has no `trace`. */
  range: SourceRange | null;
}

export interface ModelSpec {
  /** The root Sequential (path ''), whose children are the `model:` entries. */
  model: LayerNode;
  input: DataSpec;
  target: DataSpec;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  trace: TraceSettings;
  /**
   * The root's children are separate models, each trained by its own optimiser (a GAN's generator
   * and discriminator): the rules that compare a network's first and last weight layers judge each
   * model apart.
   */
  severalModels?: true;
}

export interface SpecDiagnostic {
  /** 'info' only for a file with nothing in it yet: a hint to start, never a fault. */
  severity: 'error' | 'warning' | 'info';
  /** Stable: 'spec/syntax', 'spec/unknown-layer', 'spec/type', 'spec/shape-mismatch', 'spec/empty', ... */
  code: string;
  message: string;
  range: SourceRange;
  /** Edits that fix it, in the file's own syntax: the name meant, the size that fits, a skeleton. */
  fixes?: SpecFix[];
}

export interface SpecFix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

/** The layer at a named_parameters() prefix ('' is the root Sequential). */
export function layerAt(spec: ModelSpec, path: string): LayerNode | undefined {
  if (path === '') return spec.model;
  let node: LayerNode | undefined = spec.model;
  for (const name of path.split('.')) {
    node = node.children.find((c) => c.name === name);
    if (!node) return undefined;
  }
  return node;
}

/** Every layer below `root`, depth-first in document order (a loop: specs can nest deeply). */
export function layersBelow(root: LayerNode): LayerNode[] {
  // A model that is one layer (`model = torch.nn.Linear(20, 1)`, as a script may train) is its own only layer.
  if (!root.children.length && root.params.length && isLayerType(root.type)) return [root];
  const out: LayerNode[] = [];
  const stack = [...root.children].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}

/** Every layer of the model, depth-first in document order. */
export function allLayers(spec: ModelSpec): LayerNode[] {
  return layersBelow(spec.model);
}
