/**
 * The sequence rules on traces of small recurrent and attention models, with the measurements set
 * to the cases the examples do not reach (a gradient that vanishes through time, one collapsed head
 * of two, clipping that silences an explosion).
 */
import assert from 'node:assert/strict';
import { parseSpec } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/graph';
import { checkTrace, DEFAULT_CONFIG, withDefaults } from '../../../src/rules';
import { specLayerOf } from '../../../src/rules/sequence-util';
import { traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';

function traced(text: string): { spec: ModelSpec; trace: Trace } {
  const { spec, diagnostics } = parseSpec(text, 'm.grad.yaml');
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return { spec, trace: traceModel(spec, 'm.grad.yaml') };
}

const RNN = `model:
  - RNN: {input_size: 3, hidden_size: 4, batch_first: true}
  - Flatten
  - Linear: {in_features: 24, out_features: 1}
input: {shape: [6, 3]}
target: {shape: [1]}
loss: MSELoss
trace: {steps: 3, batch_size: 4}
`;

const ATTENTION = `model:
  - MultiheadAttention: {embed_dim: 4, num_heads: 2, batch_first: true}
  - Flatten
  - Linear: {in_features: 20, out_features: 1}
input: {shape: [5, 4]}
target: {shape: [1]}
loss: MSELoss
trace: {steps: 3, batch_size: 4}
`;

describe('sequence rules', () => {
  it('a healthy RNN and attention layer are silent', () => {
    for (const text of [RNN, ATTENTION]) {
      const { spec, trace } = traced(text);
      assert.deepEqual(checkTrace({ trace, spec }).map((f) => f.rule), []);
    }
  });

  it('gradient-through-time: a vanishing gradient is information, with LSTM offered for an RNN', () => {
    const { spec, trace } = traced(RNN);
    for (const s of trace.steps) for (const r of s.recurrent!) r.gradNorms = r.gradNorms!.map((_, t) => 10 ** (t - 5));
    const [f] = checkTrace({ trace, spec });
    assert.equal(f.rule, 'gradient-through-time');
    assert.equal(f.severity, 'info');
    assert.match(f.message, /^gradient vanishes through time in RNN 0: ‖∂loss\/∂h‖ at the first time step is 1e-5× the last step's \(step 0\): the first of its 6 inputs barely reach the loss/);
    const args = { input_size: 3, hidden_size: 4, num_layers: 1, bias: true, batch_first: true, dropout: 0, bidirectional: false };
    assert.deepEqual(f.fixes[0].intents, [{ kind: 'replace-layer', layer: '0', with: 'LSTM', args }]);
  });

  it('gradient-through-time: an explosion is a warning with clipping as the fix, silent once the optimizer clips', () => {
    const { spec, trace } = traced(RNN);
    for (const s of trace.steps) for (const r of s.recurrent!) r.gradNorms = r.gradNorms!.map((_, t) => 10 ** (5 - t));
    const [f] = checkTrace({ trace, spec });
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /explodes through time in RNN 0: ‖∂loss\/∂h‖ is 1e5 at the first time step, 1e5× the last time step's \(step 0\): each of the 5 steps back multiplies it by about 10$/);
    assert.deepEqual(f.fixes[0].intents, [{ kind: 'set-gradient-clip', maxNorm: 1 }]);
    // the reverse direction's first step is the sequence's last: the same numbers read backwards are healthy
    for (const s of trace.steps) for (const r of s.recurrent!) r.reverse = true;
    assert.equal(checkTrace({ trace, spec }).length, 1, 'now it vanishes instead');
    for (const s of trace.steps) for (const r of s.recurrent!) r.reverse = false;
    trace.optimizer.clip = { kind: 'norm', maxNorm: 1, normType: 2 };
    assert.deepEqual(checkTrace({ trace, spec }), []);
    // a stricter threshold, and severity off
    const config = withDefaults({ gradientThroughTime: { explodingRatio: 1e6, vanishingRatio: 1e-3 } });
    trace.optimizer.clip = null;
    assert.deepEqual(checkTrace({ trace, spec, config }), []);
    assert.deepEqual(checkTrace({ trace, spec, config: { ...DEFAULT_CONFIG, severity: { 'gradient-through-time': 'off' } } }), []);
  });

  it('saturated-gates: past half of the entries, per gate kind', () => {
    const { spec, trace } = traced(RNN.replace('RNN:', 'GRU:'));
    for (const s of trace.steps) for (const r of s.recurrent!) r.gates = r.gates.map((g) => ({ ...g, saturatedShare: g.kind === 'sigmoid' ? 0.8 : 0.1 }));
    const [f] = checkTrace({ trace, spec });
    assert.equal(f.rule, 'saturated-gates');
    assert.match(f.message, /^GRU 0's gates are saturated: 80% of sigmoid gate entries \(step 0\) pass less than 1% of their peak derivative/);
  });

  it('collapsed-attention: names the collapsed head of two', () => {
    const { spec, trace } = traced(ATTENTION);
    for (const s of trace.steps) for (const a of s.attention!) a.perHead[1] = { meanNormalizedEntropy: 0.01, collapsedShare: 0.95, meanMaxWeight: 0.999 };
    const [f] = checkTrace({ trace, spec });
    assert.equal(f.rule, 'collapsed-attention');
    assert.match(f.message, /^attention collapsed in MultiheadAttention 0: head 2 of 2 puts at least 99% of its weight on one key in 95% of rows \(step 0; mean entropy 0\.01 of uniform\)$/);
  });

  it('an op inside a layer belongs to the deepest spec layer around it', () => {
    const { spec } = traced(ATTENTION);
    assert.equal(specLayerOf(spec, '0')?.path, '0');
    assert.equal(specLayerOf(spec, '0.layers.1.self_attn')?.path, '0');
    assert.equal(specLayerOf(spec, '2')?.path, '2');
    assert.equal(specLayerOf(spec, '20'), undefined);
  });
});
