/** Shape arithmetic shared by every op: sizes, strides and NumPy/PyTorch broadcasting. */
import { FloatArray, like } from './dtype';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function broadcastShape(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of `out` (row-major), the flat index of the element of `shape` it reads when
 * `shape` is broadcast to `out`. Broadcast dimensions get stride 0.
 */
export function broadcastIndex(shape: Shape, out: Shape): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  const rank = out.length;
  const src = stridesOf(shape);
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = rank - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : src[i];
  }
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      offset += strides[d];
      if (counter[d] < out[d]) break;
      offset -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return idx;
}

/** Sums a gradient of shape `from` down to the broadcast source shape `to` (the adjoint of broadcasting). */
export function sumToShape(g: FloatArray, from: Shape, to: Shape): FloatArray {
  if (sameShape(from, to)) return g;
  const out = like(g, sizeOf(to));
  const idx = broadcastIndex(to, from);
  for (let i = 0; i < g.length; i++) out[idx[i]] += g[i];
  return out;
}

/** Normalises a possibly negative axis, as PyTorch's `dim=-1`. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}
