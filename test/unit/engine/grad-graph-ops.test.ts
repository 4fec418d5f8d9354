/**
 * Every op grad-graph.ts differentiates again, one at a time (torch.autograd.gradgradcheck's
 * semantics): the gradient it writes with tape ops must equal the engine's own backward (first
 * derivative), and that gradient's own gradient, through the engine's backward of the tape ops,
 * must match float64 central differences of it (second derivative), for every input at once.
 * PyTorch 1.13 parity of the same ops: test/parity/python-double.test.ts.
 */
import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, Rng, Tensor } from '../../../src/engine';
import { gradWithGraph } from '../../../src/engine/grad-graph';
import { rand } from '../support/gradcheck';

type Op = (...xs: Tensor[]) => Tensor;

/** The op's gradients with respect to all its inputs, weighted by `v`, flattened into one tensor on the tape. */
function gradsOf(f: Op, v: (out: Tensor) => Tensor): Op {
  return (...xs) => {
    const y = f(...xs);
    const got = gradWithGraph(y, xs, v(y));
    assert.ok('grads' in got, `not followed: ${JSON.stringify(got)}`);
    return F.cat(got.grads.map((g, k) => F.reshape(g ?? F.zerosLike(xs[k]), [-1])));
  };
}

/** A fixed grad_output of y's shape. */
const weights = (y: Tensor): Tensor => rand([...y.shape], 99, -1, 1, false);

function doubleCheck(f: Op, xs: Tensor[], opts: { rtol?: number; atol?: number } = {}): void {
  const g = gradsOf(f, weights);
  // first derivative: the tape's gradient is the engine's backward
  const y = f(...xs);
  for (const x of xs) x.grad = null;
  backward(y, weights(y).data);
  const mine = g(...xs);
  let at = 0;
  for (const [k, x] of xs.entries()) {
    for (let i = 0; i < x.size; i++, at++) {
      const want = x.grad ? x.grad[i] : 0;
      assert.ok(Math.abs(mine.data[at] - want) <= 1e-10 + 1e-8 * Math.abs(want), `input ${k}[${i}]: tape ${mine.data[at]} vs backward ${want}`);
    }
  }
  // second derivative: float64 central differences of the first (with the tape on: the first is built from it)
  const { rtol = 1e-5, atol = 1e-7 } = opts;
  const w = rand([mine.size], 77, -1, 1, false).data;
  const weighted = () => {
    const out = g(...xs).data;
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * w[i];
    return s;
  };
  for (const x of xs) x.grad = null;
  backward(g(...xs), w);
  const eps = 1e-6;
  for (const [k, x] of xs.entries()) {
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const up = weighted();
      x.data[i] = orig - eps;
      const down = weighted();
      x.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad ? x.grad[i] : 0;
      assert.ok(Math.abs(numeric - analytic) <= atol + rtol * Math.abs(numeric), `second derivative, input ${k}[${i}]: ${analytic} vs numeric ${numeric}`);
    }
  }
}

/** A float64 input away from 0 (the kinks of relu, leaky_relu and max_pool's ties). */
const away = (shape: number[], seed: number): Tensor => {
  const t = rand(shape, seed);
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i] + (t.data[i] >= 0 ? 0.1 : -0.1);
  return t;
};

describe('double backward, op by op (gradient of the gradient vs float64 finite differences)', () => {
  it('Conv2d: input, weight and bias, with stride, padding and dilation', () => {
    doubleCheck((x, w, b) => F.tanh(F.conv2d(x, w, b, 2, 1)), [rand([2, 2, 5, 5], 1), rand([3, 2, 3, 3], 2), rand([3], 3)]);
    doubleCheck((x, w) => F.sigmoid(F.conv2d(x, w, null, [1, 2], [0, 1], 1, [2, 1])), [rand([1, 2, 6, 5], 4), rand([2, 2, 2, 3], 5)]);
  });
  it('Conv2d on an unbatched (C, H, W) input', () => {
    doubleCheck((x, w) => F.tanh(F.conv2d(x, w, null, 1, 1)), [rand([2, 4, 4], 6), rand([2, 2, 3, 3], 7)]);
  });
  it('ConvTranspose2d: input, weight and bias, with output padding', () => {
    doubleCheck((x, w, b) => F.tanh(F.convTranspose2d(x, w, b, 2, 1, 1)), [rand([2, 3, 3, 3], 8), rand([3, 2, 3, 3], 9), rand([2], 10)]);
  });
  it('BatchNorm2d with batch statistics (train mode), and with running ones', () => {
    doubleCheck((x, w, b) => F.tanh(F.batchNorm(x, { weight: w, bias: b, training: true, eps: 0.8 })), [rand([3, 2, 2, 2], 11), rand([2], 12), rand([2], 13)]);
    doubleCheck((x) => F.sigmoid(F.batchNorm(x, { training: true })), [rand([4, 3], 14)]);
    const runningMean = Float64Array.from([0.1, -0.2]);
    const runningVar = Float64Array.from([0.5, 1.5]);
    doubleCheck((x, w, b) => F.tanh(F.batchNorm(x, { weight: w, bias: b, training: false, runningMean, runningVar })), [rand([2, 2, 2, 2], 15), rand([2], 16), rand([2], 17)]);
  });
  it('GroupNorm, InstanceNorm2d (affine) and LayerNorm', () => {
    doubleCheck((x, w, b) => F.tanh(F.groupNorm(x, 2, w, b)), [rand([2, 4, 2, 2], 50), rand([4], 51), rand([4], 52)]);
    doubleCheck((x, w, b) => F.sigmoid(F.instanceNorm(x, { weight: w, bias: b })), [rand([2, 2, 3, 3], 53), rand([2], 54), rand([2], 55)]);
    doubleCheck((x, w, b) => F.tanh(F.layerNorm(x, [3, 2], w, b)), [rand([2, 3, 2], 56), rand([3, 2], 57), rand([3, 2], 58)]);
    doubleCheck((x) => F.tanh(F.layerNorm(x, [4])), [rand([3, 4], 59)]);
  });
  it('Dropout and Dropout2d keep the forward mask', () => {
    doubleCheck((x) => F.tanh(F.dropout(x, 0.4, true, new Rng(3))), [rand([3, 4], 18)]);
    doubleCheck((x) => F.tanh(F.dropout2d(x, 0.5, true, new Rng(4))), [rand([2, 3, 2, 2], 19)]);
  });
  it('MaxPool2d and AvgPool2d', () => {
    doubleCheck((x) => F.tanh(F.maxPool2d(x, 2)), [away([1, 2, 4, 4], 20)]);
    doubleCheck((x) => F.tanh(F.avgPool2d(x, 3, 2, 1)), [rand([2, 1, 5, 5], 21)]);
  });
  it('ELU, Softplus, LeakyReLU, ReLU, Tanh, Sigmoid', () => {
    doubleCheck((x) => F.elu(x, 0.7), [away([3, 4], 22)]);
    doubleCheck((x) => F.softplus(x, 2, 1), [away([3, 4], 23)]);
    doubleCheck((x, w) => F.sigmoid(F.mul(F.leakyRelu(x, 0.2), w)), [away([3, 4], 24), rand([4], 25)]);
    doubleCheck((x, w) => F.tanh(F.mul(F.relu(x), w)), [away([3, 4], 26), rand([3, 1], 27)]);
  });
  it('mean, sum, pow, mul, div, exp, log, sqrt with broadcasting', () => {
    doubleCheck((a, b) => F.mean(F.pow(F.mul(a, b), 3), [1], true), [rand([2, 3], 28), rand([3], 29)]);
    doubleCheck((a, b) => F.sum(F.div(F.exp(a), b), [0]), [rand([2, 3], 30), rand([2, 1], 31, 1, 2)]);
    doubleCheck((a) => F.mul(F.log(a), F.sqrt(a)), [rand([5], 32, 0.5, 2)]);
    doubleCheck((a) => F.sum(F.mul(a, a)), [rand([2, 2], 33)]);
  });
  it('matmul, bmm, linear (input, weight, bias)', () => {
    doubleCheck((a, b) => F.tanh(F.matmul(a, b)), [rand([2, 3, 4], 34), rand([4, 2], 35)]);
    doubleCheck((a, b) => F.tanh(F.bmm(a, b)), [rand([2, 3, 4], 36), rand([2, 4, 2], 37)]);
    doubleCheck((x, w, b) => F.tanh(F.linear(x, w, b)), [rand([2, 3, 4], 38), rand([5, 4], 39), rand([5], 40)]);
  });
  it('cat, reshape, permute, indexing and slicing', () => {
    doubleCheck((a, b) => F.tanh(F.permute(F.cat([a, b], 1), [1, 0])), [rand([2, 3], 41), rand([2, 2], 42)]);
    doubleCheck((a) => F.sigmoid(F.reshape(F.sliceDim(a, 1, 1, 3), [-1])), [rand([3, 4], 43)]);
    doubleCheck((a) => F.tanh(F.select(F.expand(a, [2, 3, 3]), 2, 1)), [rand([3, 1], 44)]);
  });
  it('MSE and BCEWithLogits losses', () => {
    doubleCheck((a, b) => F.mseLoss(F.tanh(a), b), [rand([3, 2], 45), rand([3, 2], 46)]);
    doubleCheck((a, b) => F.bceWithLogits(F.mul(a, a), b, 'sum'), [rand([4], 47), rand([4], 48, 0, 1)]);
  });
});
