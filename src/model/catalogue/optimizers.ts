/**
 * The optimisers, as torch.optim names them: arguments with the engine's defaults (torch.optim's,
 * written once in engine/optim.ts), the checks PyTorch's constructor makes, how the engine builds
 * them, and what the rules need to know about their updates.
 */
import {
  Adadelta,
  ADADELTA_DEFAULTS,
  Adagrad,
  ADAGRAD_DEFAULTS,
  Adam,
  ADAM_DEFAULTS,
  AdamW,
  ADAMW_DEFAULTS,
  Optimizer,
  RMSprop,
  RMSPROP_DEFAULTS,
  SGD,
  SGD_DEFAULTS,
} from '../../engine/optim';
import type { Tensor } from '../../engine/tensor';
import type { ArgValue } from '../graph';
import type { ArgDef, ArgsObject } from './args';

export type OptimizerType = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad' | 'Adadelta';

export interface OptimizerTraits {
  /**
   * Scales each entry's step by its own gradient history (Adam): an update moves each weight by
   * about lr whatever its gradient, where plain SGD moves it by lr·gradient.
   */
  adaptive?: boolean;
}

export interface OptimizerDef {
  doc: string;
  torch: string;
  args: readonly ArgDef[];
  /** Checks between arguments that PyTorch's constructor makes; `arg` is the one to blame. */
  check?(args: Record<string, ArgValue>): { error: string; arg: string } | null;
  /** The engine's optimiser over `params` for these arguments (every default filled). */
  build(params: Tensor[], args: Record<string, ArgValue>): Optimizer;
  /** The tensors of each parameter's size it keeps between steps, and what they are ("Adam's moments"), for the memory estimate. */
  state(args: Record<string, ArgValue>): { slots: number; what: string };
  traits: OptimizerTraits;
}

const num = (v: ArgValue): number => v as number;

const adamArgs = (defaults: typeof ADAM_DEFAULTS) =>
  [
  { name: 'lr', type: { kind: 'number', min: 0 }, default: defaults.lr, doc: 'Learning rate.' },
  {
    name: 'betas',
    type: { kind: 'number-pair', min: 0, max: 1, maxExclusive: true },
    default: [...defaults.betas],
    doc: 'Coefficients for the running averages of the gradient and its square, each in [0, 1).',
  },
  { name: 'eps', type: { kind: 'number', min: 0 }, default: defaults.eps, doc: 'Term added to the denominator for numerical stability.' },
  { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: defaults.weightDecay, doc: 'Weight decay (L2 penalty).' },
  { name: 'amsgrad', type: { kind: 'bool' }, default: defaults.amsgrad, doc: 'Whether to use the AMSGrad variant.' },
  ] as const satisfies readonly ArgDef[];

const adamOptions = (a: Record<string, ArgValue>) => ({ lr: num(a.lr), betas: a.betas as [number, number], eps: num(a.eps), weightDecay: num(a.weight_decay), amsgrad: a.amsgrad === true });

const adamState = (name: string) => (a: Record<string, ArgValue>) => ({ slots: a.amsgrad === true ? 3 : 2, what: `${name}'s moments` });

export const OPTIMIZERS = {
  SGD: {
    doc: 'Stochastic gradient descent, optionally with momentum (torch.optim.SGD).',
    torch: 'torch.optim.SGD',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, doc: 'Learning rate (required).' },
      { name: 'momentum', type: { kind: 'number', min: 0 }, default: SGD_DEFAULTS.momentum, doc: 'Momentum factor.' },
      { name: 'dampening', type: { kind: 'number' }, default: SGD_DEFAULTS.dampening, doc: 'Dampening for momentum.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: SGD_DEFAULTS.weightDecay, doc: 'Weight decay (L2 penalty).' },
      { name: 'nesterov', type: { kind: 'bool' }, default: SGD_DEFAULTS.nesterov, doc: 'Enables Nesterov momentum (needs momentum > 0 and dampening 0).' },
    ],
    check: (a) =>
      a.nesterov === true && (num(a.momentum) <= 0 || a.dampening !== 0)
        ? { error: 'SGD with nesterov: true needs a momentum > 0 and dampening 0 (PyTorch: "Nesterov momentum requires a momentum and zero dampening")', arg: 'nesterov' }
        : null,
    build: (params, a) =>
      new SGD(params, { lr: num(a.lr), momentum: num(a.momentum), dampening: num(a.dampening), weightDecay: num(a.weight_decay), nesterov: a.nesterov === true }),
    state: (a) => (num(a.momentum) !== 0 ? { slots: 1, what: "SGD's momentum" } : { slots: 0, what: 'no optimiser state' }),
    traits: {},
  },
  Adam: {
    doc: 'Adam (torch.optim.Adam).',
    torch: 'torch.optim.Adam',
    args: adamArgs(ADAM_DEFAULTS),
    build: (params, a) => new Adam(params, adamOptions(a)),
    state: adamState('Adam'),
    traits: { adaptive: true },
  },
  AdamW: {
    doc: 'Adam with decoupled weight decay: the weight shrinks by lr·weight_decay before each step, apart from the moments (torch.optim.AdamW).',
    torch: 'torch.optim.AdamW',
    args: adamArgs(ADAMW_DEFAULTS),
    build: (params, a) => new AdamW(params, adamOptions(a)),
    state: adamState('AdamW'),
    traits: { adaptive: true },
  },
  RMSprop: {
    doc: "RMSprop: each entry's step divided by a running root mean square of its gradients (torch.optim.RMSprop).",
    torch: 'torch.optim.RMSprop',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, default: RMSPROP_DEFAULTS.lr, doc: 'Learning rate.' },
      { name: 'alpha', type: { kind: 'number', min: 0 }, default: RMSPROP_DEFAULTS.alpha, doc: 'Smoothing constant of the running average of squared gradients.' },
      { name: 'eps', type: { kind: 'number', min: 0 }, default: RMSPROP_DEFAULTS.eps, doc: 'Term added to the denominator for numerical stability.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: RMSPROP_DEFAULTS.weightDecay, doc: 'Weight decay (L2 penalty).' },
      { name: 'momentum', type: { kind: 'number', min: 0 }, default: RMSPROP_DEFAULTS.momentum, doc: 'Momentum factor.' },
      { name: 'centered', type: { kind: 'bool' }, default: RMSPROP_DEFAULTS.centered, doc: 'Divides by an estimate of the variance of the gradient instead of its second moment.' },
    ],
    build: (params, a) =>
      new RMSprop(params, { lr: num(a.lr), alpha: num(a.alpha), eps: num(a.eps), weightDecay: num(a.weight_decay), momentum: num(a.momentum), centered: a.centered === true }),
    state: (a) => ({ slots: 1 + (num(a.momentum) !== 0 ? 1 : 0) + (a.centered === true ? 1 : 0), what: "RMSprop's averages" }),
    traits: { adaptive: true },
  },
  Adagrad: {
    doc: "Adagrad: each entry's step divided by the root of the sum of its squared gradients (torch.optim.Adagrad).",
    torch: 'torch.optim.Adagrad',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, default: ADAGRAD_DEFAULTS.lr, doc: 'Learning rate.' },
      { name: 'lr_decay', type: { kind: 'number', min: 0 }, default: ADAGRAD_DEFAULTS.lrDecay, doc: 'Learning rate decay.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: ADAGRAD_DEFAULTS.weightDecay, doc: 'Weight decay (L2 penalty).' },
      { name: 'initial_accumulator_value', type: { kind: 'number', min: 0 }, default: ADAGRAD_DEFAULTS.initialAccumulatorValue, doc: 'Starting value of the sum of squared gradients.' },
      { name: 'eps', type: { kind: 'number', min: 0 }, default: ADAGRAD_DEFAULTS.eps, doc: 'Term added to the denominator for numerical stability.' },
    ],
    build: (params, a) =>
      new Adagrad(params, { lr: num(a.lr), lrDecay: num(a.lr_decay), weightDecay: num(a.weight_decay), initialAccumulatorValue: num(a.initial_accumulator_value), eps: num(a.eps) }),
    state: () => ({ slots: 1, what: "Adagrad's sums" }),
    traits: { adaptive: true },
  },
  Adadelta: {
    doc: 'Adadelta: steps scaled by running averages of squared gradients and squared updates (torch.optim.Adadelta).',
    torch: 'torch.optim.Adadelta',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, default: ADADELTA_DEFAULTS.lr, doc: 'Coefficient that scales the step before it is applied.' },
      { name: 'rho', type: { kind: 'number', min: 0, max: 1 }, default: ADADELTA_DEFAULTS.rho, doc: 'Coefficient of the running averages of squared gradients and updates.' },
      { name: 'eps', type: { kind: 'number', min: 0 }, default: ADADELTA_DEFAULTS.eps, doc: 'Term added to the denominator for numerical stability.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: ADADELTA_DEFAULTS.weightDecay, doc: 'Weight decay (L2 penalty).' },
    ],
    build: (params, a) => new Adadelta(params, { lr: num(a.lr), rho: num(a.rho), eps: num(a.eps), weightDecay: num(a.weight_decay) }),
    state: () => ({ slots: 2, what: "Adadelta's averages" }),
    traits: { adaptive: true },
  },
} as const satisfies Record<OptimizerType, OptimizerDef>;

export const OPTIMIZER_TYPES = Object.keys(OPTIMIZERS) as OptimizerType[];

/** `{lr: number, momentum?: number, …}`: an optimiser's arguments as a decorated model's options write them. */
export type OptimizerArgs<K extends OptimizerType> = ArgsObject<(typeof OPTIMIZERS)[K]['args']>;

export function optimizerDef(type: string): OptimizerDef | undefined {
  return Object.hasOwn(OPTIMIZERS, type) ? OPTIMIZERS[type as OptimizerType] : undefined;
}

/** What a spec without an optimiser trains with. */
export const DEFAULT_OPTIMIZER = { type: 'SGD' as const, args: { lr: 0.01 } };

/**
 * Gradient clipping, a training loop's torch.nn.utils.clip_grad_norm_ or clip_grad_value_ between
 * backward() and step(): written in the optimizer section beside the optimiser,
 * `optimizer: {Adam: {lr: 0.001}, clip_grad_norm: {max_norm: 1.0}}` (or `clip_grad_norm: 1.0`).
 */
export const CLIPS = {
  clip_grad_norm: {
    doc: "Scales all gradients together so their total norm is at most max_norm (torch.nn.utils.clip_grad_norm_), the remedy for gradients that explode through time.",
    args: [
      { name: 'max_norm', type: { kind: 'number', min: 0, minExclusive: true }, doc: 'The largest total norm of the gradients.' },
      { name: 'norm_type', type: { kind: 'number', min: 0, minExclusive: true }, default: 2, doc: 'The p of the p-norm (2: the L2 norm).' },
    ],
    shorthand: 'max_norm',
  },
  clip_grad_value: {
    doc: 'Clamps every gradient entry into [−clip_value, clip_value] (torch.nn.utils.clip_grad_value_).',
    args: [{ name: 'clip_value', type: { kind: 'number', min: 0, minExclusive: true }, doc: 'The largest magnitude of a gradient entry.' }],
    shorthand: 'clip_value',
  },
} as const satisfies Record<string, { doc: string; args: readonly ArgDef[]; shorthand: string }>;

export type ClipKey = keyof typeof CLIPS;
export const CLIP_KEYS = Object.keys(CLIPS) as ClipKey[];
