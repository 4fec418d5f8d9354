import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/graph';
import { withSeverity } from '../../../src/rules';
import { withDefaults } from '../../../src/rules/config';
import { disconnectedParameter } from '../../../src/rules/disconnected-parameter';
import { applyEdits } from '../../../src/model/fixes';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';
import type { Trace } from '../../../src/trace/types';

const FILE = 'disconnected.grad.yaml';

function spec(layers: string, { target = '{shape: [1], distribution: normal}', loss = 'MSELoss', steps = 4 } = {}): string {
  return `model:
${layers}
input: {shape: [8], distribution: normal}
target: ${target}
loss: ${loss}
optimizer: {SGD: {lr: 0.01}}
trace: {steps: ${steps}, batch_size: 8, seed: 0}
`;
}

function parse(text: string): ModelSpec {
  const { spec: s, diagnostics } = parseSpec(text, FILE);
  assert.ok(s, diagnostics.map((d) => d.message).join('; '));
  return s;
}

function check(text: string, trace?: Trace): Finding[] {
  const s = parse(text);
  return rendered(disconnectedParameter.check({ trace: trace ?? traceModel(s, FILE), spec: s, config: withDefaults() }), specFixes(text, FILE, s));
}

const DROPOUT = (p: number) => `  - Linear: {in_features: 8, out_features: 16}
  - ReLU
  - Dropout: {p: ${p}}
  - Linear: {in_features: 16, out_features: 1}`;

describe('disconnected-parameter rule', () => {
  it('stays silent when dropout keeps some units', () => {
    assert.deepEqual(check(spec(DROPOUT(0.5))), []);
  });

  it('names Dropout(p=1) as the layer that blocks the gradient of the Linear before it', () => {
    const text = spec(DROPOUT(1));
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0, rest.map((x) => x.message).join(' | '));
    assert.equal(f.severity, 'error');
    assert.equal(f.layer, '0');
    assert.match(f.message, /^gradient of 0\.weight, 0\.bias is exactly 0 on all 4 steps: Dropout 2 with p=1 zeroes every value \(gradient norm [\d.e-]+ at its output, 0 at its input\)$/);
    assert.equal(f.related.length, 1);
    assert.equal(text.slice(f.related[0].range.start, f.related[0].range.end), 'Dropout');
    assert.equal(f.evidence[0].values.length, 4);
    assert.deepEqual(
      f.fixes.map((x) => x.title),
      ['Remove Dropout 2', "Set Dropout 2's p to 0.5 (PyTorch's default; p is the share dropped)"],
    );
    assert.equal(f.fixes[0].preferred, true);
    for (const fix of f.fixes) assert.deepEqual(check(applyEdits(text, fix.edits)), [], fix.title);
  });

  it('catches LayerNorm over a single feature, including its own weight', () => {
    const text = spec(`  - Linear: {in_features: 8, out_features: 1}
  - LayerNorm: {normalized_shape: 1}
  - Linear: {in_features: 1, out_features: 4}
  - Tanh
  - Linear: {in_features: 4, out_features: 1}`);
    const found = check(text);
    assert.deepEqual(
      found.map((f) => [f.layer, f.message.replace(/ \(gradient norm.*/, '')]),
      [
        ['0', 'gradient of 0.weight, 0.bias is exactly 0 on all 4 steps: LayerNorm 1 normalises over a single feature, so its output is always its bias'],
        ['1', 'gradient of 1.weight is exactly 0 on all 4 steps: LayerNorm 1 normalises over a single feature, so its output is always its bias'],
      ],
    );
    // Its own weight has no related location: the finding is already on the blocking layer.
    assert.equal(found[1].related.length, 0);
    assert.deepEqual(check(applyEdits(text, found[0].fixes[0].edits)), []);
  });

  it('catches Softmax over an axis of size 1', () => {
    const text = spec(
      `  - Linear: {in_features: 8, out_features: 4}
  - Tanh
  - Linear: {in_features: 4, out_features: 1}
  - Softmax: {dim: -1}`,
    );
    const found = check(text);
    assert.deepEqual(
      found.map((f) => f.layer),
      ['0', '2'],
    );
    assert.match(found[0].message, /Softmax 3 over dim -1 of size 1 always outputs 1/);
  });

  it('leaves a gradient zeroed by dead ReLU units to the dead-relu rule', () => {
    // A bias of -100 keeps every ReLU unit off: the Linear before gets exactly zero gradient, with no structural blocker.
    const text = spec(`  - Linear: {in_features: 8, out_features: 16}
    init: {bias: {constant: -100}}
  - ReLU
  - Linear: {in_features: 16, out_features: 1}`);
    const s = parse(text);
    const trace = traceModel(s, FILE);
    assert.ok(trace.steps.every((st) => st.params[0].zeroFraction === 1), 'the setup really zeroes the gradient');
    assert.deepEqual(check(text, trace), []);
  });

  it('leaves a gradient zeroed by saturated sigmoid units to the saturation rule', () => {
    const text = spec(`  - Linear: {in_features: 8, out_features: 16}
    init: {bias: {constant: 200}}
  - Sigmoid
  - Linear: {in_features: 16, out_features: 1}`);
    const s = parse(text);
    const trace = traceModel(s, FILE);
    assert.ok(trace.steps.every((st) => st.params[0].zeroFraction === 1), 'float32 sigmoid(200) is exactly 1: zero derivative');
    assert.deepEqual(check(text, trace), []);
  });

  it('reports a parameter no gradient ever reaches', () => {
    const text = spec(DROPOUT(0.5));
    const s = parse(text);
    const trace = traceModel(s, FILE);
    // As the trace records a parameter outside the loss's graph (a layer not on the path).
    for (const st of trace.steps) st.params[2] = { ...st.params[2], reached: false, gradNorm: 0, zeroFraction: 1 };
    const [f, ...rest] = check(text, trace);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '3');
    assert.equal(f.message, 'no gradient reaches 3.weight on any of 4 steps: no path from Linear 3 to the loss');
  });

  it('is switched off by the severity setting', () => {
    const text = spec(DROPOUT(1));
    const s = parse(text);
    const config = withDefaults({ severity: { 'disconnected-parameter': 'off' } });
    assert.ok(disconnectedParameter.check({ trace: traceModel(s, FILE), spec: s, config }).length, 'the rule finds it');
    assert.deepEqual(withSeverity(disconnectedParameter.check({ trace: traceModel(s, FILE), spec: s, config }), config), []);
  });
});
