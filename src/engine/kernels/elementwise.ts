/**
 * Elementwise float32 kernels on the WebAssembly core (assembly/elementwise.ts): ReLU and its
 * gradient, sigmoid, tanh (also on column ranges of rows: a recurrent step's gates) and softmax
 * over rows, four lanes at a time. Each call copies its operands in and the result out (memcpy
 * speed, a small part of the work it replaces). Every function returns null or false when the
 * kernels cannot run it (float64, no core, the memory cap, too few elements to pay for the call):
 * the op then runs its JavaScript loop.
 */
import { allocUnzeroed, type FloatArray } from '../dtype';
import type { Tensor } from '../tensor';
import { leave, takeLeft } from './chain';
import { kernelCore, trimCore, WasmCore } from './core';

/** Below this many elements the JavaScript loop is as fast as a call into the core. */
export const ELEMENTWISE_MIN = 64;

// Operations of assembly/elementwise.ts `unary`.
const UNARY = { relu: 0, sigmoid: 1, tanh: 2, exp: 3 } as const;
export type UnaryKernel = keyof typeof UNARY;

/** Runs `body` as one call on the core (its scratch free again after); null when there is no core. */
function withCore<T>(body: (core: WasmCore) => T | null): T | null {
  const core = kernelCore();
  if (!core) return null;
  try {
    return body(core);
  } finally {
    core.release();
    trimCore();
  }
}

/** Runs `body` with the core and scratch for `floats` floats; null when the core is missing or the cap leaves no room. */
function onCore<T>(floats: number, body: (core: WasmCore, at: number) => T): T | null {
  return withCore((core) => {
    const at = core.alloc(floats * 4);
    return at < 0 ? null : body(core, at);
  });
}

/**
 * The result at `at` in `into` (a replayed step's own array, engine/replay), else in an array of
 * the engine's own: from the buffer pool when large, so the step scope and the backward can give
 * it back and the next step reuses it (a fresh multi-megabyte array costs far more than the copy).
 */
function copyOut(core: WasmCore, at: number, n: number, into?: Float32Array): Float32Array {
  // unzeroed: the copy writes every element
  const out = into ?? (allocUnzeroed('float32', n) as Float32Array);
  out.set(core.f32.subarray(at >> 2, (at >> 2) + n));
  return out;
}

/** y = f(x) elementwise, in a new array. */
export function unaryKernel(op: UnaryKernel, x: FloatArray): Float32Array | null {
  if (!(x instanceof Float32Array) || x.length < ELEMENTWISE_MIN) return null;
  // From the buffer pool, as the core's other results: the step scope gives it back. Unzeroed:
  // the kernel writes every element, and y is dropped when it cannot run.
  const y = allocUnzeroed('float32', x.length) as Float32Array;
  return unaryInto(op, x, 0, y, 0, x.length) ? y : null;
}

/**
 * An activation's output f(x), in a new array (or in `into`, x's length): an op's result as it
 * is, so it is left in the core for the next call, and x is read where the call before left it
 * (chain.ts).
 */
export function activationKernel(op: UnaryKernel, t: Tensor, into?: Float32Array): Float32Array | null {
  const x = t.data;
  if (!(x instanceof Float32Array) || x.length < ELEMENTWISE_MIN) return null;
  const n = x.length;
  return withCore((core) => {
    let at = takeLeft(core, x, t.version);
    if (at < 0) {
      at = core.alloc(n * 4);
      if (at < 0) return null;
      core.f32.set(x, at >> 2);
    }
    core.exports.unary(UNARY[op], at, at, n);
    const y = copyOut(core, at, n, into);
    leave(core, y, at);
    return y;
  });
}

/** y[yAt + i] = f(x[xAt + i]) for i < n (y may be x); false, with y untouched, when the kernels cannot run it. */
export function unaryInto(op: UnaryKernel, x: FloatArray, xAt: number, y: FloatArray, yAt: number, n: number): boolean {
  if (!(x instanceof Float32Array) || !(y instanceof Float32Array) || n < ELEMENTWISE_MIN) return false;
  const ran = onCore(n, (core, at) => {
    core.f32.set(x.subarray(xAt, xAt + n), at >> 2);
    core.exports.unary(UNARY[op], at, at, n);
    y.set(core.f32.subarray(at >> 2, (at >> 2) + n), yAt);
    return true;
  });
  return ran === true;
}

/** One activation over `count` columns from `start` of every row: one gate of a recurrent step. */
export interface RowSegment {
  op: UnaryKernel;
  start: number;
  count: number;
}

/**
 * Each segment's activation applied in place to its columns of the `rows` rows of `width` floats
 * at `at` in x (an LSTM step's B rows of i, f, g, o gates): the block is copied in and out once
 * for all segments. False, with x untouched, when the kernels cannot run it.
 */
export function unaryRowsInPlace(x: FloatArray, at: number, rows: number, width: number, segments: readonly RowSegment[]): boolean {
  if (!(x instanceof Float32Array)) return false;
  if (rows * segments.reduce((sum, s) => sum + s.count, 0) < ELEMENTWISE_MIN) return false;
  const n = rows * width;
  const ran = onCore(n, (core, base) => {
    core.f32.set(x.subarray(at, at + n), base >> 2);
    for (const s of segments) core.exports.unaryRows(UNARY[s.op], base + s.start * 4, base + s.start * 4, rows, width, s.count);
    x.set(core.f32.subarray(base >> 2, (base >> 2) + n), at);
    return true;
  });
  return ran === true;
}

/** ReLU's gradient from its output y: gy where y > 0 (or NaN), else 0. */
export function reluGradKernel(y: FloatArray, gy: FloatArray): Float32Array | null {
  return gradFromOutput('reluGrad', y, gy);
}

/** Sigmoid's gradient from its output y: gy·y·(1 − y), the bits of the JavaScript loop. */
export function sigmoidGradKernel(y: FloatArray, gy: FloatArray): Float32Array | null {
  return gradFromOutput('sigmoidGrad', y, gy);
}

/** The activations whose gradient a kernel computes from their output. */
export type GradFromOutputKernel = 'reluGrad' | 'sigmoidGrad';

/** An activation's gradient computed from its output y and gy by `kernel`, in a new array (or in `into`, y's length). */
export function gradFromOutput(kernel: GradFromOutputKernel, y: FloatArray, gy: FloatArray, into?: Float32Array): Float32Array | null {
  if (!(y instanceof Float32Array) || !(gy instanceof Float32Array) || y.length < ELEMENTWISE_MIN) return null;
  const n = y.length;
  return withCore((core) => {
    // gy where the op after left it (a linear layer's dx), else copied in after y
    let pg = takeLeft(core, gy, 0);
    const at = core.alloc((pg < 0 ? 2 : 1) * n * 4);
    if (at < 0) return null;
    const mem = core.f32;
    mem.set(y, at >> 2);
    if (pg < 0) mem.set(gy, (pg = at + n * 4) >> 2);
    core.exports[kernel](at, pg, at, n);
    // the gradient goes on as it is: left for the op before (a linear layer's backward)
    const g = copyOut(core, at, n, into);
    leave(core, g, at);
    return g;
  });
}

/** Softmax of each contiguous row of `width` floats. */
export function softmaxRowsKernel(x: FloatArray, width: number): Float32Array | null {
  if (!(x instanceof Float32Array) || x.length < ELEMENTWISE_MIN || width < 1) return null;
  const n = x.length;
  return onCore(n, (core, at) => {
    core.f32.set(x, at >> 2);
    core.exports.softmaxRows(at, at, n / width, width);
    return copyOut(core, at, n);
  });
}
