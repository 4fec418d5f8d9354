/** The losses, as torch.nn names them: arguments, what the target must be, how the engine builds them, what they expect. */
import * as nn from '../../engine/nn';
import type { Tensor } from '../../engine/tensor';
import type { ArgValue } from '../graph';
import type { ArgDef, ArgsObject } from './args';

export type LossType = 'MSELoss' | 'L1Loss' | 'HuberLoss' | 'SmoothL1Loss' | 'CrossEntropyLoss' | 'NLLLoss' | 'BCELoss' | 'BCEWithLogitsLoss';

export type TargetKind = 'same-shape' | 'classes';

export interface LossTraits {
  /**
   * What it expects from the model: plain values (regression), logits it squashes itself,
   * probabilities in [0, 1], or log-probabilities.
   */
  input: 'values' | 'logits' | 'probabilities' | 'log-probabilities';
  /** The squashing a logits loss applies itself (a model that applies it too does it twice). */
  applies?: 'sigmoid' | 'log_softmax';
}

/**
 * A loss's tensor arguments: class weights (CrossEntropyLoss, NLLLoss), element weights and
 * positive-class weights (BCELoss, BCEWithLogitsLoss). A script gives them; a spec has no way to.
 */
export interface LossTensors {
  weight?: Tensor | null;
  posWeight?: Tensor | null;
}

export interface LossDef {
  doc: string;
  torch: string;
  args: readonly ArgDef[];
  /** What the target must be: the output's own shape, or class indices. */
  target: TargetKind;
  /** The engine's loss for these arguments (every default filled) and the script's weight tensors, if any. */
  build(args: Record<string, ArgValue>, tensors?: LossTensors): nn.Loss;
  traits: LossTraits;
}

const reduction = {
  name: 'reduction',
  type: { kind: 'enum', values: ['mean', 'sum'] },
  default: 'mean',
  doc: "'mean' averages the loss over the elements, 'sum' adds it up ('none' is not a scalar, so there would be nothing to differentiate).",
} as const satisfies ArgDef;

const reductionOf = (a: Record<string, ArgValue>) => ({ reduction: a.reduction as 'mean' | 'sum' });

const ignoreIndex = {
  name: 'ignore_index',
  type: { kind: 'int' },
  default: -100,
  doc: 'A target value that adds nothing to the loss and is left out of the mean.',
} as const satisfies ArgDef;

export const LOSSES = {
  MSELoss: {
    doc: 'Mean squared error between output and target (torch.nn.MSELoss).',
    torch: 'torch.nn.MSELoss',
    args: [reduction],
    target: 'same-shape',
    build: (a) => new nn.MSELoss(reductionOf(a)),
    traits: { input: 'values' },
  },
  L1Loss: {
    doc: 'Mean absolute error between output and target (torch.nn.L1Loss).',
    torch: 'torch.nn.L1Loss',
    args: [reduction],
    target: 'same-shape',
    build: (a) => new nn.L1Loss(reductionOf(a)),
    traits: { input: 'values' },
  },
  HuberLoss: {
    doc: 'Squared error below delta, absolute error above (torch.nn.HuberLoss).',
    torch: 'torch.nn.HuberLoss',
    args: [reduction, { name: 'delta', type: { kind: 'number', min: 0, minExclusive: true }, default: 1.0, doc: 'Where the loss changes from quadratic to linear; positive.' }],
    target: 'same-shape',
    build: (a) => new nn.HuberLoss({ ...reductionOf(a), delta: a.delta as number }),
    traits: { input: 'values' },
  },
  SmoothL1Loss: {
    doc: 'Squared error divided by beta below beta, absolute error above (torch.nn.SmoothL1Loss); HuberLoss divided by beta.',
    torch: 'torch.nn.SmoothL1Loss',
    args: [reduction, { name: 'beta', type: { kind: 'number', min: 0 }, default: 1.0, doc: 'Where the loss changes from quadratic to linear; 0 makes it L1Loss.' }],
    target: 'same-shape',
    build: (a) => new nn.SmoothL1Loss({ ...reductionOf(a), beta: a.beta as number }),
    traits: { input: 'values' },
  },
  CrossEntropyLoss: {
    doc: 'Cross entropy between raw logits [C] and class-index targets (torch.nn.CrossEntropyLoss); the model must not end in Softmax.',
    torch: 'torch.nn.CrossEntropyLoss',
    args: [reduction, ignoreIndex, { name: 'label_smoothing', type: { kind: 'number', min: 0, max: 1 }, default: 0, doc: 'Mixes the target with the uniform distribution over the classes by this much.' }],
    target: 'classes',
    build: (a, t = {}) => new nn.CrossEntropyLoss({ ...reductionOf(a), ignoreIndex: a.ignore_index as number, labelSmoothing: a.label_smoothing as number, weight: t.weight }),
    traits: { input: 'logits', applies: 'log_softmax' },
  },
  NLLLoss: {
    doc: 'Negative log likelihood of class-index targets; expects log-probabilities, e.g. from LogSoftmax (torch.nn.NLLLoss).',
    torch: 'torch.nn.NLLLoss',
    args: [reduction, ignoreIndex],
    target: 'classes',
    build: (a, t = {}) => new nn.NLLLoss({ ...reductionOf(a), ignoreIndex: a.ignore_index as number, weight: t.weight }),
    traits: { input: 'log-probabilities' },
  },
  BCELoss: {
    doc: 'Binary cross entropy between probabilities in [0, 1] (e.g. from Sigmoid) and targets in [0, 1] (torch.nn.BCELoss).',
    torch: 'torch.nn.BCELoss',
    args: [reduction],
    target: 'same-shape',
    build: (a, t = {}) => new nn.BCELoss({ ...reductionOf(a), weight: t.weight }),
    traits: { input: 'probabilities' },
  },
  BCEWithLogitsLoss: {
    doc: 'Sigmoid followed by binary cross entropy, in one numerically stable step: give it raw logits (torch.nn.BCEWithLogitsLoss).',
    torch: 'torch.nn.BCEWithLogitsLoss',
    args: [reduction],
    target: 'same-shape',
    build: (a, t = {}) => new nn.BCEWithLogitsLoss({ ...reductionOf(a), weight: t.weight, posWeight: t.posWeight }),
    traits: { input: 'logits', applies: 'sigmoid' },
  },
} as const satisfies Record<LossType, LossDef>;

export const LOSS_TYPES = Object.keys(LOSSES) as LossType[];

/** `{reduction?: 'mean' | 'sum', …}`: a loss's arguments as a decorated model's options write them. */
export type LossArgs<K extends LossType> = ArgsObject<(typeof LOSSES)[K]['args']>;

export function lossDef(type: string): LossDef | undefined {
  return Object.hasOwn(LOSSES, type) ? LOSSES[type as LossType] : undefined;
}
