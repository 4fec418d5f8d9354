/** Reductions over axes (sum, mean, max/min and their indices, var, logsumexp) and the cumulative sum. */
import { FloatArray, like } from '../dtype';
import { broadcastIndex, formatShape, Shape, ShapeError, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { BackwardArgs, defineOp, OpTable } from './types';

export interface ReduceAttrs {
  /** Axes to reduce (already normalised, sorted); null means all. */
  sum: { axes: number[] | null; keepDims: boolean };
  mean: { axes: number[] | null; keepDims: boolean };
  max: { axes: number[] | null; keepDims: boolean };
  min: { axes: number[] | null; keepDims: boolean };
  /** one axis, or null for the index into the flattened tensor */
  argmax: { axes: number[] | null; keepDims: boolean };
  argmin: { axes: number[] | null; keepDims: boolean };
  /** sum of squared deviations / max(0, n − correction) */
  var: { axes: number[] | null; keepDims: boolean; correction: number };
  logsumexp: { axes: number[] | null; keepDims: boolean };
  cumsum: { axis: number };
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

/** Whether x[i] is one of the extremes `m` of its slice: equal to it, or NaN where the extreme is NaN. */
function isExtreme(v: number, m: number): boolean {
  return m !== m ? v !== v : v === m;
}

export const reduceOps: OpTable<ReduceAttrs> = {
  // d sum = dy broadcast back over the reduced axes
  sum: defineOp({
    saves: [],
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
    saves: [],
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
  max: extremeOp('max', (v, cur) => v > cur),
  // d min = dy to the minimum's position, ties and NaN as max
  min: extremeOp('min', (v, cur) => v < cur),
  // no derivative: the output is an index
  argmax: argOp('argmax', (v, cur) => v > cur),
  // no derivative: the output is an index
  argmin: argOp('argmin', (v, cur) => v < cur),

  // d var = 2(x − mean)/(n − correction)·dy broadcast back
  var: defineOp({
    saves: [0],
    forward: ([x], attrs) => {
      const p = plan(x, attrs);
      const mean = sumInto(x.data, p);
      for (let j = 0; j < mean.length; j++) mean[j] /= p.count;
      const d = x.data;
      const acc = new Float64Array(mean.length);
      for (let i = 0; i < d.length; i++) {
        const j = p.index ? p.index[i] : 0;
        const dev = d[i] - mean[j];
        acc[j] += dev * dev;
      }
      // fewer elements than the correction: PyTorch divides by max(0, n − correction), so 0/0 = NaN or x/0 = inf
      const divisor = Math.max(0, p.count - attrs.correction);
      const out = like(d, acc.length);
      for (let j = 0; j < acc.length; j++) out[j] = acc[j] / divisor;
      return { data: out, shape: p.shape, saved: { kept: p.kept, index: p.index, mean, divisor } };
    },
    backward: ({ gy, inputs: [x], saved: { kept, index, mean, divisor } }) => {
      const d = x.data;
      const g = like(gy, x.size);
      const one = sizeOf(kept) === 1;
      for (let i = 0; i < d.length; i++) {
        const j = one ? 0 : index![i];
        g[i] = ((2 * (d[i] - mean[j])) / divisor) * gy[j];
      }
      return [g];
    },
  }),

  // d logsumexp = eˣ⁻ʸ·dy broadcast back (softmax of the slice)
  logsumexp: defineOp({
    saves: [0, 'output'],
    forward: ([x], attrs) => {
      const p = plan(x, attrs);
      const d = x.data;
      const m = new Float64Array(sizeOf(p.shape)).fill(-Infinity);
      for (let i = 0; i < d.length; i++) {
        const j = p.index ? p.index[i] : 0;
        if (d[i] > m[j] || d[i] !== d[i]) m[j] = d[i];
      }
      // an infinite maximum shifts by 0 instead, so all −inf gives −inf and +inf gives +inf (PyTorch)
      for (let j = 0; j < m.length; j++) if (m[j] === Infinity || m[j] === -Infinity) m[j] = 0;
      const s = new Float64Array(m.length);
      for (let i = 0; i < d.length; i++) {
        const j = p.index ? p.index[i] : 0;
        s[j] += Math.exp(d[i] - m[j]);
      }
      const out = like(d, m.length);
      for (let j = 0; j < m.length; j++) out[j] = m[j] + Math.log(s[j]);
      return { data: out, shape: p.shape, saved: p.kept };
    },
    backward: ({ gy, inputs: [x], out, saved: kept }) => {
      const d = x.data;
      const y = out.data;
      const g = like(gy, x.size);
      const idx = sizeOf(kept) === 1 ? null : broadcastIndex(kept, x.shape);
      for (let i = 0; i < d.length; i++) {
        const j = idx ? idx[i] : 0;
        g[i] = gy[j] * Math.exp(d[i] - y[j]);
      }
      return [g];
    },
  }),

  // d cumsum = the reverse cumulative sum of dy along the axis
  cumsum: defineOp({
    saves: [],
    forward: ([x], { axis }) => {
      const [outer, n, inner] = around(x.shape, axis);
      const d = x.data;
      const out = like(d);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let acc = 0;
          for (let k = 0, at = o * n * inner + i; k < n; k++, at += inner) {
            acc += d[at];
            out[at] = acc;
          }
        }
      }
      return { data: out, shape: x.shape, saved: undefined };
    },
    backward: ({ gy, inputs: [x], attrs: { axis } }) => {
      const [outer, n, inner] = around(x.shape, axis);
      const g = like(gy);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let acc = 0;
          for (let k = n - 1, at = o * n * inner + (n - 1) * inner + i; k >= 0; k--, at -= inner) {
            acc += gy[at];
            g[at] = acc;
          }
        }
      }
      return [g];
    },
  }),
};

/** [outer, n, inner] around `axis`: element (o, k, i) sits at (o·n + k)·inner + i. */
export function around(shape: Shape, axis: number): [number, number, number] {
  if (!Number.isInteger(axis) || axis < 0 || axis >= Math.max(shape.length, 1)) {
    throw new ShapeError(`axis ${axis} is out of range for a tensor of rank ${shape.length}`);
  }
  if (shape.length === 0) return [1, 1, 1];
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/**
 * For each output element, the first index (row-major) of its extreme: the first NaN if any, else
 * the first value no other beats. Empty slices have none.
 */
function firstExtreme(x: Tensor, p: Plan, better: (v: number, cur: number) => boolean, op: string): { values: FloatArray; arg: Int32Array } {
  const m = sizeOf(p.shape);
  if (p.count === 0 && m > 0) {
    throw new ShapeError(`${op} over an axis of size 0 (tensor of shape ${formatShape(x.shape)}) has no identity`);
  }
  const d = x.data;
  const values = like(d, m);
  const arg = new Int32Array(m).fill(-1);
  const idx = p.index;
  for (let i = 0; i < d.length; i++) {
    const j = idx ? idx[i] : 0;
    const cur = values[j];
    if (arg[j] >= 0 && cur !== cur) continue;
    const v = d[i];
    if (arg[j] < 0 || better(v, cur) || v !== v) {
      values[j] = v;
      arg[j] = i;
    }
  }
  return { values, arg };
}

function extremeOp(op: 'max' | 'min', better: (v: number, cur: number) => boolean) {
  return defineOp({
    saves: (_needs: readonly boolean[], { axes }: ReduceArgs) => (axes !== null && axes.length === 1 ? [] : [0, 'output' as const]),
    // over one axis, the indices of the extremes (MaxBackward0's indices)
    savesBesides: () => true,
    forward: ([x]: readonly Tensor[], attrs: ReduceArgs) => {
      const p = plan(x, attrs);
      const { values, arg } = firstExtreme(x, p, better, op);
      const first = attrs.axes !== null && attrs.axes.length === 1;
      return { data: values, shape: p.shape, saved: { kept: p.kept, arg: first ? arg : null } };
    },
    backward: ({ gy, inputs: [x], out, saved }: BackwardArgs<ReduceArgs, { kept: number[]; arg: Int32Array | null }>) => {
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
        if (isExtreme(d[i], m[j])) ties[j]++;
      }
      for (let i = 0; i < d.length; i++) {
        const j = idx ? idx[i] : 0;
        if (isExtreme(d[i], m[j])) g[i] = gy[j] / ties[j];
      }
      return [g];
    },
  });
}

/** argmax/argmin over one axis (or the flattened tensor when axes is null): the index along it, int64. */
function argOp(op: string, better: (v: number, cur: number) => boolean) {
  return defineOp({
    saves: [],
    differentiable: false,
    outDtype: () => 'int64' as const,
    forward: ([x]: readonly Tensor[], attrs: ReduceArgs) => {
      if (attrs.axes !== null && attrs.axes.length !== 1) throw new ShapeError(`${op} reduces one axis or all of them`);
      const p = plan(x, attrs);
      const { arg } = firstExtreme(x, p, better, op);
      const out = new Float64Array(arg.length);
      if (attrs.axes === null) {
        out.set(arg);
      } else {
        // the flat index of the extreme, turned into its position along the axis
        const [, n, inner] = around(x.shape, attrs.axes[0]);
        for (let j = 0; j < arg.length; j++) out[j] = Math.floor(arg[j] / inner) % n;
      }
      return { data: out, shape: p.shape, saved: undefined };
    },
    backward: (): (FloatArray | null)[] => {
      throw new Error(`${op} has no derivative and is never on the tape`);
    },
  });
}
