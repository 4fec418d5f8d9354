import assert from 'node:assert/strict';
import type { ActivationStats } from '../../../src/engine/instrument';
import { summarizeData } from '../../../src/trace/data';
import { activationSteps, rowSpread } from '../../../src/trace/stats';

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
