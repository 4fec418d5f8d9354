/**
 * The replayed step's own kernels for its hottest ops: the same kernel calls as the ops' forward and
 * backward (ops/linalg.ts, ops/activation.ts), written into the plan's arrays instead of new ones,
 * so the values are the same bits. An op without one here, or a call its kernel declines (no
 * WebAssembly core, or no room in it), runs the op's own forward and backward (plan.ts).
 */
import type { FloatArray } from '../dtype';
import { forgetLeft } from '../kernels/chain';
import { activationKernel, ELEMENTWISE_MIN, gradFromOutput, type GradFromOutputKernel, type UnaryKernel } from '../kernels/elementwise';
import { linearBackward, LinearBackward, linearForward } from '../kernels/gemm';
import { mseSlope, mseTerm } from '../ops/loss';
import { reluGradInto, reluInto, sigmoidGradInto, sigmoidInto, tanhGradInto, tanhInto } from '../ops/activation';
import type { Tensor } from '../tensor';

/** One op's replay: `forward` writes `out`'s array; `backward` fills `grads` (the plan's arrays, null where not needed). */
export interface ReplayKernel {
  /** False (nothing written) when the op's own forward must run instead. */
  forward(inputs: readonly Tensor[], out: FloatArray): boolean;
  /** False (nothing written) when the op's own backward must run instead. */
  backward(gy: FloatArray, inputs: readonly Tensor[], out: FloatArray, grads: readonly (FloatArray | null)[]): boolean;
}

/** Whether the op's own activation kernel would run in JavaScript (the WebAssembly one takes float32 from ELEMENTWISE_MIN). */
function inJavaScript(a: FloatArray): boolean {
  return !(a instanceof Float32Array) || a.length < ELEMENTWISE_MIN;
}

/** The linear layer's arguments, one record per op of the plan, its gradient in flight set per call. */
function linearKernel(): ReplayKernel {
  let args: LinearBackward | null = null;
  return {
    forward([x, w, bias], out) {
      const [nOut, nIn] = w.shape;
      forgetLeft(out);
      linearForward(x, w, bias ? bias.data : null, out, x.size / nIn, nIn, nOut);
      return true;
    },
    backward(gy, [x, w], _out, [dx, dw, db]) {
      const [nOut, nIn] = w.shape;
      if (dx) forgetLeft(dx);
      if (dw) forgetLeft(dw);
      if (db) {
        // the op's own backward sums the rows into a zeroed array
        forgetLeft(db);
        db.fill(0);
      }
      if (args === null || args.x !== x || args.w !== w) {
        args = { gy, x, w, rows: x.size / nIn, nIn, nOut, dx: dx ?? null, dw: dw ?? null, db: db ?? null };
      } else {
        args.gy = gy;
      }
      linearBackward(args);
      return true;
    },
  };
}

/**
 * An activation as the op's own runs it (ops/activation.ts): its JavaScript loops, or from
 * ELEMENTWISE_MIN float32 values its WebAssembly kernels (`simd`, and `simdGrad` where the
 * backward has one), each written into the plan's array.
 */
function activation(
  forward: (d: FloatArray, out: FloatArray) => void,
  backward: (gy: FloatArray, y: FloatArray, g: FloatArray) => void,
  simd: UnaryKernel,
  simdGrad: GradFromOutputKernel | null,
): ReplayKernel {
  return {
    forward([x], out) {
      const d = x.data;
      if (!inJavaScript(d)) return activationKernel(simd, x, out as Float32Array) !== null;
      forward(d, out);
      return true;
    },
    backward(gy, _inputs, y, [g]) {
      if (!g) return false;
      // declined (no core, no room, gy not float32): the op's own declines it too and runs the loop
      if (simdGrad !== null && !inJavaScript(y)) return gradFromOutput(simdGrad, y, gy, g as Float32Array) !== null;
      backward(gy, y, g);
      return true;
    },
  };
}

const sigmoid = activation(sigmoidInto, sigmoidGradInto, 'sigmoid', 'sigmoidGrad');
// tanh's backward has no WebAssembly kernel: always the loop
const tanh = activation(tanhInto, tanhGradInto, 'tanh', null);
const relu = activation(reluInto, reluGradInto, 'relu', 'reluGrad');

/**
 * mse_loss of an input and target of one shape, summed or averaged: ops/loss.ts's pointwise loss
 * and its gradient (its mseTerm and mseSlope, scaled by dy/divisor), the same sums in the same order.
 */
function mseKernel(divisor: number): ReplayKernel {
  return {
    forward([input, target], out) {
      const xs = input.data;
      const ts = target.data;
      let total = 0;
      for (let i = 0; i < xs.length; i++) total += mseTerm(xs[i], ts[i]);
      out[0] = total / divisor;
      return true;
    },
    backward(gy, [input, target], _out, [dx, dt]) {
      if (dt) return false;
      const xs = input.data;
      const ts = target.data;
      const g = (1 * gy[0]) / divisor;
      if (dx) for (let i = 0; i < dx.length; i++) dx[i] = g * mseSlope(xs[i], ts[i]);
      return true;
    },
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, d) => n === b[d]);
}

/**
 * The replay kernel for one op of a plan (a fresh one where it keeps per-op state), given the
 * inputs and attributes it was recorded with; null: the op's own forward and backward.
 */
export function replayKernel(kind: string, inputs: readonly Tensor[], attrs: unknown): ReplayKernel | null {
  switch (kind) {
    case 'mse_loss': {
      const { reduction } = attrs as { reduction: string };
      const [x, t] = inputs;
      if (reduction === 'none' || !sameShape(x.shape, t.shape) || x.dtype !== t.dtype) return null;
      return mseKernel(reduction === 'mean' ? x.size : 1);
    }
    case 'linear':
      return linearKernel();
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return tanh;
    case 'relu':
      return relu;
    default:
      return null;
  }
}
