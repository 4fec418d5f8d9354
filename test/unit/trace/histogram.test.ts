import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine';
import { histogramBin } from '../../../src/trace/stats';
import { HISTOGRAM_BINS, HISTOGRAM_DECADES } from '../../../src/trace/types';

/** The definition: 0 for zero, the last bin for non-finite values, else 1 + the clamped decade ⌊log10|v|⌋. */
function byLogarithm(v: number): number {
  if (v === 0) return 0;
  if (!Number.isFinite(v)) return HISTOGRAM_BINS - 1;
  const decade = Math.min(Math.max(Math.floor(Math.log10(Math.abs(v))), HISTOGRAM_DECADES.from), HISTOGRAM_DECADES.to);
  return 1 + decade - HISTOGRAM_DECADES.from;
}

describe('gradient histogram bins', () => {
  it('match ⌊log10|v|⌋ on values of every magnitude and sign, float32 and float64', () => {
    const rng = new Rng(4);
    for (let i = 0; i < 100_000; i++) {
      const v = (rng.uniform() < 0.5 ? -1 : 1) * 10 ** rng.between(-45, 40);
      assert.equal(histogramBin(v), byLogarithm(v), `${v}`);
      const f = Math.fround(v);
      assert.equal(histogramBin(f), byLogarithm(f), `float32 ${f}`);
    }
  });

  it('put powers of ten at the start of their decade, and zeros, subnormals, NaN and ±inf where they belong', () => {
    for (let k = HISTOGRAM_DECADES.from - 3; k <= HISTOGRAM_DECADES.to + 3; k++) {
      for (const v of [10 ** k, Math.fround(10 ** k), -(10 ** k)]) assert.equal(histogramBin(v), byLogarithm(v), `${v}`);
    }
    assert.equal(histogramBin(0), 0);
    assert.equal(histogramBin(-0), 0);
    assert.equal(histogramBin(1e-45), 1);
    for (const v of [NaN, Infinity, -Infinity]) assert.equal(histogramBin(v), HISTOGRAM_BINS - 1);
  });
});
