import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec } from '../../../src/model';
import { convergence, divergence, stepsBeforeConvergence } from '../../../src/rules/progress';
import { traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';
import { EXAMPLES } from './corpus';

function traced(example: string): Trace {
  const file = join(EXAMPLES, example);
  const { spec, diagnostics } = parseSpec(readFileSync(file, 'utf8'), file);
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return traceModel(spec, file);
}

const THRESHOLDS = { lossGrowth: 10, weightGrowth: 10, update: 1 };

describe('training progress', () => {
  describe('convergence', () => {
    it('finds the step from which the seed article’s single sample is fit', () => {
      const t = traced('trains/seed-converged-single-sample.grad.yaml');
      const c = convergence(t, 1e-6)!;
      assert.ok(c, 'converged');
      assert.ok(c.loss <= 1e-6 * c.initialLoss && c.step > 0, `loss ${c.loss} at step ${c.step}`);
      assert.equal(stepsBeforeConvergence(t, 1e-6).length, c.step);
    });
    it('is not claimed for a model that trains but has not fit its batch', () => {
      assert.equal(convergence(traced('trains/keras-normal-mlp-sgd.grad.yaml'), 1e-6), null);
    });
    it('is not claimed for a loss that goes below zero (NLLLoss on raw outputs)', () => {
      assert.equal(convergence(traced('bugs/loss-mismatch/nll-without-log-softmax.grad.yaml'), 1e-6), null);
    });
  });

  describe('divergence', () => {
    it('finds a linear regression whose loss grows geometrically under SGD at lr 0.8', () => {
      const d = divergence(traced('bugs/huge-lr/linear-regression-sgd-0.8.grad.yaml'), THRESHOLDS)!;
      assert.ok(d, 'diverges');
      assert.ok(d.loss > 10 * d.initialLoss && d.weightGrowth > 10 && d.peakUpdate >= 1, JSON.stringify(d));
      assert.equal(d.param, '0.weight');
    });
    it('finds a regression whose loss grows until it overflows, at the step it passed 10×', () => {
      const t = traced('bugs/huge-lr/sgd-lr-1-regression.grad.yaml');
      assert.ok(!Number.isFinite(t.steps[t.steps.length - 1].loss), 'the loss overflows');
      const d = divergence(t, THRESHOLDS)!;
      assert.ok(d && d.loss > 10 * d.initialLoss && d.step < t.steps.length - 1, JSON.stringify(d));
    });
    it('is not claimed when large first updates bring a far-off loss down (targets around 50)', () => {
      const t = traced('trains/large-targets-sgd-small-lr.grad.yaml');
      assert.ok(t.steps[0].params.some((p) => p.updateRatio > 1), 'the first update is larger than the weights');
      assert.equal(divergence(t, THRESHOLDS), null);
    });
    it('is not claimed for a NaN that the updates did not cause (Adam with eps = 0)', () => {
      assert.equal(divergence(traced('problems/non-finite/adam-eps-zero.grad.yaml'), THRESHOLDS), null);
    });
  });
});
