/**
 * The instrument's quick paths (one pass over all-finite outputs, ReLU's step derivative counted
 * by comparison, an activation's input statistics taken from the summary of the op that produced
 * it) give the same numbers, to the bit, as the careful per-value passes they stand in for.
 */
import assert from 'node:assert/strict';
import * as F from '../../../src/engine';
import { Instrument, noGrad, Rng, setInstrument, tensor, Tensor } from '../../../src/engine';
import { activationStats, l2Norm, summarize, summarizeWithNonFinite } from '../../../src/engine/instrument';
import type { ActivationShape } from '../../../src/engine/ops/types';

function values(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

const RELU_BY_CALL: ActivationShape = { peak: 1, derivative: (x) => (x <= 0 ? 0 : 1) };
const RELU_BY_STEP: ActivationShape = { ...RELU_BY_CALL, zeroAtOrBelow: 0 };

describe('instrument statistics: quick paths equal the careful passes', () => {
  const cases: [string, ArrayLike<number>][] = [
    ['random float32', values(1000, 1)],
    ['with a NaN', Object.assign(values(100, 2), { 17: NaN })],
    ['with +inf and -inf', Object.assign(values(100, 3), { 0: Infinity, 99: -Infinity })],
    ['finite values whose squares overflow', Float64Array.from([1e200, -3e200, 2, 0.5])],
    ['finite values whose sum overflows', Float64Array.from([1.7e308, 1.7e308, -1])],
    ['negative zeros and zeros', Float64Array.from([-0, 0, -0])],
    ['all negative', Float64Array.from([-3, -1, -2])],
    ['empty', new Float32Array(0)],
  ];
  for (const [what, d] of cases) {
    it(`summarize: ${what}`, () => {
      const careful = summarizeWithNonFinite('relu', 'l', d as Float32Array);
      assert.deepEqual(summarize('relu', 'l', d as Float32Array), careful);
      // the same zero, not -0 where the careful pass kept 0
      assert.ok(Object.is(summarize('relu', 'l', d as Float32Array).absMax, careful.absMax));
    });
  }

  for (const [what, d] of cases) {
    it(`ReLU's step derivative counts as its derivative does: ${what}`, () => {
      // per sample and unit too, where the length splits into two samples
      const shape = d.length && d.length % 2 === 0 ? [2, d.length / 2] : [d.length];
      const shaped = tensor(Array.from(d), shape, 'float64');
      assert.deepEqual(activationStats('relu', 'l', shaped, RELU_BY_STEP), activationStats('relu', 'l', shaped, RELU_BY_CALL));
    });
  }

  it("an activation's input statistics from the producing op's summary are the ones it would sum itself", () => {
    const x = new Tensor(values(4 * 64, 4, 3), [4, 64], false, 'float32');
    const known = summarize('linear', 'l', x.data);
    for (const shape of [RELU_BY_STEP, RELU_BY_CALL, { peak: 0.25, derivative: (v: number) => Math.exp(-Math.abs(v)) / (1 + Math.exp(-Math.abs(v))) ** 2 }]) {
      assert.deepEqual(activationStats('relu', 'l', x, shape, known), activationStats('relu', 'l', x, shape));
    }
    // A summary with non-finite values averages over the finite ones only: not taken.
    const withNaN = new Tensor(Object.assign(values(8, 5), { 3: NaN }), [2, 4], false, 'float32');
    const bad = summarize('linear', 'l', withNaN.data);
    assert.deepEqual(activationStats('relu', 'l', withNaN, RELU_BY_STEP, bad), activationStats('relu', 'l', withNaN, RELU_BY_STEP));
  });

  it('a producer summary is not reused once the tensor was written in place', () => {
    const instrument = new Instrument();
    setInstrument(instrument);
    try {
      noGrad(() => {
        const a = tensor([-1, 2, -3, 4, 5, -6], [2, 3], 'float64');
        const h = F.mul(a, 2);
        F.add_(h, 100);
        F.relu(h);
      });
    } finally {
      setInstrument(null);
    }
    const act = instrument.activations[0];
    // h = 2a + 100 = [98, 104, 94, 108, 110, 88] after the in-place add: every entry active
    assert.equal(act.saturated, 0);
    assert.equal(act.inputMean, (98 + 104 + 94 + 108 + 110 + 88) / 6);
    assert.equal(act.inputMaxAbs, 110);
  });

  it('a producer summary is reused for the activation that reads that output unchanged', () => {
    const instrument = new Instrument();
    setInstrument(instrument);
    try {
      noGrad(() => F.relu(F.mul(tensor([-1, 2, -3, 4, 5, -6], [2, 3], 'float64'), 2)));
    } finally {
      setInstrument(null);
    }
    const [act] = instrument.activations;
    const [mul] = instrument.outputs;
    assert.equal(act.saturated, 3);
    assert.deepEqual([act.inputMean, act.inputStd, act.inputMaxAbs], [mul.mean, mul.std, mul.absMax]);
    // per unit (column) of [[-2, 4, -6], [8, 10, -12]]
    assert.deepEqual(Array.from(act.activePerUnit), [1, 2, 0]);
  });
});

describe("instrument: a gradient's norm measured once along a chain", () => {
  /** Records, at each onBackward, the norms summed afresh from the arrays it is given. */
  class Fresh extends Instrument {
    fresh: [number, number | null][] = [];
    override onBackward(...args: Parameters<Instrument['onBackward']>): void {
      const [, , gy, , grads] = args;
      this.fresh.push([l2Norm(gy), grads[0] ? l2Norm(grads[0]) : null]);
      super.onBackward(...args);
    }
  }

  function flowOf(build: (x: Tensor) => Tensor, steps = 2): Fresh {
    const instrument = new Fresh();
    setInstrument(instrument);
    try {
      const x = new Tensor(values(6 * 8, 7), [6, 8], true, 'float32');
      // two walks with one instrument: a gradient of the first may come back from the pool in the second
      for (let s = 0; s < steps; s++) F.backward(build(x));
    } finally {
      setInstrument(null);
    }
    return instrument;
  }

  const graphs: [string, (x: Tensor) => Tensor][] = [
    ['a chain through a reshape', (x) => F.sum(F.sigmoid(F.reshape(F.tanh(F.mul(x, 3)), [48])))],
    ['one tensor added to itself (one gradient given for both inputs)', (x) => { const h = F.tanh(x); return F.sum(F.tanh(F.add(h, h))); }],
    ["x·x (the second input's gradient is added into the first)", (x) => { const h = F.tanh(F.mul(x, 2)); return F.sum(F.mul(h, h)); }],
    ['a tensor read by two ops (fan-out)', (x) => { const h = F.tanh(x); return F.sum(F.add(F.relu(h), F.sigmoid(h))); }],
  ];
  for (const [what, build] of graphs) {
    it(`every flow norm is the one summed afresh: ${what}`, () => {
      const instrument = flowOf(build);
      assert.ok(instrument.fresh.length > 0);
      const recorded = instrument.flow.map((f): [number, number | null] => [f.outputGradNorm, f.inputGradNorm]);
      assert.deepEqual(recorded, instrument.fresh.slice(-recorded.length));
    });
  }
});
