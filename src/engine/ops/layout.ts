/** Ops that move elements without arithmetic: reshape, transpose, concat, slice, pixel shuffle. */
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
  /** [*, C·r², H, W] -> [*, C, H·r, W·r] (torch.pixel_shuffle, r the upscale factor). */
  pixel_shuffle: { factor: number };
  /** [*, C, H·r, W·r] -> [*, C·r², H, W] (torch.pixel_unshuffle, r the downscale factor). */
  pixel_unshuffle: { factor: number };
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

/**
 * A pixel shuffle as one permutation: the input seen as six axes [batch, C, r, r, H, W] (unshuffle:
 * [batch, C, H, r, W, r]), every leading axis folded into batch. The checks and their wording are
 * PyTorch 1.13's (aten/src/ATen/native/PixelShuffle.cpp).
 */
interface Shuffle {
  /** The input's shape as six axes. */
  axes: number[];
  perm: number[];
  shape: number[];
}

export function pixelShuffleLayout(op: 'pixel_shuffle' | 'pixel_unshuffle', x: Shape, r: number): Shuffle {
  const factor = op === 'pixel_shuffle' ? 'upscale_factor' : 'downscale_factor';
  if (x.length < 3) throw new ShapeError(`${op} expects input to have at least 3 dimensions, but got input with ${x.length} dimension(s)`);
  if (!Number.isInteger(r) || r <= 0) throw new ShapeError(`${op} expects a positive ${factor}, but got ${r}`);
  const lead = x.slice(0, -3);
  const batch = sizeOf(lead);
  const [c, h, w] = x.slice(-3);
  if (op === 'pixel_shuffle') {
    if (c % (r * r) !== 0) {
      throw new ShapeError(`pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of ${factor}, but input.size(-3)=${c} is not divisible by ${r * r}`);
    }
    const oc = c / (r * r);
    return { axes: [batch, oc, r, r, h, w], perm: [0, 1, 4, 2, 5, 3], shape: [...lead, oc, h * r, w * r] };
  }
  if (h % r !== 0) throw new ShapeError(`pixel_unshuffle expects height to be divisible by ${factor}, but input.size(-2)=${h} is not divisible by ${r}`);
  if (w % r !== 0) throw new ShapeError(`pixel_unshuffle expects width to be divisible by ${factor}, but input.size(-1)=${w} is not divisible by ${r}`);
  return { axes: [batch, c, h / r, r, w / r, r], perm: [0, 1, 3, 5, 2, 4], shape: [...lead, c * r * r, h / r, w / r] };
}

/** Both shuffles: forward moves the elements by the permutation, backward moves dy back (the inverse shuffle). */
function pixelShuffleOp(op: 'pixel_shuffle' | 'pixel_unshuffle') {
  return defineOp({
    saves: [],
    forward: ([x], { factor }: { factor: number }) => {
      const s = pixelShuffleLayout(op, x.shape, factor);
      const out = like(x.data);
      permuteInto(x.data, s.axes, s.perm, out, false);
      return { data: out, shape: s.shape, saved: s };
    },
    backward: ({ gy, saved }) => {
      const g = like(gy);
      permuteInto(gy, saved.axes, saved.perm, g, true);
      return [g];
    },
  });
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

  // d pixel_shuffle = pixel_unshuffle(dy), and the other way round: the inverse permutation
  pixel_shuffle: pixelShuffleOp('pixel_shuffle'),
  pixel_unshuffle: pixelShuffleOp('pixel_unshuffle'),
};
