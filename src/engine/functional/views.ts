/**
 * Shapes, views and indexing with PyTorch's names and conventions (dim, negative indices, -1 in a
 * shape, Python slices). What PyTorch returns as a view (view, reshape when it can, transpose,
 * permute, unsqueeze, squeeze, expand, narrow, select, split, chunk, unbind, basic indexing) is a
 * view here too: its values are a copy, but it knows where they sit in its base, so an in-place
 * write through it reaches the base (`x[0][1] = 5`, `x.view(-1)[i] = v`), as in PyTorch.
 */
import { apply } from '../dispatch';
import { isContiguousLayout, formatShape, normAxis, Shape, ShapeError, sizeOf, stridedPositions, stridesOf, viewStrides, broadcastShape, broadcastIndex } from '../shape';
import { Tensor } from '../tensor';
import { promoteTypes } from '../dtype';
import { to, where } from './math';
import { full } from './creation';

// ── strided layouts ────────────────────────────────────────────────────────

/** A tensor's elements as offset + Σ index_d·strides_d into some contiguous array. */
export interface Strided {
  shape: number[];
  strides: number[];
  offset: number;
}

interface Layout extends Strided {
  base: Tensor;
  detached: boolean;
}

/** Where x's elements sit in the storage of the tensor that owns them (x itself unless x is a view). */
function layoutOf(x: Tensor): Layout {
  const v = x.view;
  if (v) return { base: v.base, shape: [...x.shape], strides: [...v.strides], offset: v.offset, detached: v.detached };
  return { base: x, shape: [...x.shape], strides: stridesOf(x.shape), offset: 0, detached: false };
}

/** x's own (contiguous) layout, the one the tape's ops index into. */
function localOf(x: Tensor): Strided {
  return { shape: [...x.shape], strides: stridesOf(x.shape), offset: 0 };
}

/** Marks `out` as a view of x's storage at `at`: it shares the version counter and writes through. */
function asView(out: Tensor, x: Tensor, at: Strided): Tensor {
  const l = layoutOf(x);
  out.counter = x.counter;
  out.view = { base: l.base, offset: at.offset, strides: at.strides, dataSeen: x.counter.value, nodeSeen: x.counter.value, detached: l.detached };
  return out;
}

/** A view of x given by a transformation of layouts, applied to x's own layout (for the tape) and its storage layout (for writes). */
function viewBy(x: Tensor, f: (s: Strided) => Strided): Tensor {
  const local = f(localOf(x));
  const out = apply('take', [x], { positions: stridedPositions(local.offset, local.strides, local.shape), shape: local.shape });
  return asView(out, x, f(layoutOf(x)));
}

/** A view whose values are x's in the same order (reshape, unsqueeze, squeeze): one copy, no index. */
function sameOrderView(x: Tensor, shape: number[], storageStrides: number[] | null): Tensor {
  const out = apply('reshape', [x], { shape });
  if (storageStrides === null) return out;
  return asView(out, x, { shape, strides: storageStrides, offset: layoutOf(x).offset });
}

// ── reshaping ──────────────────────────────────────────────────────────────

/** A shape with at most one -1 resolved against `size` elements. */
export function resolveShape(shape: readonly number[], size: number, from: Shape): number[] {
  const free = shape.indexOf(-1);
  if (free >= 0 && shape.indexOf(-1, free + 1) >= 0) throw new ShapeError('only one dimension can be inferred');
  for (const d of shape) if (!Number.isInteger(d) || d < -1) throw new ShapeError(`invalid shape dimension ${d}`);
  const known = shape.reduce((p, d, i) => (i === free ? p : p * d), 1);
  if (free >= 0 && known === 0) throw new ShapeError(`cannot reshape tensor of 0 elements into shape ${formatShape(shape)} because the unspecified dimension size -1 can be any value and is ambiguous`);
  const resolved = shape.map((d, i) => (i === free ? size / known : d));
  if (sizeOf(resolved) !== size || !resolved.every((d) => Number.isInteger(d))) {
    throw new ShapeError(`shape '${formatShape(shape)}' is invalid for input of size ${size} (a tensor of shape ${formatShape(from)})`);
  }
  return resolved;
}

/** x.view(shape): a view; refused when x's layout cannot be addressed with that shape (after a transpose, say), as PyTorch. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape(shape, x.size, x.shape);
  const l = layoutOf(x);
  const strides = viewStrides(x.shape, l.strides, resolved);
  if (strides === null) {
    throw new ShapeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  return sameOrderView(x, resolved, strides);
}

/** torch.reshape: a view when x's layout allows one, else a copy, as PyTorch. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape(shape, x.size, x.shape);
  return sameOrderView(x, resolved, viewStrides(x.shape, layoutOf(x).strides, resolved));
}

/** torch.flatten(x, start_dim, end_dim). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis(startDim, x.rank);
  const e = normAxis(endDim, x.rank);
  if (s > e) throw new ShapeError('flatten() has invalid args: start_dim cannot come after end_dim');
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** torch.unflatten(x, dim, sizes). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normAxis(dim, x.rank);
  const inner = resolveShape(sizes, x.shape[d], [x.shape[d]]);
  return view(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normAxis(dim, x.rank + 1);
  const shape = [...x.shape.slice(0, d), 1, ...x.shape.slice(d)];
  const l = layoutOf(x);
  const stride = d < x.rank ? l.strides[d] * x.shape[d] : 1;
  return sameOrderView(x, shape, [...l.strides.slice(0, d), stride, ...l.strides.slice(d)]);
}

/** Removes size-1 axes: all of them, or the given ones (a given axis of another size is kept, as PyTorch). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? null : new Set((typeof dim === 'number' ? [dim] : dim).map((d) => normAxis(d, Math.max(x.rank, 1))));
  const keep = x.shape.map((s, i) => !(s === 1 && (dims === null || dims.has(i))));
  const l = layoutOf(x);
  return sameOrderView(
    x,
    x.shape.filter((_, i) => keep[i]),
    l.strides.filter((_, i) => keep[i]),
  );
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank) throw new ShapeError(`permute: [${dims.join(', ')}] is not a permutation of the ${x.rank} axes of a tensor of shape ${formatShape(x.shape)}`);
  const perm = dims.map((a) => normAxis(a, x.rank));
  if (new Set(perm).size !== perm.length) throw new ShapeError(`permute: [${dims.join(', ')}] is not a permutation of the axes (repeated dim)`);
  const out = apply('transpose', [x], { perm });
  const l = layoutOf(x);
  return asView(out, x, { shape: perm.map((a) => x.shape[a]), strides: perm.map((a) => l.strides[a]), offset: l.offset });
}

/** Swaps two axes (PyTorch's transpose(dim0, dim1)). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.rank === 0) return permute(x, []);
  const perm = x.shape.map((_, i) => i);
  const a = normAxis(dim0, x.rank);
  const b = normAxis(dim1, x.rank);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}

/** x.t(): transpose of a tensor of rank ≤ 2. */
export function t(x: Tensor): Tensor {
  if (x.rank > 2) throw new ShapeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.rank}D`);
  return x.rank < 2 ? transpose(x, 0, 0) : transpose(x, 0, 1);
}

/** x.expand(*sizes): size-1 axes (and new leading ones) repeat without copying in PyTorch; -1 keeps a size. */
export function expand(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.rank) {
    throw new ShapeError(`expand: the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x.rank})`);
  }
  const lead = sizes.length - x.rank;
  const shape = sizes.map((s, i) => {
    const own = i < lead ? null : x.shape[i - lead];
    if (s === -1) {
      if (own === null) throw new ShapeError(`expand: -1 is not allowed in a leading, non-existing dimension ${i}`);
      return own;
    }
    if (own !== null && own !== 1 && own !== s) {
      throw new ShapeError(`The expanded size of the tensor (${s}) must match the existing size (${own}) at non-singleton dimension ${i}. Target sizes: ${formatShape(sizes)}. Tensor sizes: ${formatShape(x.shape)}`);
    }
    return s;
  });
  return viewBy(x, (st) => ({
    shape,
    strides: shape.map((s, i) => (i < lead || (x.shape[i - lead] === 1 && s !== 1) ? 0 : st.strides[i - lead])),
    offset: st.offset,
  }));
}

export const expandAs = (x: Tensor, other: Tensor): Tensor => expand(x, other.shape);

/** torch.broadcast_to. */
export const broadcastTo = expand;

/** Python's slice on one axis: start/stop clamped, negatives from the end, step > 0. */
export function sliceDim(x: Tensor, dim: number, start: number | null = null, stop: number | null = null, step = 1): Tensor {
  const d = normAxis(dim, x.rank);
  const [s, n] = sliceBounds(x.shape[d], start, stop, step);
  return viewBy(x, (st) => ({
    shape: st.shape.map((v, i) => (i === d ? n : v)),
    strides: st.strides.map((v, i) => (i === d ? v * step : v)),
    offset: st.offset + s * st.strides[d],
  }));
}

/** Per-axis [start, end) with step 1; axes not given are kept whole (the engine's form of x[a:b, c:d]). */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  let y = x;
  for (let d = 0; d < x.rank; d++) {
    const s = starts[d] ?? 0;
    const e = ends[d] ?? x.shape[d];
    if (s !== 0 || e < x.shape[d]) y = sliceDim(y, d, s, e);
  }
  return y === x ? viewBy(x, (st) => st) : y;
}

/** torch.narrow(x, dim, start, length). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normAxis(dim, x.rank);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) throw new RangeError(`start (${start}) + length (${length}) exceeds dimension size (${size}).`);
  return sliceDim(x, d, s, s + length);
}

/** x.select(dim, index): the axis is removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normAxis(dim, x.rank);
  const i = wrapIndex(index, x.shape[d], d);
  return viewBy(x, (st) => ({
    shape: st.shape.filter((_, k) => k !== d),
    strides: st.strides.filter((_, k) => k !== d),
    offset: st.offset + i * st.strides[d],
  }));
}

/** torch.split: pieces of `splitSize` along dim (the last may be shorter), or of the given sizes. */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const d = normAxis(dim, x.rank);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!(splitSize > 0) && !(splitSize === 0 && n === 0)) throw new RangeError(`split expects split_size be non-negative, but got split_size=${splitSize}`);
    sizes = [];
    for (let at = 0; at < n; at += splitSize) sizes.push(Math.min(splitSize, n - at));
    if (!sizes.length) sizes.push(0);
  } else {
    sizes = [...splitSize];
    if (sizes.reduce((a, b) => a + b, 0) !== n) throw new RangeError(`split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${formatShape(sizes)}`);
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, at, s));
    at += s;
  }
  return out;
}

/** torch.chunk: pieces of ceil(n / chunks), so possibly fewer than `chunks`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normAxis(dim, x.rank);
  const size = Math.ceil(x.shape[d] / chunks);
  return split(x, Math.max(size, x.shape[d] === 0 ? 0 : 1), d);
}

/** torch.unbind: every index along dim, the axis removed. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normAxis(dim, x.rank);
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/** x.contiguous(): x itself when its layout is plain row-major, else a copy (not a view), as PyTorch. */
export function contiguous(x: Tensor): Tensor {
  const l = layoutOf(x);
  return isContiguousLayout(x.shape, l.strides) ? x : clone(x);
}

/** x.clone(): a copy with its own storage; the gradient passes through. */
export function clone(x: Tensor): Tensor {
  return apply('reshape', [x], { shape: [...x.shape] });
}

/** x.detach(): the same storage and version counter, cut from the tape (writes through it bypass autograd, as PyTorch). */
export function detach(x: Tensor): Tensor {
  const out = apply('detach', [x], {} as Record<string, never>);
  out.counter = x.counter;
  if (x.view) out.view = { ...x.view, detached: true };
  return out;
}

// ── joining ────────────────────────────────────────────────────────────────

/** torch.cat: tensors of one rank along an axis; dtypes promote. */
export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  if (!xs.length) throw new ShapeError('torch.cat(): expected a non-empty list of Tensors');
  const dtype = xs.map((x) => x.dtype).reduce(promoteTypes);
  return apply('concat', xs.map((x) => to(x, dtype)), { axis: normAxis(dim, xs[0].rank) });
}
export const concat = cat;

/**
 * F.pad in 'constant' mode: `pads` holds (before, after) pairs from the last axis backwards, as
 * PyTorch takes them; negative amounts crop. Built from narrow and cat, so the gradient is theirs.
 */
export function constantPad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length % 2 !== 0) throw new ShapeError(`Padding length must be divisible by 2, got ${pads.length}`);
  if (pads.length / 2 > x.rank) throw new ShapeError(`Padding length too large: ${pads.length} for a ${x.rank}-D input`);
  let out = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const axis = x.rank - 1 - k;
    const [before, after] = [pads[2 * k], pads[2 * k + 1]];
    const size = out.shape[axis];
    if (size + Math.min(before, 0) + Math.min(after, 0) < 0) throw new ShapeError(`negative padding of ${before}, ${after} removes more than the ${size} entries of axis ${axis}`);
    if (before < 0 || after < 0) out = narrow(out, axis, Math.max(-before, 0), size + Math.min(before, 0) + Math.min(after, 0));
    const parts: Tensor[] = [];
    const block = (n: number) => full(out.shape.map((d, i) => (i === axis ? n : d)), value, out.dtype);
    if (before > 0) parts.push(block(before));
    parts.push(out);
    if (after > 0) parts.push(block(after));
    if (parts.length > 1) out = cat(parts, axis);
  }
  return out;
}

/** torch.stack: tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (!xs.length) throw new ShapeError('stack expects a non-empty TensorList');
  for (const x of xs) {
    if (x.rank !== xs[0].rank || x.shape.some((d, i) => d !== xs[0].shape[i])) {
      throw new ShapeError(`stack expects each tensor to be equal size, but got ${formatShape(xs[0].shape)} and ${formatShape(x.shape)}`);
    }
  }
  const d = normAxis(dim, xs[0].rank + 1);
  return cat(
    xs.map((x) => unsqueeze(x, d)),
    d,
  );
}

// ── copies by position ─────────────────────────────────────────────────────

function takeAt(x: Tensor, positions: Int32Array, shape: readonly number[], indexed = false): Tensor {
  return apply('take', [x], indexed ? { positions, shape, indexed } : { positions, shape });
}

/** torch.flip: reversed along the given axes (a copy, as PyTorch). */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  const ds = new Set(dims.map((d) => normAxis(d, x.rank)));
  const st = stridesOf(x.shape);
  let offset = 0;
  const strides = st.map((s, i) => {
    if (!ds.has(i)) return s;
    offset += (x.shape[i] - 1) * s;
    return -s;
  });
  return takeAt(x, stridedPositions(offset, strides, x.shape), x.shape);
}

/** torch.roll: elements shifted along axes, wrapping around; with no dims, over the flattened tensor. */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (dims === undefined) return view(roll(flatten(x), sh[0], 0), x.shape);
  const ds = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normAxis(d, x.rank));
  if (ds.length !== sh.length) throw new ShapeError(`shifts and dimensions must align. shifts: ${sh.length}, dims:${ds.length}`);
  const shift = new Array<number>(x.rank).fill(0);
  ds.forEach((d, k) => (shift[d] += sh[k]));
  const st = stridesOf(x.shape);
  const n = x.size;
  const pos = new Int32Array(n);
  const counter = new Array<number>(x.rank).fill(0);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let d = 0; d < x.rank; d++) {
      const size = x.shape[d];
      p += ((((counter[d] - shift[d]) % size) + size) % size) * st[d];
    }
    pos[i] = p;
    for (let d = x.rank - 1; d >= 0; d--) {
      if (++counter[d] < x.shape[d]) break;
      counter[d] = 0;
    }
  }
  return takeAt(x, pos, x.shape);
}

/** x.repeat(*sizes): tiled copies (new leading axes when more sizes than axes). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.rank) throw new ShapeError('Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor');
  const lead = sizes.length - x.rank;
  const src = [...new Array<number>(lead).fill(1), ...x.shape];
  const shape = src.map((s, i) => s * sizes[i]);
  const st = stridesOf(src);
  const pos = new Int32Array(sizeOf(shape));
  const counter = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < pos.length; i++) {
    let p = 0;
    for (let d = 0; d < shape.length; d++) p += (counter[d] % src[d]) * st[d];
    pos[i] = p;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++counter[d] < shape[d]) break;
      counter[d] = 0;
    }
  }
  return takeAt(x, pos, shape);
}

/** Lower (tril) or upper (triu) triangle of the last two axes, the rest zeroed. */
function triangle(x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.rank < 2) throw new ShapeError(`${lower ? 'tril' : 'triu'}: input tensor must have at least 2 dimensions`);
  const [r, c] = x.shape.slice(-2);
  const keep = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) keep[i * c + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  const mask = new Tensor(keep, [r, c], false, 'bool');
  return where(mask, x, 0);
}
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle(x, diagonal, true);
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle(x, diagonal, false);

/** An integer index tensor's values, each checked to be an integer. */
function indexValues(index: Tensor, what: string): Float64Array {
  if (index.dtype !== 'int64') throw new TypeError(`${what}: expected an int64 index tensor, got ${index.dtype}`);
  return Float64Array.from(index.data);
}

/** torch.gather(x, dim, index): out[i][j][k] = x[index[i][j][k]][j][k] for dim 0, and so on. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normAxis(dim, Math.max(x.rank, 1));
  if (index.rank !== x.rank) throw new ShapeError(`Index tensor must have the same number of dimensions as input tensor`);
  for (let k = 0; k < x.rank; k++) {
    if (k !== d && index.shape[k] > x.shape[k]) throw new ShapeError(`Size does not match at dimension ${k} expected index ${formatShape(index.shape)} to be smaller than self ${formatShape(x.shape)} apart from dimension ${d}`);
  }
  const values = indexValues(index, 'gather');
  const st = stridesOf(x.shape);
  const pos = new Int32Array(values.length);
  const counter = new Array<number>(index.rank).fill(0);
  for (let i = 0; i < values.length; i++) {
    let p = 0;
    for (let k = 0; k < index.rank; k++) p += (k === d ? wrapIndex(values[i], x.shape[d], d, false) : counter[k]) * st[k];
    pos[i] = p;
    for (let k = index.rank - 1; k >= 0; k--) {
      if (++counter[k] < index.shape[k]) break;
      counter[k] = 0;
    }
  }
  return takeAt(x, pos, index.shape, true);
}

/** torch.index_select(x, dim, index): whole slices along dim at the given indices. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  if (index.rank > 1) throw new ShapeError('index_select(): Index is supposed to be a vector');
  return getItem(x, [...new Array<IndexItem>(normAxis(dim, x.rank)).fill(ALL), index.rank === 0 ? view(index, [1]) : index]);
}

// ── Python indexing: x[…] ──────────────────────────────────────────────────

/** Python's slice start:stop:step (any part may be left out). */
export interface Slice {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/**
 * One item of x[…]: an integer, a slice, null (None: a new axis of size 1), '...' (Ellipsis), an
 * int64 tensor or a list of integers (advanced indexing, a copy), or a bool tensor (a mask).
 */
export type IndexItem = number | Slice | null | '...' | Tensor | readonly number[];

/** The whole axis, `:`. */
export const ALL: Slice = {};

function wrapIndex(i: number, size: number, dim: number, wrap = true): number {
  if (!Number.isInteger(i)) throw new TypeError(`index ${i} is not an integer`);
  const j = wrap && i < 0 ? i + size : i;
  if (j < 0 || j >= size) throw new RangeError(`index ${i} is out of bounds for dimension ${dim} with size ${size}`);
  return j;
}

/** start and length of a Python slice over an axis of `size`, as PyTorch clamps them. */
function sliceBounds(size: number, start: number | null | undefined, stop: number | null | undefined, step: number): [number, number] {
  if (!Number.isInteger(step) || step <= 0) throw new RangeError('step must be greater than zero');
  const clampTo = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = start === null || start === undefined ? 0 : clampTo(start);
  const e = stop === null || stop === undefined ? size : clampTo(stop);
  return [s, e > s ? Math.ceil((e - s) / step) : 0];
}

function isSlice(item: IndexItem): item is Slice {
  return item !== null && typeof item === 'object' && !(item instanceof Tensor) && !Array.isArray(item);
}

/** How many axes of x an item consumes. */
function axesUsed(item: IndexItem): number {
  if (item === null || item === '...') return 0;
  if (item instanceof Tensor && item.dtype === 'bool') return Math.max(item.rank, 0);
  return 1;
}

/** Where x[…] reads: its shape, the positions in x's own data, and (for basic indexing) the view's layout in storage. */
interface Indexed {
  shape: number[];
  positions: Int32Array;
  /** Set when the result is a view (no advanced index): its layout in x's local and storage terms. */
  view: { local: Strided; storage: Strided } | null;
}

/** The positions of a bool mask's true elements, as one integer index list per mask axis. */
function maskToIndices(mask: Tensor): Float64Array[] {
  const d = mask.data;
  const st = stridesOf(mask.shape);
  let count = 0;
  for (let i = 0; i < d.length; i++) if (d[i]) count++;
  const out = mask.shape.map(() => new Float64Array(count));
  for (let i = 0, c = 0; i < d.length; i++) {
    if (!d[i]) continue;
    for (let k = 0; k < mask.rank; k++) out[k][c] = Math.floor(i / st[k]) % mask.shape[k];
    c++;
  }
  return out;
}

/** Resolves x[items] as NumPy and PyTorch do (basic indexing first, then the advanced block). */
export function resolveIndex(x: Tensor, items: readonly IndexItem[]): Indexed {
  const ellipses = items.filter((it) => it === '...').length;
  if (ellipses > 1) throw new RangeError('an index can only have a single ellipsis (\'...\')');
  const used = items.reduce<number>((n, it) => n + axesUsed(it), 0);
  if (used > x.rank) throw new RangeError(`too many indices for tensor of dimension ${x.rank}`);
  const full: IndexItem[] = [];
  for (const it of items) {
    if (it === '...') for (let k = 0; k < x.rank - used; k++) full.push(ALL);
    else full.push(it);
  }
  if (!ellipses) for (let k = used; k < x.rank; k++) full.push(ALL);

  const localStrides = stridesOf(x.shape);
  const store = layoutOf(x);
  // result axes in order; an advanced index is a placeholder until the block's place is known
  type Axis = { size: number; local: number; storage: number } | { adv: number };
  const axes: Axis[] = [];
  const adv: { values: Float64Array; shape: number[]; local: number; storage: number; size: number; dim: number }[] = [];
  let localOffset = 0;
  let storageOffset = store.offset;
  let d = 0;
  for (const it of full) {
    if (it === null) {
      axes.push({ size: 1, local: 0, storage: 0 });
    } else if (typeof it === 'number') {
      const i = wrapIndex(it, x.shape[d], d);
      localOffset += i * localStrides[d];
      storageOffset += i * store.strides[d];
      d++;
    } else if (isSlice(it)) {
      const step = it.step ?? 1;
      const [s, n] = sliceBounds(x.shape[d], it.start, it.stop, step);
      localOffset += s * localStrides[d];
      storageOffset += s * store.strides[d];
      axes.push({ size: n, local: localStrides[d] * step, storage: store.strides[d] * step });
      d++;
    } else if (it instanceof Tensor && it.dtype === 'bool') {
      for (let k = 0; k < it.rank; k++) {
        if (it.shape[k] !== x.shape[d + k]) {
          throw new RangeError(`The shape of the mask ${formatShape(it.shape)} at index ${k} does not match the shape of the indexed tensor ${formatShape(x.shape)} at index ${d + k}`);
        }
      }
      const lists = maskToIndices(it);
      for (let k = 0; k < it.rank; k++) {
        axes.push({ adv: adv.length });
        adv.push({ values: lists[k], shape: [lists[k].length], local: localStrides[d], storage: store.strides[d], size: x.shape[d], dim: d });
        d++;
      }
      if (it.rank === 0) {
        // x[True] adds an axis of 1 (x[False] of 0)
        axes.push({ adv: adv.length });
        adv.push({ values: new Float64Array(it.data[0] ? 1 : 0), shape: [it.data[0] ? 1 : 0], local: 0, storage: 0, size: 1, dim: -1 });
      }
    } else {
      const values = it instanceof Tensor ? indexValues(it, 'index') : Float64Array.from(it as readonly number[]);
      const shape = it instanceof Tensor ? [...it.shape] : [values.length];
      axes.push({ adv: adv.length });
      adv.push({ values, shape, local: localStrides[d], storage: store.strides[d], size: x.shape[d], dim: d });
      d++;
    }
  }

  if (!adv.length) {
    const basic = axes as { size: number; local: number; storage: number }[];
    const shape = basic.map((a) => a.size);
    const local: Strided = { shape, strides: basic.map((a) => a.local), offset: localOffset };
    const storage: Strided = { shape, strides: basic.map((a) => a.storage), offset: storageOffset };
    return { shape, positions: stridedPositions(local.offset, local.strides, shape), view: { local, storage } };
  }

  // the advanced block: indices broadcast together; it stays in place when its axes are adjacent, else goes first
  let blockShape: number[] = [];
  for (const a of adv) blockShape = broadcastShape(blockShape, a.shape);
  const blockSize = sizeOf(blockShape);
  const blockOffsets = new Float64Array(blockSize);
  for (const a of adv) {
    const idx = broadcastIndex(a.shape, blockShape);
    for (let b = 0; b < blockSize; b++) blockOffsets[b] += wrapIndex(a.values[idx[b]], a.size, a.dim) * a.local;
  }
  const places = axes.map((a, i) => ('adv' in a ? i : -1)).filter((i) => i >= 0);
  const adjacent = places[places.length - 1] - places[0] === places.length - 1;
  const basic = axes.filter((a): a is { size: number; local: number; storage: number } => !('adv' in a));
  const before = adjacent ? axes.slice(0, places[0]).filter((a) => !('adv' in a)).length : 0;
  const shape = [...basic.slice(0, before).map((a) => a.size), ...blockShape, ...basic.slice(before).map((a) => a.size)];
  // positions: the basic axes' strides around the block, whose contribution is a lookup
  const parts: { size: number; offsets: ArrayLike<number> }[] = [];
  const stepOffsets = (a: { size: number; local: number }) => Array.from({ length: a.size }, (_, k) => k * a.local);
  for (const a of basic.slice(0, before)) parts.push({ size: a.size, offsets: stepOffsets(a) });
  parts.push({ size: blockSize, offsets: blockOffsets });
  for (const a of basic.slice(before)) parts.push({ size: a.size, offsets: stepOffsets(a) });
  let positions = new Float64Array([localOffset]);
  for (const p of parts) {
    const next = new Float64Array(positions.length * p.size);
    for (let i = 0, o = 0; i < positions.length; i++) for (let k = 0; k < p.size; k++, o++) next[o] = positions[i] + p.offsets[k];
    positions = next;
  }
  return { shape, positions: Int32Array.from(positions), view: null };
}

/**
 * x[items] (Python's __getitem__, the tuple's items in order): a view for basic indexing, a copy with
 * any advanced index. x[0, 2] is getItem(x, [0, 2]); x[[0, 2]] is getItem(x, [[0, 2]]).
 */
export function getItem(x: Tensor, items: readonly IndexItem[]): Tensor {
  const r = resolveIndex(x, items);
  const out = takeAt(x, r.positions, r.shape, r.view === null);
  return r.view ? asView(out, x, r.view.storage) : out;
}
