/** Small tensor helpers for writing custom ops and parameters by hand. */
import { DType, like } from '../engine/dtype';
import { formatShape, sameShape, Shape, sizeOf } from '../engine/shape';
import { Tensor } from '../engine/tensor';
import { buildContext } from './registry';

/** f applied to every entry, in x's shape and element type. Not recorded on the tape: for custom ops' forward and backward. */
export function map(x: Tensor, f: (v: number, i: number) => number): Tensor {
  const out = like(x.data);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i], i);
  return new Tensor(out, [...x.shape]);
}

/** f applied entry by entry to two tensors of the same shape. Not recorded on the tape. */
export function zip(a: Tensor, b: Tensor, f: (u: number, v: number, i: number) => number): Tensor {
  if (!sameShape(a.shape, b.shape)) throw new RangeError(`zip needs tensors of one shape, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const out = like(a.data);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i], b.data[i], i);
  return new Tensor(out, [...a.shape]);
}

/** Normal(0, std²) entries from the run's seeded rng (torch.randn scaled). */
export function randn(shape: Shape, std = 1, dtype: DType = buildContext().dtype): Tensor {
  const { rng } = buildContext();
  const data = dtype === 'float64' ? new Float64Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
  return new Tensor(data, [...shape]);
}

/** Uniform entries in [low, high) from the run's seeded rng (torch.rand scaled). */
export function rand(shape: Shape, low = 0, high = 1, dtype: DType = buildContext().dtype): Tensor {
  const { rng } = buildContext();
  const data = dtype === 'float64' ? new Float64Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.between(low, high);
  return new Tensor(data, [...shape]);
}
