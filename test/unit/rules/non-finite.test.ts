import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import type { ModelSpec } from '../../../src/model';
import { withSeverity } from '../../../src/rules';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { nonFinite } from '../../../src/rules/non-finite';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';

const FILE = 'nan.grad.yaml';

/** A small MLP: `hidden` × (Linear(w,w) → act), then Linear(w,1), MSE. */
function mlp(optimizer: string, activation = 'ReLU', w = 16, hidden = 2): string {
  const blocks = Array.from({ length: hidden }, () => `  - Linear: {in_features: ${w}, out_features: ${w}}\n  - ${activation}`).join('\n');
  return `model:
${blocks}
  - Linear: {in_features: ${w}, out_features: 1}
input: {shape: [${w}], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: ${optimizer}
trace: {steps: 10, batch_size: 16, seed: 0}
`;
}

function run(text: string): { spec: ModelSpec; trace: Trace } {
  const { spec, diagnostics } = parseSpec(text, FILE);
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return { spec, trace: traceModel(spec, FILE) };
}

function check(text: string, config = withDefaults(), edit?: (t: Trace) => void): Finding[] {
  const { spec, trace } = run(text);
  edit?.(trace);
  return rendered(withSeverity(nonFinite.check({ trace, spec, config }), config), specFixes(text, FILE, spec));
}

const at = (text: string, f: Finding) => text.slice(f.range.start, f.range.end);

describe('non-finite rule', () => {
  it('stays silent when everything stays finite', () => {
    assert.deepEqual(check(mlp('{Adam: {lr: 0.01}}')), []);
  });

  it("names Adam's update when eps = 0 turns zero gradients into 0/0, and restores eps", () => {
    const text = mlp('{Adam: {lr: 0.01, eps: 0}}');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.equal(f.layer, '');
    assert.equal(at(text, f), 'Adam');
    assert.match(f.message, /^Adam's update made \d\.weight NaN at step 0: [\d.]+% of its gradient entries are exactly 0, and with eps = 0 their update is 0\/0$/);
    assert.match(f.related[0].message, /belongs to Linear \d/);
    const fixed = applyEdits(text, f.fixes[0].edits);
    assert.match(fixed, /^optimizer: \{Adam: \{lr: 0\.01, eps: 1e-8\}\}$/m);
    assert.deepEqual(check(fixed), []);
  });

  it('names the SGD update that overflowed the weights, and a lower lr is honest', () => {
    const text = mlp('{SGD: {lr: 1000000}}', 'ReLU', 32, 3);
    const [f] = check(text);
    assert.equal(at(text, f), 'SGD');
    assert.match(f.message, /^the SGD update made \d\.weight non-finite at step \d: its gradient reached [\d.]+e\d+ at lr 1e6$/);
    assert.deepEqual(check(applyEdits(text, f.fixes[0].edits)), []);
  });

  it('puts an overflow in the loss op on the loss, with the step and the input it saw', () => {
    const text = mlp('{SGD: {lr: 1000000}}', 'Tanh');
    const [f] = check(text);
    assert.equal(f.layer, '');
    assert.equal(at(text, f), 'MSELoss');
    assert.match(f.message, /^mse_loss overflowed to Inf in the loss \(MSELoss\) at step \d, forward pass: inputs reached [\d.]+e\d+$/);
    assert.match(f.fixes[0].title, /^Lower SGD's lr from 1000000 to [\d.]+ \(the weights grew 10× or more before step \d\)$/);
    assert.deepEqual(check(applyEdits(text, f.fixes[0].edits)), []);
  });

  it('puts an overflow in a layer on that layer, and blames a large written init', () => {
    const blocks = Array.from({ length: 8 }, () => '  - Linear: {in_features: 64, out_features: 64}\n    init: {weight: {normal: {std: 1}}}\n  - ReLU').join('\n');
    const text = `model:\n${blocks}\n  - Linear: {in_features: 64, out_features: 1}\ninput: {shape: [64], distribution: normal}\ntarget: {shape: [1], distribution: normal}\nloss: MSELoss\noptimizer: {SGD: {lr: 0.01}}\ntrace: {steps: 5, batch_size: 16, seed: 0}\n`;
    const [f] = check(text);
    assert.equal(at(text, f), 'Linear');
    // float32 products accumulate in float32 (as PyTorch's): partial sums of both signs can overflow into a NaN too.
    assert.match(f.message, /^linear (overflowed to Inf|produced NaN and Inf) in Linear \d+ at step \d, forward pass: inputs reached [\d.]+e\d+$/);
    assert.match(f.fixes[0].title, /^Initialise the 8 weight layers for the activation after each/);
    assert.deepEqual(check(applyEdits(text, f.fixes[0].edits)), []);
  });

  it('says so for the backward pass', () => {
    const [f] = check(mlp('{SGD: {lr: 0.01}}'), withDefaults(), (t) => {
      t.firstNonFinite = { step: 2, op: 'sigmoid', layer: '1', phase: 'backward', nan: 3, inf: 0, inputMaxAbs: 7 };
    });
    assert.equal(f.message, 'the gradient of sigmoid produced NaN in ReLU 1 at step 2, backward pass: inputs reached 7');
  });

  it('points at the data when the loss is NaN though no op produced it and the weights were finite', () => {
    const text = mlp('{SGD: {lr: 0.01}}');
    const [f] = check(text, withDefaults(), (t) => {
      t.steps[3].loss = NaN;
    });
    assert.equal(at(text, f), 'MSELoss');
    assert.equal(f.message, 'the loss is NaN at step 3 though no op produced a NaN or Inf: the input batch or the targets hold one');
  });

  it('respects severity settings', () => {
    const text = mlp('{Adam: {lr: 0.01, eps: 0}}');
    assert.deepEqual(check(text, withDefaults({ severity: { 'non-finite': 'off' } })), []);
    assert.equal(check(text, withDefaults({ severity: { 'non-finite': 'warning' } }))[0].severity, 'warning');
  });
});
