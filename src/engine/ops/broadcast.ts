/** Helpers shared by the op families that broadcast operands or map values elementwise. */
import { FloatArray, like } from '../dtype';
import { broadcastIndex, broadcastShape, sameShape, Shape, sizeOf } from '../shape';
import type { Tensor } from '../tensor';

/** Where each output element reads its operands: null means "same index" (no broadcast). */
export interface Broadcast {
  shape: Shape;
  /** One per operand. */
  index: (Int32Array | null)[];
}

export function plan(...xs: readonly Tensor[]): Broadcast {
  let shape: Shape = xs[0].shape;
  for (let k = 1; k < xs.length; k++) if (!sameShape(shape, xs[k].shape)) shape = broadcastShape(shape, xs[k].shape);
  return { shape, index: xs.map((x) => (sameShape(x.shape, shape) ? null : broadcastIndex(x.shape, shape))) };
}

/** Reads operand values at broadcast positions into a dense array of the output's size. */
export function expand(x: FloatArray, idx: Int32Array | null): FloatArray {
  if (!idx) return x;
  if (x.length === 1) return like(x, idx.length).fill(x[0]);
  const out = like(x, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = x[idx[i]];
  return out;
}

/** f over the broadcast operands into a fresh array of `proto`'s type (the first operand's when absent). */
export function broadcastForward(
  inputs: readonly Tensor[],
  f: (a: FloatArray, b: FloatArray, out: FloatArray) => void,
  proto: FloatArray = inputs[0].data,
): { data: FloatArray; shape: Shape; saved: Broadcast } {
  const [a, b] = inputs;
  const p = plan(a, b);
  const out = like(proto, sizeOf(p.shape));
  f(expand(a.data, p.index[0]), expand(b.data, p.index[1]), out);
  return { data: out, shape: p.shape, saved: p };
}

export function unary(x: Tensor, f: (v: number) => number): FloatArray {
  const d = x.data;
  const out = like(d);
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return out;
}

/** gy · local, elementwise. */
export function chain(gy: FloatArray, local: (i: number) => number): FloatArray {
  const g = like(gy);
  for (let i = 0; i < gy.length; i++) g[i] = gy[i] * local(i);
  return g;
}
