/**
 * A result left in the core's scratch by the call that computed it, read there by the next call
 * when that call's operand is the same array: a Linear's output by the Sigmoid after it, and the
 * Sigmoid's output by the next Linear, skip copying in what they were just handed (W3 of `npm run
 * bench` is 20 such pairs).
 *
 * The copy left there is good while: no call took scratch or kept memory since (the core's
 * stamp), the operand is the very array the result was copied out to, and its tensor was not
 * written since (version 0: a result's tensor starts there, and every write of a tensor's values
 * bumps its version). A gradient has no version: the backward walk's sums into a gradient in
 * flight, and the buffer pool handing an array out again, forget it (`forgetLeft`). Only an op
 * whose result goes out as it is asks for it to be left (`leave`).
 */
import type { FloatArray } from '../dtype';
import type { WasmCore } from './core';

let core: WasmCore | null = null;
let stamp = -1;
let values: FloatArray | null = null;
let offset = 0;

/** Records that `result` (copied out of `at`) is also at `at` in the core's scratch, after the call's last allocation. */
export function leave(c: WasmCore, result: Float32Array, at: number): void {
  core = c;
  stamp = c.stamp;
  values = result;
  offset = at;
}

/**
 * Where the values of a tensor at `version` are in the core's scratch, taken for the call in
 * progress (before it takes any other scratch), or -1 when they have to be copied in.
 */
export function takeLeft(c: WasmCore, data: FloatArray, version: number): number {
  if (values !== data || core !== c || stamp !== c.stamp || version !== 0) return -1;
  values = null;
  c.reserve(offset, data.length * 4);
  return offset;
}

/** `a` is about to be written outside the kernels (summed into, or handed out again by the pool): its copy in the core is stale. */
export function forgetLeft(a: FloatArray): void {
  if (values === a) values = null;
}
