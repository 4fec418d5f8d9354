/** torch.nn.functional: activations, linear algebra, convolution, pooling, normalisation, dropout, losses. */
import { apply } from '../dispatch';
import type { FloatArray } from '../dtype';
import type { Reduction } from '../ops/loss';
import type { Rng } from '../rng';
import { formatShape, normAxis, ShapeError } from '../shape';
import type { Tensor } from '../tensor';
import { asFloat } from './math';

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

/** torch.bmm: (b, n, m) @ (b, m, p), both 3-D with the same batch. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 3 || b.rank !== 3) throw new ShapeError(`batch1 and batch2 must be 3D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(`bmm: batch1 and batch2 must have the same batch size, got ${a.shape[0]} and ${b.shape[0]}`);
  return matmul(a, b);
}
