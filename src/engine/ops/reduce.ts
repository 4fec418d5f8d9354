/** Reductions over axes: sum, mean, max. */
import { FloatArray, like } from '../dtype';
import { broadcastIndex, formatShape, Shape, ShapeError, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, OpTable } from './types';

export interface ReduceAttrs {
  /** Axes to reduce (already normalised, sorted); null means all. */
  sum: { axes: number[] | null; keepDims: boolean };
  mean: { axes: number[] | null; keepDims: boolean };
  max: { axes: number[] | null; keepDims: boolean };
}

type ReduceArgs = ReduceAttrs['sum'];

interface Plan {
  /** The result's shape (reduced axes dropped, or kept as 1 with keepDims). */
  shape: number[];
  /** The input's shape with every reduced axis set to 1. */
  kept: number[];
  /** How many input elements fold into each output element. */
  count: number;
  /** For each input element, the output element it folds into; null when everything folds into one. */
  index: Int32Array | null;
}

function plan(x: Tensor, { axes, keepDims }: ReduceArgs): Plan {
  const rank = x.rank;
  const reduced = new Array<boolean>(rank).fill(axes === null);
  if (axes) {
    for (const a of axes) {
      if (!Number.isInteger(a) || a < 0 || a >= rank) {
        throw new ShapeError(`axis ${a} is out of range for a tensor of shape ${formatShape(x.shape)}`);
      }
      reduced[a] = true;
    }
  }
  const shape: number[] = [];
  const kept: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    if (reduced[d]) {
      count *= x.shape[d];
      kept.push(1);
      if (keepDims) shape.push(1);
    } else {
      kept.push(x.shape[d]);
      shape.push(x.shape[d]);
    }
  }
  const all = sizeOf(kept) === 1;
  return { shape, kept, count, index: all ? null : broadcastIndex(kept, x.shape) };
}

/** Sums into float64 accumulators whatever the dtype, so long float32 reductions do not drift. */
function sumInto(x: FloatArray, p: Plan): Float64Array {
  const acc = new Float64Array(sizeOf(p.shape));
  const idx = p.index;
  if (!idx) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    if (acc.length) acc[0] = s;
  } else {
    for (let i = 0; i < x.length; i++) acc[idx[i]] += x[i];
  }
  return acc;
}

/** Spreads each output gradient over the input elements it came from, times `factor`. */
function spread(gy: FloatArray, x: Tensor, kept: Shape, factor: number): FloatArray {
  const g = like(gy, x.size);
  if (sizeOf(kept) === 1) {
    g.fill(gy[0] * factor);
    return g;
  }
  const idx = broadcastIndex(kept, x.shape);
  for (let i = 0; i < g.length; i++) g[i] = gy[idx[i]] * factor;
  return g;
}

/** Whether x[i] is one of the maxima `m` of its slice: equal to it, or NaN where the maximum is NaN. */
function isMax(v: number, m: number): boolean {
  return m !== m ? v !== v : v === m;
}

export const reduceOps: OpTable<ReduceAttrs> = {
  // d sum = dy broadcast back over the reduced axes
  sum: defineOp({
    forward: ([x], attrs) => {
      const p = plan(x, attrs);
      const out = like(x.data, sizeOf(p.shape));
      out.set(sumInto(x.data, p));
      return { data: out, shape: p.shape, saved: p.kept };
    },
    backward: ({ gy, inputs: [x], saved }) => [spread(gy, x, saved, 1)],
  }),

  // d mean = dy/n broadcast back over the reduced axes (n = number of elements averaged)
  mean: defineOp({
    forward: ([x], attrs) => {
      const p = plan(x, attrs);
      const acc = sumInto(x.data, p);
      // an empty slice averages to 0/0 = NaN, as torch.mean of an empty tensor
      for (let j = 0; j < acc.length; j++) acc[j] /= p.count;
      const out = like(x.data, acc.length);
      out.set(acc);
      return { data: out, shape: p.shape, saved: { kept: p.kept, count: p.count } };
    },
    backward: ({ gy, inputs: [x], saved }) => [spread(gy, x, saved.kept, 1 / saved.count)],
  }),

  /*
   * d max = dy to the maximum's position. Which position, with ties, follows PyTorch:
   * - one axis: the first maximal element in row-major order, as torch.max(x, dim) returns that
   *   index and its backward scatters into it;
   * - all axes (axes null) or several axes: dy shared evenly by every tied maximum, as x.max()
   *   (evenly_distribute_backward) and torch.amax(x, dims) do.
   * A slice containing NaN has maximum NaN (PyTorch propagates it); the gradient then goes to its
   * first NaN, or is shared by all its NaNs in the even case.
   */
  max: defineOp({
    forward: ([x], attrs) => {
      const p = plan(x, attrs);
      const m = sizeOf(p.shape);
      if (p.count === 0 && m > 0) {
        throw new ShapeError(`max over an axis of size 0 (tensor of shape ${formatShape(x.shape)}) has no identity`);
      }
      const d = x.data;
      const out = like(d, m).fill(-Infinity);
      // first index of the maximum of each output element, -1 until one is seen
      const arg = new Int32Array(m).fill(-1);
      const idx = p.index;
      for (let i = 0; i < d.length; i++) {
        const j = idx ? idx[i] : 0;
        const cur = out[j];
        if (cur !== cur) continue;
        const v = d[i];
        if (v > cur || v !== v || arg[j] < 0) {
          out[j] = v;
          arg[j] = i;
        }
      }
      const first = attrs.axes !== null && attrs.axes.length === 1;
      return { data: out, shape: p.shape, saved: { kept: p.kept, arg: first ? arg : null } };
    },
    backward: ({ gy, inputs: [x], out, saved }) => {
      const g = like(gy, x.size);
      if (saved.arg) {
        const arg = saved.arg;
        for (let j = 0; j < arg.length; j++) g[arg[j]] += gy[j];
        return [g];
      }
      const d = x.data;
      const m = out.data;
      const idx = sizeOf(saved.kept) === 1 ? null : broadcastIndex(saved.kept, x.shape);
      const ties = new Float64Array(m.length);
      for (let i = 0; i < d.length; i++) {
        const j = idx ? idx[i] : 0;
        if (isMax(d[i], m[j])) ties[j]++;
      }
      for (let i = 0; i < d.length; i++) {
        const j = idx ? idx[i] : 0;
        if (isMax(d[i], m[j])) g[i] = gy[j] / ties[j];
      }
      return [g];
    },
  }),
};
