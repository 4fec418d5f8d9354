/** Ops that move elements without arithmetic: reshape, transpose, concat, slice. */
import { copyOf, FloatArray, like } from '../dtype';
import { formatShape, Shape, ShapeError, sizeOf, stridesOf } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, OpTable } from './types';

export interface LayoutAttrs {
  reshape: { shape: number[] };
  /** A permutation of the axes (PyTorch's permute; transpose(d0, d1) is a swap). */
  transpose: { perm: number[] };
  concat: { axis: number };
  /** Per axis [start, end), step 1. */
  slice: { starts: number[]; ends: number[] };
}

/** Throws unless `perm` is a permutation of the axes of `shape`. */
function checkPermutation(shape: Shape, perm: readonly number[]): void {
  const rank = shape.length;
  const seen = new Set<number>();
  for (const a of perm) if (Number.isInteger(a) && a >= 0 && a < rank) seen.add(a);
  if (perm.length !== rank || seen.size !== rank) {
    throw new ShapeError(`[${perm.join(', ')}] is not a permutation of the axes of a tensor of shape ${formatShape(shape)}`);
  }
}

/**
 * Moves the elements of a tensor of `shape` (`from`, row-major) to their permuted places in `to`:
 * output axis d walks input axis perm[d]. With `back`, the inverse (the gradient's way). Walks the
 * output row by row, the last axis in a tight loop, without an index array per element.
 */
function permuteInto(from: FloatArray, shape: Shape, perm: readonly number[], to: FloatArray, back: boolean): void {
  const rank = shape.length;
  const n = sizeOf(shape);
  if (n === 0) return;
  if (rank === 0) {
    to[0] = from[0];
    return;
  }
  const inStrides = stridesOf(shape);
  const outShape = perm.map((a) => shape[a]);
  const strides = perm.map((a) => inStrides[a]);
  const len = outShape[rank - 1];
  const step = strides[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let j = 0; j < n; j += len) {
    if (back) for (let k = 0; k < len; k++) to[at + k * step] = from[j + k];
    else for (let k = 0; k < len; k++) to[j + k] = from[at + k * step];
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      at += strides[d];
      if (counter[d] < outShape[d]) break;
      at -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
}

/** Python's slice bounds for step 1: negative counts from the end, then clamp into [0, size]. */
function bound(v: number, size: number): number {
  const b = v < 0 ? v + size : v;
  return b < 0 ? 0 : b > size ? size : b;
}

interface Window {
  shape: number[];
  starts: number[];
}

function windowOf(x: Tensor, starts: readonly number[], ends: readonly number[]): Window {
  if (starts.length !== x.rank || ends.length !== x.rank) {
    throw new ShapeError(`slice of a tensor of shape ${formatShape(x.shape)} needs ${x.rank} starts and ends, got ${starts.length} and ${ends.length}`);
  }
  const s = x.shape.map((d, i) => bound(starts[i], d));
  const shape = x.shape.map((d, i) => Math.max(0, bound(ends[i], d) - s[i]));
  return { shape, starts: s };
}

/**
 * Visits the window row by row (a row = its last axis, contiguous in both tensors) and hands each
 * row's flat offsets in the window and in the full tensor to `copy`.
 */
function eachRow(full: Shape, w: Window, copy: (windowAt: number, fullAt: number, length: number) => void): void {
  const rank = full.length;
  if (rank === 0) {
    copy(0, 0, 1);
    return;
  }
  const n = sizeOf(w.shape);
  if (n === 0) return;
  const strides = stridesOf(full);
  const len = w.shape[rank - 1];
  let offset = 0;
  for (let d = 0; d < rank; d++) offset += w.starts[d] * strides[d];
  const counter = new Array<number>(rank - 1).fill(0);
  for (let at = 0; at < n; at += len) {
    copy(at, offset, len);
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      offset += strides[d];
      if (counter[d] < w.shape[d]) break;
      offset -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
}

/** Checks that every input agrees with the first except along `axis`; returns the result's shape. */
function concatShape(xs: readonly Tensor[], axis: number): number[] {
  if (xs.length === 0) throw new ShapeError('concat needs at least one tensor');
  const first = xs[0].shape;
  if (!Number.isInteger(axis) || axis < 0 || axis >= first.length) {
    throw new ShapeError(`axis ${axis} is out of range for a tensor of rank ${first.length}`);
  }
  const shape = [...first];
  for (let k = 1; k < xs.length; k++) {
    const s = xs[k].shape;
    if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
      throw new ShapeError(`cannot concat shapes ${formatShape(first)} and ${formatShape(s)} along axis ${axis}`);
    }
    shape[axis] += s[axis];
  }
  return shape;
}

/** Elements before `axis` (outer) and from `axis` on per unit of the axis (inner). */
function outerInner(shape: Shape, axis: number): [number, number] {
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis + 1))];
}

export const layoutOps: OpTable<LayoutAttrs> = {
  // d reshape = dy reshaped back (same elements, same order)
  reshape: defineOp({
    saves: [],
    forward: ([x], { shape }) => {
      if (sizeOf(shape) !== x.size) {
        throw new ShapeError(`cannot reshape a tensor of shape ${formatShape(x.shape)} to ${formatShape(shape)}`);
      }
      // a copy, not a view: the result must not change when an optimizer updates x in place (from
      // the buffer pool: a fresh slice of W5's flattened batch cost more than the copy)
      return { data: copyOf(x.data), shape: [...shape], saved: undefined };
    },
    backward: ({ gy }) => [gy],
  }),

  // d permute = dy permuted by the inverse permutation (scatter back along the same index)
  transpose: defineOp({
    saves: [],
    forward: ([x], { perm }) => {
      checkPermutation(x.shape, perm);
      const out = like(x.data);
      permuteInto(x.data, x.shape, perm, out, false);
      return { data: out, shape: perm.map((a) => x.shape[a]), saved: undefined };
    },
    backward: ({ gy, inputs: [x], attrs: { perm } }) => {
      const g = like(gy);
      permuteInto(gy, x.shape, perm, g, true);
      return [g];
    },
  }),

  // d concat = dy split back into the inputs' blocks along the axis
  concat: defineOp({
    saves: [],
    forward: (xs, { axis }) => {
      const shape = concatShape(xs, axis);
      const [outer, inner] = outerInner(shape, axis);
      const out = like(xs[0].data, sizeOf(shape));
      const row = shape[axis] * inner;
      let at = 0;
      for (const x of xs) {
        const block = x.shape[axis] * inner;
        for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * block, (o + 1) * block), o * row + at);
        at += block;
      }
      return { data: out, shape, saved: undefined };
    },
    backward: ({ gy, inputs, out, attrs: { axis }, needs }) => {
      const [outer, inner] = outerInner(out.shape, axis);
      const row = out.shape[axis] * inner;
      const grads: (FloatArray | null)[] = [];
      let at = 0;
      for (const [k, x] of inputs.entries()) {
        const block = x.shape[axis] * inner;
        if (needs[k]) {
          const g = like(gy, x.size);
          for (let o = 0; o < outer; o++) g.set(gy.subarray(o * row + at, o * row + at + block), o * block);
          grads.push(g);
        } else {
          grads.push(null);
        }
        at += block;
      }
      return grads;
    },
  }),

  // d slice = dy scattered into zeros at the window
  slice: defineOp({
    saves: [],
    forward: ([x], { starts, ends }) => {
      const w = windowOf(x, starts, ends);
      const d = x.data;
      const out = like(d, sizeOf(w.shape));
      eachRow(x.shape, w, (at, from, len) => out.set(d.subarray(from, from + len), at));
      return { data: out, shape: w.shape, saved: w };
    },
    backward: ({ gy, inputs: [x], saved }) => {
      const g = like(gy, x.size);
      eachRow(x.shape, saved, (at, to, len) => g.set(gy.subarray(at, at + len), to));
      return [g];
    },
  }),
};
