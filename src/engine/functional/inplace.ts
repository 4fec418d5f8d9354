/**
 * In-place ops (PyTorch's trailing underscore) and item assignment, x[…] = v. Each writes into the
 * tensor it is given and bumps its version, so an op that saved the old values for its backward
 * raises, as in PyTorch; a leaf that requires a gradient refuses them while gradients are recorded.
 */
import { applyInPlace } from '../dispatch';
import { canCast } from '../dtype';
import { broadcastShape, formatShape, sameShape, ShapeError } from '../shape';
import { Tensor } from '../tensor';
import { asTensor, mul, Operand, resultTypeOf } from './math';
import { expand, IndexItem, resolveIndex, squeeze } from './views';

const none = {} as Record<string, never>;

/** `other` in x's dtype, refusing what PyTorch refuses (a float result written into an integer tensor). */
function operandFor(x: Tensor, other: Operand): Tensor {
  const dtype = resultTypeOf(x, other);
  if (!canCast(dtype, x.dtype)) throw new TypeError(`result type ${dtype} can't be cast to the desired output type ${x.dtype}`);
  return asTensor(other, x.dtype);
}

/** A value broadcast to `shape` (leading size-1 axes beyond it dropped, as copy_ allows). */
function valueFor(x: Tensor, value: Operand, shape: readonly number[]): Tensor {
  let v = asTensor(value, x.dtype);
  while (v.rank > shape.length && v.shape[0] === 1) v = squeeze(v, 0);
  if (!sameShape(broadcastShape(v.shape, shape), shape)) {
    throw new ShapeError(`shape mismatch: value tensor of shape ${formatShape(v.shape)} cannot be broadcast to indexing result of shape ${formatShape(shape)}`);
  }
  return sameShape(v.shape, shape) ? v : expand(v, shape);
}

/** x[items] = value (Python's __setitem__), in place; returns x. */
export function setItem(x: Tensor, items: readonly IndexItem[], value: Operand): Tensor {
  const r = resolveIndex(x, items);
  return applyInPlace('put', x, [valueFor(x, value, r.shape)], { positions: r.positions, accumulate: false });
}

/** x.index_put_(indices, values, accumulate): with accumulate, repeated indices add up. */
export function indexPut_(x: Tensor, items: readonly IndexItem[], value: Operand, accumulate = false): Tensor {
  const r = resolveIndex(x, items);
  return applyInPlace('put', x, [valueFor(x, value, r.shape)], { positions: r.positions, accumulate });
}

export function add_(x: Tensor, other: Operand, alpha = 1): Tensor {
  return applyInPlace('add', x, [operandFor(x, alpha === 1 ? other : typeof other === 'number' ? other * alpha : mul(other, alpha))], none);
}
export function sub_(x: Tensor, other: Operand, alpha = 1): Tensor {
  return applyInPlace('sub', x, [operandFor(x, alpha === 1 ? other : typeof other === 'number' ? other * alpha : mul(other, alpha))], none);
}
export function mul_(x: Tensor, other: Operand): Tensor {
  if (typeof other === 'number' && x.isFloatingPoint) return applyInPlace('scale', x, [], { factor: other });
  return applyInPlace('mul', x, [operandFor(x, other)], none);
}
export function div_(x: Tensor, other: Operand): Tensor {
  if (!x.isFloatingPoint) throw new TypeError(`result type float can't be cast to the desired output type ${x.dtype}`);
  return applyInPlace('div', x, [operandFor(x, other)], none);
}
export function fill_(x: Tensor, value: Operand): Tensor {
  return setItem(x, [], value);
}
export const zero_ = (x: Tensor): Tensor => fill_(x, 0);
/** x.copy_(src): src broadcast to x's shape and cast to its dtype. */
export const copy_ = (x: Tensor, src: Tensor): Tensor => setItem(x, [], src);
export function maskedFill_(x: Tensor, mask: Tensor, value: Operand): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`masked_fill_ only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  if (!sameShape(broadcastShape(mask.shape, x.shape), x.shape)) {
    throw new ShapeError(`masked_fill_: the mask of shape ${formatShape(mask.shape)} does not broadcast to the tensor's shape ${formatShape(x.shape)}`);
  }
  return setItem(x, [sameShape(mask.shape, x.shape) ? mask : expand(mask, x.shape)], value);
}
export const clamp_ = (x: Tensor, min: number | null = null, max: number | null = null): Tensor => applyInPlace('clamp', x, [], { min, max });
export const relu_ = (x: Tensor): Tensor => applyInPlace('relu', x, [], none);
export const leakyRelu_ = (x: Tensor, negativeSlope = 0.01): Tensor => applyInPlace('leaky_relu', x, [], { negativeSlope });
export const sigmoid_ = (x: Tensor): Tensor => applyInPlace('sigmoid', x, [], none);
export const tanh_ = (x: Tensor): Tensor => applyInPlace('tanh', x, [], none);
/** floor_ and its kin (drop-path's `random_tensor.floor_()`): integer tensors are left as they are. */
const rounding_ = (op: 'floor' | 'ceil' | 'round' | 'trunc') => (x: Tensor): Tensor => (x.isFloatingPoint ? applyInPlace(op, x, [], none) : x);
export const floor_ = rounding_('floor');
export const ceil_ = rounding_('ceil');
export const round_ = rounding_('round');
export const trunc_ = rounding_('trunc');
