/**
 * Arithmetic, elementwise math, comparisons, logic and casts, with PyTorch's names, broadcasting and
 * type promotion: an operand is a tensor or a plain number (a Python scalar, which promotes as
 * PyTorch's "wrapped number": int64 tensor + 2 stays int64, + 2.5 becomes the default float).
 * A JavaScript number that is a whole number counts as a Python int.
 */
import { apply } from '../dispatch';
import { getDefaultDtype, isFloating, Operand as TypedOperand, resultType, TensorDType } from '../dtype';
import type { Comparison, Logic } from '../ops/compare';
import { Tensor } from '../tensor';
import { tensor } from './creation';

/** A tensor, or a Python scalar. */
export type Operand = Tensor | number | boolean;

const none = {} as Record<string, never>;

function typed(o: Operand): TypedOperand {
  if (o instanceof Tensor) return { dtype: o.dtype, priority: o.rank === 0 ? 1 : 0 };
  if (typeof o === 'boolean') return { dtype: 'bool', priority: 2 };
  return { dtype: Number.isInteger(o) ? 'int64' : 'float64', priority: 2 };
}

/** A tensor of `dtype`: a number becomes a 0-dim constant, a tensor of another dtype is cast (keeping its gradient between floats). */
export function asTensor(o: Operand, dtype: TensorDType): Tensor {
  if (o instanceof Tensor) return o.dtype === dtype ? o : to(o, dtype);
  return tensor([Number(o)], [], dtype);
}

/** torch.result_type of the operands. */
export function resultTypeOf(...operands: Operand[]): TensorDType {
  return resultType(operands.map(typed));
}

/** Both operands as tensors of their promoted dtype. */
function promoted(a: Operand, b: Operand, floatResult = false): [Tensor, Tensor] {
  let dtype = resultTypeOf(a, b);
  if (floatResult && !isFloating(dtype)) dtype = getDefaultDtype();
  return [asTensor(a, dtype), asTensor(b, dtype)];
}

/** An integer or bool tensor as the default float dtype, for ops only defined on floats (exp, sin, sigmoid …), as PyTorch. */
export function asFloat(x: Tensor): Tensor {
  return x.isFloatingPoint ? x : to(x, getDefaultDtype());
}

export function requireFloat(x: Tensor, op: string): void {
  if (!x.isFloatingPoint) throw new TypeError(`${op}: expected a floating point tensor, got ${x.dtype}`);
}

// ── casts ──────────────────────────────────────────────────────────────────
/** x.to(dtype): the same tensor when it already has that dtype, as PyTorch. */
export function to(x: Tensor, dtype: TensorDType): Tensor {
  if (x.dtype === dtype) return x;
  return apply('to_dtype', [x], { dtype });
}
export const float = (x: Tensor): Tensor => to(x, 'float32');
export const double = (x: Tensor): Tensor => to(x, 'float64');
export const long = (x: Tensor): Tensor => to(x, 'int64');
export const bool = (x: Tensor): Tensor => to(x, 'bool');

// ── arithmetic ─────────────────────────────────────────────────────────────
/** a + alpha·b */
export function add(a: Operand, b: Operand, alpha = 1): Tensor {
  if (alpha !== 1) b = typeof b === 'number' ? b * alpha : mul(b, alpha);
  const [x, y] = promoted(a, b);
  return apply('add', [x, y], none);
}
/** a − alpha·b */
export function sub(a: Operand, b: Operand, alpha = 1): Tensor {
  if (alpha !== 1) b = typeof b === 'number' ? b * alpha : mul(b, alpha);
  const [x, y] = promoted(a, b);
  if (x.dtype === 'bool') throw new TypeError('Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.');
  return apply('sub', [x, y], none);
}
export function mul(a: Operand, b: Operand): Tensor {
  // a float tensor times a number is one scale op (no 0-dim tensor, one less broadcast)
  if (a instanceof Tensor && typeof b === 'number' && a.isFloatingPoint) return apply('scale', [a], { factor: b });
  if (b instanceof Tensor && typeof a === 'number' && b.isFloatingPoint) return apply('scale', [b], { factor: a });
  const [x, y] = promoted(a, b);
  return apply('mul', [x, y], none);
}
/** True division (always a float result); rounding_mode 'floor' is Python's //, 'trunc' rounds toward zero. */
export function div(a: Operand, b: Operand, roundingMode: 'floor' | 'trunc' | null = null): Tensor {
  if (roundingMode === 'floor') return floorDivide(a, b);
  if (roundingMode === 'trunc') {
    const dtype = resultTypeOf(a, b);
    const q = div(a, b);
    return to(apply('mul', [apply('sign', [q], none), apply('floor_divide', [apply('abs', [q], none), asTensor(1, q.dtype)], none)], none), dtype);
  }
  const [x, y] = promoted(a, b, true);
  return apply('div', [x, y], none);
}
export function floorDivide(a: Operand, b: Operand): Tensor {
  const [x, y] = promoted(a, b);
  return apply('floor_divide', [x, y], none);
}
/** Python's %: the result has the sign of the divisor. */
export function remainder(a: Operand, b: Operand): Tensor {
  const [x, y] = promoted(a, b);
  return apply('remainder', [x, y], none);
}
export function neg(x: Tensor): Tensor {
  if (x.dtype === 'bool') throw new TypeError('Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.');
  return apply('neg', [x], none);
}
/** x · factor for a constant factor. */
export const scale = (x: Tensor, factor: number): Tensor => mul(x, factor);
/** a ** b: a number exponent uses the constant-exponent op; int ** int stays int. */
export function pow(a: Operand, b: Operand): Tensor {
  if (a instanceof Tensor && typeof b === 'number' && (a.isFloatingPoint || Number.isInteger(b))) return apply('pow', [a], { exponent: b });
  const [x, y] = promoted(a, b);
  return apply('pow_tensor', [x, y], none);
}
export const square = (x: Tensor): Tensor => pow(x, 2);
export const reciprocal = (x: Tensor): Tensor => div(1, x);

// ── unary math (integers are promoted to the default float, as PyTorch) ────
export const exp = (x: Tensor): Tensor => apply('exp', [asFloat(x)], none);
export const log = (x: Tensor): Tensor => apply('log', [asFloat(x)], none);
export const sqrt = (x: Tensor): Tensor => apply('sqrt', [asFloat(x)], none);
export const rsqrt = (x: Tensor): Tensor => apply('rsqrt', [asFloat(x)], none);
export const sin = (x: Tensor): Tensor => apply('sin', [asFloat(x)], none);
export const cos = (x: Tensor): Tensor => apply('cos', [asFloat(x)], none);
export const log1p = (x: Tensor): Tensor => apply('log1p', [asFloat(x)], none);
export const expm1 = (x: Tensor): Tensor => apply('expm1', [asFloat(x)], none);
export const abs = (x: Tensor): Tensor => (x.dtype === 'bool' ? x : apply('abs', [x], none));
export const sign = (x: Tensor): Tensor => apply('sign', [x], none);
// Integers are already integral: PyTorch returns them unchanged.
export const floor = (x: Tensor): Tensor => (x.isFloatingPoint ? apply('floor', [x], none) : x);
export const ceil = (x: Tensor): Tensor => (x.isFloatingPoint ? apply('ceil', [x], none) : x);
export const round = (x: Tensor): Tensor => (x.isFloatingPoint ? apply('round', [x], none) : x);
export const trunc = (x: Tensor): Tensor => (x.isFloatingPoint ? apply('trunc', [x], none) : x);

/** torch.clamp(x, min, max): either bound may be null. */
export function clamp(x: Tensor, min: number | null = null, max: number | null = null): Tensor {
  if (min === null && max === null) throw new RangeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  let t = x;
  // a float bound on an integer tensor promotes it, as PyTorch
  if (!x.isFloatingPoint && ((min !== null && !Number.isInteger(min)) || (max !== null && !Number.isInteger(max)))) t = to(x, getDefaultDtype());
  return apply('clamp', [t], { min, max });
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  const [x, y] = promoted(a, b);
  return apply('maximum', [x, y], none);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  const [x, y] = promoted(a, b);
  return apply('minimum', [x, y], none);
}

// ── comparisons and logic (bool results, no gradient) ───────────────────────
function compare(op: Comparison, a: Operand, b: Operand): Tensor {
  const [x, y] = promoted(a, b);
  return apply('compare', [x, y], { op });
}
export const eq = (a: Operand, b: Operand): Tensor => compare('eq', a, b);
export const ne = (a: Operand, b: Operand): Tensor => compare('ne', a, b);
export const lt = (a: Operand, b: Operand): Tensor => compare('lt', a, b);
export const le = (a: Operand, b: Operand): Tensor => compare('le', a, b);
export const gt = (a: Operand, b: Operand): Tensor => compare('gt', a, b);
export const ge = (a: Operand, b: Operand): Tensor => compare('ge', a, b);

function logical(op: Logic, a: Operand, b: Operand): Tensor {
  const [x, y] = promoted(a, b);
  return apply('logical', [x, y], { op });
}
export const logicalAnd = (a: Operand, b: Operand): Tensor => logical('and', a, b);
export const logicalOr = (a: Operand, b: Operand): Tensor => logical('or', a, b);
export const logicalXor = (a: Operand, b: Operand): Tensor => logical('xor', a, b);
export const logicalNot = (x: Tensor): Tensor => apply('logical_not', [x], none);
/** ~x: logical not on bool, bitwise not (−x − 1) on integers. */
export function bitwiseNot(x: Tensor): Tensor {
  if (x.dtype === 'bool') return logicalNot(x);
  if (x.isFloatingPoint) throw new TypeError(`bitwise_not is not implemented for ${x.dtype}`);
  return sub(neg(x), 1);
}
export const isnan = (x: Tensor): Tensor => ne(x, x);
export const isinf = (x: Tensor): Tensor => eq(abs(x), Infinity);
export const isfinite = (x: Tensor): Tensor => logicalNot(logicalOr(isnan(x), isinf(x)));

// ── selection ──────────────────────────────────────────────────────────────
/** torch.where(condition, a, b): a where the condition holds, else b, broadcast; a and b promote together. */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  const [x, y] = promoted(a, b);
  return apply('where', [bool(condition), x, y], none);
}

/** x.masked_fill(mask, value): x and the mask broadcast together (out of place, as PyTorch); x's dtype. */
export function maskedFill(x: Tensor, mask: Tensor, value: Operand): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`masked_fill only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  const v = value instanceof Tensor ? value : asTensor(value, x.dtype);
  if (v.rank !== 0) throw new RangeError(`masked_fill only supports a 0-dimensional value tensor, but got tensor with ${v.rank} dimension(s)`);
  return apply('where', [mask, to(v, x.dtype), x], none);
}
