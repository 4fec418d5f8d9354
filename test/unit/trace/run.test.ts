import assert from 'node:assert/strict';
import { parseSpec } from '../../../src/model';
import { traceModel, type TraceOptions } from '../../../src/trace/run';

function trace(yaml: string, opts: TraceOptions = {}) {
  const { spec, diagnostics } = parseSpec(yaml, 'm.grad.yaml');
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return traceModel(spec, 'm.grad.yaml', opts);
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

describe('traceModel: sequence models and gradient clipping', () => {
  it('records each recurrent op: its gates, the gradient at every time step, numbered within its layer', () => {
    const t = trace(`
model:
  - LSTM: {input_size: 3, hidden_size: 4, num_layers: 2, bidirectional: true, batch_first: true}
  - Flatten
  - Linear: {in_features: 40, out_features: 1}
input: {shape: [5, 3]}
target: {shape: [1]}
loss: MSELoss
trace: {steps: 2, batch_size: 4}
`);
    const r = t.steps[0].recurrent!;
    // two stacked layers × two directions, in the order PyTorch runs them
    assert.deepEqual(
      r.map((x) => [x.layer, x.op, x.index, x.reverse, x.steps]),
      [
        ['0', 'lstm', 0, false, 5],
        ['0', 'lstm', 1, true, 5],
        ['0', 'lstm', 2, false, 5],
        ['0', 'lstm', 3, true, 5],
      ],
    );
    for (const x of r) {
      assert.deepEqual(x.gates.map((g) => g.kind).sort(), ['sigmoid', 'tanh']);
      assert.ok(x.gates.every((g) => g.saturatedShare >= 0 && g.saturatedShare <= 1 && g.flatShare <= g.saturatedShare));
      assert.equal(x.gradNorms!.length, 5);
      assert.ok(x.gradNorms!.every((n) => Number.isFinite(n) && n > 0));
      assert.equal(x.firstNonFiniteStep, null);
    }
    assert.equal(t.steps[0].attention, undefined);
    assert.equal(t.optimizer.clip, null);
    assert.equal(t.steps[0].clip, undefined);
  });

  it('records the attention rows per head, and what clip_grad_norm did before each step', () => {
    const t = trace(`
model:
  - TransformerEncoder: {d_model: 8, nhead: 2, num_layers: 2, dim_feedforward: 8, dropout: 0.0, batch_first: true}
  - Flatten
  - Linear: {in_features: 32, out_features: 1}
input: {shape: [4, 8]}
target: {shape: [1]}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}, clip_grad_norm: 0.01}
trace: {steps: 2, batch_size: 4}
`);
    const a = t.steps[0].attention!;
    assert.deepEqual(
      a.map((x) => [x.layer, x.heads, x.keys, x.perHead.length]),
      [
        ['0.layers.0.self_attn', 2, 4, 2],
        ['0.layers.1.self_attn', 2, 4, 2],
      ],
    );
    for (const h of a.flatMap((x) => x.perHead)) assert.ok(h.meanNormalizedEntropy > 0.5 && h.meanNormalizedEntropy <= 1 && h.collapsedShare === 0, JSON.stringify(h));
    assert.deepEqual(t.optimizer.clip, { kind: 'norm', maxNorm: 0.01, normType: 2 });
    for (const s of t.steps) {
      // the recorded gradients are those before clipping: their total norm is the clipping's
      const total = Math.sqrt(s.params.reduce((acc, p) => acc + p.gradNorm ** 2, 0));
      assert.ok(Math.abs(s.clip!.totalNorm - total) <= 1e-5 * total, `${s.clip!.totalNorm} vs ${total}`);
      assert.ok(Math.abs(s.clip!.scale! - 0.01 / (total + 1e-6)) <= 1e-5 * s.clip!.scale!);
    }
  });
});

describe('traceModel stopped by its onStep', () => {
  const linear = `
model:
  - Linear: {in_features: 3, out_features: 1}
input: {shape: [3], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
trace: {steps: 6, batch_size: 4, seed: 0}
`;

  it('keeps the steps before it and records the reason the callback gives (the time limit)', () => {
    const t = trace(linear, { onStep: (r) => (r.step === 1 ? 'over the time limit' : true) });
    assert.equal(t.steps.length, 2);
    assert.equal(t.stoppedEarly, 'over the time limit');
  });

  it('says which step it stopped after when the callback only says stop (cancelled)', () => {
    const t = trace(linear, { onStep: (r) => r.step < 2 });
    assert.equal(t.steps.length, 3);
    assert.equal(t.stoppedEarly, 'stopped after step 2');
  });
});
