/** Float64 central-difference gradient check, the reference every op's backward is held to. */
import assert from 'node:assert/strict';
import { backward, noGrad, Rng, Tensor } from '../../../src/engine';

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

function weightedSum(out: Tensor, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * w[i];
  return s;
}

/**
 * Checks d/dx Σ(w ⊙ f(x)) for random weights w against finite differences, for every input that
 * requires a gradient. Inputs must be float64.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7, seed = 7 } = opts;
  for (const x of inputs) assert.equal(x.dtype, 'float64', 'gradcheck needs float64 inputs');
  const rng = new Rng(seed);
  for (const x of inputs) x.grad = null;
  const out = f(...inputs);
  const w = new Float64Array(out.size).map(() => rng.between(-1, 1));
  backward(out, w);
  for (const [k, x] of inputs.entries()) {
    if (!x.requiresGrad) continue;
    assert.ok(x.grad, `input ${k} received no gradient`);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const up = noGrad(() => weightedSum(f(...inputs), w));
      x.data[i] = orig - eps;
      const down = noGrad(() => weightedSum(f(...inputs), w));
      x.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad[i];
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic));
      assert.ok(
        Math.abs(numeric - analytic) <= tol,
        `input ${k}[${i}]: analytic ${analytic} vs numeric ${numeric} (|diff| ${Math.abs(numeric - analytic)} > ${tol})`,
      );
    }
  }
}

/** A float64 tensor of uniform values in [low, high), requiring a gradient. */
export function rand(shape: number[], seed = 1, low = -1, high = 1, requiresGrad = true): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n).map(() => rng.between(low, high));
  return new Tensor(data, shape, requiresGrad);
}
