/** Reductions with PyTorch's conventions: dim (one axis, a list, or all when absent), keepdim, correction. */
import { apply } from '../dispatch';
import { getDefaultDtype } from '../dtype';
import { DimError, normAxis } from '../shape';
import type { Tensor } from '../tensor';
import { sqrt, to } from './math';

export type Dims = number | readonly number[] | null | undefined;

function axesOf(x: Tensor, dims: Dims): number[] | null {
  if (dims === null || dims === undefined) return null;
  const rank = Math.max(x.rank, 1);
  const list = (typeof dims === 'number' ? [dims] : dims).map((a) => normAxis(a, rank));
  if (x.rank === 0) return null;
  return [...new Set(list)].sort((a, b) => a - b);
}

/** torch.sum: bool and integer tensors sum to int64. */
export function sum(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const t = x.dtype === 'bool' ? to(x, 'int64') : x;
  return apply('sum', [t], { axes: axesOf(x, dims), keepDims: keepdim });
}

function requireFloat(x: Tensor, op: string): void {
  if (!x.isFloatingPoint) {
    throw new TypeError(`${op}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype === 'int64' ? 'Long' : 'Bool'}`);
  }
}

export function mean(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  requireFloat(x, 'mean');
  return apply('mean', [x], { axes: axesOf(x, dims), keepDims: keepdim });
}

/**
 * The largest values over the given axes (torch.amax); over one axis the gradient goes to the first
 * maximal element, as torch.max(x, dim). maxDim gives the indices too.
 */
export function max(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  return apply('max', [x], { axes: axesOf(x, dims), keepDims: keepdim });
}
export function min(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  return apply('min', [x], { axes: axesOf(x, dims), keepDims: keepdim });
}
export const amax = max;
export const amin = min;

/** torch.max(x, dim, keepdim): [values, indices (int64)]. */
export function maxDim(x: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
  return [max(x, dim, keepdim), argmax(x, dim, keepdim)];
}
export function minDim(x: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
  return [min(x, dim, keepdim), argmin(x, dim, keepdim)];
}

/** torch.argmax: the index of the first maximum along dim, or into the flattened tensor; int64, no gradient. */
export function argmax(x: Tensor, dim: number | null = null, keepdim = false): Tensor {
  return apply('argmax', [x], { axes: dim === null ? null : axesOf(x, dim), keepDims: dim === null ? false : keepdim });
}
export function argmin(x: Tensor, dim: number | null = null, keepdim = false): Tensor {
  return apply('argmin', [x], { axes: dim === null ? null : axesOf(x, dim), keepDims: dim === null ? false : keepdim });
}

/** torch.var(x, dim, correction=1, keepdim): Σ(x − mean)² / max(0, n − correction). */
export function variance(x: Tensor, dims?: Dims, correction = 1, keepdim = false): Tensor {
  requireFloat(x, 'var');
  return apply('var', [x], { axes: axesOf(x, dims), keepDims: keepdim, correction });
}
/** torch.std: √var. */
export const std = (x: Tensor, dims?: Dims, correction = 1, keepdim = false): Tensor => sqrt(variance(x, dims, correction, keepdim));

/** torch.logsumexp over the given axes (all when absent). */
export function logsumexp(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const t = x.isFloatingPoint ? x : to(x, getDefaultDtype());
  return apply('logsumexp', [t], { axes: axesOf(x, dims), keepDims: keepdim });
}

/** torch.cumsum along dim: bool and integer tensors accumulate in int64. */
export function cumsum(x: Tensor, dim: number): Tensor {
  if (x.rank === 0 && dim !== 0 && dim !== -1) throw new DimError(dim, 0);
  const t = x.dtype === 'bool' ? to(x, 'int64') : x;
  return apply('cumsum', [t], { axis: x.rank === 0 ? 0 : normAxis(dim, x.rank) });
}
