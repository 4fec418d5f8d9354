/** torch.nn.functional: activations, linear algebra, convolution, pooling, normalisation, dropout, losses. */
import { isGradEnabled } from '../context';
import { apply, applyInPlace } from '../dispatch';
import { alloc, FloatArray } from '../dtype';
import type { Reduction } from '../ops/loss';
import type { Rng } from '../rng';
import { formatShape, normAxis, ShapeError, windowOutputLength } from '../shape';
import { Tensor } from '../tensor';
import { add, asFloat, mul } from './math';
import { reshape, squeeze, unsqueeze } from './views';

const none = {} as Record<string, never>;
type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

// ── activations ────────────────────────────────────────────────────────────
export const sigmoid = (x: Tensor): Tensor => apply('sigmoid', [asFloat(x)], none);
export const tanh = (x: Tensor): Tensor => apply('tanh', [asFloat(x)], none);
export const relu = (x: Tensor): Tensor => apply('relu', [x], none);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => apply('leaky_relu', [x], { negativeSlope });
export const elu = (x: Tensor, alpha = 1): Tensor => apply('elu', [x], { alpha });
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor => apply('gelu', [x], { approximate });
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => apply('softplus', [x], { beta, threshold });
export const softmax = (x: Tensor, dim = -1): Tensor => apply('softmax', [asFloat(x)], { axis: normAxis(dim, Math.max(x.rank, 1)) });
export const logSoftmax = (x: Tensor, dim = -1): Tensor => apply('log_softmax', [asFloat(x)], { axis: normAxis(dim, Math.max(x.rank, 1)) });
export const silu = (x: Tensor): Tensor => apply('silu', [asFloat(x)], none);
export const mish = (x: Tensor): Tensor => apply('mish', [asFloat(x)], none);
export const hardtanh = (x: Tensor, minVal = -1, maxVal = 1): Tensor => apply('hardtanh', [x], { min: minVal, max: maxVal });
export const relu6 = (x: Tensor): Tensor => hardtanh(x, 0, 6);
export const tanhshrink = (x: Tensor): Tensor => apply('tanhshrink', [asFloat(x)], none);
export const hardtanh_ = (x: Tensor, minVal = -1, maxVal = 1): Tensor => applyInPlace('hardtanh', x, [], { min: minVal, max: maxVal });

// ── linear algebra, convolution, pooling ───────────────────────────────────
export const matmul = (a: Tensor, b: Tensor): Tensor => apply('matmul', [a, b], none);
export const linear = (x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor =>
  apply('linear', bias ? [x, weight, bias] : [x, weight], none);
/**
 * F.conv1d(x, weight (O, C/groups, K), bias, stride, padding, groups, dilation): dilation comes last,
 * after groups (PyTorch puts it before), so the callers written before it keep their meaning.
 */
export const conv1d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, stride = 1, padding = 0, groups = 1, dilation = 1): Tensor =>
  apply('conv1d', bias ? [x, weight, bias] : [x, weight], convAttrs(stride, padding, groups, dilation, 1));
/** F.conv2d(x, weight (O, C/groups, KH, KW), bias, stride, padding, groups, dilation): dilation last as in conv1d. */
export const conv2d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, stride: Pair = 1, padding: Pair = 0, groups = 1, dilation: Pair = 1): Tensor =>
  apply('conv2d', bias ? [x, weight, bias] : [x, weight], convAttrs(pair(stride), pair(padding), groups, pair(dilation), [1, 1]));
/** A convolution's attributes, leaving out groups and dilation at their defaults (the op's recorded attributes stay as before). */
function convAttrs<P extends number | [number, number]>(stride: P, padding: P, groups: number, dilation: P, dense: P) {
  const dilated = JSON.stringify(dilation) !== JSON.stringify(dense);
  return { stride, padding, ...(groups === 1 ? {} : { groups }), ...(dilated ? { dilation } : {}) };
}
/** F.conv_transpose2d(x, weight (C_in, C_out, KH, KW), bias, stride, padding, output_padding, dilation) (no groups). */
export const convTranspose2d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, stride: Pair = 1, padding: Pair = 0, outputPadding: Pair = 0, dilation: Pair = 1): Tensor =>
  apply('conv_transpose2d', bias ? [x, weight, bias] : [x, weight], { stride: pair(stride), padding: pair(padding), outputPadding: pair(outputPadding), dilation: pair(dilation) });
export const maxPool2d = (x: Tensor, kernel: Pair, stride: Pair | null = null, padding: Pair = 0, dilation: Pair = 1, ceilMode = false): Tensor =>
  apply('max_pool2d', [x], { kernel: pair(kernel), stride: pair(stride ?? kernel), padding: pair(padding), dilation: pair(dilation), ...(ceilMode ? { ceil: true } : {}) });
/** PyTorch's ceil_mode, count_include_pad and divisor_override (null: none) as its avg_pool2d takes them. */
export interface AvgPoolOptions {
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}
const avgAttrs = (o: AvgPoolOptions) => ({ ...(o.ceilMode ? { ceil: true } : {}), ...(o.countIncludePad === false ? { countIncludePad: false as const } : {}), ...(o.divisorOverride ? { divisor: o.divisorOverride } : {}) });
export const avgPool2d = (x: Tensor, kernel: Pair, stride: Pair | null = null, padding: Pair = 0, options: AvgPoolOptions = {}): Tensor =>
  apply('avg_pool2d', [x], { kernel: pair(kernel), stride: pair(stride ?? kernel), padding: pair(padding), ...avgAttrs(options) });
/**
 * F.conv_transpose1d over (N, C_in, L) or (C_in, L), weight (C_in, C_out, K): the 2-D op with a unit
 * height axis, as max_pool1d rides on max_pool2d, so both share its gradients.
 */
export function convTranspose1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, stride = 1, padding = 0, outputPadding = 0, dilation = 1): Tensor {
  if ((x.rank !== 2 && x.rank !== 3) || weight.rank !== 3) {
    throw new ShapeError(`conv_transpose1d: expected input of rank 3 (or 2 unbatched) and weight of rank 3, got ${formatShape(x.shape)} and ${formatShape(weight.shape)}`);
  }
  return squeeze(convTranspose2d(unsqueeze(x, -2), unsqueeze(weight, 2), bias, [1, stride], [0, padding], [0, outputPadding], [1, dilation]), -2);
}

/**
 * F.max_pool1d / F.avg_pool1d over (N, C, L) or (C, L): the 2-D window of height 1 on the input with
 * a unit height axis, so both share the 2-D ops' gradients. PyTorch's checks come first, with its
 * 1-D names and sizes.
 */
function pool1d(op: 'max_pool1d' | 'avg_pool1d', x: Tensor, kernel: number, stride: number | null, padding: number, dilation = 1, options: AvgPoolOptions = {}): Tensor {
  if (op === 'max_pool1d' && ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] === 0 || x.shape[x.rank - 2] === 0)) {
    throw new ShapeError(`max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[${x.shape.join(', ')}]`);
  }
  if (x.rank !== 2 && x.rank !== 3) throw new ShapeError(`${op}: expected input (N,C,L) or (C,L), got ${formatShape(x.shape)}`);
  const s = stride ?? kernel;
  for (const [name, v, min] of [['kernel size', kernel, 1], ['stride', s, 1], ['padding', padding, 0], ['dilation', dilation, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  if (padding > kernel / 2) throw new ShapeError(`${op}: padding ${padding} should be at most half of kernel size ${kernel}`);
  const length = x.shape[x.rank - 1];
  const out = windowOutputLength(length, kernel, s, padding, dilation, options.ceilMode === true);
  if (out < 1) {
    // torch 1.13: max_pool1d of a tensor needing no gradient gives an empty result; with a gradient
    // (and avg_pool1d) it goes through the 2-D op, which refuses, in the 2-D op's words.
    if (op === 'max_pool1d' && !(x.requiresGrad && isGradEnabled())) return new Tensor(alloc(x.dtype, 0), [...x.shape.slice(0, -1), 0], false, x.dtype);
    const c = x.shape[x.rank - 2];
    throw new ShapeError(`Given input size: (${c}x1x${length}). Calculated output size: (${c}x1x${out}). Output size is too small`);
  }
  const attrs = { kernel: [1, kernel] as [number, number], stride: [1, s] as [number, number], padding: [0, padding] as [number, number] };
  if (op === 'avg_pool1d') return squeeze(apply('avg_pool2d', [unsqueeze(x, -2)], { ...attrs, ...avgAttrs(options) }), -2);
  return squeeze(apply('max_pool2d', [unsqueeze(x, -2)], { ...attrs, dilation: [1, dilation], ...(options.ceilMode ? { ceil: true } : {}) }), -2);
}
export const maxPool1d = (x: Tensor, kernel: number, stride: number | null = null, padding = 0, dilation = 1, ceilMode = false): Tensor => pool1d('max_pool1d', x, kernel, stride, padding, dilation, { ceilMode });
export const avgPool1d = (x: Tensor, kernel: number, stride: number | null = null, padding = 0, options: AvgPoolOptions = {}): Tensor => pool1d('avg_pool1d', x, kernel, stride, padding, 1, options);

/** F.adaptive_avg_pool2d: an int or (oh, ow), null keeping that input size. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  return apply('adaptive_avg_pool2d', [x], { outputSize: [oh ?? x.shape[x.rank - 2], ow ?? x.shape[x.rank - 1]] });
}

/** F.adaptive_max_pool2d: each cell the largest value of its adaptive window, the gradient to that element. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  return apply('adaptive_max_pool2d', [x], { outputSize: [oh ?? x.shape[x.rank - 2], ow ?? x.shape[x.rank - 1]] });
}

/** F.adaptive_max_pool1d over (N, C, L) or (C, L): the 2-D op with one row; null keeps the length. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | null): Tensor {
  if (x.rank !== 2 && x.rank !== 3) throw new ShapeError(`adaptive_max_pool1d: expected 2D or 3D input, got ${formatShape(x.shape)}`);
  return squeeze(adaptiveMaxPool2d(unsqueeze(x, -2), [1, outputSize]), -2);
}

/** F.pixel_shuffle: [*, C·r², H, W] -> [*, C, H·r, W·r], the sub-pixel convolution's upsampling. */
export const pixelShuffle = (x: Tensor, upscaleFactor: number): Tensor => apply('pixel_shuffle', [x], { factor: upscaleFactor });
/** F.pixel_unshuffle: [*, C, H·r, W·r] -> [*, C·r², H, W], pixel_shuffle's inverse. */
export const pixelUnshuffle = (x: Tensor, downscaleFactor: number): Tensor => apply('pixel_unshuffle', [x], { factor: downscaleFactor });

// ── normalisation, lookup, dropout ─────────────────────────────────────────
export interface BatchNormOptions {
  runningMean?: FloatArray | null;
  runningVar?: FloatArray | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
export function batchNorm(x: Tensor, o: BatchNormOptions = {}): Tensor {
  const affine = o.weight && o.bias ? [o.weight, o.bias] : [];
  return apply('batch_norm', [x, ...affine], {
    training: o.training ?? true,
    momentum: o.momentum ?? 0.1,
    eps: o.eps ?? 1e-5,
    runningMean: o.runningMean ?? null,
    runningVar: o.runningVar ?? null,
  });
}
export const layerNorm = (x: Tensor, normalizedShape: number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor =>
  weight && bias ? apply('layer_norm', [x, weight, bias], { normalizedShape, eps }) : affine(apply('layer_norm', [x], { normalizedShape, eps }), weight, bias, normalizedShape.length);
/** F.group_norm: each sample's channels in num_groups groups, each normalised by its own statistics. */
export const groupNorm = (x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor =>
  weight && bias ? apply('group_norm', [x, weight, bias], { groups: numGroups, eps }) : affine(apply('group_norm', [x], { groups: numGroups, eps }), weight, bias, x.rank - 1);

/**
 * A norm's scale or shift given alone (nanoGPT's LayerNorm with bias=False passes a weight and
 * bias=None): the fused ops take both or neither, so the one given is applied after, over the
 * trailing `span` axes it covers (a group norm's per-channel [C] is widened to [C, 1, ...]).
 */
function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null, span: number): Tensor {
  const fit = (t: Tensor) => (t.rank < span ? reshape(t, [...t.shape, ...Array<number>(span - t.rank).fill(1)]) : t);
  let out = y;
  if (weight) out = mul(out, fit(weight));
  if (bias) out = add(out, fit(bias));
  return out;
}

export interface InstanceNormOptions {
  runningMean?: FloatArray | null;
  runningVar?: FloatArray | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with each instance's statistics (true), or with the running ones (eval with tracked stats). */
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * F.instance_norm: each sample's channels normalised by their own statistics (group norm with one
 * group per channel); running statistics, when given, move toward the batch's mean of them (with the
 * unbiased variance), or replace them when useInputStats is false.
 */
export function instanceNorm(x: Tensor, o: InstanceNormOptions = {}): Tensor {
  const { runningMean = null, runningVar = null, weight = null, bias = null, useInputStats = true, momentum = 0.1, eps = 1e-5 } = o;
  if (x.rank < 3) throw new ShapeError(`instance_norm: expected input (N, C, ...) with spatial axes, got ${formatShape(x.shape)}`);
  const [n, c] = x.shape;
  const inner = x.size / (n * c);
  if (useInputStats && inner <= 1) throw new ShapeError(`Expected more than 1 spatial element when training, got input size ${formatShape(x.shape)}`);
  if (!useInputStats) {
    if (!runningMean || !runningVar) throw new Error('instance_norm: use_input_stats=False needs running_mean and running_var');
    return batchNorm(x, { runningMean, runningVar, weight, bias, training: false, eps });
  }
  if (runningMean && runningVar) {
    const d = x.data;
    for (let ch = 0; ch < c; ch++) {
      let meanSum = 0;
      let varSum = 0;
      for (let s = 0; s < n; s++) {
        const at = (s * c + ch) * inner;
        let m = 0;
        for (let i = 0; i < inner; i++) m += d[at + i];
        m /= inner;
        let v = 0;
        for (let i = 0; i < inner; i++) v += (d[at + i] - m) * (d[at + i] - m);
        meanSum += m;
        varSum += v / (inner - 1);
      }
      runningMean[ch] = (1 - momentum) * runningMean[ch] + (momentum * meanSum) / n;
      runningVar[ch] = (1 - momentum) * runningVar[ch] + (momentum * varSum) / n;
    }
  }
  return groupNorm(x, c, weight, bias, eps);
}

/**
 * F.dropout2d: whole channels zeroed (and the rest scaled by 1/(1 − p)) while training, one draw per
 * (sample, channel); a 3-D input is read as (N, C, L), as PyTorch 1.13 does. PyTorch 1.13 only warns
 * on other ranks and drops each (N, C) entry of its feature dropout, so a 2-D (N, C) input (the
 * pytorch/examples mnist_rnn model's Dropout2d after an LSTM) is element-wise dropout there too.
 */
export function dropout2d(x: Tensor, p: number, training: boolean, rng: Rng): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (x.rank < 2) throw new ShapeError(`dropout2d: feature dropout requires at least 2 dimensions in the input, got ${formatShape(x.shape)}`);
  if (!training || p === 0) return apply('dropout', [x], { p: 0, training: false, rng });
  const [n, c] = x.shape;
  const keep = p === 1 ? 0 : 1 / (1 - p);
  const mask = new Tensor(alloc(x.dtype, n * c), [n, c, ...x.shape.slice(2).map(() => 1)], false, x.dtype);
  for (let i = 0; i < n * c; i++) mask.data[i] = p === 1 || rng.uniform() < p ? 0 : keep;
  return mul(x, mask);
}

export const embedding = (indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor =>
  apply('embedding', [indices, weight], { paddingIdx });
export const dropout = (x: Tensor, p: number, training: boolean, rng: Rng): Tensor =>
  apply('dropout', [x], { p, training, rng });

// ── losses ─────────────────────────────────────────────────────────────────
/** The options of cross_entropy and nll_loss (PyTorch's keywords). */
export interface ClassLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  /** cross_entropy only. */
  labelSmoothing?: number;
}

function classLoss(op: 'cross_entropy' | 'nll_loss', input: Tensor, target: Tensor, options: Reduction | ClassLossOptions) {
  const o = typeof options === 'string' ? { reduction: options } : options;
  const labelSmoothing = o.labelSmoothing ?? 0;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`);
  const weight = o.weight ?? null;
  return apply(op, weight ? [input, target, weight] : [input, target], {
    reduction: checkReduction(o.reduction ?? 'mean'),
    ignoreIndex: o.ignoreIndex ?? -100,
    labelSmoothing,
    weighted: weight !== null,
  });
}

/** PyTorch's reductions; anything else is refused as PyTorch does. */
export function checkReduction(r: string): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${r} is not a valid value for reduction`);
  return r;
}

export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('mse_loss', [input, target], { reduction: checkReduction(reduction) });
export const l1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('l1_loss', [input, target], { reduction: checkReduction(reduction) });
export const huberLoss = (input: Tensor, target: Tensor, delta = 1, reduction: Reduction = 'mean'): Tensor =>
  apply('huber_loss', [input, target], { reduction: checkReduction(reduction), delta });
export const smoothL1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor =>
  apply('smooth_l1_loss', [input, target], { reduction: checkReduction(reduction), beta });
/** F.cross_entropy: logits against class indices (or class probabilities of the logits' shape). */
export const crossEntropy = (logits: Tensor, target: Tensor, options: Reduction | ClassLossOptions = {}): Tensor => classLoss('cross_entropy', logits, target, options);
/** F.nll_loss: log-probabilities against class indices. */
export const nllLoss = (logProbs: Tensor, target: Tensor, options: Reduction | Omit<ClassLossOptions, 'labelSmoothing'> = {}): Tensor => classLoss('nll_loss', logProbs, target, options);

export interface BinaryLossOptions {
  /** Per-element weight, broadcast against the input. */
  weight?: Tensor | null;
  reduction?: Reduction;
  /** binary_cross_entropy_with_logits only: the weight of positive examples, broadcast (per class). */
  posWeight?: Tensor | null;
}

/** F.binary_cross_entropy: probabilities in [0, 1]. */
export function bceLoss(probs: Tensor, target: Tensor, options: Reduction | BinaryLossOptions = {}): Tensor {
  const o = typeof options === 'string' ? { reduction: options } : options;
  const weight = o.weight ?? null;
  return apply('bce_loss', weight ? [probs, target, weight] : [probs, target], { reduction: checkReduction(o.reduction ?? 'mean'), weighted: weight !== null });
}
/** F.binary_cross_entropy_with_logits: the sigmoid fused in. */
export function bceWithLogits(logits: Tensor, target: Tensor, options: Reduction | BinaryLossOptions = {}): Tensor {
  const o = typeof options === 'string' ? { reduction: options } : options;
  const weight = o.weight ?? null;
  const pos = o.posWeight ?? null;
  const extra = [...(weight ? [weight] : []), ...(pos ? [pos] : [])];
  return apply('bce_with_logits', [logits, target, ...extra], { reduction: checkReduction(o.reduction ?? 'mean'), weighted: weight !== null, posWeighted: pos !== null });
}
export const binaryCrossEntropy = bceLoss;
export const binaryCrossEntropyWithLogits = bceWithLogits;

/** torch.bmm: (b, n, m) @ (b, m, p), both 3-D with the same batch. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 3 || b.rank !== 3) throw new ShapeError(`batch1 and batch2 must be 3D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(`bmm: batch1 and batch2 must have the same batch size, got ${a.shape[0]} and ${b.shape[0]}`);
  return matmul(a, b);
}
