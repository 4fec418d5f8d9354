/**
 * The optimisers, as torch.optim names them: arguments with the engine's defaults (torch.optim's,
 * written once in engine/optim.ts), the checks PyTorch's constructor makes, how the engine builds
 * them, and what the rules need to know about their updates.
 */
import { Adam, ADAM_DEFAULTS, Optimizer, SGD, SGD_DEFAULTS } from '../../engine/optim';
import type { Tensor } from '../../engine/tensor';
import type { ArgValue } from '../graph';
import type { ArgDef, ArgsObject } from './args';

export type OptimizerType = 'SGD' | 'Adam';

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
  traits: OptimizerTraits;
}

const num = (v: ArgValue): number => v as number;

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
    traits: {},
  },
  Adam: {
    doc: 'Adam (torch.optim.Adam).',
    torch: 'torch.optim.Adam',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, default: ADAM_DEFAULTS.lr, doc: 'Learning rate.' },
      {
        name: 'betas',
        type: { kind: 'number-pair', min: 0, max: 1, maxExclusive: true },
        default: [...ADAM_DEFAULTS.betas],
        doc: 'Coefficients for the running averages of the gradient and its square, each in [0, 1).',
      },
      { name: 'eps', type: { kind: 'number', min: 0 }, default: ADAM_DEFAULTS.eps, doc: 'Term added to the denominator for numerical stability.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: ADAM_DEFAULTS.weightDecay, doc: 'Weight decay (L2 penalty).' },
      { name: 'amsgrad', type: { kind: 'bool' }, default: ADAM_DEFAULTS.amsgrad, doc: 'Whether to use the AMSGrad variant.' },
    ],
    build: (params, a) =>
      new Adam(params, { lr: num(a.lr), betas: a.betas as [number, number], eps: num(a.eps), weightDecay: num(a.weight_decay), amsgrad: a.amsgrad === true }),
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
