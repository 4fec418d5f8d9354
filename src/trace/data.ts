/** The batch a trace trains on: synthetic from the spec's distributions, or a user's batch file. */
import { DType, Rng, Tensor } from '../engine';
import { alloc } from '../engine/dtype';
import type { DataSpec, Distribution } from '../model/graph';
import type { DataSummary } from './types';
import { formatShape, sizeOf } from '../engine/shape';
import { flatten, numberFromJson } from '../engine/state';
import { TraceError } from './errors';

export interface Batch {
  input: Tensor;
  target: Tensor;
}

/** A tensor as PyTorch's state_dict export and our batch files write it: row-major values and a shape. */
export interface TensorJson {
  shape: number[];
  data: number[];
}

/** The batch's input or target is malformed or does not fit the spec: blamed on where it came from. */
export class DataError extends TraceError {
  override name = 'DataError';
  constructor(message: string, which: 'input' | 'target', field?: 'shape' | 'data') {
    super(message, { kind: 'data', which, ...(field ? { field } : {}) });
  }
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

/** `{shape, data}` (data flat or nested row-major, non-finite values as "NaN", "Infinity", "-Infinity") → a tensor. */
export function tensorFromJson(json: unknown, what: string, dtype: DType, which: 'input' | 'target' = what.endsWith('target') ? 'target' : 'input'): Tensor {
  const t = json as Partial<TensorJson> | null;
  if (!t || typeof t !== 'object' || !Array.isArray(t.shape) || !Array.isArray(t.data)) {
    throw new DataError(`${what} must be an object {"shape": [...], "data": [...]}`, which);
  }
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 2 ** 31 - 1)) throw new DataError(`${what}.shape must be a list of non-negative integers`, which, 'shape');
  const flat = flatten(t.data as unknown[]);
  if (flat.length !== sizeOf(t.shape)) {
    throw new DataError(`${what} has ${flat.length} values but shape ${formatShape(t.shape)} needs ${sizeOf(t.shape)}`, which, 'data');
  }
  const data = alloc(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = numberFromJson(flat[i]);
    if (v === null) throw new DataError(`${what}.data[${i}] is not a number`, which, 'data');
    data[i] = v;
  }
  return new Tensor(data, t.shape);
}


export function tensorToJson(t: { shape: readonly number[]; data: ArrayLike<number> }): TensorJson {
  return { shape: [...t.shape], data: Array.from(t.data, (v) => jsonNumber(v) as number) };
}

/** A number for JSON: itself, or "NaN", "Infinity", "-Infinity" (see engine/state's numberFromJson). */
export function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Checks a supplied batch against the spec's per-sample shapes, so a wrong file fails with both shapes named. */
export function checkBatch(batch: Batch, input: DataSpec, target: DataSpec, what = { input: 'batch input', target: 'batch target' }): void {
  const check = (t: Tensor, spec: DataSpec, which: 'input' | 'target') => {
    const per = t.shape.slice(1);
    if (t.rank !== spec.shape.length + 1 || per.some((d, i) => d !== spec.shape[i])) {
      throw new DataError(`${what[which]} has shape ${formatShape(t.shape)}; the spec expects [batch, ${spec.shape.join(', ')}]`.replace(', ]', ']'), which, 'shape');
    }
    // The mean over no samples is NaN: a trace of it would measure nothing.
    if (t.shape[0] === 0) throw new DataError(`${what[which]} has 0 samples (shape ${formatShape(t.shape)}): a training step needs at least one`, which, 'shape');
  };
  check(batch.input, input, 'input');
  check(batch.target, target, 'target');
  if (batch.input.shape[0] !== batch.target.shape[0]) {
    throw new DataError(`${what.input} has ${batch.input.shape[0]} samples but ${what.target} has ${batch.target.shape[0]}`, 'target', 'shape');
  }
}

/** Min, max, spread and the shares outside the bounded activations' ranges of a batch tensor (finite values only). */
export function summarizeData(t: { data: ArrayLike<number> }): DataSummary {
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let integers = true;
  let belowZero = 0;
  let belowMinusOne = 0;
  let aboveOne = 0;
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSq += v * v;
    if (integers && !Number.isInteger(v)) integers = false;
    if (v < 0) belowZero++;
    if (v < -1) belowMinusOne++;
    if (v > 1) aboveOne++;
  }
  const mean = n ? sum / n : NaN;
  return {
    min: n ? min : NaN,
    max: n ? max : NaN,
    mean,
    std: n ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : NaN,
    integers: n > 0 && integers,
    belowZero: n ? belowZero / n : 0,
    belowMinusOne: n ? belowMinusOne / n : 0,
    aboveOne: n ? aboveOne / n : 0,
  };
}
