import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import type { Finding } from '../../../src/rules/types';
import { underflow } from '../../../src/rules/underflow';
import { traceModel } from '../../../src/trace/run';

const FILE = 'deep.grad.yaml';

/** `depth` blocks of Linear(16,16) + Sigmoid, then Linear(16,1). */
function deep(depth: number, dtype = 'float32'): string {
  const blocks = Array.from({ length: depth }, () => '  - Linear: {in_features: 16, out_features: 16}\n  - Sigmoid').join('\n');
  return `model:
${blocks}
  - Linear: {in_features: 16, out_features: 1}
input: {shape: [16], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 4, batch_size: 16, seed: 0, dtype: ${dtype}}
`;
}

function check(text: string, config = withDefaults()): Finding[] {
  const { spec, diagnostics } = parseSpec(text, FILE);
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return rendered(underflow.check({ trace: traceModel(spec, FILE), spec: spec, config: config }), specFixes(text, FILE, spec));
}

describe('underflow rule', () => {
  it('stays silent on a 12-deep sigmoid network: its gradients are small but normal floats', () => {
    assert.deepEqual(check(deep(12)), []);
  });

  it('flags the last layer (going back, the first) whose gradient is mostly float32 subnormals', () => {
    const text = deep(45);
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(text.slice(f.range.start, f.range.end), 'Linear');
    const m = /^gradient underflows at Linear (\d+): ([\d.]+)% of its nonzero ∇W entries are float32 subnormals \(below 1\.2e-38\); (\d+) weight layers before it too$/.exec(f.message);
    assert.ok(m, f.message);
    assert.equal(f.layer, m[1]);
    assert.ok(Number(m[2]) > 1);
    assert.equal(f.evidence[0].values.length, 4);
  });

  it('counts the layers flushed to exactly zero and names where the gradient fell off', () => {
    const [f] = check(deep(60));
    assert.match(f.message, /, (\d+) of them flushed to exactly 0; it fell to [\d.]+e-4\d at Sigmoid \d+'s output$/);
    assert.match(f.related[0].message, /^the gradient entering Sigmoid \d+ was [\d.]+e-4\d, and nothing came out$/);
  });

  it('the same model in float64 keeps every digit: no subnormals to report', () => {
    assert.deepEqual(check(deep(45, 'float64')), []);
  });

  it('offers ReLU with He init back to the earliest starved layer, and it is honest', () => {
    const text = deep(45);
    const [f] = check(text);
    assert.match(f.fixes[0].title, /^Replace the 45 Sigmoid layers after Linear 0 with ReLU/);
    assert.deepEqual(check(applyEdits(text, f.fixes[0].edits)), []);
  });

  it('follows the subnormal share setting', () => {
    assert.deepEqual(check(deep(45), withDefaults({ underflow: { subnormalShare: 1 } })), []);
  });
});
