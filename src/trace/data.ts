/** The batch a trace trains on: synthetic from the spec's distributions, or a user's batch file. */
import { DType, Rng, Tensor } from '../engine';
import { alloc } from '../engine/dtype';
import type { DataSpec, Distribution } from '../model/graph';
import { formatShape, sizeOf } from '../engine/shape';

export interface Batch {
  input: Tensor;
  target: Tensor;
}

/** A tensor as PyTorch's state_dict export and our batch files write it: row-major values and a shape. */
export interface TensorJson {
  shape: number[];
  data: number[];
}

export class DataError extends Error {
  override name = 'DataError';
}

function sample(d: Distribution, rng: Rng): number {
  switch (d.kind) {
    case 'normal':
      return d.mean + d.std * rng.normal();
    case 'uniform':
      return rng.between(d.low, d.high);
    case 'integers':
      return rng.integer(d.low, d.high);
    case 'bernoulli':
      return rng.uniform() < d.p ? 1 : 0;
    case 'classes':
      return rng.integer(0, d.count);
  }
}

export function synthesize(spec: DataSpec, batchSize: number, dtype: DType, rng: Rng): Tensor {
  const shape = [batchSize, ...spec.shape];
  const data = alloc(dtype, sizeOf(shape));
  const d = spec.distribution ?? { kind: 'normal', mean: 0, std: 1 };
  for (let i = 0; i < data.length; i++) data[i] = sample(d, rng);
  return new Tensor(data, shape);
}

export function tensorFromJson(json: unknown, what: string, dtype: DType): Tensor {
  const t = json as Partial<TensorJson> | null;
  if (!t || typeof t !== 'object' || !Array.isArray(t.shape) || !Array.isArray(t.data)) {
    throw new DataError(`${what} must be an object {"shape": [...], "data": [...]}`);
  }
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new DataError(`${what}.shape must be a list of non-negative integers`);
  const flat = (t.data as unknown[]).flat(Infinity) as unknown[];
  if (flat.length !== sizeOf(t.shape)) {
    throw new DataError(`${what} has ${flat.length} values but shape ${formatShape(t.shape)} needs ${sizeOf(t.shape)}`);
  }
  const data = alloc(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v === 'number') data[i] = v;
    else if (v === 'nan' || v === 'NaN') data[i] = NaN;
    else if (v === 'inf' || v === 'Infinity') data[i] = Infinity;
    else if (v === '-inf' || v === '-Infinity') data[i] = -Infinity;
    else throw new DataError(`${what}.data[${i}] is not a number`);
  }
  return new Tensor(data, t.shape);
}

export function tensorToJson(t: { shape: readonly number[]; data: ArrayLike<number> }): TensorJson {
  return { shape: [...t.shape], data: Array.from(t.data, (v) => (Number.isFinite(v) ? v : (String(v) as unknown as number))) };
}

/** Checks a supplied batch against the spec's per-sample shapes, so a wrong file fails with both shapes named. */
export function checkBatch(batch: Batch, input: DataSpec, target: DataSpec): void {
  const check = (t: Tensor, spec: DataSpec, what: string) => {
    const per = t.shape.slice(1);
    if (t.rank !== spec.shape.length + 1 || per.some((d, i) => d !== spec.shape[i])) {
      throw new DataError(`${what} has shape ${formatShape(t.shape)}; the spec expects [batch, ${spec.shape.join(', ')}]`.replace(', ]', ']'));
    }
  };
  check(batch.input, input, 'batch input');
  check(batch.target, target, 'batch target');
  if (batch.input.shape[0] !== batch.target.shape[0]) {
    throw new DataError(`batch input has ${batch.input.shape[0]} samples but target has ${batch.target.shape[0]}`);
  }
}
