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

/**
 * A sliding window's output length, PyTorch's floor((size + 2·padding − dilation·(kernel − 1) − 1)/stride) + 1
 * (no ceil_mode): convolutions and pooling in the engine and the catalogue's shape check.
 */
export function windowOutputLength(size: number, kernel: number, stride: number, padding: number, dilation = 1, ceil = false): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  if (!ceil) return Math.floor(span / stride) + 1;
  // ceil_mode: a last, partial window, as long as it starts inside the input or its left padding (PyTorch's pooling_output_shape).
  const out = Math.floor((span + stride - 1) / stride) + 1;
  return (out - 1) * stride >= size + padding ? out - 1 : out;
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** A dim outside [-rank, rank - 1]: PyTorch raises IndexError for it, with this message. */
export class DimError extends ShapeError {
  override name = 'DimError';
  constructor(dim: number, rank: number) {
    const r = Math.max(rank, 1);
    super(`Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  }
}

export function broadcastShape(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      // PyTorch's words (torch 1.13's broadcast of two tensors).
      throw new ShapeError(`The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`);
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
  const rank = out.length;
  const src = stridesOf(shape);
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = rank - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : src[i];
  }
  return stridedPositions(0, strides, out);
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
  if (a < 0 || a >= rank) throw new DimError(axis, rank);
  return a;
}

/** For each element of a strided view (row-major over `shape`), its flat position: offset + Σ index_d·strides_d. */
export function stridedPositions(offset: number, strides: readonly number[], shape: Shape): Int32Array {
  const n = sizeOf(shape);
  const pos = new Int32Array(n);
  const rank = shape.length;
  if (n === 0) return pos;
  const counter = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < n; i++) {
    pos[i] = at;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      at += strides[d];
      if (counter[d] < shape[d]) break;
      at -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return pos;
}

/** Reads a strided view of `src` into `out` (row-major over `shape`). */
export function gatherStrided(src: FloatArray, offset: number, strides: readonly number[], shape: Shape, out: FloatArray): void {
  const pos = stridedPositions(offset, strides, shape);
  for (let i = 0; i < pos.length; i++) out[i] = src[pos[i]];
}

/** Whether a strided layout is the plain row-major one of its shape (size-1 axes may have any stride), as PyTorch's is_contiguous. */
export function isContiguousLayout(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * The strides a `view(newShape)` of a tensor with `shape`/`strides` would have, or null when the
 * elements cannot be addressed that way without a copy (PyTorch's computeStride: each run of old
 * axes that is merged or split must be contiguous within itself).
 */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  const n = sizeOf(shape);
  const out = new Array<number>(newShape.length).fill(0);
  // no elements, or a scalar viewed as [1, 1, …]: any strides address them; use the contiguous ones
  if (n === 0 || shape.length === 0) return stridesOf(newShape);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    // at the start of a chunk of old axes that are contiguous with each other, fill the new axes it splits into
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}
