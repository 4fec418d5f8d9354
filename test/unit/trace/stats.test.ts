import assert from 'node:assert/strict';
import type { ActivationStats } from '../../../src/engine/instrument';
import { summarizeData } from '../../../src/trace/data';
import { activationSteps, FLOAT32_MIN_NORMAL, histogramBin, paramStep, rowSpread } from '../../../src/trace/stats';
import { HISTOGRAM_BINS } from '../../../src/trace/types';

/** A ReLU record over `samples` samples of per-sample shape `sampleShape`, active where `active(sample, position)`. */
function reluRecord(samples: number, sampleShape: number[], active: (s: number, p: number) => boolean): ActivationStats {
  const units = sampleShape.reduce((a, b) => a * b, 1);
  const activePerUnit = new Uint32Array(units);
  for (let s = 0; s < samples; s++) for (let p = 0; p < units; p++) if (active(s, p)) activePerUnit[p]++;
  return {
    op: 'relu',
    layer: '1',
    samples,
    units,
    sampleShape,
    saturated: 0,
    flat: 0,
    zeroDerivative: 0,
    activePerUnit,
    inputMean: 0,
    inputStd: 1,
    inputMaxAbs: 1,
  };
}

describe('trace statistics', () => {
  describe('rowSpread', () => {
    it('is 0 when every row is the same, even if the entries within a row differ', () => {
      assert.equal(rowSpread(Float64Array.from([1, 2, 3, 1, 2, 3]), [2, 3]), 0);
      assert.equal(rowSpread(new Float64Array(12), [3, 4]), 0);
    });
    it('is the RMS over columns of the spread across rows', () => {
      // Column 0: rows 0 and 2 → std 1; column 1: 1 and 1 → 0. sqrt((1 + 0) / 2).
      assert.equal(rowSpread(Float64Array.from([0, 1, 2, 1]), [2, 2]), Math.sqrt(0.5));
    });
    it('counts a convolution filter as one row', () => {
      const w = new Float64Array(2 * 3 * 2 * 2).fill(0.5);
      assert.equal(rowSpread(w, [2, 3, 2, 2]), 0);
      w[w.length - 1] = 1.5;
      assert.ok(rowSpread(w, [2, 3, 2, 2]) > 0);
    });
    it('is NaN for a single row or a vector: no symmetry to speak of', () => {
      assert.ok(Number.isNaN(rowSpread(Float64Array.from([1, 2]), [1, 2])));
      assert.ok(Number.isNaN(rowSpread(Float64Array.from([1, 2]), [2])));
    });
  });

  describe('dead units', () => {
    it('counts features that are inactive on every sample', () => {
      const [a] = activationSteps([reluRecord(8, [4], (_s, p) => p === 0)]);
      assert.equal(a.deadShare, 0.75);
      assert.equal(a.deadUnits, 'units');
    });

    it('counts a convolution channel dead only when no position of it is active on any sample', () => {
      // 4 channels of 3×3: channel 0 active at one corner on one sample, channel 1 everywhere, 2 and 3 never.
      const record = reluRecord(8, [4, 3, 3], (s, p) => (p < 9 ? s === 0 && p === 0 : p < 18));
      const [channels] = activationSteps([record], () => 'channel');
      assert.equal(channels.deadUnits, 'channels');
      // Channel 0 is active on 1 of 72 entries (1.4% ≥ 1%): alive. Channels 2 and 3: dead.
      assert.equal(channels.deadShare, 0.5);
      // Counted along the last axis (the width), each column also holds channel 1's live entries.
      const [features] = activationSteps([record], () => 'feature');
      assert.equal(features.deadUnits, 'units');
      assert.equal(features.deadShare, 0);
    });

    it('counts the last axis as features for a sequence after a Linear', () => {
      // [5 positions, 2 features]: feature 1 never active, feature 0 active at one position on every sample.
      const [a] = activationSteps([reluRecord(8, [5, 2], (_s, p) => p === 0)], () => 'feature');
      assert.equal(a.deadShare, 0.5);
    });
  });

  describe('summarizeData', () => {
    it('tells 0/1 labels from class indices and from scaled values', () => {
      const labels = summarizeData({ data: [0, 1, 1, 0] });
      assert.deepEqual([labels.integers, labels.belowZero, labels.aboveOne], [true, 0, 0]);
      const classes = summarizeData({ data: [0, 1, 2, 2] });
      assert.deepEqual([classes.integers, classes.aboveOne, classes.max], [true, 0.5, 2]);
      const signed = summarizeData({ data: [-2, -0.5, 0.5, 3] });
      assert.deepEqual([signed.integers, signed.belowZero, signed.belowMinusOne, signed.aboveOne], [false, 0.5, 0.25, 0.25]);
      assert.equal(signed.mean, 0.25);
    });
    it('leaves NaN and Inf out', () => {
      const s = summarizeData({ data: [NaN, 1, Infinity, 3] });
      assert.deepEqual([s.min, s.max, s.mean, s.std], [1, 3, 2, 1]);
    });
  });
});

describe('paramStep: the weight statistics in one pass', () => {
  // The separate passes it replaced, each summing in index order.
  const sumOf = (a: ArrayLike<number>, f: (v: number, k: number) => number) => {
    let s = 0;
    for (let k = 0; k < a.length; k++) s += f(a[k], k);
    return s;
  };
  for (const shape of [[6, 5], [3, 2, 5], [30], [1, 30]]) {
    it(`same bits as separate passes for a weight of shape [${shape}]`, () => {
      const before = Float32Array.from({ length: 30 }, (_, k) => Math.sin(k * 1.7) * 0.3);
      const after = before.map((v, k) => v - 0.01 * Math.cos(k));
      const grad = Float32Array.from({ length: 30 }, (_, k) => Math.cos(k * 0.9) * 1e-3);
      const s = paramStep(grad, before, after, shape);
      const wSum = sumOf(before, (v) => v);
      const wSq = sumOf(before, (v) => v * v);
      const mean = wSum / 30;
      assert.equal(s.weightMean, mean);
      assert.equal(s.weightNorm, Math.sqrt(wSq));
      assert.equal(s.weightStd, Math.sqrt(Math.max(0, wSq / 30 - mean * mean)));
      assert.equal(s.updateRatio, Math.sqrt(sumOf(before, (v, k) => (after[k] - v) ** 2)) / Math.sqrt(wSq));
      if (shape.length < 2 || shape[0] < 2) assert.ok(Number.isNaN(s.rowSpread));
      else {
        const rows = shape[0];
        const cols = 30 / rows;
        let total = 0;
        for (let j = 0; j < cols; j++) {
          const col = Array.from({ length: rows }, (_, i) => before[i * cols + j]);
          const m = sumOf(col, (v) => v) / rows;
          total += Math.max(0, sumOf(col, (v) => v * v) / rows - m * m);
        }
        assert.equal(s.rowSpread, Math.sqrt(total / cols));
        assert.equal(rowSpread(before, shape), s.rowSpread);
      }
    });
  }
});

describe("paramStep: the gradient's statistics beside the weight's", () => {
  /** The gradient's statistics by the per-value pass paramStep once ran on its own. */
  function separate(grad: ArrayLike<number>) {
    const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
    let sumSq = 0;
    let sumAbs = 0;
    let maxAbs = 0;
    let zeros = 0;
    let subnormal = 0;
    let nonFinite = 0;
    for (let i = 0; i < grad.length; i++) {
      const g = grad[i];
      histogram[histogramBin(g)]++;
      if (!Number.isFinite(g)) {
        nonFinite++;
        continue;
      }
      const a = Math.abs(g);
      if (a === 0) zeros++;
      else if (a < FLOAT32_MIN_NORMAL) subnormal++;
      sumSq += g * g;
      sumAbs += a;
      if (a > maxAbs) maxAbs = a;
    }
    const n = grad.length;
    const nonzero = n - zeros - nonFinite;
    return { gradNorm: Math.sqrt(sumSq), gradMeanAbs: sumAbs / n, gradMaxAbs: maxAbs, zeroFraction: zeros / n, subnormalFraction: nonzero > 0 ? subnormal / nonzero : 0, nonFinite, histogram };
  }
  // a run of one decade (odd and even entries counted apart), zeros, subnormals, NaN and ±Inf
  const grad = Float64Array.from({ length: 61 }, (_, k) => (k < 20 ? 1e-3 * (1 + k / 40) : Math.sin(k * 2.3) * 10 ** ((k % 17) - 12)));
  Object.assign(grad, { 21: 0, 22: -0, 23: 1e-40, 24: -3e-39, 25: NaN, 26: Infinity, 27: -Infinity, 28: 5e-324 });
  for (const shape of [[61], [1, 61]]) {
    it(`same bits as the per-value pass, weight of shape [${shape}]`, () => {
      const before = Float64Array.from({ length: 61 }, (_, k) => Math.cos(k));
      const s = paramStep(grad, before, before.map((v) => v * 0.99), shape);
      const { gradNorm, gradMeanAbs, gradMaxAbs, zeroFraction, subnormalFraction, nonFinite, histogram } = s;
      assert.deepEqual({ gradNorm, gradMeanAbs, gradMaxAbs, zeroFraction, subnormalFraction, nonFinite, histogram }, separate(grad));
      assert.equal(histogram.reduce((a, b) => a + b, 0), 61);
    });
  }
  it('a parameter no gradient reached: every entry zero, in the first bin', () => {
    const s = paramStep(null, Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 2, 3, 4]), [2, 2]);
    assert.equal(s.reached, false);
    assert.equal(s.zeroFraction, 1);
    assert.deepEqual(s.histogram, [4, ...new Array(HISTOGRAM_BINS - 1).fill(0)]);
  });
});
