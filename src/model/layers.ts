/**
 * The spec's catalogue: every layer, loss, optimiser, init scheme and distribution with its
 * arguments (torch names, types, defaults), parameters and per-sample shape rule. The parser,
 * the shape inference and the JSON Schema all read this one table, so they cannot disagree.
 */
import type { ArgValue, InitScheme, LossType, OptimizerType } from './graph';

export type ArgType =
  /** An integer ≥ min (sizes: 1, paddings: 0; no min for dims). */
  | { kind: 'int'; min?: number }
  /** An integer or an [h, w] pair of them (Conv2d and pooling). */
  | { kind: 'int-or-pair'; min: number }
  /** An integer or a list of them (LayerNorm's normalized_shape). */
  | { kind: 'int-or-list'; min: number }
  /** An integer or null (Embedding's padding_idx). */
  | { kind: 'int-or-null' }
  | { kind: 'number'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  /** Two numbers, each in range (Adam's betas). */
  | { kind: 'number-pair'; min: number; max: number; maxExclusive?: boolean }
  | { kind: 'bool' }
  | { kind: 'enum'; values: string[] };

export interface ArgDef {
  name: string;
  type: ArgType;
  /** Absent when required. */
  default?: ArgValue;
  /** The default is another argument's value (pooling's stride is the kernel size); null means the same. */
  defaultFrom?: string;
  doc: string;
}

export interface ParamDef {
  name: string;
  shape: number[];
}

/** What a shape rule knows about the tensor coming in. */
export interface ShapeInput {
  args: Record<string, ArgValue>;
  /** Per sample (no batch axis). */
  inShape: number[];
  /** Who gives that shape, for messages: "the input", "the previous layer (0: Linear)". */
  from: string;
  batchSize: number;
  /** Integer indices in [low, high) (Embedding's input), 'unknown' for a data file, null for floats. */
  indices: { low: number; high: number } | 'unknown' | null;
}

/** The per-sample output shape, or why there is none; `arg` names the argument to blame. */
export type ShapeResult = { shape: number[] } | { error: string; arg?: string; code?: string };

export interface LayerDef {
  doc: string;
  args: ArgDef[];
  /** Every parameter the layer can have, for init keys and messages. */
  paramNames: string[];
  params(args: Record<string, ArgValue>): ParamDef[];
  shape(input: ShapeInput): ShapeResult;
  /** Checks between arguments that PyTorch's constructor makes. */
  check?(args: Record<string, ArgValue>): { error: string; arg: string } | null;
  /** Integer indices stay integer indices through this layer (Flatten, Identity). */
  keepsIndices?: boolean;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

const pair = (v: ArgValue): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v as number, v as number]);
const n = (v: ArgValue): number => v as number;
const same = (i: ShapeInput): ShapeResult => ({ shape: [...i.inShape] });

/** floor((L + 2p − k)/s) + 1, PyTorch's output length without dilation or ceil_mode. */
function outLength(len: number, k: number, s: number, p: number): number {
  return Math.floor((len + 2 * p - k) / s) + 1;
}

function convLike(layer: string, spatial: 1 | 2, channelsArg: string | null, out: (c: number) => number) {
  return (i: ShapeInput): ShapeResult => {
    const axes = spatial === 1 ? 'channels, length' : 'channels, height, width';
    if (i.inShape.length !== spatial + 1) {
      return { error: `${layer} expects a per-sample input [${axes}] but ${i.from} gives ${formatShape(i.inShape)}` };
    }
    const c = i.inShape[0];
    if (channelsArg !== null && c !== n(i.args[channelsArg])) {
      return { error: `${layer} expects ${n(i.args[channelsArg])} input channels but ${i.from} gives ${formatShape(i.inShape)} (${c} channels)`, arg: channelsArg };
    }
    const [kh, kw] = pair(i.args.kernel_size);
    const [sh, sw] = pair(i.args.stride);
    const [ph, pw] = pair(i.args.padding);
    const ks = spatial === 1 ? [kh] : [kh, kw];
    const ss = spatial === 1 ? [sh] : [sh, sw];
    const ps = spatial === 1 ? [ph] : [ph, pw];
    const shape = [out(c)];
    for (let d = 0; d < spatial; d++) {
      const len = i.inShape[1 + d];
      const o = outLength(len, ks[d], ss[d], ps[d]);
      if (o <= 0) {
        const name = spatial === 1 ? 'length' : d === 0 ? 'height' : 'width';
        return {
          error: `${layer}'s kernel (${ks[d]}) is larger than the padded input ${name} (${len} + 2·${ps[d]} = ${len + 2 * ps[d]}) from ${i.from}, which gives ${formatShape(i.inShape)}`,
          arg: 'kernel_size',
        };
      }
      shape.push(o);
    }
    return { shape };
  };
}

function convParams(spatial: 1 | 2) {
  return (a: Record<string, ArgValue>): ParamDef[] => {
    const k = spatial === 1 ? [n(a.kernel_size)] : pair(a.kernel_size);
    const out: ParamDef[] = [{ name: 'weight', shape: [n(a.out_channels), n(a.in_channels), ...k] }];
    if (a.bias !== false) out.push({ name: 'bias', shape: [n(a.out_channels)] });
    return out;
  };
}

/** PyTorch: "pad should be at most half of effective kernel size". */
function poolCheck(a: Record<string, ArgValue>): { error: string; arg: string } | null {
  const [kh, kw] = pair(a.kernel_size);
  const [ph, pw] = pair(a.padding);
  if (ph > kh / 2 || pw > kw / 2) return { error: `padding ${JSON.stringify(a.padding)} must be at most half the kernel size ${JSON.stringify(a.kernel_size)}`, arg: 'padding' };
  return null;
}

/** Softmax's dim counts the batch axis, as in PyTorch. */
function dimCheck(layer: string) {
  return (i: ShapeInput): ShapeResult => {
    const rank = i.inShape.length + 1;
    const d = n(i.args.dim);
    if (d < -rank || d >= rank) {
      return { error: `${layer} dim ${d} is out of range for the batched input [batch, ${i.inShape.join(', ')}]`.replace(', ]', ']') + ` (rank ${rank}): use a dim in [${-rank}, ${rank - 1}]`, arg: 'dim' };
    }
    return same(i);
  };
}

function batchNormShape(layer: string, spatial: 0 | 2) {
  return (i: ShapeInput): ShapeResult => {
    const r = i.inShape.length;
    const ok = spatial === 0 ? r === 1 || r === 2 : r === 3;
    if (!ok) {
      const want = spatial === 0 ? '[num_features] or [num_features, length]' : '[num_features, height, width]';
      return { error: `${layer} expects a per-sample input ${want} but ${i.from} gives ${formatShape(i.inShape)}` };
    }
    if (i.inShape[0] !== n(i.args.num_features)) {
      return { error: `${layer} expects ${n(i.args.num_features)} features (channels) but ${i.from} gives ${formatShape(i.inShape)} (${i.inShape[0]} on axis 1 of the batch)`, arg: 'num_features' };
    }
    let perChannel = i.batchSize;
    for (let d = 1; d < r; d++) perChannel *= i.inShape[d];
    if (perChannel <= 1) {
      return {
        error: `${layer} in training needs more than 1 value per channel, but batch_size ${i.batchSize} with per-sample shape ${formatShape(i.inShape)} gives 1 (PyTorch raises "Expected more than 1 value per channel when training"): use a batch_size of 2 or more`,
        code: 'spec/batch-size',
      };
    }
    return same(i);
  };
}

function normParams(a: Record<string, ArgValue>): ParamDef[] {
  if (a.affine === false) return [];
  return [
    { name: 'weight', shape: [n(a.num_features)] },
    { name: 'bias', shape: [n(a.num_features)] },
  ];
}

const none = (): ParamDef[] => [];

const activation = (doc: string, args: ArgDef[] = [], shape = same): LayerDef => ({ doc, args, paramNames: [], params: none, shape });

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
  ];
};

const poolArgs = (what: string): ArgDef[] => [
  { name: 'kernel_size', type: { kind: 'int-or-pair', min: 1 }, doc: `Size of the window to take a ${what} over. An integer or [height, width].` },
  { name: 'stride', type: { kind: 'int-or-pair', min: 1 }, defaultFrom: 'kernel_size', doc: 'Stride of the window. Default: kernel_size.' },
  { name: 'padding', type: { kind: 'int-or-pair', min: 0 }, default: 0, doc: 'Implicit padding added on both sides, at most half the kernel size.' },
];

const batchNormArgs = (what: string): ArgDef[] => [
  { name: 'num_features', type: { kind: 'int', min: 1 }, doc: `C from an expected input of size ${what}.` },
  { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'A value added to the denominator for numerical stability.' },
  { name: 'momentum', type: { kind: 'number', min: 0, max: 1 }, default: 0.1, doc: 'The value used for the running_mean and running_var computation.' },
  { name: 'affine', type: { kind: 'bool' }, default: true, doc: 'If true, the layer has learnable affine parameters (weight and bias).' },
];

export const LAYERS: Record<string, LayerDef> = {
  Linear: {
    doc: 'Applies an affine linear transformation to the last axis: y = x·Wᵀ + b (torch.nn.Linear). Weight shape [out_features, in_features].',
    args: [
      { name: 'in_features', type: { kind: 'int', min: 1 }, doc: 'Size of each input sample (the last axis).' },
      { name: 'out_features', type: { kind: 'int', min: 1 }, doc: 'Size of each output sample.' },
      { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If false, the layer will not learn an additive bias.' },
    ],
    paramNames: ['weight', 'bias'],
    params: (a) => {
      const out: ParamDef[] = [{ name: 'weight', shape: [n(a.out_features), n(a.in_features)] }];
      if (a.bias !== false) out.push({ name: 'bias', shape: [n(a.out_features)] });
      return out;
    },
    shape: (i) => {
      const s = i.inShape;
      if (s.length === 0 || s[s.length - 1] !== n(i.args.in_features)) {
        return { error: `Linear expects ${n(i.args.in_features)} input features but ${i.from} gives ${formatShape(s)}`, arg: 'in_features' };
      }
      return { shape: [...s.slice(0, -1), n(i.args.out_features)] };
    },
  },
  Conv1d: {
    doc: 'Applies a 1D convolution over an input [channels, length] (torch.nn.Conv1d). Weight shape [out_channels, in_channels, kernel_size].',
    args: convArgs(1),
    paramNames: ['weight', 'bias'],
    params: convParams(1),
    shape: (i) => convLike('Conv1d', 1, 'in_channels', () => n(i.args.out_channels))(i),
  },
  Conv2d: {
    doc: 'Applies a 2D convolution over an input [channels, height, width] (torch.nn.Conv2d). Weight shape [out_channels, in_channels, kh, kw].',
    args: convArgs(2),
    paramNames: ['weight', 'bias'],
    params: convParams(2),
    shape: (i) => convLike('Conv2d', 2, 'in_channels', () => n(i.args.out_channels))(i),
  },
  MaxPool2d: {
    doc: 'Applies a 2D max pooling over an input [channels, height, width] (torch.nn.MaxPool2d).',
    args: poolArgs('max'),
    paramNames: [],
    params: none,
    check: poolCheck,
    shape: (i) => convLike('MaxPool2d', 2, null, (c) => c)(i),
  },
  AvgPool2d: {
    doc: 'Applies a 2D average pooling over an input [channels, height, width] (torch.nn.AvgPool2d).',
    args: poolArgs('mean'),
    paramNames: [],
    params: none,
    check: poolCheck,
    shape: (i) => convLike('AvgPool2d', 2, null, (c) => c)(i),
  },
  ReLU: activation('Applies max(0, x) element-wise (torch.nn.ReLU).'),
  Sigmoid: activation('Applies 1/(1 + exp(−x)) element-wise (torch.nn.Sigmoid). Saturates for |x| > 6.'),
  Tanh: activation('Applies tanh(x) element-wise (torch.nn.Tanh). Saturates for |x| > 3.'),
  LeakyReLU: activation('Applies max(0, x) + negative_slope·min(0, x) element-wise (torch.nn.LeakyReLU).', [
    { name: 'negative_slope', type: { kind: 'number' }, default: 0.01, doc: 'Slope for negative inputs.' },
  ]),
  ELU: activation('Applies x for x > 0, alpha·(exp(x) − 1) otherwise (torch.nn.ELU).', [
    { name: 'alpha', type: { kind: 'number' }, default: 1.0, doc: 'The α value of the ELU formulation.' },
  ]),
  GELU: activation('Applies the Gaussian Error Linear Unit x·Φ(x) element-wise (torch.nn.GELU).', [
    { name: 'approximate', type: { kind: 'enum', values: ['none', 'tanh'] }, default: 'none', doc: "The approximation to use: 'none' (exact, erf) or 'tanh'." },
  ]),
  Softplus: activation('Applies log(1 + exp(beta·x))/beta, linear above threshold (torch.nn.Softplus).', [
    { name: 'beta', type: { kind: 'number', min: 0, minExclusive: true }, default: 1, doc: 'The β value of the Softplus formulation.' },
    { name: 'threshold', type: { kind: 'number' }, default: 20, doc: 'Values with beta·x above this revert to a linear function.' },
  ]),
  Softmax: activation(
    'Rescales values along dim so they lie in [0, 1] and sum to 1 (torch.nn.Softmax).',
    [{ name: 'dim', type: { kind: 'int' }, default: -1, doc: 'The axis of the batched input along which Softmax is computed (-1: the last).' }],
    dimCheck('Softmax'),
  ),
  LogSoftmax: activation(
    'Applies log(Softmax(x)) along dim (torch.nn.LogSoftmax); pair it with NLLLoss.',
    [{ name: 'dim', type: { kind: 'int' }, default: -1, doc: 'The axis of the batched input along which LogSoftmax is computed (-1: the last).' }],
    dimCheck('LogSoftmax'),
  ),
  BatchNorm1d: {
    doc: 'Batch normalisation over an input [C] or [C, L] (torch.nn.BatchNorm1d), with batch statistics in training.',
    args: batchNormArgs('(N, C) or (N, C, L)'),
    paramNames: ['weight', 'bias'],
    params: normParams,
    shape: batchNormShape('BatchNorm1d', 0),
  },
  BatchNorm2d: {
    doc: 'Batch normalisation over an input [C, H, W] (torch.nn.BatchNorm2d), with batch statistics in training.',
    args: batchNormArgs('(N, C, H, W)'),
    paramNames: ['weight', 'bias'],
    params: normParams,
    shape: batchNormShape('BatchNorm2d', 2),
  },
  LayerNorm: {
    doc: 'Layer normalisation over the trailing axes given by normalized_shape (torch.nn.LayerNorm).',
    args: [
      { name: 'normalized_shape', type: { kind: 'int-or-list', min: 1 }, doc: 'The trailing axes to normalise over: an integer (the last axis) or a list.' },
      { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'A value added to the denominator for numerical stability.' },
      { name: 'elementwise_affine', type: { kind: 'bool' }, default: true, doc: 'If true, the layer has learnable per-element weight and bias.' },
    ],
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
        return { error: `LayerNorm normalises trailing axes ${formatShape(ns)} but ${i.from} gives ${formatShape(i.inShape)}`, arg: 'normalized_shape' };
      }
      return same(i);
    },
  },
  Dropout: activation('Zeroes each element with probability p in training and scales the rest by 1/(1 − p) (torch.nn.Dropout).', [
    { name: 'p', type: { kind: 'number', min: 0, max: 1 }, default: 0.5, doc: 'Probability of an element to be zeroed, in [0, 1].' },
  ]),
  Embedding: {
    doc: 'A lookup table from integer indices to vectors: [...] → [..., embedding_dim] (torch.nn.Embedding). Weight shape [num_embeddings, embedding_dim].',
    args: [
      { name: 'num_embeddings', type: { kind: 'int', min: 1 }, doc: 'Size of the dictionary: indices must be in [0, num_embeddings).' },
      { name: 'embedding_dim', type: { kind: 'int', min: 1 }, doc: 'The size of each embedding vector.' },
      { name: 'padding_idx', type: { kind: 'int-or-null' }, default: null, doc: 'The entry at this index gets no gradient (and starts as zeros).' },
    ],
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
  },
  Flatten: {
    doc: 'Merges axes start_dim..end_dim of the batched input into one (torch.nn.Flatten); the default flattens each sample.',
    args: [
      { name: 'start_dim', type: { kind: 'int' }, default: 1, doc: 'First axis to flatten, counting the batch axis as 0.' },
      { name: 'end_dim', type: { kind: 'int' }, default: -1, doc: 'Last axis to flatten (-1: the last).' },
    ],
    paramNames: [],
    params: none,
    keepsIndices: true,
    shape: (i) => {
      const batched = [i.batchSize, ...i.inShape];
      const r = batched.length;
      const norm = (d: number) => (d < 0 ? d + r : d);
      const s = norm(n(i.args.start_dim));
      const e = norm(n(i.args.end_dim));
      const where = `the batched input [batch, ${i.inShape.join(', ')}]`.replace(', ]', ']');
      if (s < 0 || s >= r) return { error: `Flatten start_dim ${n(i.args.start_dim)} is out of range for ${where} (rank ${r})`, arg: 'start_dim' };
      if (e < 0 || e >= r) return { error: `Flatten end_dim ${n(i.args.end_dim)} is out of range for ${where} (rank ${r})`, arg: 'end_dim' };
      if (s > e) return { error: `Flatten start_dim (${n(i.args.start_dim)}) comes after end_dim (${n(i.args.end_dim)}) for ${where}`, arg: 'start_dim' };
      if (s === 0 && e > 0) return { error: `Flatten with start_dim 0 would merge the batch axis into the samples; use start_dim: 1`, arg: 'start_dim' };
      let merged = 1;
      for (let d = s; d <= e; d++) merged *= batched[d];
      const out = [...batched.slice(0, s), merged, ...batched.slice(e + 1)];
      return { shape: out.slice(1) };
    },
  },
  Identity: { ...activation('Returns its input unchanged (torch.nn.Identity).'), keepsIndices: true },
  Sequential: {
    doc: 'A list of layers applied in order (torch.nn.Sequential); parameter names are prefixed by the entry index or its name.',
    args: [],
    paramNames: [],
    params: none,
    shape: same,
    keepsIndices: true,
  },
};

export const LAYER_TYPES = Object.keys(LAYERS);

/**
 * The layer named `name` as the user wrote it, or undefined. An own-property lookup: `constructor`
 * or `__proto__` in a spec is an unknown layer, not a member of Object.prototype.
 */
export function layerDef(name: string): LayerDef | undefined {
  return Object.prototype.hasOwnProperty.call(LAYERS, name) ? LAYERS[name] : undefined;
}

/** Layers whose every argument has a default, so a bare name (`- ReLU`) is a complete entry. */
export function hasRequiredArgs(def: { args: ArgDef[] }): boolean {
  return def.args.some((a) => isRequired(a));
}

export function isRequired(a: ArgDef): boolean {
  return a.default === undefined && a.defaultFrom === undefined;
}

/** Fills every default, in catalogue order. */
export function withDefaults(args: ArgDef[], written: Record<string, ArgValue>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const a of args) {
    const v = written[a.name];
    if (v !== undefined && !(v === null && a.defaultFrom)) out[a.name] = v;
    else if (a.defaultFrom) out[a.name] = written[a.defaultFrom] ?? null;
    else if (a.default !== undefined) out[a.name] = Array.isArray(a.default) ? [...a.default] : a.default;
  }
  return out;
}

// ---------------------------------------------------------------- losses

export type TargetKind = 'same-shape' | 'classes';

export interface LossDef {
  doc: string;
  args: ArgDef[];
  /** What the target must be: the output's own shape, or class indices. */
  target: TargetKind;
}

const reduction: ArgDef = {
  name: 'reduction',
  type: { kind: 'enum', values: ['mean', 'sum'] },
  default: 'mean',
  doc: "'mean' averages the loss over the elements, 'sum' adds it up ('none' is not a scalar, so there would be nothing to differentiate).",
};

export const LOSSES: Record<LossType, LossDef> = {
  MSELoss: { doc: 'Mean squared error between output and target (torch.nn.MSELoss).', args: [reduction], target: 'same-shape' },
  L1Loss: { doc: 'Mean absolute error between output and target (torch.nn.L1Loss).', args: [reduction], target: 'same-shape' },
  HuberLoss: {
    doc: 'Squared error below delta, absolute error above (torch.nn.HuberLoss).',
    args: [reduction, { name: 'delta', type: { kind: 'number', min: 0, minExclusive: true }, default: 1.0, doc: 'Where the loss changes from quadratic to linear; positive.' }],
    target: 'same-shape',
  },
  CrossEntropyLoss: {
    doc: 'Cross entropy between raw logits [C] and class-index targets (torch.nn.CrossEntropyLoss); the model must not end in Softmax.',
    args: [reduction],
    target: 'classes',
  },
  NLLLoss: { doc: 'Negative log likelihood of class-index targets; expects log-probabilities, e.g. from LogSoftmax (torch.nn.NLLLoss).', args: [reduction], target: 'classes' },
  BCELoss: { doc: 'Binary cross entropy between probabilities in [0, 1] (e.g. from Sigmoid) and targets in [0, 1] (torch.nn.BCELoss).', args: [reduction], target: 'same-shape' },
  BCEWithLogitsLoss: {
    doc: 'Sigmoid followed by binary cross entropy, in one numerically stable step: give it raw logits (torch.nn.BCEWithLogitsLoss).',
    args: [reduction],
    target: 'same-shape',
  },
};

export const LOSS_TYPES = Object.keys(LOSSES) as LossType[];

// ---------------------------------------------------------------- optimisers

export const OPTIMIZERS: Record<OptimizerType, { doc: string; args: ArgDef[] }> = {
  SGD: {
    doc: 'Stochastic gradient descent, optionally with momentum (torch.optim.SGD).',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, doc: 'Learning rate (required).' },
      { name: 'momentum', type: { kind: 'number', min: 0 }, default: 0, doc: 'Momentum factor.' },
      { name: 'dampening', type: { kind: 'number' }, default: 0, doc: 'Dampening for momentum.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: 0, doc: 'Weight decay (L2 penalty).' },
      { name: 'nesterov', type: { kind: 'bool' }, default: false, doc: 'Enables Nesterov momentum (needs momentum > 0 and dampening 0).' },
    ],
  },
  Adam: {
    doc: 'Adam (torch.optim.Adam).',
    args: [
      { name: 'lr', type: { kind: 'number', min: 0 }, default: 0.001, doc: 'Learning rate.' },
      { name: 'betas', type: { kind: 'number-pair', min: 0, max: 1, maxExclusive: true }, default: [0.9, 0.999], doc: 'Coefficients for the running averages of the gradient and its square, each in [0, 1).' },
      { name: 'eps', type: { kind: 'number', min: 0 }, default: 1e-8, doc: 'Term added to the denominator for numerical stability.' },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: 0, doc: 'Weight decay (L2 penalty).' },
      { name: 'amsgrad', type: { kind: 'bool' }, default: false, doc: 'Whether to use the AMSGrad variant.' },
    ],
  },
};

export const OPTIMIZER_TYPES = Object.keys(OPTIMIZERS) as OptimizerType[];

// ---------------------------------------------------------------- init schemes

export interface InitDef {
  doc: string;
  args: ArgDef[];
  /** Fan-based schemes need a weight with at least two axes (PyTorch raises otherwise). */
  needsFans: boolean;
  /** The argument a bare value sets: `{constant: 0.5}`. */
  shorthand?: string;
}

const NONLINEARITIES = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'];

const kaimingArgs: ArgDef[] = [
  { name: 'a', type: { kind: 'number' }, default: 0, doc: 'The negative slope of the rectifier after this layer (leaky_relu only).' },
  { name: 'mode', type: { kind: 'enum', values: ['fan_in', 'fan_out'] }, default: 'fan_in', doc: "'fan_in' keeps the forward variance, 'fan_out' the backward." },
  { name: 'nonlinearity', type: { kind: 'enum', values: NONLINEARITIES }, default: 'leaky_relu', doc: 'The activation after this layer, for its gain (relu, leaky_relu, tanh, ...).' },
];

export const INITS: Record<InitScheme, InitDef> = {
  default: { doc: "PyTorch's default initialisation for this layer.", args: [], needsFans: false },
  xavier_uniform: {
    doc: 'U(−a, a) with a = gain·√(6/(fan_in + fan_out)) (torch.nn.init.xavier_uniform_).',
    args: [{ name: 'gain', type: { kind: 'number' }, default: 1, doc: 'Scaling factor (calculate_gain of the activation).' }],
    needsFans: true,
  },
  xavier_normal: {
    doc: 'N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (torch.nn.init.xavier_normal_).',
    args: [{ name: 'gain', type: { kind: 'number' }, default: 1, doc: 'Scaling factor (calculate_gain of the activation).' }],
    needsFans: true,
  },
  kaiming_uniform: { doc: 'He initialisation, uniform: U(−b, b) with b = gain·√(3/fan) (torch.nn.init.kaiming_uniform_).', args: kaimingArgs, needsFans: true },
  kaiming_normal: { doc: 'He initialisation, normal: N(0, std²) with std = gain/√fan (torch.nn.init.kaiming_normal_).', args: kaimingArgs, needsFans: true },
  normal: {
    doc: 'N(mean, std²) (torch.nn.init.normal_).',
    args: [
      { name: 'mean', type: { kind: 'number' }, default: 0, doc: 'Mean of the normal distribution.' },
      { name: 'std', type: { kind: 'number', min: 0 }, default: 1, doc: 'Standard deviation of the normal distribution.' },
    ],
    needsFans: false,
  },
  uniform: {
    doc: 'U(a, b) (torch.nn.init.uniform_).',
    args: [
      { name: 'a', type: { kind: 'number' }, default: 0, doc: 'Lower bound.' },
      { name: 'b', type: { kind: 'number' }, default: 1, doc: 'Upper bound.' },
    ],
    needsFans: false,
  },
  zeros: { doc: 'All zeros (torch.nn.init.zeros_). On weights this makes every unit identical.', args: [], needsFans: false },
  ones: { doc: 'All ones (torch.nn.init.ones_).', args: [], needsFans: false },
  constant: {
    doc: 'Every element set to val (torch.nn.init.constant_): `{constant: 0.5}` or `{constant: {val: 0.5}}`.',
    args: [{ name: 'val', type: { kind: 'number' }, doc: 'The value to fill the tensor with.' }],
    needsFans: false,
    shorthand: 'val',
  },
};

export const INIT_SCHEMES = Object.keys(INITS) as InitScheme[];

// ---------------------------------------------------------------- distributions

export type DistributionKind = 'normal' | 'uniform' | 'integers' | 'bernoulli';

export const DISTRIBUTIONS: Record<DistributionKind, { doc: string; args: ArgDef[] }> = {
  normal: {
    doc: 'Samples from N(mean, std²).',
    args: [
      { name: 'mean', type: { kind: 'number' }, default: 0, doc: 'Mean.' },
      { name: 'std', type: { kind: 'number', min: 0 }, default: 1, doc: 'Standard deviation.' },
    ],
  },
  uniform: {
    doc: 'Samples from U(low, high).',
    args: [
      { name: 'low', type: { kind: 'number' }, default: 0, doc: 'Lower bound.' },
      { name: 'high', type: { kind: 'number' }, default: 1, doc: 'Upper bound.' },
    ],
  },
  integers: {
    doc: 'Integers in [low, high) as torch.randint draws them: indices for Embedding.',
    args: [
      { name: 'low', type: { kind: 'int', min: 0 }, default: 0, doc: 'Lowest index (inclusive).' },
      { name: 'high', type: { kind: 'int', min: 1 }, doc: 'One past the highest index (exclusive); at most num_embeddings.' },
    ],
  },
  bernoulli: {
    doc: '1 with probability p, else 0 (targets for BCELoss).',
    args: [{ name: 'p', type: { kind: 'number', min: 0, max: 1 }, default: 0.5, doc: 'Probability of a 1, in [0, 1].' }],
  },
};

export const DISTRIBUTION_KINDS = Object.keys(DISTRIBUTIONS) as DistributionKind[];

// ---------------------------------------------------------------- the spec's sections

export const TOP_LEVEL_KEYS = ['model', 'input', 'target', 'loss', 'optimizer', 'trace'];
export const REQUIRED_TOP_LEVEL_KEYS = ['model', 'input', 'target', 'loss'];

export const TRACE_ARGS: ArgDef[] = [
  { name: 'steps', type: { kind: 'int', min: 1 }, default: 20, doc: 'Training steps to trace.' },
  { name: 'batch_size', type: { kind: 'int', min: 1 }, default: 8, doc: 'Samples per step.' },
  { name: 'seed', type: { kind: 'int', min: 0 }, default: 0, doc: 'Seed of the initialisation and the synthetic data.' },
  { name: 'dtype', type: { kind: 'enum', values: ['float32', 'float64'] }, default: 'float32', doc: 'Floating-point type of parameters and activations.' },
];

export const DEFAULT_OPTIMIZER = { type: 'SGD' as const, args: { lr: 0.01 } };

/** Sizes above this cannot be allocated as a typed array anyway. */
export const MAX_SIZE = 2 ** 31 - 1;
