/**
 * torch.nn layers with PyTorch's constructor argument order, parameter names, weight layouts and
 * default initialisation; the options PyTorch takes as keywords come last as one object.
 */
import { currentBuildScope } from '../context';
import type { DType } from '../dtype';
import * as F from '../functional';
import * as init from '../init';
import type { Rng } from '../rng';
import { zeros } from '../functional/creation';
import { markWritten, type Tensor } from '../tensor';
import { Module } from './module';

type Pair = number | [number, number];

export interface InitOptions {
  /** Element type of the parameters; float32 unless a float64 run (gradient checks, parity) asks. */
  dtype?: DType;
  /** Seeds the default initialisation; required by layers with random weights. */
  rng?: Rng;
}

/** The rng given, else the build scope's (a decorated model's run); a layer with random weights needs one. */
function needRng(rng: Rng | undefined, layer: string): Rng {
  rng ??= currentBuildScope()?.rng;
  if (!rng) throw new Error(`${layer} needs a seeded rng for its default initialisation: pass { rng: new Rng(seed) }`);
  return rng;
}

/** float32 unless the build scope (a float64 run) says otherwise. */
function scopeDtype(): DType {
  return currentBuildScope()?.dtype ?? 'float32';
}

function checkCount(layer: string, name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`${layer}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

/** nn.Conv*d's `groups` checks, with PyTorch 1.13's messages (torch/nn/modules/conv.py _ConvNd). */
function checkGroups(layer: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${layer}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0) throw new RangeError(`${layer}: in_channels must be divisible by groups (in_channels ${inChannels}, groups ${groups})`);
  if (outChannels % groups !== 0) throw new RangeError(`${layer}: out_channels must be divisible by groups (out_channels ${outChannels}, groups ${groups})`);
}

function pairOf(layer: string, name: string, v: Pair, min: number): [number, number] {
  if (typeof v !== 'number' && !(Array.isArray(v) && v.length === 2)) {
    throw new RangeError(`${layer}: ${name} must be a number or a pair, got ${JSON.stringify(v)}`);
  }
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  checkCount(layer, name, p[0], min);
  checkCount(layer, name, p[1], min);
  return p;
}

export interface LinearOptions extends InitOptions {
  bias?: boolean;
}

/** y = x Wᵀ + b, W stored [out_features, in_features]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, dtype = scopeDtype(), rng }: LinearOptions = {},
  ) {
    super();
    checkCount('Linear', 'in_features', inFeatures);
    checkCount('Linear', 'out_features', outFeatures);
    const r = needRng(rng, 'Linear');
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], dtype));
    this.bias = bias ? this.registerParameter('bias', zeros([outFeatures], dtype)) : null;
    init.defaultLinear(this.weight, this.bias, r);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export interface Conv1dOptions extends InitOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
  /** Input and output channels split into this many independent convolutions (in_channels for depthwise). */
  groups?: number;
  /** Spacing between kernel taps (1 is dense; WaveNet/TCN blocks double it layer by layer). */
  dilation?: number;
}

/** Weight [out_channels, in_channels/groups, kernel_size]. */
export class Conv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
  readonly dilation: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number],
    { stride = 1, padding = 0, bias = true, groups = 1, dilation = 1, dtype = scopeDtype(), rng }: Conv1dOptions = {},
  ) {
    super();
    checkCount('Conv1d', 'in_channels', inChannels, 1);
    checkCount('Conv1d', 'out_channels', outChannels, 1);
    this.kernelSize = typeof kernelSize === 'number' ? kernelSize : kernelSize[0];
    checkCount('Conv1d', 'kernel_size', this.kernelSize, 1);
    checkCount('Conv1d', 'stride', stride, 1);
    checkCount('Conv1d', 'padding', padding, 0);
    checkCount('Conv1d', 'dilation', dilation, 1);
    this.dilation = dilation;
    checkGroups('Conv1d', inChannels, outChannels, groups);
    this.stride = stride;
    this.padding = padding;
    this.groups = groups;
    const r = needRng(rng, 'Conv1d');
    this.weight = this.registerParameter('weight', zeros([outChannels, inChannels / groups, this.kernelSize], dtype));
    this.bias = bias ? this.registerParameter('bias', zeros([outChannels], dtype)) : null;
    init.defaultConv(this.weight, this.bias, r);
  }

  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, this.stride, this.padding, this.groups, this.dilation);
  }
}

export interface Conv2dOptions extends InitOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  /** Input and output channels split into this many independent convolutions (in_channels for depthwise). */
  groups?: number;
  /** Spacing between kernel taps (1 is dense; DeepLab's atrous convolutions use 2, 4, ...). */
  dilation?: Pair;
}

/** Weight [out_channels, in_channels/groups, kh, kw]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly groups: number;
  readonly dilation: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    { stride = 1, padding = 0, bias = true, groups = 1, dilation = 1, dtype = scopeDtype(), rng }: Conv2dOptions = {},
  ) {
    super();
    checkCount('Conv2d', 'in_channels', inChannels, 1);
    checkCount('Conv2d', 'out_channels', outChannels, 1);
    this.kernelSize = pairOf('Conv2d', 'kernel_size', kernelSize, 1);
    this.stride = pairOf('Conv2d', 'stride', stride, 1);
    this.padding = pairOf('Conv2d', 'padding', padding, 0);
    this.dilation = pairOf('Conv2d', 'dilation', dilation, 1);
    checkGroups('Conv2d', inChannels, outChannels, groups);
    this.groups = groups;
    const r = needRng(rng, 'Conv2d');
    this.weight = this.registerParameter('weight', zeros([outChannels, inChannels / groups, ...this.kernelSize], dtype));
    this.bias = bias ? this.registerParameter('bias', zeros([outChannels], dtype)) : null;
    init.defaultConv(this.weight, this.bias, r);
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.stride, this.padding, this.groups, this.dilation);
  }
}

export interface ConvTranspose2dOptions extends Omit<Conv2dOptions, 'groups'> {
  /** Extra size added to one side of each output dimension (below the stride): which of the input sizes a stride-s convolution maps to one output size this one restores. */
  outputPadding?: Pair;
}

/** Weight [in_channels, out_channels, kh, kw], as PyTorch's ConvTranspose2d stores it; PyTorch's default init (fans from axis 1). */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    { stride = 1, padding = 0, outputPadding = 0, dilation = 1, bias = true, dtype = scopeDtype(), rng }: ConvTranspose2dOptions = {},
  ) {
    super();
    checkCount('ConvTranspose2d', 'in_channels', inChannels, 1);
    checkCount('ConvTranspose2d', 'out_channels', outChannels, 1);
    this.kernelSize = pairOf('ConvTranspose2d', 'kernel_size', kernelSize, 1);
    this.stride = pairOf('ConvTranspose2d', 'stride', stride, 1);
    this.padding = pairOf('ConvTranspose2d', 'padding', padding, 0);
    this.outputPadding = pairOf('ConvTranspose2d', 'output_padding', outputPadding, 0);
    this.dilation = pairOf('ConvTranspose2d', 'dilation', dilation, 1);
    const r = needRng(rng, 'ConvTranspose2d');
    this.weight = this.registerParameter('weight', zeros([inChannels, outChannels, ...this.kernelSize], dtype));
    this.bias = bias ? this.registerParameter('bias', zeros([outChannels], dtype)) : null;
    init.defaultConv(this.weight, this.bias, r);
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.stride, this.padding, this.outputPadding, this.dilation);
  }
}

export interface ConvTranspose1dOptions extends InitOptions {
  stride?: number;
  padding?: number;
  /** Extra length added to one end of the output (below the stride or the dilation). */
  outputPadding?: number;
  dilation?: number;
  bias?: boolean;
}

/** Weight [in_channels, out_channels, k], as PyTorch's ConvTranspose1d stores it; PyTorch's default init (fans from axis 1). */
export class ConvTranspose1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  readonly dilation: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    { stride = 1, padding = 0, outputPadding = 0, dilation = 1, bias = true, dtype = scopeDtype(), rng }: ConvTranspose1dOptions = {},
  ) {
    super();
    const counts = [['in_channels', inChannels, 1], ['out_channels', outChannels, 1], ['kernel_size', kernelSize, 1], ['stride', stride, 1], ['padding', padding, 0], ['output_padding', outputPadding, 0], ['dilation', dilation, 1]] as const;
    for (const [name, v, min] of counts) checkCount('ConvTranspose1d', name, v, min);
    [this.stride, this.padding, this.outputPadding, this.dilation] = [stride, padding, outputPadding, dilation];
    const r = needRng(rng, 'ConvTranspose1d');
    this.weight = this.registerParameter('weight', zeros([inChannels, outChannels, kernelSize], dtype));
    this.bias = bias ? this.registerParameter('bias', zeros([outChannels], dtype)) : null;
    init.defaultConv(this.weight, this.bias, r);
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose1d(x, this.weight, this.bias, this.stride, this.padding, this.outputPadding, this.dilation);
  }
}

export interface PoolOptions {
  /** Defaults to the kernel size, as PyTorch's stride=None. */
  stride?: Pair | null;
  padding?: Pair;
}

export interface Pool1dOptions {
  /** Defaults to the kernel size, as PyTorch's stride=None. */
  stride?: number | null;
  padding?: number;
}

/** A pooling window over the last axis of (N, C, L) or (C, L). */
abstract class Pool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  /** PyTorch's ceil_mode: the output size rounded up (a last, partial window). */
  readonly ceilMode: boolean;

  constructor(layer: string, kernelSize: number | [number], { stride = null, padding = 0, ceilMode = false }: Pool1dOptions & { ceilMode?: boolean }) {
    super();
    this.ceilMode = ceilMode;
    this.kernelSize = typeof kernelSize === 'number' ? kernelSize : kernelSize[0];
    checkCount(layer, 'kernel_size', this.kernelSize, 1);
    this.stride = stride ?? this.kernelSize;
    checkCount(layer, 'stride', this.stride, 1);
    checkCount(layer, 'padding', padding, 0);
    this.padding = padding;
  }
}

export class MaxPool1d extends Pool1d {
  /** The window's elements this far apart (PyTorch's dilation). */
  readonly dilation: number;

  constructor(kernelSize: number | [number], options: Pool1dOptions & { dilation?: number; ceilMode?: boolean } = {}) {
    super('MaxPool1d', kernelSize, options);
    this.dilation = options.dilation ?? 1;
    checkCount('MaxPool1d', 'dilation', this.dilation, 1);
  }

  forward(x: Tensor): Tensor {
    return F.maxPool1d(x, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
}

export class AvgPool1d extends Pool1d {
  /** PyTorch's count_include_pad: the padding's zeros count in the divisor. */
  readonly countIncludePad: boolean;

  constructor(kernelSize: number | [number], options: Pool1dOptions & { ceilMode?: boolean; countIncludePad?: boolean } = {}) {
    super('AvgPool1d', kernelSize, options);
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, this.stride, this.padding, { ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}

/** Shared by MaxPool2d/AvgPool2d: kernel, stride (the kernel when not given) and padding as pairs. */
abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(layer: string, kernelSize: Pair, { stride = null, padding = 0 }: PoolOptions) {
    super();
    this.kernelSize = pairOf(layer, 'kernel_size', kernelSize, 1);
    this.stride = pairOf(layer, 'stride', stride ?? kernelSize, 1);
    this.padding = pairOf(layer, 'padding', padding, 0);
  }
}

export class MaxPool2d extends Pool2d {
  /** The window's elements this many rows and columns apart (PyTorch's dilation). */
  readonly dilation: [number, number];
  /** PyTorch's ceil_mode: the output size rounded up (a last, partial window). */
  readonly ceilMode: boolean;

  constructor(kernelSize: Pair, options: PoolOptions & { dilation?: Pair; ceilMode?: boolean } = {}) {
    super('MaxPool2d', kernelSize, options);
    this.dilation = pairOf('MaxPool2d', 'dilation', options.dilation ?? 1, 1);
    this.ceilMode = options.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
}

export class AvgPool2d extends Pool2d {
  /** PyTorch's ceil_mode: the output size rounded up (a last, partial window). */
  readonly ceilMode: boolean;
  /** PyTorch's count_include_pad: the padding's zeros count in the divisor. */
  readonly countIncludePad: boolean;
  /** PyTorch's divisor_override: every window's sum divided by this (null: the window's count). */
  readonly divisorOverride: number | null;

  constructor(kernelSize: Pair, options: PoolOptions & { ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null } = {}) {
    super('AvgPool2d', kernelSize, options);
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.stride, this.padding, { ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running stats; null for a cumulative average (PyTorch's momentum=None). */
  momentum?: number | null;
  affine?: boolean;
  dtype?: DType;
}

/** Shared by BatchNorm1d/2d: running stats as buffers, weight 1 and bias 0 when affine. */
abstract class BatchNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(
    layer: string,
    readonly numFeatures: number,
    { eps = 1e-5, momentum = 0.1, affine = true, dtype = scopeDtype() }: BatchNormOptions,
  ) {
    super();
    checkCount(layer, 'num_features', numFeatures, 1);
    this.eps = eps;
    this.momentum = momentum;
    this.weight = affine ? this.registerParameter('weight', zeros([numFeatures], dtype)) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures], dtype)) : null;
    init.defaultNorm(this.weight, this.bias);
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures], dtype));
    this.runningVar = this.registerBuffer('running_var', init.ones(zeros([numFeatures], dtype)));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], dtype));
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let momentum = this.momentum ?? 0;
    if (this.training) {
      this.numBatchesTracked.data[0] += 1;
      if (this.momentum === null) momentum = 1 / this.numBatchesTracked.data[0];
    }
    const y = F.batchNorm(x, {
      runningMean: this.runningMean.data,
      runningVar: this.runningVar.data,
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      momentum,
      eps: this.eps,
    });
    if (this.training) statsWritten(this.runningMean, this.runningVar, this.numBatchesTracked);
    return y;
  }
}

/** The running statistics a training forward updated in place: their versions move, as any in-place write's. */
function statsWritten(...stats: Tensor[]): void {
  for (const t of stats) markWritten(t);
}

/** Input (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options);
  }

  protected checkInput(x: Tensor): void {
    if (x.rank !== 2 && x.rank !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${x.rank}D input)`);
  }
}

/** Input (N, C, H, W). */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options);
  }

  protected checkInput(x: Tensor): void {
    if (x.rank !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${x.rank}D input)`);
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/** Normalises over the trailing `normalizedShape` axes; weight and bias have that shape. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalizedShape: number | number[], { eps = 1e-5, elementwiseAffine = true, dtype = scopeDtype() }: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkCount('LayerNorm', 'normalized_shape', d, 1);
    this.eps = eps;
    this.weight = elementwiseAffine ? this.registerParameter('weight', zeros(this.normalizedShape, dtype)) : null;
    this.bias = elementwiseAffine ? this.registerParameter('bias', zeros(this.normalizedShape, dtype)) : null;
    init.defaultNorm(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

/** Inverted dropout while training, identity in eval mode; p = 0.5 as PyTorch's default. */
export class Dropout extends Module {
  readonly rng: Rng;

  constructor(
    readonly p = 0.5,
    rng?: Rng,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
    this.rng = needRng(rng, new.target.name);
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training, this.rng);
  }
}

/** Whole channels dropped while training (one draw per sample and channel), identity in eval mode. */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    return F.dropout2d(x, this.p, this.training, this.rng);
  }
}

/** Output (…, oh, ow) whatever the input's size; an output size of null keeps that input axis. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number | null, number | null];

  constructor(outputSize: number | [number | null, number | null]) {
    super();
    this.outputSize = adaptiveSize2d('AdaptiveAvgPool2d', outputSize);
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}

function adaptiveSize2d(layer: string, outputSize: number | [number | null, number | null]): [number | null, number | null] {
  const size: [number | null, number | null] = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0], outputSize[1]];
  for (const v of size) if (v !== null) checkCount(layer, 'output_size', v, 1);
  return size;
}

/** Output (…, oh, ow), each cell the largest value of its adaptive window; null keeps that input axis. */
export class AdaptiveMaxPool2d extends Module {
  readonly outputSize: [number | null, number | null];

  constructor(outputSize: number | [number | null, number | null]) {
    super();
    this.outputSize = adaptiveSize2d('AdaptiveMaxPool2d', outputSize);
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize);
  }
}

/** Output (…, out) over (N, C, L) or (C, L); null keeps the length. */
export class AdaptiveMaxPool1d extends Module {
  readonly outputSize: number | null;

  constructor(outputSize: number | null) {
    super();
    if (outputSize !== null) checkCount('AdaptiveMaxPool1d', 'output_size', outputSize, 1);
    this.outputSize = outputSize;
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool1d(x, this.outputSize);
  }
}

export interface GroupNormOptions {
  eps?: number;
  affine?: boolean;
  dtype?: DType;
}

/** Each sample's channels in num_groups groups; weight 1 and bias 0 per channel when affine. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    { eps = 1e-5, affine = true, dtype = 'float32' }: GroupNormOptions = {},
  ) {
    super();
    checkCount('GroupNorm', 'num_groups', numGroups, 1);
    checkCount('GroupNorm', 'num_channels', numChannels, 1);
    if (numChannels % numGroups !== 0) throw new RangeError('num_channels must be divisible by num_groups');
    this.eps = eps;
    this.weight = affine ? this.registerParameter('weight', zeros([numChannels], dtype)) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numChannels], dtype)) : null;
    init.defaultNorm(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.shape[1] !== this.numChannels) throw new RangeError(`GroupNorm: expected input with ${this.numChannels} channels (N, C, ...), got [${x.shape.join(', ')}]`);
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
}

export interface InstanceNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/** Shared by InstanceNorm1d/2d: per-sample, per-channel statistics; PyTorch's defaults are no affine and no running stats. */
abstract class InstanceNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    private readonly layer: string,
    private readonly spatial: number,
    readonly numFeatures: number,
    { eps = 1e-5, momentum = 0.1, affine = false, trackRunningStats = false, dtype = 'float32' }: InstanceNormOptions,
  ) {
    super();
    checkCount(layer, 'num_features', numFeatures, 1);
    this.eps = eps;
    this.momentum = momentum;
    this.weight = affine ? this.registerParameter('weight', zeros([numFeatures], dtype)) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures], dtype)) : null;
    init.defaultNorm(this.weight, this.bias);
    this.runningMean = trackRunningStats ? this.registerBuffer('running_mean', zeros([numFeatures], dtype)) : null;
    this.runningVar = trackRunningStats ? this.registerBuffer('running_var', init.ones(zeros([numFeatures], dtype))) : null;
    this.numBatchesTracked = trackRunningStats ? this.registerBuffer('num_batches_tracked', zeros([], 'int64')) : null;
  }

  forward(x: Tensor): Tensor {
    const want = this.spatial + 2;
    if (x.rank !== want && x.rank !== want - 1) throw new RangeError(`${this.layer}: expected ${want - 1}D (unbatched) or ${want}D (batched) input, got ${x.rank}D input`);
    const batched = x.rank === want;
    const input = batched ? x : F.unsqueeze(x, 0);
    if (input.shape[1] !== this.numFeatures) throw new RangeError(`${this.layer}: expected input's size at dim=1 to match num_features (${this.numFeatures}), but got: ${input.shape[1]}.`);
    const tracked = this.runningMean !== null;
    if (tracked && this.training) this.numBatchesTracked!.data[0] += 1;
    const y = F.instanceNorm(input, {
      runningMean: tracked ? this.runningMean!.data : null,
      runningVar: tracked ? this.runningVar!.data : null,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !tracked,
      momentum: this.momentum,
      eps: this.eps,
    });
    if (tracked && this.training) statsWritten(this.runningMean!, this.runningVar!, this.numBatchesTracked!);
    return batched ? y : F.squeeze(y, 0);
  }
}

/** Input (N, C, L) or (C, L). */
export class InstanceNorm1d extends InstanceNorm {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super('InstanceNorm1d', 1, numFeatures, options);
  }
}

/** Input (N, C, H, W) or (C, H, W). */
export class InstanceNorm2d extends InstanceNorm {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super('InstanceNorm2d', 2, numFeatures, options);
  }
}

export interface EmbeddingOptions extends InitOptions {
  /** Row whose vector stays zero and gets no gradient; negative counts from the end, as PyTorch. */
  paddingIdx?: number | null;
}

/** A lookup table of shape [num_embeddings, embedding_dim], initialised N(0, 1). */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    { paddingIdx = null, dtype = scopeDtype(), rng }: EmbeddingOptions = {},
  ) {
    super();
    checkCount('Embedding', 'num_embeddings', numEmbeddings);
    checkCount('Embedding', 'embedding_dim', embeddingDim);
    if (paddingIdx !== null) {
      if (!Number.isInteger(paddingIdx) || paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings) {
        throw new RangeError(`Embedding: padding_idx must be within num_embeddings (${numEmbeddings}), got ${paddingIdx}`);
      }
      if (paddingIdx < 0) paddingIdx += numEmbeddings;
    }
    this.paddingIdx = paddingIdx;
    const r = needRng(rng, 'Embedding');
    this.weight = this.registerParameter('weight', zeros([numEmbeddings, embeddingDim], dtype));
    init.defaultEmbedding(this.weight, r, paddingIdx);
  }

  forward(x: Tensor): Tensor {
    return F.embedding(x, this.weight, this.paddingIdx);
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.flatten(x, this.startDim, this.endDim);
  }
}

/** torch.nn.Unflatten: splits axis `dim` (the batch axis is 0) into `sizes`; one size may be -1. */
export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly sizes: readonly number[],
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.unflatten(x, this.dim, this.sizes);
  }
}

/** torch.nn.PixelShuffle: channels C·r² become an r× larger image (a factor that is not a positive int fails in forward, as PyTorch's does). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.pixelShuffle(x, this.upscaleFactor);
  }
}

/** torch.nn.PixelUnshuffle: PixelShuffle's inverse, an r× smaller image with C·r² channels. */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.pixelUnshuffle(x, this.downscaleFactor);
  }
}

/** torch.nn.ReflectionPad1d and ReflectionPad2d: `padding` as F.pad takes it, (left, right[, top, bottom]). */
export class ReflectionPad extends Module {
  constructor(readonly padding: readonly number[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.reflectionPad(x, this.padding);
  }
}

/** torch.nn.ZeroPad2d and ConstantPad1d/2d: `padding` as F.pad takes it, filled with `value`. */
export class ConstantPad extends Module {
  constructor(
    readonly padding: readonly number[],
    readonly value = 0,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.constantPad(x, this.padding, this.value);
  }
}

/** torch.nn.Upsample in 'nearest' mode (the only one followed): to `size`, or by `scaleFactor` per spatial axis. */
export class UpsampleNearest extends Module {
  constructor(
    readonly size: number | readonly number[] | null,
    readonly scaleFactor: number | readonly number[] | null,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const spatial = Math.max(x.rank - 2, 1);
    const each = (v: number | readonly number[] | null) => (v === null ? null : typeof v === 'number' ? new Array<number>(spatial).fill(v) : v);
    return F.upsampleNearest(x, each(this.size), each(this.scaleFactor));
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Children run in order, each under its own layer path. Given plain modules they are named
 * "0", "1", …; given [name, module] pairs (PyTorch's OrderedDict form) they keep their names.
 */
export class Sequential extends Module {
  constructor(children: (Module | [string, Module])[] = []) {
    super();
    for (const c of children) this.append(c);
  }

  /** Adds a child at the end, named by its position unless a name is given. */
  append(child: Module | [string, Module]): this {
    if (Array.isArray(child)) this.addModule(child[0], child[1]);
    else this.addModule(String(this.length), child);
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The child at `index` (negative counts from the end, as PyTorch's indexing). */
  at(index: number): Module {
    const kids = this.namedChildren();
    const i = index < 0 ? index + kids.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= kids.length) throw new RangeError(`index ${index} is out of range for a Sequential of ${kids.length} modules`);
    return kids[i][1];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    // The live map, not a copy: this runs on every step of every trace.
    for (const m of this.children.values()) y = m.call(y);
    return y;
  }
}
