/**
 * Elementwise float32 kernels on the WebAssembly core (assembly/elementwise.ts): ReLU and its
 * gradient, sigmoid, tanh and softmax over rows, four lanes at a time. Each call copies its
 * operands in and the result out (memcpy speed, a small part of the work it replaces). Every
 * function returns null when the kernels cannot run it (float64, no core, the memory cap, too few
 * elements to pay for the call): the op then runs its JavaScript loop.
 */
import { alloc, type FloatArray } from '../dtype';
import { kernelCore, trimCore, WasmCore } from './core';

/** Below this many elements the JavaScript loop is as fast as a call into the core. */
export const ELEMENTWISE_MIN = 64;

// Operations of assembly/elementwise.ts `unary`.
const UNARY = { relu: 0, sigmoid: 1, tanh: 2, exp: 3 } as const;
export type UnaryKernel = keyof typeof UNARY;

/** Runs `body` with the core and scratch for `floats` floats; null when the core is missing or the cap leaves no room. */
function onCore(floats: number, body: (core: WasmCore, at: number) => Float32Array): Float32Array | null {
  const core = kernelCore();
  if (!core) return null;
  try {
    const at = core.alloc(floats * 4);
    if (at < 0) return null;
    return body(core, at);
  } finally {
    core.release();
    trimCore();
  }
}

/**
 * The result at `at` in an array of the engine's own: from the buffer pool when large, so the step
 * scope and the backward can give it back and the next step reuses it (a fresh multi-megabyte
 * array costs far more than the copy).
 */
function copyOut(core: WasmCore, at: number, n: number): Float32Array {
  const out = alloc('float32', n) as Float32Array;
  out.set(core.f32.subarray(at >> 2, (at >> 2) + n));
  return out;
}

/** y = f(x) elementwise, in a new array. */
export function unaryKernel(op: UnaryKernel, x: FloatArray): Float32Array | null {
  if (!(x instanceof Float32Array) || x.length < ELEMENTWISE_MIN) return null;
  const n = x.length;
  return onCore(n, (core, at) => {
    core.f32.set(x, at >> 2);
    core.exports.unary(UNARY[op], at, at, n);
    return copyOut(core, at, n);
  });
}

/** ReLU's gradient from its output y: gy where y > 0 (or NaN), else 0. */
export function reluGradKernel(y: FloatArray, gy: FloatArray): Float32Array | null {
  if (!(y instanceof Float32Array) || !(gy instanceof Float32Array) || y.length < ELEMENTWISE_MIN) return null;
  const n = y.length;
  return onCore(2 * n, (core, at) => {
    const mem = core.f32;
    mem.set(y, at >> 2);
    mem.set(gy, (at >> 2) + n);
    core.exports.reluGrad(at, at + n * 4, at, n);
    return copyOut(core, at, n);
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
