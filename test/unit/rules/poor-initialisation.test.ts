import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { poorInitialisation } from '../../../src/rules/poor-initialisation';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';

const FILE = 'init.grad.yaml';

/** Linear(fanIn, width) with `init` → `activation` → Linear(width, 1). */
function spec(init: string, activation = 'ReLU', fanIn = 8, width = 32): string {
  return `model:
  - Linear: {in_features: ${fanIn}, out_features: ${width}}${init ? `\n    init: ${init}` : ''}
  - ${activation}
  - Linear: {in_features: ${width}, out_features: 1}
input: {shape: [${fanIn}], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 3, batch_size: 8, seed: 0}
`;
}

function check(text: string, config = withDefaults()): Finding[] {
  const { spec: s, diagnostics } = parseSpec(text, FILE);
  assert.ok(s, diagnostics.map((d) => d.message).join('; '));
  return rendered(poorInitialisation.check({ trace: traceModel(s, FILE), spec: s, config: config }), specFixes(text, FILE, s));
}

function fixedIsSilent(text: string, f: Finding): string {
  assert.ok(f.fixes.length > 0);
  const fixed = applyEdits(text, f.fixes[0].edits);
  assert.deepEqual(
    check(fixed).map((x) => x.message),
    [],
  );
  return fixed;
}

describe('poor-initialisation rule', () => {
  it("stays silent on PyTorch's default init (kaiming_uniform a=√5, std 1/√(3·fan_in)) whatever the activation or shape", () => {
    for (const act of ['ReLU', 'Tanh', 'Sigmoid', 'GELU', 'LeakyReLU', 'ELU']) {
      assert.deepEqual(check(spec('', act)), [], act);
    }
    // Wide and narrow fans: Xavier and He disagree most here, and neither should make the default look wrong.
    assert.deepEqual(check(spec('', 'Tanh', 1, 64)), []);
    assert.deepEqual(check(spec('', 'ReLU', 64, 2)), []);
  });

  it('stays silent on Xavier for tanh and He for ReLU', () => {
    assert.deepEqual(check(spec('{weight: {xavier_uniform: {gain: 1.667}}}', 'Tanh')), []);
    assert.deepEqual(check(spec('{weight: {kaiming_normal: {nonlinearity: relu}}}', 'ReLU')), []);
  });

  it('flags zero weights as symmetric, on the Linear, and the fix sets He init for the ReLU', () => {
    const text = spec('{weight: zeros}');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '0');
    assert.equal(text.slice(f.range.start, f.range.end), 'Linear');
    assert.match(f.message, /^weight of Linear 0 starts constant \(every entry 0, std 0\): its 32 units start identical/);
    assert.match(f.fixes[0].title, /kaiming_normal\(nonlinearity=relu\)/);
    const fixed = fixedIsSilent(text, f);
    assert.match(fixed, /init: \{weight: \{kaiming_normal: \{nonlinearity: relu\}\}\}/);
  });

  it('flags a constant that is not exactly representable in float32', () => {
    const [f] = check(spec('{weight: {constant: 0.1}}', 'Tanh'));
    assert.match(f.message, /every entry 0\.1, std 0/);
  });

  it('does not call a single-row weight symmetric', () => {
    const text = `model:
  - Linear: {in_features: 8, out_features: 1}
    init: {weight: {constant: 0.2}}
input: {shape: [8], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 2, batch_size: 8, seed: 0}
`;
    assert.deepEqual(check(text), []);
  });

  it('flags std 10 with the measured and expected std, and Xavier fixes it for tanh', () => {
    const text = spec('{weight: {normal: {std: 10}}}', 'Tanh');
    const [f] = check(text);
    assert.match(f.message, /^weight of Linear 0 starts at std (9\.\d|10|11), expected about 0\.37 \(Xavier for the Tanh after it\): variance \d+× too large/);
    assert.equal(f.related.length, 1);
    assert.match(f.fixes[0].title, /xavier_uniform\(gain=1\.7\)/);
    fixedIsSilent(text, f);
  });

  it('flags a tiny init (std 1e-4) as too small', () => {
    const [f] = check(spec('{weight: {normal: {std: 0.0001}}}', 'ReLU'));
    assert.match(f.message, /expected about 0\.5 \(He for the ReLU after it\): variance [\d.]+e\d+× too small/);
  });

  it('judges the scale by the activation after pass-through layers, and not at all before a normalisation', () => {
    const drop = spec('{weight: {normal: {std: 0.0001}}}', 'ReLU').replace('  - ReLU\n', '  - Dropout: {p: 0.1}\n  - ReLU\n');
    assert.match(check(drop)[0].message, /He for the ReLU/);
    const norm = spec('{weight: {normal: {std: 0.01}}}', 'ReLU').replace('  - ReLU\n', '  - BatchNorm1d: {num_features: 32}\n  - ReLU\n');
    assert.deepEqual(check(norm), []);
  });

  it('follows the settings: the factor and the absolute variance bounds', () => {
    const text = spec('{weight: {normal: {std: 1}}}', 'ReLU', 64, 32);
    assert.equal(check(text).length, 1, 'variance 1 is 32× the He value 2/64');
    assert.deepEqual(check(text, withDefaults({ initialisation: { factor: 100 } })), []);
    assert.deepEqual(check(text, withDefaults({ severity: { 'poor-initialisation': 'off' } })), []);
  });
});
