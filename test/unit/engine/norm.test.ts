import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { backward, tensor } from '../../../src/engine';
import { gradcheck, rand } from '../support/gradcheck';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

/** Mean and biased variance of the values of channel c of an (N, C, inner) tensor. */
function channelStats(data: ArrayLike<number>, n: number, channels: number, inner: number, c: number): { mean: number; variance: number; count: number } {
  const v: number[] = [];
  for (let s = 0; s < n; s++) for (let i = 0; i < inner; i++) v.push(data[(s * channels + c) * inner + i]);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, variance, count: v.length };
}

describe('batch_norm', () => {
  for (const shape of [[5, 3], [2, 3, 4], [2, 3, 2, 3]]) {
    it(`training, ${JSON.stringify(shape)}: gradient matches finite differences, with and without affine`, () => {
      gradcheck((x, w, b) => F.batchNorm(x, { weight: w, bias: b }), [rand(shape, 1), rand([3], 2, 0.5, 1.5), rand([3], 3)]);
      gradcheck((x) => F.batchNorm(x), [rand(shape, 4)]);
    });
  }

  it('eval mode: gradient matches finite differences with the running stats held constant', () => {
    const runningMean = new Float64Array([0.1, -0.2, 0.3]);
    const runningVar = new Float64Array([0.5, 1.5, 2]);
    const o = { runningMean, runningVar, training: false };
    gradcheck((x, w, b) => F.batchNorm(x, { ...o, weight: w, bias: b }), [rand([2, 3, 2, 2], 5), rand([3], 6), rand([3], 7)]);
    gradcheck((x) => F.batchNorm(x, o), [rand([4, 3], 8)]);
    assert.deepEqual(Array.from(runningMean), [0.1, -0.2, 0.3]);
  });

  it('normalises each channel with its biased batch variance, then applies weight and bias', () => {
    const x = rand([4, 3, 5], 9, -2, 3, false);
    const w = tensor([1, 2, -1], [3], 'float64');
    const b = tensor([0, 0.5, 1], [3], 'float64');
    const y = F.batchNorm(x, { weight: w, bias: b, eps: 1e-5 });
    const expected = new Float64Array(x.size);
    for (let c = 0; c < 3; c++) {
      const { mean, variance } = channelStats(x.data, 4, 3, 5, c);
      for (let s = 0; s < 4; s++) {
        for (let i = 0; i < 5; i++) {
          const at = (s * 3 + c) * 5 + i;
          expected[at] = ((x.data[at] - mean) / Math.sqrt(variance + 1e-5)) * w.data[c] + b.data[c];
        }
      }
    }
    assertClose(y.data, expected);
  });

  it('updates the running stats in place as PyTorch: (1-m)·running + m·batch, with the unbiased variance', () => {
    const x = rand([3, 2, 4], 10, -1, 2, false);
    const runningMean = new Float64Array([0.5, -0.5]);
    const runningVar = new Float64Array([1, 2]);
    F.batchNorm(x, { runningMean, runningVar, momentum: 0.3 });
    for (let c = 0; c < 2; c++) {
      const { mean, variance, count } = channelStats(x.data, 3, 2, 4, c);
      const m0 = [0.5, -0.5][c];
      const v0 = [1, 2][c];
      assert.ok(Math.abs(runningMean[c] - (0.7 * m0 + 0.3 * mean)) < 1e-14);
      assert.ok(Math.abs(runningVar[c] - (0.7 * v0 + (0.3 * variance * count) / (count - 1))) < 1e-14);
    }
  });

  it('eval mode normalises with the running stats and leaves them alone', () => {
    const x = tensor([1, 2, 3, 4], [2, 2], 'float64');
    const runningMean = new Float64Array([1, 2]);
    const runningVar = new Float64Array([4, 9]);
    const y = F.batchNorm(x, { runningMean, runningVar, training: false, eps: 0 });
    assertClose(y.data, [0, 0, 1, 2 / 3]);
    assert.deepEqual(Array.from(runningVar), [4, 9]);
  });

  it('eval mode without running stats uses the batch statistics (nn.BatchNorm with track_running_stats=False)', () => {
    const y = F.batchNorm(tensor([1, 2, 3, 5], [2, 2], 'float64'), { training: false, eps: 0 });
    assertClose(y.data, [-1, -1, 1, 1]);
  });

  it('a constant channel stays finite thanks to eps, and so does its gradient', () => {
    const x = tensor([7, 1, 7, 2, 7, 3], [3, 2], 'float64', true);
    const w = tensor([2, 2], [2], 'float64', true);
    const b = tensor([0.5, 0.5], [2], 'float64', true);
    const y = F.batchNorm(x, { weight: w, bias: b });
    assert.equal(y.data[0], 0.5);
    assert.ok(y.data.every(Number.isFinite));
    backward(y, new Float64Array([1, 2, 3, 4, 5, 6]));
    assert.ok(x.grad!.every(Number.isFinite));
    // x̂ = 0 there, so dx = weight·invStd·(dy − mean dy): large (1/√eps) but finite, as PyTorch.
    assert.ok(Math.abs(x.grad![0] - (2 * (1 - 3)) / Math.sqrt(1e-5)) < 1e-9);
    assert.deepEqual(Array.from(w.grad!).map((v, c) => (c === 0 ? v : 0)), [0, 0]);
  });

  it('NaN in one channel poisons that channel only', () => {
    const x = tensor([NaN, 1, 2, 3], [2, 2], 'float64');
    const y = F.batchNorm(x).data;
    assert.ok(Number.isNaN(y[0]) && Number.isNaN(y[2]));
    assert.ok(Number.isFinite(y[1]) && Number.isFinite(y[3]));
  });

  it('refuses one value per channel in training, and mismatched affine or running stats', () => {
    assert.throws(() => F.batchNorm(rand([1, 3])), /more than 1 value per channel/);
    assert.throws(() => F.batchNorm(rand([2, 3]), { weight: rand([2]), bias: rand([2]) }), /weight \[2\]/);
    assert.throws(() => F.batchNorm(rand([2, 3]), { runningMean: new Float64Array(2), runningVar: new Float64Array(3) }), /running_mean has 2/);
  });
});

describe('layer_norm', () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 4], [4]],
    [[2, 3, 4], [3, 4]],
    [[5], [5]],
  ];
  for (const [shape, normalized] of cases) {
    it(`x ${JSON.stringify(shape)} over ${JSON.stringify(normalized)}: gradient matches finite differences, with and without affine`, () => {
      gradcheck((x, w, b) => F.layerNorm(x, normalized, w, b), [rand(shape, 1), rand(normalized, 2, 0.5, 1.5), rand(normalized, 3)]);
      gradcheck((x) => F.layerNorm(x, normalized), [rand(shape, 4)]);
    });
  }

  it('normalises each row by its own mean and biased variance', () => {
    const x = tensor([1, 2, 3, 4, 10, 10, 10, 14], [2, 4], 'float64');
    const w = tensor([1, 1, 2, 2], [4], 'float64');
    const b = tensor([0, 1, 0, 1], [4], 'float64');
    const y = F.layerNorm(x, [4], w, b, 0);
    const s1 = Math.sqrt(1.25);
    const s2 = Math.sqrt(3);
    assertClose(y.data, [-1.5 / s1, -0.5 / s1 + 1, (2 * 0.5) / s1, (2 * 1.5) / s1 + 1, -1 / s2, -1 / s2 + 1, -2 / s2, (2 * 3) / s2 + 1]);
  });

  it('a constant row gives the bias, finitely', () => {
    const x = tensor([3, 3, 3], [1, 3], 'float64', true);
    const y = F.layerNorm(x, [3], tensor([1, 1, 1], [3], 'float64'), tensor([1, 2, 3], [3], 'float64'));
    assert.deepEqual(Array.from(y.data), [1, 2, 3]);
    backward(y, new Float64Array([1, -2, 4]));
    assert.ok(x.grad!.every(Number.isFinite));
  });

  it('NaN in a row poisons that row only', () => {
    const y = F.layerNorm(tensor([NaN, 1, 2, 3], [2, 2], 'float64'), [2]).data;
    assert.ok(Number.isNaN(y[0]) && Number.isNaN(y[1]));
    assertClose([y[2], y[3]], [-1 / Math.sqrt(0.25 + 1e-5) / 2, 1 / Math.sqrt(0.25 + 1e-5) / 2]);
  });

  it('refuses a normalized_shape the input does not end in', () => {
    assert.throws(() => F.layerNorm(rand([2, 3]), [2]), /does not end in normalized_shape \[2\]/);
  });
});
