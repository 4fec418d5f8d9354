/**
 * Element types, as PyTorch's dtypes: float32 for tracing, float64 for gradient checks and parity,
 * int64 for indices, class targets and counts, bool for masks.
 *
 * int64 and bool tensors are stored in a Float64Array: every integer up to 2^53 is exact there, far
 * beyond any index or count a model uses, and every kernel that reads numbers works on them
 * unchanged. What makes them integers is the tensor's `dtype`, which the ops keep and promote as
 * PyTorch does (int + int = int, int / int = float, int + float = float).
 */
import { POOLED_FROM_BYTES, takeFloat32, takeFloat64 } from './buffer-pool';

/** A float dtype: the precision a model runs in. */
export type DType = 'float32' | 'float64';
/** Any tensor's dtype. */
export type TensorDType = DType | 'int64' | 'bool';
export type FloatArray = Float32Array | Float64Array;

let defaultFloat: DType = 'float32';

/** PyTorch's default float dtype (torch.get_default_dtype()): what factories and int → float promotion give. */
export function getDefaultDtype(): DType {
  return defaultFloat;
}

/** torch.set_default_dtype; returns the previous one so a caller can restore it. */
export function setDefaultDtype(dtype: DType): DType {
  const prev = defaultFloat;
  defaultFloat = dtype;
  return prev;
}

// Small arrays are carved from shared blocks. Every new ArrayBuffer past V8's on-heap size (64
// bytes) is a malloc'd, GC-tracked backing store, which costs several times a view onto a block: a
// tiny model (W1 of npm run bench) allocates a dozen such arrays a step, and its step is about a
// fifth faster this way. A block lives while any array carved from it does, so only arrays up to
// SMALL_BYTES are carved; carved bytes are never handed out twice, so every array starts zeroed.
const ON_HEAP_BYTES = 64;
// Larger arrays come from the buffer pool (buffer-pool.ts).
const SMALL_BYTES = POOLED_FROM_BYTES;
const BLOCK_BYTES = 65536;
let block = new ArrayBuffer(BLOCK_BYTES);
let blockAt = 0;

/** Byte offset in `block` of `bytes` unused bytes (8-aligned for float64), in a new block when this one is full. */
function carve(bytes: number): number {
  if (blockAt + bytes > BLOCK_BYTES) {
    block = new ArrayBuffer(BLOCK_BYTES);
    blockAt = 0;
  }
  const at = blockAt;
  blockAt += (bytes + 7) & ~7;
  return at;
}

function float32(n: number, zeroed = true): Float32Array {
  const bytes = n * 4;
  if (bytes > SMALL_BYTES) return takeFloat32(n, zeroed);
  if (bytes <= ON_HEAP_BYTES) return new Float32Array(n);
  const at = carve(bytes);
  return new Float32Array(block, at, n);
}

function float64(n: number, zeroed = true): Float64Array {
  const bytes = n * 8;
  if (bytes > SMALL_BYTES) return takeFloat64(n, zeroed);
  if (bytes <= ON_HEAP_BYTES) return new Float64Array(n);
  const at = carve(bytes);
  return new Float64Array(block, at, n);
}

export function alloc(dtype: TensorDType, n: number): FloatArray {
  return dtype === 'float32' ? float32(n) : float64(n);
}

/** The float dtype an array of this type holds (int64 and bool are told apart by the tensor, not the array). */
export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** Bytes of an array's values (a typed array's byteLength getter costs more on every op's path). */
export function bytesOf(a: FloatArray): number {
  return a.length * (a instanceof Float64Array ? 8 : 4);
}

/** A zero-filled array of the same type and length as `a`. */
export function like(a: FloatArray, n: number = a.length): FloatArray {
  return a instanceof Float64Array ? float64(n) : float32(n);
}

/**
 * As `alloc`, for a caller that writes every element before anything reads one (a kernel's
 * output): an array reused from the buffer pool keeps its old values instead of being zeroed
 * first. Under the pool's checking mode those are NaN, so an element left unwritten shows.
 */
export function allocUnzeroed(dtype: TensorDType, n: number): FloatArray {
  return dtype === 'float32' ? float32(n, false) : float64(n, false);
}

/** As `like`, with `allocUnzeroed`'s promise. */
export function likeUnzeroed(a: FloatArray, n: number = a.length): FloatArray {
  return a instanceof Float64Array ? float64(n, false) : float32(n, false);
}

/** A copy of `a` allocated as `like` does (from the buffer pool when large), unlike `slice`. */
export function copyOf(a: FloatArray): FloatArray {
  const c = likeUnzeroed(a);
  c.set(a);
  return c;
}

export function fromValues(dtype: TensorDType, values: ArrayLike<number>): FloatArray {
  const out = alloc(dtype, values.length);
  if (dtype === 'float32' || dtype === 'float64') {
    out.set(values);
    return out;
  }
  for (let i = 0; i < values.length; i++) out[i] = castValue(values[i], dtype);
  return out;
}

export function isFloating(dtype: TensorDType): dtype is DType {
  return dtype === 'float32' || dtype === 'float64';
}

/** PyTorch's name for messages: torch.float32, torch.int64, … */
export function torchName(dtype: TensorDType): string {
  return `torch.${dtype}`;
}

/** PyTorch's legacy tensor type names, as its in-place error messages print them ([torch.FloatTensor [3, 4]]). */
export function legacyTypeName(dtype: TensorDType): string {
  return { float32: 'torch.FloatTensor', float64: 'torch.DoubleTensor', int64: 'torch.LongTensor', bool: 'torch.BoolTensor' }[dtype];
}

/** One value converted as PyTorch's `.to(dtype)`: floats truncate toward zero into int64, anything non-zero is true. */
export function castValue(v: number, dtype: TensorDType): number {
  switch (dtype) {
    case 'bool':
      // NaN is non-zero, so true, as PyTorch
      return v !== 0 ? 1 : 0;
    case 'int64':
      // PyTorch leaves NaN and ±inf → int64 undefined (it gives INT64_MIN on x86); 0 is as good and keeps the array finite
      return Number.isFinite(v) ? Math.trunc(v) || 0 : 0;
    case 'float32':
      return Math.fround(v);
    default:
      return v;
  }
}

// ── type promotion (torch.result_type) ──────────────────────────────────────

const CATEGORY: Record<TensorDType, number> = { bool: 0, int64: 1, float32: 2, float64: 2 };
const WIDTH: Record<TensorDType, number> = { bool: 0, int64: 1, float32: 2, float64: 3 };

/** The wider of two dtypes (torch.promote_types). */
export function promoteTypes(a: TensorDType, b: TensorDType): TensorDType {
  return WIDTH[a] >= WIDTH[b] ? a : b;
}

/** An operand as torch.result_type sees it: a tensor with dimensions, a 0-dim tensor, or a Python number. */
export interface Operand {
  dtype: TensorDType;
  /** 0 for a dimensioned tensor, 1 for a 0-dim tensor, 2 for a plain number (PyTorch's "wrapped number"). */
  priority: 0 | 1 | 2;
}

/**
 * torch.result_type: the highest category (bool < integer < float) wins; within the winning
 * category, dimensioned tensors decide before 0-dim tensors, and those before plain numbers. So
 * float32 tensor + float64 scalar stays float32, int64 tensor + 2.5 becomes the default float.
 */
export function resultType(operands: readonly Operand[]): TensorDType {
  let category = 0;
  for (const o of operands) category = Math.max(category, CATEGORY[o.dtype]);
  for (const priority of [0, 1, 2] as const) {
    let best: TensorDType | null = null;
    for (const o of operands) {
      if (o.priority !== priority || CATEGORY[o.dtype] !== category) continue;
      best = best === null ? o.dtype : promoteTypes(best, o.dtype);
    }
    if (best !== null) {
      // A plain float number promotes integers to the default float dtype, not to float64.
      return priority === 2 && category === 2 ? defaultFloat : best;
    }
  }
  return defaultFloat;
}

/** torch.can_cast: whether an in-place op may write a `from` result into a `to` tensor. */
export function canCast(from: TensorDType, to: TensorDType): boolean {
  return CATEGORY[from] <= CATEGORY[to];
}
