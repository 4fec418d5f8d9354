import assert from 'node:assert/strict';
import { parseSpec } from '../../../src/model';
import { traceModel } from '../../../src/trace/run';

function trace(yaml: string) {
  const { spec, diagnostics } = parseSpec(yaml, 'm.grad.yaml');
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return traceModel(spec, 'm.grad.yaml');
}

describe('traceModel', () => {
  it('records a loss that refuses the model outputs (BCELoss on a raw Linear) instead of failing the run', () => {
    const t = trace(`
model:
  - Linear: {in_features: 6, out_features: 1}
input: {shape: [6], distribution: normal}
target: {shape: [1], distribution: bernoulli}
loss: BCELoss
trace: {steps: 5, batch_size: 16, seed: 0}
`);
    assert.equal(t.steps.length, 0);
    const r = t.lossRejected!;
    assert.ok(r, 'the rejection is recorded');
    assert.equal(r.step, 0);
    assert.equal(r.loss, 'binary_cross_entropy');
    assert.ok(r.min < 0 && r.max > 0, `min ${r.min}, max ${r.max}`);
    assert.ok(r.outsideShare > 0 && r.outsideShare < 1, `outside share ${r.outsideShare}`);
    assert.match(t.stoppedEarly ?? '', /refused the model's outputs at step 0: binary_cross_entropy: all elements of input should be between 0 and 1/);
  });

  it('keeps the steps before the loss refused its input', () => {
    // A ReLU output is ≥ 0, within [0, 1] at first; the large lr pushes it past 1 a few steps in.
    const t = trace(`
model:
  - Linear: {in_features: 4, out_features: 1}
    init: {weight: {constant: {val: 0.01}}, bias: {constant: 0.2}}
  - ReLU
input: {shape: [4], distribution: {uniform: {low: 0, high: 1}}}
target: {shape: [1], distribution: {bernoulli: {p: 1}}}
loss: BCELoss
optimizer: {SGD: {lr: 2}}
trace: {steps: 20, batch_size: 8, seed: 0}
`);
    const r = t.lossRejected!;
    assert.ok(r && r.step > 0, `rejected at step ${r?.step}`);
    assert.equal(t.steps.length, r.step);
    assert.ok(r.max > 1 && r.min >= 0, `min ${r.min}, max ${r.max}`);
  });

  it('records no rejection for a model that feeds the loss what it takes', () => {
    const t = trace(`
model:
  - Linear: {in_features: 6, out_features: 1}
  - Sigmoid
input: {shape: [6], distribution: normal}
target: {shape: [1], distribution: bernoulli}
loss: BCELoss
trace: {steps: 3, batch_size: 4, seed: 0}
`);
    assert.equal(t.lossRejected, null);
    assert.equal(t.steps.length, 3);
  });

  it('records the batch, the rows of each weight, the output spread and what dead units count', () => {
    const t = trace(`
model:
  - Conv2d: {in_channels: 1, out_channels: 4, kernel_size: 3}
  - ReLU
  - Flatten
  - Linear: {in_features: 144, out_features: 8}
    init: {weight: {constant: {val: 0.1}}, bias: zeros}
  - ReLU
  - Linear: {in_features: 8, out_features: 1}
    init: {weight: {constant: {val: 0.1}}, bias: zeros}
input: {shape: [1, 8, 8], distribution: {uniform: {low: 0, high: 255}}}
target: {shape: [1], distribution: {integers: {low: 0, high: 3}}}
loss: MSELoss
optimizer: {SGD: {lr: 0.000001}}
trace: {steps: 3, batch_size: 8, seed: 0}
`);
    const { input, target } = t.data!;
    assert.ok(input.min >= 0 && input.max > 200 && !input.integers, `input ${input.min}..${input.max}`);
    assert.deepEqual([target.integers, target.min, target.max], [true, 0, 2]);
    const last = t.steps[t.steps.length - 1];
    const spread = (name: string) => last.params[t.params.findIndex((p) => p.name === name)].rowSpread!;
    assert.ok(spread('0.weight') > 0, 'the default init gives every filter its own weights');
    // Constant rows that get the same gradient (the next layer is constant too) stay equal.
    assert.equal(spread('3.weight'), 0);
    const conv = last.activations.find((a) => a.layer === '1')!;
    const dense = last.activations.find((a) => a.layer === '4')!;
    assert.deepEqual([conv.deadUnits, dense.deadUnits], ['channels', 'units']);
    const out = last.outputs.find((o) => o.layer === '0')!;
    assert.ok(out.std! > 0, `conv output std ${out.std}`);
  });
});
