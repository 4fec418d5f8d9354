import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withSeverity } from '../../../src/rules';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { learningRate, readableRate } from '../../../src/rules/learning-rate';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from './corpus';

const FILE = 'lr.grad.yaml';

function spec(optimizer: string, steps = 10): string {
  return `model:
  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: ${optimizer}
trace: {steps: ${steps}, batch_size: 8, seed: 0}
`;
}

function check(text: string, config = withDefaults()): Finding[] {
  const { spec: s, diagnostics } = parseSpec(text, FILE);
  assert.ok(s, diagnostics.map((d) => d.message).join('; '));
  return rendered(withSeverity(learningRate.check({ trace: traceModel(s, FILE), spec: s, config: config }), config), specFixes(text, FILE, s));
}

describe('learning-rate rule', () => {
  it('stays silent at lr=0.01 with SGD', () => {
    assert.deepEqual(check(spec('{SGD: {lr: 0.01}}')), []);
  });

  it('stays silent at lr=0.001 with Adam', () => {
    assert.deepEqual(check(spec('{Adam: {lr: 0.001}}')), []);
  });

  it("flags the article's lr=1e-10 as an error, on the optimizer, with the measured ratio", () => {
    const text = spec('{SGD: {lr: 1e-10}}');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.equal(f.layer, '');
    assert.equal(text.slice(f.range.start, f.range.end), 'SGD');
    assert.match(f.message, /^learning rate too small: updates are \d(\.\d)?e-1\d of the weights: at lr=1e-10 nothing will change/);
    assert.equal(f.evidence[0].values.length, 10);
  });

  it('offers an lr that brings the ratio near 1e-3, and the fix is honest', () => {
    const text = spec('{SGD: {lr: 1e-10, momentum: 0.5}}');
    const [f] = check(text);
    assert.equal(f.fixes.length, 1);
    const fixed = applyEdits(text, f.fixes[0].edits);
    // Other arguments the user wrote are kept.
    assert.match(fixed, /optimizer: \{SGD: \{lr: [\d.e-]+, momentum: 0\.5\}\}/);
    const lr = Number(/lr: ([\d.e-]+)/.exec(fixed)![1]);
    assert.ok(lr > 1e-5 && lr < 1, `suggested lr ${lr}`);
    assert.deepEqual(check(fixed), []);
  });

  it("writes the fix in the file's syntax: JSON", () => {
    const text = JSON.stringify(
      {
        model: [{ Linear: { in_features: 4, out_features: 8 } }, 'ReLU', { Linear: { in_features: 8, out_features: 1 } }],
        input: { shape: [4], distribution: 'normal' },
        target: { shape: [1], distribution: 'normal' },
        loss: 'MSELoss',
        optimizer: { Adam: { lr: 1e-9, amsgrad: true } },
        trace: { steps: 5, batch_size: 8, seed: 0 },
      },
      null,
      2,
    );
    const { spec: s } = parseSpec(text, 'lr.grad.json');
    const [f] = rendered(learningRate.check({ trace: traceModel(s!, 'lr.grad.json'), spec: s!, config: withDefaults() }), specFixes(text, 'lr.grad.json', s!));
    const fixed = applyEdits(text, f.fixes[0].edits);
    const parsed = JSON.parse(fixed);
    assert.equal(parsed.optimizer.Adam.amsgrad, true);
    assert.ok(parsed.optimizer.Adam.lr > 1e-6, fixed);
  });

  it('warns (not errors) between 1e-8 and 1e-5', () => {
    const [f] = check(spec('{SGD: {lr: 1e-6}}'));
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /training will crawl/);
  });

  it('flags a huge lr as too large, and suggests a much smaller one', () => {
    const text = spec('{SGD: {lr: 500}}', 5);
    const [f] = check(text);
    assert.equal(f.severity, 'error');
    // The loss grows a millionfold on the first step: training diverges, and the message says by how much.
    assert.match(f.message, /^learning rate too large: training diverges at lr=500: the loss grew from [\d.]+ at step 0 to [\d.e]+ at step 1, 0\.weight grew [\d.e]+× its initial norm, and an update reached [\d.e]+× its weight/);
    assert.deepEqual(f.evidence[0].label, 'loss');
    // Without the divergence test, the ratio alone (updates far above the weights) still finds it.
    const [byRatio] = check(text, withDefaults({ learningRate: { lossGrowth: 1e300 } }));
    assert.match(byRatio.message, /^learning rate too large: updates are [\d.e]+× the weights: at lr=500/);
    const fixed = applyEdits(text, f.fixes[0].edits);
    const lr = Number(/lr: ([\d.e-]+)/.exec(fixed)![1]);
    assert.ok(lr < 5, `suggested lr ${lr}`);
    assert.deepEqual(check(fixed, withDefaults()), []);
  });

  it('does not call an lr too small from the steps of a model that has fit its data (a long real run)', () => {
    const { spec: s } = parseSpec(spec('{SGD: {lr: 0.01}}', 12), FILE);
    const trace = traceModel(s!, FILE);
    // What a run looks like once its batch is memorised: the loss near 0, the gradients and updates with it.
    const fit = (from: number, loss: (j: number) => number, config = withDefaults()) => {
      const t = structuredClone(trace);
      t.steps.forEach((st, j) => {
        if (j < from) return;
        st.loss = loss(j);
        for (const p of st.params) p.updateRatio = 1e-9;
      });
      return learningRate.check({ trace: t, spec: s!, config });
    };
    assert.deepEqual(fit(3, () => trace.steps[0].loss * 1e-4), []);
    // Where a fit starts is a setting: at 1e-5 of the first loss, 1e-4 is still learning.
    const [strict] = fit(3, () => trace.steps[0].loss * 1e-4, withDefaults({ learningRate: { fittedLoss: 1e-5 } }));
    assert.match(strict.message, /^learning rate too small: .* median over 12 steps;/);
    // The same tiny updates while the loss stays where it was: the lr is at fault.
    const [f] = fit(3, (j) => trace.steps[j].loss);
    assert.match(f.message, /^learning rate too small: updates are 1e-9 of the weights: .* median over 12 steps/);
    // Only the steps before the fit are judged.
    const [g] = fit(3, (j) => (j < 9 ? trace.steps[0].loss : 0));
    assert.match(g.message, /median over 9 steps before the model fit its batch/);
  });

  it('reads its thresholds from the settings', () => {
    assert.equal(check(spec('{SGD: {lr: 0.01}}'), withDefaults({ learningRate: { tooSmall: 10 } })).length, 1);
    assert.deepEqual(check(spec('{SGD: {lr: 1e-10}}'), withDefaults({ severity: { 'learning-rate': 'off' } })), []);
  });

  it('rounds a suggestion to 1, 2 or 5 times a power of ten', () => {
    assert.equal(readableRate(0.0031), 0.002);
    assert.equal(readableRate(0.0034), 0.005);
    assert.equal(readableRate(0.0008), 0.001);
    assert.equal(readableRate(2.2e-5), 2e-5);
    assert.equal(readableRate(6), 5);
    assert.equal(readableRate(8), 10);
  });

  it('finds a diverging SGD whose updates stay below 10× the weights, from the loss growth and weight blow-up', () => {
    // Linear regression at lr 0.8: above 2/λ_max, every step overshoots further (updates 2.6–3.6× the weights).
    const text = readFileSync(join(EXAMPLES, 'bugs/huge-lr/linear-regression-sgd-0.8.grad.yaml'), 'utf8');
    const [f] = check(text);
    assert.equal(f.severity, 'error');
    assert.match(f.message, /^learning rate too large: training diverges at lr=0\.8: the loss grew from [\d.]+ at step 0 to [\d.]+ at step \d+, 0\.weight grew [\d.e]+× its initial norm, and an update reached [\d.]+× its weight/);
    const median = f.evidence.find((e) => e.label === 'median update/weight ratio')!.values;
    assert.ok(median.every((r) => !(r > 10)), 'the ratio alone stays below the threshold');
    const fixed = applyEdits(text, f.fixes[0].edits);
    assert.deepEqual(check(fixed).map((x) => x.message), []);
  });

  it('does not read a large first update that brings a far-off loss down as divergence', () => {
    // Targets around 50: the first updates are 1.9× the weights while the output bias moves to the mean.
    assert.deepEqual(check(readFileSync(join(EXAMPLES, 'trains/large-targets-sgd-small-lr.grad.yaml'), 'utf8')), []);
  });

  it('does not call the lr too small when the gradient is what is small: a plateau, or a model that has fit its batch', () => {
    // A deep sigmoid stack stuck at its targets' mean: tiny gradients from step 3 on, at lr 0.05.
    assert.deepEqual(check(readFileSync(join(EXAMPLES, 'bugs/deep-sigmoid/first-step-only.grad.yaml'), 'utf8')), []);
    // One sample fit to a loss of 0.
    assert.deepEqual(check(spec('{SGD: {lr: 0.1}}', 300).replace('batch_size: 8', 'batch_size: 1')), []);
    // Tiny SGD updates on a normal gradient are still the lr's.
    assert.equal(check(spec('{SGD: {lr: 1e-6}}'))[0].severity, 'warning');
  });

  it('reads the gradient scale below which a step says nothing of the lr from the settings', () => {
    // Judged on every step, the plateau's tiny updates of the deep sigmoid stack look like a tiny lr.
    const text = readFileSync(join(EXAMPLES, 'bugs/deep-sigmoid/first-step-only.grad.yaml'), 'utf8');
    const [f] = check(text, withDefaults({ learningRate: { gradientScale: 1e-12 } }));
    assert.match(f?.message ?? '', /^learning rate too small: updates are [\d.e-]+ of the weights: at lr=0\.05/);
  });

  it('needs all three signs of divergence, each from its setting: loss growth, weight blow-up, an update as large as the weight', () => {
    const diverging = readFileSync(join(EXAMPLES, 'bugs/huge-lr/linear-regression-sgd-0.8.grad.yaml'), 'utf8');
    // The weight grows 2.5e7× with updates 2.6–3.6× the weights: above either setting, no divergence,
    // and the ratio alone (below 10) says nothing.
    assert.deepEqual(check(diverging, withDefaults({ learningRate: { weightGrowth: 1e8 } })), []);
    assert.deepEqual(check(diverging, withDefaults({ learningRate: { divergingUpdate: 5 } })), []);
    // A healthy regression fitting targets around 50 grows its weights 13× with first updates 1.9× the
    // weights; only its loss, which never grows, keeps it from being called diverging.
    const healthy = readFileSync(join(EXAMPLES, 'trains/large-targets-sgd-small-lr.grad.yaml'), 'utf8');
    const [loud] = check(healthy, withDefaults({ learningRate: { lossGrowth: 0.5 } }));
    assert.match(loud?.message ?? '', /^learning rate too large: training diverges/);
    assert.deepEqual(check(healthy, withDefaults({ learningRate: { lossGrowth: 0.5, weightGrowth: 20 } })), []);
  });
});
