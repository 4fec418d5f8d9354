/**
 * Large float arrays handed back by their last user and handed out again. A fresh multi-megabyte
 * typed array is a calloc'd, GC-tracked backing store: here it costs ~10 ms of CPU for 2 MB (page
 * faults and the garbage collections V8's external-memory accounting triggers) against ~0.1 ms to
 * zero one already held, and a Transformer step allocates hundreds of them.
 *
 * Only the one place that knows an array's whole lifetime may give it back: the backward pass, for
 * the gradients it computed itself once the op that consumed them has run (see autograd.ts). It
 * asks the pool to record what is allocated during the walk (`track`), and gives back only arrays
 * from that record: never a tensor's values, a parameter's `.grad`, or anything a user's code saw.
 *
 * Arrays in the pool are memory the process holds, so they count against the tensor-memory cap
 * (context.ts adds `pooledBytes()`, and empties the pool before it would refuse an allocation).
 */
import type { FloatArray } from './dtype';
import { forgetLeft } from './kernels/chain';
import { unzeroedBuffer } from './kernels/host';

/** Arrays up to this many bytes are carved from shared blocks instead (dtype.ts): never pooled. */
export const POOLED_FROM_BYTES = 2048;
/**
 * At most this much idle in the pool: a long-lived process (the editor's worker) traces models of
 * every size, and arrays of a size no model asks for any more must not pile up.
 */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

const free32 = new Map<number, Float32Array[]>();
const free64 = new Map<number, Float64Array[]>();
let pooled = 0;
let tracked: Set<FloatArray> | null = null;
/**
 * Tests only: fill each given-back array with NaN and check on reuse that nobody wrote to it since,
 * so a premature give-back shows as NaN in whoever still reads the array, or as an error here.
 */
let poison = false;
/**
 * The bench's switch (`npm run bench -- pool`): off, nothing is given back and the backward keeps
 * no record, as before the pool, so both can be timed in one process.
 */
let pooling = true;
/** Bytes handed out since the process started: newly allocated, and reused from the pool. */
const handedOut = { fresh: 0, reused: 0 };

/** What the pool has handed out so far (the bench prints the share it reused). */
export function poolCounts(): { fresh: number; reused: number } {
  return { ...handedOut };
}

/** Whether the memory cap leaves room for `bytes` more idle in the pool (set by context.ts, which owns the cap). */
let room: (bytes: number) => boolean = () => true;

export function setPoolRoom(fits: (bytes: number) => boolean): void {
  room = fits;
}

/** Bench: turns pooling on or off (see `pooling`); returns the previous setting. */
export function setPooling(on: boolean): boolean {
  const prev = pooling;
  pooling = on;
  if (!on) emptyPool();
  return prev;
}

export function poolingOn(): boolean {
  return pooling;
}

/** Idle bytes in the pool. */
export function pooledBytes(): number {
  return pooled;
}

/** Lets go of every idle array (a lower memory cap, the end of a run). */
export function emptyPool(): void {
  free32.clear();
  free64.clear();
  // The slabs' uncarved room too: a long-lived process sees arrays of many sizes.
  slabs.clear();
  pooled = 0;
}

/** Tests: poison given-back arrays (see `poison`); returns the previous setting. */
export function setPoolChecks(on: boolean): boolean {
  const prev = poison;
  poison = on;
  return prev;
}

function reuse<A extends FloatArray>(list: A[] | undefined, zeroed: boolean): A | null {
  const a = list?.pop();
  if (!a) return null;
  pooled -= a.byteLength;
  if (poison) {
    for (let i = 0; i < a.length; i++) {
      if (a[i] === a[i]) throw new Error(`a pooled array of ${a.length} values was written after it was given back`);
    }
  }
  // alloc() promises zeros; allocUnzeroed's caller writes every element itself
  if (zeroed) a.fill(0);
  return a;
}

/**
 * A Float32Array of n values (n·4 > POOLED_FROM_BYTES), from the pool when it holds one: zeroed,
 * or with `zeroed` false as it was given back (for a caller that overwrites every element).
 */
export function takeFloat32(n: number, zeroed = true): Float32Array {
  return take(free32, n, Float32Array, zeroed);
}

export function takeFloat64(n: number, zeroed = true): Float64Array {
  return take(free64, n, Float64Array, zeroed);
}

function take<A extends FloatArray>(free: Map<number, A[]>, n: number, make: ArrayType<A>, zeroed: boolean): A {
  let a = reuse(free.get(n), zeroed);
  if (a) handedOut.reused += a.byteLength;
  else handedOut.fresh += (a = tracked === null ? fresh(n, make, zeroed) : whole(n, make, zeroed)).byteLength;
  tracked?.add(a);
  return a;
}

// Arrays nobody records (a user's model's forward, where any result may be kept) are never given
// back, so each is a fresh ArrayBuffer: a malloc'd, GC-tracked backing store that cost 2.7 µs for
// 8 KB here against 0.3 µs for a view onto a buffer already made, a sixth of W3's step (forty such
// results). Up to SLAB_MAX_BYTES they are carved SLAB_ARRAYS at a time from one buffer per size:
// a buffer lives while any of its arrays does, so a kept array holds at most SLAB_ARRAYS times its
// own bytes (dtype.ts's blocks for smaller arrays hold more). Carved bytes are never handed out
// twice (every array starts zeroed, and no two tensors share values), and giveBack refuses them:
// they do not own their buffer.
const SLAB_MAX_BYTES = 16384;
const SLAB_ARRAYS = 8;

interface Slab {
  buffer: ArrayBuffer;
  /** Arrays carved so far. */
  used: number;
}

/** The buffer being carved for each array length, per element size. */
const slabs = new Map<number, Slab>();

/** Float32Array or Float64Array. */
interface ArrayType<A extends FloatArray> {
  new (buffer: ArrayBuffer, at?: number, n?: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * A new array of n values in a buffer of its own. Unzeroed for a caller that writes every element:
 * calloc's zeroing is a serial pass over memory the copy out of the kernels writes again (W2's
 * first-layer weight gradient, 800 KB a step, on the path two threads cannot share).
 */
function whole<A extends FloatArray>(n: number, make: ArrayType<A>, zeroed: boolean): A {
  const bytes = n * make.BYTES_PER_ELEMENT;
  return new make(zeroed ? new ArrayBuffer(bytes) : unzeroedBuffer(bytes));
}

function fresh<A extends FloatArray>(n: number, make: ArrayType<A>, zeroed: boolean): A {
  const size = make.BYTES_PER_ELEMENT;
  const bytes = n * size;
  if (bytes > SLAB_MAX_BYTES) return whole(n, make, zeroed);
  const key = size === 4 ? n : -n;
  let slab = slabs.get(key);
  if (!slab || slab.used === SLAB_ARRAYS) slabs.set(key, (slab = { buffer: new ArrayBuffer(bytes * SLAB_ARRAYS), used: 0 }));
  const at = bytes * slab.used++;
  return new make(slab.buffer, at, n);
}

/**
 * Starts recording the arrays taken from here, for a caller that will give some back; returns the
 * record to pass to `stopTracking` (recordings nest: a user's custom backward may run a backward).
 */
export function startTracking(): { record: Set<FloatArray>; outer: Set<FloatArray> | null } {
  const outer = tracked;
  tracked = new Set();
  return { record: tracked, outer };
}

/**
 * Stops recording until `stopTracking` (given the answer) resumes it: for a caller whose arrays
 * are never given back (a replayed step's: engine/replay), so they are carved as an unrecorded
 * forward's are, not each a buffer of its own.
 */
export function pauseTracking(): { outer: Set<FloatArray> | null } {
  const outer = tracked;
  tracked = null;
  return { outer };
}

export function stopTracking(t: { outer: Set<FloatArray> | null }): void {
  tracked = t.outer;
}

/**
 * Closes every recording: after a run terminated from outside (a script's time limit), whose
 * `finally` never ran. A recording left open would keep every array taken afterwards in its set,
 * held for good, and none of them would be carved.
 */
export function closeRecordings(): void {
  tracked = null;
}

/**
 * Gives `a` back when it is in `record` (taken during that recording and not given back yet) and
 * owns its whole buffer; true when it did. The caller guarantees nothing reads `a` any more.
 */
export function giveBack(a: FloatArray, record: Set<FloatArray> | null): boolean {
  if (!record?.delete(a) || !pooling) return false;
  if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || !(a.buffer instanceof ArrayBuffer)) return false;
  if (pooled + a.byteLength > MAX_POOLED_BYTES || !room(a.byteLength)) return false;
  forgetLeft(a);
  if (poison) a.fill(NaN);
  pooled += a.byteLength;
  if (a instanceof Float32Array) push(free32, a);
  else push(free64, a);
  return true;
}

function push<A extends FloatArray>(free: Map<number, A[]>, a: A): void {
  const list = free.get(a.length);
  if (list) list.push(a);
  else free.set(a.length, [a]);
}
