/**
 * The layer catalogue: every torch.nn layer Gradient Lens knows, with its PyTorch name and
 * constructor arguments (types, defaults, docs), its parameters and shape rule, how the engine
 * builds it, and the traits the rules reason with. The spec parser, the JSON Schema, the builder,
 * the TypeScript front end and authoring API, editor completion and every rule read this table;
 * no other list of layer names exists. Adding a layer is one entry here plus its engine module.
 */
import type { DType } from '../../engine/dtype';
import * as nn from '../../engine/nn';
import type { OpKind } from '../../engine/ops';
import type { Rng } from '../../engine/rng';
import type { ArgValue, LayerNode } from '../graph';
import { ArgDef, ArgType, formatShape } from './args';
import { ATTENTION_LAYERS, AttentionLayerType } from './attention-layers';
import { BLOCK_LAYERS, BlockLayerType } from './block-layers';
import { RECURRENT_LAYERS, RecurrentLayerType } from './recurrent-layers';
import {
  batchNormShape,
  convLike,
  convParams,
  groupsCheck,
  dimCheck,
  flattenShape,
  unflattenShape,
  n,
  noParams,
  normParams,
  pair,
  ParamDef,
  poolCheck,
  same,
  ShapeInput,
  ShapeResult,
} from './shapes';

/** Every layer type, as torch.nn names it. */
export type LayerType =
  | 'Linear'
  | 'Conv1d'
  | 'Conv2d'
  | 'MaxPool1d'
  | 'AvgPool1d'
  | 'MaxPool2d'
  | 'AvgPool2d'
  | 'ReLU'
  | 'Sigmoid'
  | 'Tanh'
  | 'LeakyReLU'
  | 'ELU'
  | 'GELU'
  | 'Softplus'
  | 'Softmax'
  | 'LogSoftmax'
  | 'BatchNorm1d'
  | 'BatchNorm2d'
  | 'LayerNorm'
  | 'Dropout'
  | 'Embedding'
  | 'Flatten'
  | 'Unflatten'
  | 'Identity'
  | 'Sequential'
  | RecurrentLayerType
  | AttentionLayerType
  | BlockLayerType;

/** torch.nn.init.calculate_gain's nonlinearities that an activation can ask its weights for. */
export type GainNonlinearity = 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'linear';

/** What an elementwise (or per-row) activation does to values and to the gradient passing back. */
export interface ActivationTraits {
  /** The engine op it applies, as the trace's activation statistics name it ('sigmoid'). */
  op: OpKind;
  /**
   * The shape of its derivative: 'saturating' goes flat at both ends (units stop passing gradient
   * when their inputs grow), 'rectifier' is exactly zero on one side (units can die), 'leaky' small
   * but nonzero there, 'smooth' nonzero almost everywhere, 'coupled' mixes a row (softmax).
   */
  derivative: 'saturating' | 'rectifier' | 'leaky' | 'smooth' | 'coupled';
  /** Largest value of its derivative when below 1 (sigmoid's 1/4): a stack of them shrinks the gradient whatever the init. */
  derivativePeak?: number;
  /** The nonlinearity whose gain keeps the variance of the weights feeding it (torch.nn.init.calculate_gain). */
  gain: GainNonlinearity;
  /** For a leaky gain: the argument holding the negative slope. */
  slopeArg?: string;
  /** The closed range its outputs can approach, when bounded. */
  range?: [number, number];
  /** What its outputs are to a loss: independent probabilities, a distribution over a row, or its log. */
  output?: 'probability' | 'distribution' | 'log-distribution';
}

/** How a layer's gradient can stop whatever the data: the reason, and the arguments that undo it. */
export interface GradientBlock {
  why: string;
  /** Arguments that let the gradient through again, with why those values. */
  unblock?: { args: Record<string, ArgValue>; note: string };
}

export interface LayerTraits {
  /** A weight whose scale comes from its fans (PyTorch's kaiming_uniform(a=√5)); its rows are called units or filters. */
  weight?: 'units' | 'filters';
  activation?: ActivationTraits;
  /** Normalises its input: the forward pass is blind to the scale of the weights before it. */
  normalisation?: boolean;
  /**
   * Passes values on without a nonlinearity: 'values' keeps what kind of values they are (Dropout,
   * Identity, Flatten: a loss sees through it); 'scale' keeps their scale (pooling: the init rules see through it).
   */
  passThrough?: 'values' | 'scale';
  /** Keeps the per-sample shape: taking it out leaves its neighbours as they are. */
  keepsShape?: boolean;
  /** Integer indices stay integer indices through it (Flatten, Identity, Sequential). */
  keepsIndices?: boolean;
  /** Holds other layers (Sequential): not a layer of its own to the rules. */
  container?: boolean;
  /** A container whose children are named lists (Residual: body and shortcut), not one list. */
  branches?: readonly string[];
  /** Adds its input back to its output (a skip connection): gradients reach the layers before it unscaled. */
  residual?: boolean;
  /** A recurrent layer and its cell: the gradient flows back through time, through these gates. */
  recurrent?: 'rnn' | 'lstm' | 'gru';
  /** Computes softmax attention: its rows' entropy is measured per head. */
  attention?: boolean;
  /** When its arguments make it pass no gradient back at all (Dropout with p = 1), why. */
  blocksGradient?(layer: LayerNode): GradientBlock | null;
}

/** What a builder gets besides the arguments: the run's element type and seeded generators. */
export interface BuildRun {
  dtype: DType;
  /** Seeds PyTorch's default initialisation. */
  rng: Rng;
  /** Draws dropout masks (a stream of its own, so a Dropout does not shift the weights' init). */
  dropoutRng: Rng;
}

export interface LayerDef<M extends nn.Module = nn.Module> {
  /** Hover and completion text: what the layer computes and its weight layout. */
  doc: string;
  /** The PyTorch class it mirrors. */
  torch: string;
  /** Constructor arguments in PyTorch's order, with types, defaults and docs. */
  args: ArgDef[];
  /**
   * How many leading arguments the engine's constructor (as users call it in a TypeScript model)
   * takes by position; the rest go in an options object, camelCased (`{ bias: false }`). All when absent.
   */
  positional?: number;
  /** Every parameter the layer can have, for init keys and messages. */
  paramNames: string[];
  params(args: Record<string, ArgValue>): ParamDef[];
  shape(input: ShapeInput): ShapeResult;
  /** Checks between arguments that PyTorch's constructor makes. */
  check?(args: Record<string, ArgValue>): { error: string; arg: string } | null;
  /** The engine's module class (what the TypeScript front end recognises a built layer by). */
  module: abstract new (...args: never[]) => M;
  /** The engine module for these arguments (every default filled); a container gets its children built. */
  build(args: Record<string, ArgValue>, run: BuildRun, children: [string, nn.Module][]): M;
  /** PyTorch's constructor arguments of a module built by user code, by PyTorch's names. */
  argsOf(m: M): Record<string, ArgValue>;
  traits: LayerTraits;
}

/** Erases an entry's module type, keeping `build`/`argsOf` checked against its own class. */
function layer<M extends nn.Module>(def: LayerDef<M>): LayerDef {
  return def as unknown as LayerDef;
}

const list = (v: number | readonly number[]): ArgValue => (typeof v === 'number' ? v : [...v]);

const convArgs = (spatial: 1 | 2): ArgDef[] => {
  const t: ArgType = spatial === 1 ? { kind: 'int', min: 1 } : { kind: 'int-or-pair', min: 1 };
  const t0: ArgType = spatial === 1 ? { kind: 'int', min: 0 } : { kind: 'int-or-pair', min: 0 };
  const hw = spatial === 2 ? ' An integer or [height, width].' : '';
  return [
    { name: 'in_channels', type: { kind: 'int', min: 1 }, doc: 'Number of channels of the input (axis 1 of the batch).' },
    { name: 'out_channels', type: { kind: 'int', min: 1 }, doc: 'Number of channels the convolution produces.' },
    { name: 'kernel_size', type: t, doc: `Size of the convolving kernel.${hw}` },
    { name: 'stride', type: t, default: 1, doc: `Stride of the convolution.${hw}` },
    { name: 'padding', type: t0, default: 0, doc: `Zero-padding added to both sides of the input.${hw}` },
    { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If true, adds a learnable bias to the output.' },
    // after bias (PyTorch puts it before): a spec names it, and positional calls keep their meaning
    { name: 'groups', type: { kind: 'int', min: 1 }, default: 1, doc: 'Splits the channels into this many independent convolutions; in_channels and out_channels must be divisible by it (in_channels for a depthwise convolution).' },
    { name: 'dilation', type: t, default: 1, doc: `Spacing between kernel elements (atrous convolution): a kernel k wide spans dilation·(k − 1) + 1 inputs.${hw}` },
  ];
};

const convArgsOf = (m: nn.Conv1d | nn.Conv2d): Record<string, ArgValue> => ({
  in_channels: m.inChannels,
  out_channels: m.outChannels,
  kernel_size: list(m.kernelSize),
  stride: list(m.stride),
  padding: list(m.padding),
  bias: m.bias !== null,
  groups: m.groups,
  dilation: list(m.dilation),
});

const poolArgs = (what: string, spatial: 1 | 2): ArgDef[] => {
  const t = (min: number): ArgType => (spatial === 1 ? { kind: 'int', min } : { kind: 'int-or-pair', min });
  const hw = spatial === 2 ? ' An integer or [height, width].' : '';
  return [
    { name: 'kernel_size', type: t(1), doc: `Size of the window to take a ${what} over.${hw}` },
    { name: 'stride', type: t(1), defaultFrom: 'kernel_size', doc: 'Stride of the window. Default: kernel_size.' },
    { name: 'padding', type: t(0), default: 0, doc: 'Implicit padding added on both sides, at most half the kernel size.' },
    ...(what === 'max' ? [{ name: 'dilation', type: t(1), default: 1, doc: `Spacing between the window's elements (1: adjacent).${hw}` }] : []),
    { name: 'ceil_mode', type: { kind: 'bool' }, default: false, doc: 'Round the output size up: a last, partial window, as long as it starts inside the input or its left padding.' },
    ...(what === 'mean' ? [{ name: 'count_include_pad', type: { kind: 'bool' } as ArgType, default: true, doc: "Count the padding's zeros in the divisor." }] : []),
    ...(what === 'mean' && spatial === 2
      ? [{ name: 'divisor_override', type: { kind: 'int-or-null' } as ArgType, default: null, doc: "Divide every window's sum by this instead of the number of elements it counts (null: that number)." }]
      : []),
  ];
};

/** A pooling module's window, per axis or one number for 1-D. */
interface PoolWindow {
  kernelSize: number | readonly number[];
  stride: number | readonly number[];
  padding: number | readonly number[];
  /** Max pooling's only. */
  dilation?: number | readonly number[];
  ceilMode: boolean;
  /** Average pooling's only. */
  countIncludePad?: boolean;
  /** AvgPool2d's only. */
  divisorOverride?: number | null;
}

const poolArgsOf = (m: PoolWindow): Record<string, ArgValue> => ({
  kernel_size: list(m.kernelSize),
  stride: list(m.stride),
  padding: list(m.padding),
  ...(m.dilation === undefined ? {} : { dilation: list(m.dilation) }),
  ceil_mode: m.ceilMode,
  ...(m.countIncludePad === undefined ? {} : { count_include_pad: m.countIncludePad }),
  ...(m.divisorOverride === undefined ? {} : { divisor_override: m.divisorOverride }),
});

/** A pooling layer: no parameters, the input's channels out, the scale of its values kept (the init rules see through it). */
function pool<M extends nn.Module & PoolWindow>(
  type: LayerType,
  spatial: 1 | 2,
  what: 'max' | 'mean',
  module: LayerDef<M>['module'],
  build: (a: Record<string, ArgValue>) => M,
): LayerDef {
  const input = spatial === 1 ? '[channels, length]' : '[channels, height, width]';
  return layer<M>({
    doc: `Applies a ${spatial}D ${what === 'max' ? 'max' : 'average'} pooling over an input ${input} (torch.nn.${type}).`,
    torch: `torch.nn.${type}`,
    args: poolArgs(what, spatial),
    positional: 1,
    paramNames: [],
    params: noParams,
    check: poolCheck,
    shape: convLike(type, spatial, null, (c) => c),
    module,
    build,
    argsOf: poolArgsOf,
    traits: { passThrough: 'scale' },
  });
}

const batchNormArgs = (what: string): ArgDef[] => [
  { name: 'num_features', type: { kind: 'int', min: 1 }, doc: `C from an expected input of size ${what}.` },
  { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'A value added to the denominator for numerical stability.' },
  { name: 'momentum', type: { kind: 'number', min: 0, max: 1 }, default: 0.1, doc: 'The value used for the running_mean and running_var computation.' },
  { name: 'affine', type: { kind: 'bool' }, default: true, doc: 'If true, the layer has learnable affine parameters (weight and bias).' },
];

const batchNormArgsOf = (m: nn.BatchNorm1d | nn.BatchNorm2d): Record<string, ArgValue> => ({ num_features: m.numFeatures, eps: m.eps, momentum: m.momentum, affine: m.weight !== null });

/** Per-sample size of the axis `dim` (PyTorch's dim counts the batch; negative from the end). */
function axisSize(l: LayerNode, dim: number): number | undefined {
  const full = [NaN, ...l.inShape];
  const d = dim < 0 ? full.length + dim : dim;
  return d >= 1 && d < full.length ? full[d] : undefined;
}

/** Softmax over an axis of size 1 is constant: 1 (or 0 for its log). */
const constantOverOneEntry =
  (constant: number) =>
  (l: LayerNode): GradientBlock | null => {
    const dim = Number(l.args.dim);
    return axisSize(l, dim) === 1 ? { why: `${l.type} ${l.path} over dim ${dim} of size 1 always outputs ${constant}` } : null;
  };

/** A parameter-free activation: same shape out, the traits say what it does to the gradient. */
function activation<M extends nn.Module>(
  def: Pick<LayerDef<M>, 'doc' | 'torch' | 'module' | 'build' | 'argsOf'> & { args?: ArgDef[]; shape?: LayerDef['shape']; activation: ActivationTraits; blocksGradient?: LayerTraits['blocksGradient'] },
): LayerDef {
  return layer<M>({
    doc: def.doc,
    torch: def.torch,
    args: def.args ?? [],
    paramNames: [],
    params: noParams,
    shape: def.shape ?? same,
    module: def.module,
    build: def.build,
    argsOf: def.argsOf,
    traits: { activation: def.activation, keepsShape: true, ...(def.blocksGradient ? { blocksGradient: def.blocksGradient } : {}) },
  });
}

const noArgs = (): Record<string, ArgValue> => ({});

export const LAYERS = {
  Linear: layer<nn.Linear>({
    doc: 'Applies an affine linear transformation to the last axis: y = x·Wᵀ + b (torch.nn.Linear). Weight shape [out_features, in_features].',
    torch: 'torch.nn.Linear',
    args: [
      { name: 'in_features', type: { kind: 'int', min: 1 }, doc: 'Size of each input sample (the last axis).' },
      { name: 'out_features', type: { kind: 'int', min: 1 }, doc: 'Size of each output sample.' },
      { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If false, the layer will not learn an additive bias.' },
    ],
    positional: 2,
    paramNames: ['weight', 'bias'],
    params: (a) => {
      const out: ParamDef[] = [{ name: 'weight', shape: [n(a.out_features), n(a.in_features)] }];
      if (a.bias !== false) out.push({ name: 'bias', shape: [n(a.out_features)] });
      return out;
    },
    shape: (i) => {
      const s = i.inShape;
      if (s.length === 0 || s[s.length - 1] !== n(i.args.in_features)) {
        const fit = s.length ? s[s.length - 1] : undefined;
        return { error: `Linear expects ${n(i.args.in_features)} input features but ${i.from} gives ${formatShape(s)}`, arg: 'in_features', fit };
      }
      return { shape: [...s.slice(0, -1), n(i.args.out_features)] };
    },
    module: nn.Linear,
    build: (a, run) => new nn.Linear(n(a.in_features), n(a.out_features), { bias: a.bias !== false, dtype: run.dtype, rng: run.rng }),
    argsOf: (m) => ({ in_features: m.inFeatures, out_features: m.outFeatures, bias: m.bias !== null }),
    traits: { weight: 'units' },
  }),
  Conv1d: layer<nn.Conv1d>({
    doc: 'Applies a 1D convolution over an input [channels, length] (torch.nn.Conv1d). Weight shape [out_channels, in_channels, kernel_size].',
    torch: 'torch.nn.Conv1d',
    args: convArgs(1),
    positional: 3,
    paramNames: ['weight', 'bias'],
    params: convParams(1),
    shape: convLike('Conv1d', 1, 'in_channels', (_c, a) => n(a.out_channels)),
    module: nn.Conv1d,
    build: (a, run) =>
      new nn.Conv1d(n(a.in_channels), n(a.out_channels), n(a.kernel_size), { stride: n(a.stride), padding: n(a.padding), bias: a.bias !== false, groups: n(a.groups ?? 1), dilation: n(a.dilation ?? 1), dtype: run.dtype, rng: run.rng }),
    check: groupsCheck,
    argsOf: convArgsOf,
    traits: { weight: 'filters' },
  }),
  Conv2d: layer<nn.Conv2d>({
    doc: 'Applies a 2D convolution over an input [channels, height, width] (torch.nn.Conv2d). Weight shape [out_channels, in_channels, kh, kw].',
    torch: 'torch.nn.Conv2d',
    args: convArgs(2),
    positional: 3,
    paramNames: ['weight', 'bias'],
    params: convParams(2),
    shape: convLike('Conv2d', 2, 'in_channels', (_c, a) => n(a.out_channels)),
    module: nn.Conv2d,
    build: (a, run) =>
      new nn.Conv2d(n(a.in_channels), n(a.out_channels), pair(a.kernel_size), { stride: pair(a.stride), padding: pair(a.padding), bias: a.bias !== false, groups: n(a.groups ?? 1), dilation: pair(a.dilation ?? 1), dtype: run.dtype, rng: run.rng }),
    check: groupsCheck,
    argsOf: convArgsOf,
    traits: { weight: 'filters' },
  }),
  MaxPool1d: pool<nn.MaxPool1d>('MaxPool1d', 1, 'max', nn.MaxPool1d, (a) => new nn.MaxPool1d(n(a.kernel_size), { stride: n(a.stride ?? a.kernel_size), padding: n(a.padding), dilation: n(a.dilation ?? 1), ceilMode: a.ceil_mode === true })),
  AvgPool1d: pool<nn.AvgPool1d>('AvgPool1d', 1, 'mean', nn.AvgPool1d, (a) => new nn.AvgPool1d(n(a.kernel_size), { stride: n(a.stride ?? a.kernel_size), padding: n(a.padding), ceilMode: a.ceil_mode === true, countIncludePad: a.count_include_pad !== false })),
  MaxPool2d: pool<nn.MaxPool2d>('MaxPool2d', 2, 'max', nn.MaxPool2d, (a) => new nn.MaxPool2d(pair(a.kernel_size), { stride: pair(a.stride ?? a.kernel_size), padding: pair(a.padding), dilation: pair(a.dilation ?? 1), ceilMode: a.ceil_mode === true })),
  AvgPool2d: pool<nn.AvgPool2d>('AvgPool2d', 2, 'mean', nn.AvgPool2d, (a) => new nn.AvgPool2d(pair(a.kernel_size), { stride: pair(a.stride ?? a.kernel_size), padding: pair(a.padding), ceilMode: a.ceil_mode === true, countIncludePad: a.count_include_pad !== false, divisorOverride: a.divisor_override == null ? null : n(a.divisor_override) })),
  ReLU: activation<nn.ReLU>({
    doc: 'Applies max(0, x) element-wise (torch.nn.ReLU).',
    torch: 'torch.nn.ReLU',
    module: nn.ReLU,
    build: () => new nn.ReLU(),
    argsOf: noArgs,
    activation: { op: 'relu', derivative: 'rectifier', gain: 'relu', range: [0, Infinity] },
  }),
  Sigmoid: activation<nn.Sigmoid>({
    doc: 'Applies 1/(1 + exp(−x)) element-wise (torch.nn.Sigmoid). Saturates for |x| > 6.',
    torch: 'torch.nn.Sigmoid',
    module: nn.Sigmoid,
    build: () => new nn.Sigmoid(),
    argsOf: noArgs,
    activation: { op: 'sigmoid', derivative: 'saturating', derivativePeak: 0.25, gain: 'sigmoid', range: [0, 1], output: 'probability' },
  }),
  Tanh: activation<nn.Tanh>({
    doc: 'Applies tanh(x) element-wise (torch.nn.Tanh). Saturates for |x| > 3.',
    torch: 'torch.nn.Tanh',
    module: nn.Tanh,
    build: () => new nn.Tanh(),
    argsOf: noArgs,
    activation: { op: 'tanh', derivative: 'saturating', gain: 'tanh', range: [-1, 1] },
  }),
  LeakyReLU: activation<nn.LeakyReLU>({
    doc: 'Applies max(0, x) + negative_slope·min(0, x) element-wise (torch.nn.LeakyReLU).',
    torch: 'torch.nn.LeakyReLU',
    args: [{ name: 'negative_slope', type: { kind: 'number' }, default: 0.01, doc: 'Slope for negative inputs.' }],
    module: nn.LeakyReLU,
    build: (a) => new nn.LeakyReLU(n(a.negative_slope)),
    argsOf: (m) => ({ negative_slope: m.negativeSlope }),
    activation: { op: 'leaky_relu', derivative: 'leaky', gain: 'leaky_relu', slopeArg: 'negative_slope' },
  }),
  ELU: activation<nn.ELU>({
    doc: 'Applies x for x > 0, alpha·(exp(x) − 1) otherwise (torch.nn.ELU).',
    torch: 'torch.nn.ELU',
    args: [{ name: 'alpha', type: { kind: 'number' }, default: 1.0, doc: 'The α value of the ELU formulation.' }],
    module: nn.ELU,
    build: (a) => new nn.ELU(n(a.alpha)),
    argsOf: (m) => ({ alpha: m.alpha }),
    activation: { op: 'elu', derivative: 'smooth', gain: 'relu' },
  }),
  GELU: activation<nn.GELU>({
    doc: 'Applies the Gaussian Error Linear Unit x·Φ(x) element-wise (torch.nn.GELU).',
    torch: 'torch.nn.GELU',
    args: [{ name: 'approximate', type: { kind: 'enum', values: ['none', 'tanh'] }, default: 'none', doc: "The approximation to use: 'none' (exact, erf) or 'tanh'." }],
    module: nn.GELU,
    build: (a) => new nn.GELU(a.approximate as 'none' | 'tanh'),
    argsOf: (m) => ({ approximate: m.approximate }),
    activation: { op: 'gelu', derivative: 'smooth', gain: 'relu' },
  }),
  Softplus: activation<nn.Softplus>({
    doc: 'Applies log(1 + exp(beta·x))/beta, linear above threshold (torch.nn.Softplus).',
    torch: 'torch.nn.Softplus',
    args: [
      { name: 'beta', type: { kind: 'number', min: 0, minExclusive: true }, default: 1, doc: 'The β value of the Softplus formulation.' },
      { name: 'threshold', type: { kind: 'number' }, default: 20, doc: 'Values with beta·x above this revert to a linear function.' },
    ],
    module: nn.Softplus,
    build: (a) => new nn.Softplus(n(a.beta), n(a.threshold)),
    argsOf: (m) => ({ beta: m.beta, threshold: m.threshold }),
    activation: { op: 'softplus', derivative: 'smooth', gain: 'relu', range: [0, Infinity] },
  }),
  Softmax: activation<nn.Softmax>({
    doc: 'Rescales values along dim so they lie in [0, 1] and sum to 1 (torch.nn.Softmax).',
    torch: 'torch.nn.Softmax',
    args: [{ name: 'dim', type: { kind: 'int' }, default: -1, doc: 'The axis of the batched input along which Softmax is computed (-1: the last).' }],
    shape: dimCheck('Softmax'),
    module: nn.Softmax,
    build: (a) => new nn.Softmax(n(a.dim)),
    argsOf: (m): Record<string, ArgValue> => (m.dim === undefined ? {} : { dim: m.dim }),
    activation: { op: 'softmax', derivative: 'coupled', gain: 'linear', range: [0, 1], output: 'distribution' },
    blocksGradient: constantOverOneEntry(1),
  }),
  LogSoftmax: activation<nn.LogSoftmax>({
    doc: 'Applies log(Softmax(x)) along dim (torch.nn.LogSoftmax); pair it with NLLLoss.',
    torch: 'torch.nn.LogSoftmax',
    args: [{ name: 'dim', type: { kind: 'int' }, default: -1, doc: 'The axis of the batched input along which LogSoftmax is computed (-1: the last).' }],
    shape: dimCheck('LogSoftmax'),
    module: nn.LogSoftmax,
    build: (a) => new nn.LogSoftmax(n(a.dim)),
    argsOf: (m): Record<string, ArgValue> => (m.dim === undefined ? {} : { dim: m.dim }),
    activation: { op: 'log_softmax', derivative: 'coupled', gain: 'linear', output: 'log-distribution' },
    blocksGradient: constantOverOneEntry(0),
  }),
  BatchNorm1d: layer<nn.BatchNorm1d>({
    doc: 'Batch normalisation over an input [C] or [C, L] (torch.nn.BatchNorm1d), with batch statistics in training.',
    torch: 'torch.nn.BatchNorm1d',
    args: batchNormArgs('(N, C) or (N, C, L)'),
    positional: 1,
    paramNames: ['weight', 'bias'],
    params: normParams,
    shape: batchNormShape('BatchNorm1d', 0),
    module: nn.BatchNorm1d,
    build: (a, run) => new nn.BatchNorm1d(n(a.num_features), { eps: n(a.eps), momentum: n(a.momentum), affine: a.affine !== false, dtype: run.dtype }),
    argsOf: batchNormArgsOf,
    traits: { normalisation: true, keepsShape: true },
  }),
  BatchNorm2d: layer<nn.BatchNorm2d>({
    doc: 'Batch normalisation over an input [C, H, W] (torch.nn.BatchNorm2d), with batch statistics in training.',
    torch: 'torch.nn.BatchNorm2d',
    args: batchNormArgs('(N, C, H, W)'),
    positional: 1,
    paramNames: ['weight', 'bias'],
    params: normParams,
    shape: batchNormShape('BatchNorm2d', 2),
    module: nn.BatchNorm2d,
    build: (a, run) => new nn.BatchNorm2d(n(a.num_features), { eps: n(a.eps), momentum: n(a.momentum), affine: a.affine !== false, dtype: run.dtype }),
    argsOf: batchNormArgsOf,
    traits: { normalisation: true, keepsShape: true },
  }),
  LayerNorm: layer<nn.LayerNorm>({
    doc: 'Layer normalisation over the trailing axes given by normalized_shape (torch.nn.LayerNorm).',
    torch: 'torch.nn.LayerNorm',
    args: [
      { name: 'normalized_shape', type: { kind: 'int-or-list', min: 1 }, doc: 'The trailing axes to normalise over: an integer (the last axis) or a list.' },
      { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'A value added to the denominator for numerical stability.' },
      { name: 'elementwise_affine', type: { kind: 'bool' }, default: true, doc: 'If true, the layer has learnable per-element weight and bias.' },
    ],
    positional: 1,
    paramNames: ['weight', 'bias'],
    params: (a) => {
      if (a.elementwise_affine === false) return [];
      const s = Array.isArray(a.normalized_shape) ? [...a.normalized_shape] : [n(a.normalized_shape)];
      return [
        { name: 'weight', shape: s },
        { name: 'bias', shape: [...s] },
      ];
    },
    shape: (i) => {
      const ns = Array.isArray(i.args.normalized_shape) ? i.args.normalized_shape : [n(i.args.normalized_shape)];
      const tail = i.inShape.slice(i.inShape.length - ns.length);
      if (ns.length > i.inShape.length || tail.some((d, k) => d !== ns[k])) {
        // The same number of trailing axes, as they come in (an integer stays an integer).
        const k = Math.min(ns.length, i.inShape.length);
        const fit = k === 0 ? undefined : Array.isArray(i.args.normalized_shape) ? i.inShape.slice(i.inShape.length - k) : i.inShape[i.inShape.length - 1];
        return { error: `LayerNorm normalises trailing axes ${formatShape(ns)} but ${i.from} gives ${formatShape(i.inShape)}`, arg: 'normalized_shape', fit };
      }
      return same(i);
    },
    module: nn.LayerNorm,
    build: (a, run) => new nn.LayerNorm(a.normalized_shape as number | number[], { eps: n(a.eps), elementwiseAffine: a.elementwise_affine !== false, dtype: run.dtype }),
    argsOf: (m) => ({ normalized_shape: [...m.normalizedShape], eps: m.eps, elementwise_affine: m.weight !== null }),
    traits: {
      normalisation: true,
      keepsShape: true,
      blocksGradient: (l) => {
        const a = l.args.normalized_shape;
        const shape = Array.isArray(a) ? a : [Number(a)];
        return shape.reduce((x, y) => x * y, 1) === 1 ? { why: `LayerNorm ${l.path} normalises over a single feature, so its output is always its bias` } : null;
      },
    },
  }),
  Dropout: layer<nn.Dropout>({
    doc: 'Zeroes each element with probability p in training and scales the rest by 1/(1 − p) (torch.nn.Dropout).',
    torch: 'torch.nn.Dropout',
    args: [{ name: 'p', type: { kind: 'number', min: 0, max: 1 }, default: 0.5, doc: 'Probability of an element to be zeroed, in [0, 1].' }],
    paramNames: [],
    params: noParams,
    shape: same,
    module: nn.Dropout,
    build: (a, run) => new nn.Dropout(n(a.p), run.dropoutRng),
    argsOf: (m) => ({ p: m.p }),
    traits: {
      passThrough: 'values',
      keepsShape: true,
      blocksGradient: (l) =>
        Number(l.args.p) === 1 ? { why: `${l.type} ${l.path} with p=1 zeroes every value`, unblock: { args: { p: 0.5 }, note: "PyTorch's default; p is the share dropped" } } : null,
    },
  }),
  Embedding: layer<nn.Embedding>({
    doc: 'A lookup table from integer indices to vectors: [...] → [..., embedding_dim] (torch.nn.Embedding). Weight shape [num_embeddings, embedding_dim].',
    torch: 'torch.nn.Embedding',
    args: [
      { name: 'num_embeddings', type: { kind: 'int', min: 1 }, doc: 'Size of the dictionary: indices must be in [0, num_embeddings).' },
      { name: 'embedding_dim', type: { kind: 'int', min: 1 }, doc: 'The size of each embedding vector.' },
      { name: 'padding_idx', type: { kind: 'int-or-null' }, default: null, doc: 'The entry at this index gets no gradient (and starts as zeros).' },
    ],
    positional: 2,
    paramNames: ['weight'],
    params: (a) => [{ name: 'weight', shape: [n(a.num_embeddings), n(a.embedding_dim)] }],
    check: (a) => {
      const p = a.padding_idx;
      if (typeof p === 'number' && (p < -n(a.num_embeddings) || p >= n(a.num_embeddings))) {
        return { error: `padding_idx must be within num_embeddings: in [${-n(a.num_embeddings)}, ${n(a.num_embeddings) - 1}], got ${p}`, arg: 'padding_idx' };
      }
      return null;
    },
    shape: (i) => {
      const rows = n(i.args.num_embeddings);
      if (i.indices === null) {
        return {
          error: `Embedding takes integer indices but ${i.from} gives floats: make it the first layer and write input: {shape: ${formatShape(i.inShape)}, distribution: {integers: {low: 0, high: ${rows}}}}`,
        };
      }
      if (i.indices !== 'unknown' && (i.indices.low < 0 || i.indices.high > rows)) {
        return {
          error: `Embedding has ${rows} rows (num_embeddings) but the input's indices are integers in [${i.indices.low}, ${i.indices.high}): they must lie in [0, ${rows}), so the input's high must be at most ${rows}`,
          arg: 'num_embeddings',
        };
      }
      return { shape: [...i.inShape, n(i.args.embedding_dim)] };
    },
    module: nn.Embedding,
    build: (a, run) => new nn.Embedding(n(a.num_embeddings), n(a.embedding_dim), { paddingIdx: (a.padding_idx ?? null) as number | null, dtype: run.dtype, rng: run.rng }),
    argsOf: (m) => ({ num_embeddings: m.numEmbeddings, embedding_dim: m.embeddingDim, padding_idx: m.paddingIdx }),
    traits: {},
  }),
  Flatten: layer<nn.Flatten>({
    doc: 'Merges axes start_dim..end_dim of the batched input into one (torch.nn.Flatten); the default flattens each sample.',
    torch: 'torch.nn.Flatten',
    args: [
      { name: 'start_dim', type: { kind: 'int' }, default: 1, doc: 'First axis to flatten, counting the batch axis as 0.' },
      { name: 'end_dim', type: { kind: 'int' }, default: -1, doc: 'Last axis to flatten (-1: the last).' },
    ],
    paramNames: [],
    params: noParams,
    shape: flattenShape,
    module: nn.Flatten,
    build: (a) => new nn.Flatten(n(a.start_dim), n(a.end_dim)),
    argsOf: (m) => ({ start_dim: m.startDim, end_dim: m.endDim }),
    traits: { passThrough: 'values', keepsIndices: true },
  }),
  Unflatten: layer<nn.Unflatten>({
    doc: "Splits axis dim of the batched input into the sizes unflattened_size (torch.nn.Unflatten), Flatten's inverse: a decoder's Linear output back into channels × height × width.",
    torch: 'torch.nn.Unflatten',
    args: [
      { name: 'dim', type: { kind: 'int' }, doc: 'The axis to split, counting the batch axis as 0.' },
      { name: 'unflattened_size', type: { kind: 'int-or-list', min: -1 }, doc: "The sizes it becomes: their product is the axis's size (one may be -1, inferred)." },
    ],
    paramNames: [],
    params: noParams,
    shape: unflattenShape,
    module: nn.Unflatten,
    build: (a) => new nn.Unflatten(n(a.dim), Array.isArray(a.unflattened_size) ? [...a.unflattened_size] : [n(a.unflattened_size)]),
    argsOf: (m) => ({ dim: m.dim, unflattened_size: [...m.sizes] }),
    traits: { passThrough: 'values', keepsIndices: true },
  }),
  Identity: layer<nn.Identity>({
    doc: 'Returns its input unchanged (torch.nn.Identity).',
    torch: 'torch.nn.Identity',
    args: [],
    paramNames: [],
    params: noParams,
    shape: same,
    module: nn.Identity,
    build: () => new nn.Identity(),
    argsOf: noArgs,
    traits: { passThrough: 'values', keepsShape: true, keepsIndices: true },
  }),
  ...RECURRENT_LAYERS,
  ...ATTENTION_LAYERS,
  ...BLOCK_LAYERS,
  Sequential: layer<nn.Sequential>({
    doc: 'A list of layers applied in order (torch.nn.Sequential); parameter names are prefixed by the entry index or its name.',
    torch: 'torch.nn.Sequential',
    args: [],
    paramNames: [],
    params: noParams,
    shape: same,
    module: nn.Sequential,
    build: (_a, _run, children) => new nn.Sequential(children),
    argsOf: noArgs,
    traits: { container: true, keepsIndices: true },
  }),
} satisfies Record<LayerType, LayerDef>;

/** Every layer type in catalogue order, read from the table each time (so a test's throwaway entry shows up everywhere). */
export function layerTypes(): LayerType[] {
  return Object.keys(LAYERS) as LayerType[];
}

/** The catalogue entry of a layer type, or undefined for a type it does not hold (a user's own module). */
export function layerDef(type: string): LayerDef | undefined {
  return Object.hasOwn(LAYERS, type) ? LAYERS[type as LayerType] : undefined;
}

export function isLayerType(type: string): type is LayerType {
  return Object.hasOwn(LAYERS, type);
}

/** The traits of a layer type; none for a type the catalogue does not hold. */
export function traitsOf(type: string): LayerTraits {
  return layerDef(type)?.traits ?? {};
}

/** The catalogue's activation layer that applies engine op `op` ('sigmoid' → Sigmoid). */
export function activationLayerOf(op: string): LayerType | undefined {
  return layerTypes().find((t) => LAYERS[t].traits.activation?.op === op);
}

/** The torch.nn type of a built module ("Linear"), or undefined when it is none of the catalogue's. */
export function layerTypeOf(m: nn.Module): LayerType | undefined {
  // The most derived class wins: a Dropout2d is also a Dropout, a ReLU6 a Hardtanh.
  let best: LayerType | undefined;
  for (const t of layerTypes()) {
    if (!(m instanceof LAYERS[t].module)) continue;
    if (!best || LAYERS[t].module.prototype instanceof LAYERS[best].module) best = t;
  }
  return best;
}
