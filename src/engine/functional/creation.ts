/**
 * Tensor factories with PyTorch's names and dtype rules: float factories use the default dtype
 * (float32 unless setDefaultDtype says otherwise), arange of integers is int64, random ones draw
 * from a seeded Rng so a trace is the same on every machine.
 */
import { alloc, castValue, getDefaultDtype, TensorDType } from '../dtype';
import type { Rng } from '../rng';
import { formatShape, Shape, ShapeError, sizeOf } from '../shape';
import { requireGrad, Tensor } from '../tensor';

function make(shape: Shape, dtype: TensorDType, fill: (i: number) => number, requiresGrad = false): Tensor {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`Trying to create tensor with negative dimension ${d}: ${formatShape(shape)}`);
  const data = alloc(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = castValue(fill(i), dtype);
  const t = new Tensor(data, [...shape], false, dtype);
  return requiresGrad ? requireGrad(t) : t;
}

export const zeros = (shape: Shape, dtype: TensorDType = getDefaultDtype(), requiresGrad = false): Tensor => make(shape, dtype, () => 0, requiresGrad);
export const ones = (shape: Shape, dtype: TensorDType = getDefaultDtype(), requiresGrad = false): Tensor => make(shape, dtype, () => 1, requiresGrad);
/** torch.full: the dtype follows the value (bool, int64 for a whole number, else the default float) unless given. */
export function full(shape: Shape, value: number | boolean, dtype?: TensorDType, requiresGrad = false): Tensor {
  const d = dtype ?? (typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : getDefaultDtype());
  return make(shape, d, () => Number(value), requiresGrad);
}
export const empty = zeros;

/** A tensor from values and a shape (row-major). */
export function tensor(values: ArrayLike<number>, shape: Shape = [values.length], dtype: TensorDType = getDefaultDtype(), requiresGrad = false): Tensor {
  if (sizeOf(shape) !== values.length) throw new ShapeError(`tensor of shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${values.length}`);
  return make(shape, dtype, (i) => values[i], requiresGrad);
}

/** A 0-dim tensor. */
export const scalar = (value: number, dtype: TensorDType = getDefaultDtype()): Tensor => tensor([value], [], dtype);

export type Nested = number | boolean | readonly Nested[];

/** torch.tensor(nested list): the shape from the nesting, the dtype from the values (bool, int64, or the default float) unless given. */
export function fromNested(values: Nested, dtype?: TensorDType, requiresGrad = false): Tensor {
  const shape: number[] = [];
  for (let v: Nested = values; Array.isArray(v); v = (v as readonly Nested[])[0]) {
    shape.push((v as readonly Nested[]).length);
    if (!(v as readonly Nested[]).length) break;
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: Nested, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth >= shape.length || v.length !== shape[depth]) throw new ShapeError(`expected sequence of length ${shape[depth] ?? 0} at dim ${depth} (got ${v.length})`);
      for (const e of v as readonly Nested[]) walk(e, depth + 1);
    } else {
      if (depth !== shape.length) throw new ShapeError(`expected a sequence at dim ${depth}, got a number`);
      flat.push(v as number | boolean);
    }
  };
  walk(values, 0);
  const inferred: TensorDType = flat.every((v) => typeof v === 'boolean')
    ? flat.length
      ? 'bool'
      : getDefaultDtype()
    : flat.every((v) => typeof v !== 'number' || Number.isInteger(v))
      ? 'int64'
      : getDefaultDtype();
  return tensor(flat.map(Number), shape, dtype ?? inferred, requiresGrad);
}

/** torch.arange(start, end, step): int64 when all three are whole numbers, else the default float; length ⌈(end − start)/step⌉. */
export function arange(start: number, end?: number, step = 1, dtype?: TensorDType): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new RangeError('step must be nonzero');
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError(`unsupported range: ${start} -> ${end}`);
  if ((end - start) / step < 0) throw new RangeError('upper bound and larger bound inconsistent with step sign');
  const n = Math.ceil((end - start) / step);
  const d = dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : getDefaultDtype());
  return make([n], d, (i) => start + i * step);
}

/** torch.linspace: `steps` values from start to end inclusive, filled from both ends as PyTorch does. */
export function linspace(start: number, end: number, steps: number, dtype: TensorDType = getDefaultDtype()): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError('number of steps must be non-negative');
  // float32 computes in float32, as PyTorch's kernel does (so −1…1 in 4 steps gives −0.33333331)
  const r = dtype === 'float32' ? Math.fround : (v: number) => v;
  const step = steps > 1 ? r((end - start) / (steps - 1)) : 0;
  const half = Math.floor(steps / 2);
  return make([steps], dtype, (i) => (i < half ? r(start + r(i * step)) : r(end - r((steps - 1 - i) * step))));
}

/** torch.eye(n, m): ones on the diagonal. */
export function eye(n: number, m: number = n, dtype: TensorDType = getDefaultDtype()): Tensor {
  return make([n, m], dtype, (i) => (Math.floor(i / m) === i % m ? 1 : 0));
}

export const zerosLike = (x: Tensor, dtype: TensorDType = x.dtype): Tensor => zeros(x.shape, dtype);
export const onesLike = (x: Tensor, dtype: TensorDType = x.dtype): Tensor => ones(x.shape, dtype);
export const fullLike = (x: Tensor, value: number, dtype: TensorDType = x.dtype): Tensor => full(x.shape, value, dtype);
/** x.new_zeros(shape): x's dtype. */
export const newZeros = (x: Tensor, shape: Shape, dtype: TensorDType = x.dtype): Tensor => zeros(shape, dtype);
export const newOnes = (x: Tensor, shape: Shape, dtype: TensorDType = x.dtype): Tensor => ones(shape, dtype);
export const newFull = (x: Tensor, shape: Shape, value: number, dtype: TensorDType = x.dtype): Tensor => full(shape, value, dtype);

/** torch.rand: U[0, 1). */
export const rand = (shape: Shape, rng: Rng, dtype: TensorDType = getDefaultDtype()): Tensor => make(shape, dtype, () => rng.uniform());
/** torch.randn: N(0, 1). */
export const randn = (shape: Shape, rng: Rng, dtype: TensorDType = getDefaultDtype()): Tensor => make(shape, dtype, () => rng.normal());
/** torch.randint(low, high, shape): integers in [low, high), int64. */
export function randint(low: number, high: number, shape: Shape, rng: Rng, dtype: TensorDType = 'int64'): Tensor {
  if (!(high > low)) throw new RangeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  return make(shape, dtype, () => rng.integer(low, high));
}
export const randLike = (x: Tensor, rng: Rng): Tensor => rand(x.shape, rng, x.dtype);
export const randnLike = (x: Tensor, rng: Rng): Tensor => randn(x.shape, rng, x.dtype);
