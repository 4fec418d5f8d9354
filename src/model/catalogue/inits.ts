/** The init schemes, as torch.nn.init names them: arguments, which shapes they need, and how they fill a tensor. */
import * as init from '../../engine/init';
import type { Rng } from '../../engine/rng';
import type { Tensor } from '../../engine/tensor';
import type { ArgValue } from '../graph';
import { ArgDef, withDefaults } from './args';

export type InitScheme =
  | 'default'
  | 'xavier_uniform'
  | 'xavier_normal'
  | 'kaiming_uniform'
  | 'kaiming_normal'
  | 'normal'
  | 'trunc_normal'
  | 'uniform'
  | 'zeros'
  | 'ones'
  | 'constant'
  | 'orthogonal'
  | 'eye'
  | 'dirac'
  | 'sparse';

export interface InitDef {
  doc: string;
  args: ArgDef[];
  /** Fan-based schemes need a weight with at least two axes (PyTorch raises otherwise). */
  needsFans: boolean;
  /** The axes a structured scheme (identity, orthogonal, sparse) accepts, as PyTorch checks them. */
  axes?: { min: number; max: number };
  /** The argument a bare value sets: `{constant: 0.5}`. */
  shorthand?: string;
  /** Fills `t` in place (every default filled in `args`). */
  apply(t: Tensor, args: Record<string, ArgValue>, rng: Rng): void;
  /**
   * E[w²] of what the scheme fills, where its arguments alone fix it (every default filled in
   * `args`): the scale the user wrote, which a few sampled entries only estimate.
   */
  meanSquare?(args: Record<string, ArgValue>): number;
}

const NONLINEARITIES = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'];

const kaimingArgs: ArgDef[] = [
  { name: 'a', type: { kind: 'number' }, default: 0, doc: 'The negative slope of the rectifier after this layer (leaky_relu only).' },
  { name: 'mode', type: { kind: 'enum', values: ['fan_in', 'fan_out'] }, default: 'fan_in', doc: "'fan_in' keeps the forward variance, 'fan_out' the backward." },
  { name: 'nonlinearity', type: { kind: 'enum', values: NONLINEARITIES }, default: 'leaky_relu', doc: 'The activation after this layer, for its gain (relu, leaky_relu, tanh, ...).' },
];

const num = (v: ArgValue): number => v as number;

export const INITS: Record<InitScheme, InitDef> = {
  default: { doc: "PyTorch's default initialisation for this layer.", args: [], needsFans: false, apply: () => {} },
  xavier_uniform: {
    doc: 'U(−a, a) with a = gain·√(6/(fan_in + fan_out)) (torch.nn.init.xavier_uniform_).',
    args: [{ name: 'gain', type: { kind: 'number' }, default: 1, doc: 'Scaling factor (calculate_gain of the activation).' }],
    needsFans: true,
    apply: (t, a, rng) => void init.xavierUniform(t, rng, num(a.gain)),
  },
  xavier_normal: {
    doc: 'N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (torch.nn.init.xavier_normal_).',
    args: [{ name: 'gain', type: { kind: 'number' }, default: 1, doc: 'Scaling factor (calculate_gain of the activation).' }],
    needsFans: true,
    apply: (t, a, rng) => void init.xavierNormal(t, rng, num(a.gain)),
  },
  kaiming_uniform: {
    doc: 'He initialisation, uniform: U(−b, b) with b = gain·√(3/fan) (torch.nn.init.kaiming_uniform_).',
    args: kaimingArgs,
    needsFans: true,
    apply: (t, a, rng) => void init.kaimingUniform(t, rng, num(a.a), a.mode as init.FanMode, a.nonlinearity as init.Nonlinearity),
  },
  kaiming_normal: {
    doc: 'He initialisation, normal: N(0, std²) with std = gain/√fan (torch.nn.init.kaiming_normal_).',
    args: kaimingArgs,
    needsFans: true,
    apply: (t, a, rng) => void init.kaimingNormal(t, rng, num(a.a), a.mode as init.FanMode, a.nonlinearity as init.Nonlinearity),
  },
  normal: {
    doc: 'N(mean, std²) (torch.nn.init.normal_).',
    args: [
      { name: 'mean', type: { kind: 'number' }, default: 0, doc: 'Mean of the normal distribution.' },
      { name: 'std', type: { kind: 'number', min: 0 }, default: 1, doc: 'Standard deviation of the normal distribution.' },
    ],
    needsFans: false,
    apply: (t, a, rng) => void init.normal(t, rng, num(a.mean), num(a.std)),
    meanSquare: (a) => num(a.std) ** 2 + num(a.mean) ** 2,
  },
  trunc_normal: {
    doc: 'N(mean, std²) truncated to [a, b], absolute bounds (torch.nn.init.trunc_normal_): ViT and GPT style std=0.02.',
    args: [
      { name: 'mean', type: { kind: 'number' }, default: 0, doc: 'Mean of the normal distribution.' },
      { name: 'std', type: { kind: 'number', min: 0 }, default: 1, doc: 'Standard deviation of the normal distribution.' },
      { name: 'a', type: { kind: 'number' }, default: -2, doc: 'Lowest value (absolute, not in stds).' },
      { name: 'b', type: { kind: 'number' }, default: 2, doc: 'Highest value (absolute, not in stds).' },
    ],
    needsFans: false,
    apply: (t, a, rng) => void init.truncNormal(t, rng, num(a.mean), num(a.std), num(a.a), num(a.b)),
  },
  uniform: {
    doc: 'U(a, b) (torch.nn.init.uniform_).',
    args: [
      { name: 'a', type: { kind: 'number' }, default: 0, doc: 'Lower bound.' },
      { name: 'b', type: { kind: 'number' }, default: 1, doc: 'Upper bound.' },
    ],
    needsFans: false,
    apply: (t, a, rng) => void init.uniform(t, rng, num(a.a), num(a.b)),
    meanSquare: (a) => (num(a.b) - num(a.a)) ** 2 / 12 + ((num(a.a) + num(a.b)) / 2) ** 2,
  },
  zeros: { doc: 'All zeros (torch.nn.init.zeros_). On weights this makes every unit identical.', args: [], needsFans: false, apply: (t) => void init.zeros(t), meanSquare: () => 0 },
  ones: { doc: 'All ones (torch.nn.init.ones_).', args: [], needsFans: false, apply: (t) => void init.ones(t), meanSquare: () => 1 },
  constant: {
    doc: 'Every element set to val (torch.nn.init.constant_): `{constant: 0.5}` or `{constant: {val: 0.5}}`.',
    args: [{ name: 'val', type: { kind: 'number' }, doc: 'The value to fill the tensor with.' }],
    needsFans: false,
    shorthand: 'val',
    apply: (t, a) => void init.constant(t, num(a.val ?? 0)),
    meanSquare: (a) => num(a.val ?? 0) ** 2,
  },
  orthogonal: {
    doc: '(Semi-)orthogonal rows or columns, trailing axes flattened, times gain (torch.nn.init.orthogonal_): recurrent weights keep their norm step to step.',
    args: [{ name: 'gain', type: { kind: 'number' }, default: 1, doc: 'Scaling factor.' }],
    needsFans: false,
    axes: { min: 2, max: Infinity },
    apply: (t, a, rng) => void init.orthogonal(t, rng, num(a.gain)),
  },
  eye: { doc: 'The identity matrix (torch.nn.init.eye_): the layer starts by passing its input through.', args: [], needsFans: false, axes: { min: 2, max: 2 }, apply: (t) => void init.eye(t) },
  dirac: {
    doc: 'The identity convolution (torch.nn.init.dirac_): each output channel copies its input channel at the kernel centre.',
    args: [{ name: 'groups', type: { kind: 'int', min: 1 }, default: 1, doc: "The conv's groups; each group keeps its own identity." }],
    needsFans: false,
    axes: { min: 3, max: 5 },
    apply: (t, a) => void init.dirac(t, num(a.groups)),
  },
  sparse: {
    doc: 'N(0, std²) with a share of each column zero (torch.nn.init.sparse_, Martens 2010).',
    args: [
      { name: 'sparsity', type: { kind: 'number', min: 0, max: 1 }, doc: 'The share of each column set to zero.' },
      { name: 'std', type: { kind: 'number', min: 0 }, default: 0.01, doc: 'Standard deviation of the non-zero values.' },
    ],
    needsFans: false,
    axes: { min: 2, max: 2 },
    apply: (t, a, rng) => void init.sparse(t, rng, num(a.sparsity ?? 0), num(a.std)),
  },
};

export const INIT_SCHEMES = Object.keys(INITS) as InitScheme[];

/** E[w²] of the scheme with the arguments as written, where they alone fix it; undefined where it draws at a scale set by the shape or not at all. */
export function writtenMeanSquare(scheme: InitScheme, written: Record<string, ArgValue>): number | undefined {
  const def = INITS[scheme];
  return def.meanSquare?.(withDefaults(def.args, written));
}

/** Applies a scheme with the arguments as written (the scheme's defaults fill the rest). */
export function applyInit(t: Tensor, scheme: InitScheme, written: Record<string, ArgValue>, rng: Rng): void {
  const def = INITS[scheme];
  def.apply(t, withDefaults(def.args, written), rng);
}
