/** The functional API (torch.nn.functional's names, camelCased): thin calls into the dispatcher. */
import { apply } from './dispatch';
import type { FloatArray } from './dtype';
import type { Reduction } from './ops/loss';
import type { Rng } from './rng';
import { normAxis, ShapeError, sizeOf, formatShape } from './shape';
import type { Tensor } from './tensor';

const none = {} as Record<string, never>;
type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

// ── arithmetic ─────────────────────────────────────────────────────────────
export const add = (a: Tensor, b: Tensor): Tensor => apply('add', [a, b], none);
export const sub = (a: Tensor, b: Tensor): Tensor => apply('sub', [a, b], none);
export const mul = (a: Tensor, b: Tensor): Tensor => apply('mul', [a, b], none);
export const div = (a: Tensor, b: Tensor): Tensor => apply('div', [a, b], none);
export const neg = (x: Tensor): Tensor => apply('neg', [x], none);
export const scale = (x: Tensor, factor: number): Tensor => apply('scale', [x], { factor });
export const pow = (x: Tensor, exponent: number): Tensor => apply('pow', [x], { exponent });
export const exp = (x: Tensor): Tensor => apply('exp', [x], none);
export const log = (x: Tensor): Tensor => apply('log', [x], none);
export const sqrt = (x: Tensor): Tensor => apply('sqrt', [x], none);
export const abs = (x: Tensor): Tensor => apply('abs', [x], none);
export const clamp = (x: Tensor, min: number | null, max: number | null): Tensor => apply('clamp', [x], { min, max });

// ── activations ────────────────────────────────────────────────────────────
export const sigmoid = (x: Tensor): Tensor => apply('sigmoid', [x], none);
export const tanh = (x: Tensor): Tensor => apply('tanh', [x], none);
export const relu = (x: Tensor): Tensor => apply('relu', [x], none);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => apply('leaky_relu', [x], { negativeSlope });
export const elu = (x: Tensor, alpha = 1): Tensor => apply('elu', [x], { alpha });
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor => apply('gelu', [x], { approximate });
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => apply('softplus', [x], { beta, threshold });
export const softmax = (x: Tensor, axis = -1): Tensor => apply('softmax', [x], { axis: normAxis(axis, x.rank) });
export const logSoftmax = (x: Tensor, axis = -1): Tensor => apply('log_softmax', [x], { axis: normAxis(axis, x.rank) });

// ── reductions ─────────────────────────────────────────────────────────────
function axesOf(x: Tensor, axes: number | number[] | null | undefined): number[] | null {
  if (axes === null || axes === undefined) return null;
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => normAxis(a, x.rank));
  return [...new Set(list)].sort((a, b) => a - b);
}
export const sum = (x: Tensor, axes?: number | number[] | null, keepDims = false): Tensor =>
  apply('sum', [x], { axes: axesOf(x, axes), keepDims });
export const mean = (x: Tensor, axes?: number | number[] | null, keepDims = false): Tensor =>
  apply('mean', [x], { axes: axesOf(x, axes), keepDims });
export const max = (x: Tensor, axes?: number | number[] | null, keepDims = false): Tensor =>
  apply('max', [x], { axes: axesOf(x, axes), keepDims });

// ── layout ─────────────────────────────────────────────────────────────────
/** Reshape with at most one -1, as PyTorch's view/reshape. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const free = shape.indexOf(-1);
  const known = shape.reduce((p, d, i) => (i === free ? p : p * d), 1);
  const resolved = shape.map((d, i) => (i === free ? x.size / known : d));
  if (sizeOf(resolved) !== x.size || !resolved.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`cannot reshape a tensor of shape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  return apply('reshape', [x], { shape: resolved });
}
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return apply('transpose', [x], { perm: perm.map((a) => normAxis(a, x.rank)) });
}
/** Swaps two axes (PyTorch's transpose(dim0, dim1)). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const a = normAxis(dim0, x.rank);
  const b = normAxis(dim1, x.rank);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return apply('transpose', [x], { perm });
}
/** torch.flatten(x, start_dim, end_dim). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis(startDim, x.rank);
  const e = normAxis(endDim, x.rank);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}
export const concat = (xs: readonly Tensor[], axis = 0): Tensor =>
  apply('concat', xs, { axis: normAxis(axis, xs[0].rank) });
/** Per-axis [start, end); axes not given are kept whole. */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  const s = x.shape.map((_, i) => starts[i] ?? 0);
  const e = x.shape.map((d, i) => Math.min(ends[i] ?? d, d));
  return apply('slice', [x], { starts: s, ends: e });
}
/** torch.narrow(x, axis, start, length). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis(axis, x.rank);
  const starts = x.shape.map((_, i) => (i === a ? start : 0));
  const ends = x.shape.map((d, i) => (i === a ? start + length : d));
  return slice(x, starts, ends);
}

// ── linear algebra, convolution, pooling ───────────────────────────────────
export const matmul = (a: Tensor, b: Tensor): Tensor => apply('matmul', [a, b], none);
export const linear = (x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor =>
  apply('linear', bias ? [x, weight, bias] : [x, weight], none);
export const conv1d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, stride = 1, padding = 0): Tensor =>
  apply('conv1d', bias ? [x, weight, bias] : [x, weight], { stride, padding });
export const conv2d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, stride: Pair = 1, padding: Pair = 0): Tensor =>
  apply('conv2d', bias ? [x, weight, bias] : [x, weight], { stride: pair(stride), padding: pair(padding) });
export const maxPool2d = (x: Tensor, kernel: Pair, stride: Pair | null = null, padding: Pair = 0): Tensor =>
  apply('max_pool2d', [x], { kernel: pair(kernel), stride: pair(stride ?? kernel), padding: pair(padding) });
export const avgPool2d = (x: Tensor, kernel: Pair, stride: Pair | null = null, padding: Pair = 0): Tensor =>
  apply('avg_pool2d', [x], { kernel: pair(kernel), stride: pair(stride ?? kernel), padding: pair(padding) });

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
  apply('layer_norm', weight && bias ? [x, weight, bias] : [x], { normalizedShape, eps });
export const embedding = (indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor =>
  apply('embedding', [indices, weight], { paddingIdx });
export const dropout = (x: Tensor, p: number, training: boolean, rng: Rng): Tensor =>
  apply('dropout', [x], { p, training, rng });

// ── losses ─────────────────────────────────────────────────────────────────
export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('mse_loss', [input, target], { reduction });
export const l1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('l1_loss', [input, target], { reduction });
export const huberLoss = (input: Tensor, target: Tensor, delta = 1, reduction: Reduction = 'mean'): Tensor =>
  apply('huber_loss', [input, target], { reduction, delta });
export const crossEntropy = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('cross_entropy', [logits, target], { reduction });
export const nllLoss = (logProbs: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('nll_loss', [logProbs, target], { reduction });
export const bceLoss = (probs: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('bce_loss', [probs, target], { reduction });
export const bceWithLogits = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  apply('bce_with_logits', [logits, target], { reduction });
