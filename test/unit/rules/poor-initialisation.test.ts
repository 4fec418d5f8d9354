import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withSeverity } from '../../../src/rules';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { poorInitialisation } from '../../../src/rules/poor-initialisation';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from './corpus';

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
  return rendered(withSeverity(poorInitialisation.check({ trace: traceModel(s, FILE), spec: s, config: config }), config), specFixes(text, FILE, s));
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

  it('a spec can write the structured schemes, and orthogonal (gain √2 for ReLU) and eye stay silent', () => {
    assert.deepEqual(check(spec('{weight: {orthogonal: {gain: 1.414}}}', 'ReLU', 32, 32)), []);
    assert.deepEqual(check(spec('{weight: eye}', 'Tanh', 32, 32)), []);
    assert.deepEqual(check(spec('{weight: {trunc_normal: {std: 0.3, a: -0.6, b: 0.6}}}', 'Tanh', 8, 32)), []);
  });

  it('stays silent on Xavier for tanh and He for ReLU', () => {
    assert.deepEqual(check(spec('{weight: {xavier_uniform: {gain: 1.667}}}', 'Tanh')), []);
    assert.deepEqual(check(spec('{weight: {kaiming_normal: {nonlinearity: relu}}}', 'ReLU')), []);
  });

  it('flags zero weights and bias before a ReLU as symmetric, on the init written for them, and the fix sets He init for the ReLU', () => {
    // ReLU passes no gradient at 0: the weight never moves, every unit stays the same (zero) unit.
    const text = spec('{weight: zeros, bias: zeros}');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '0');
    assert.equal(f.severity, 'warning');
    assert.equal(text.slice(f.range.start, f.range.end), 'zeros', 'the squiggle is on what to change');
    assert.match(f.message, /^weight of Linear 0 starts constant \(every entry 0\) and its 32 units are still copies of one another after 3 steps \(the weight is still all zero\): the updates do not break the symmetry$/);
    assert.match(f.fixes[0].title, /kaiming_normal\(nonlinearity=relu\)/);
    const fixed = fixedIsSilent(text, f);
    assert.match(fixed, /weight: \{kaiming_normal: \{nonlinearity: relu\}\}/);
  });

  it('flags a constant that is not exactly representable in float32 when the layer after it is constant too', () => {
    // Identical outgoing weights give identical units identical gradients: the rows never part.
    const text = spec('{weight: {constant: 0.1}, bias: zeros}', 'Tanh').replace(
      '  - Linear: {in_features: 32, out_features: 1}',
      '  - Linear: {in_features: 32, out_features: 1}\n    init: {weight: {constant: 0.1}, bias: zeros}',
    );
    const [f] = check(text);
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /every entry 0\.1\) and its 32 units are still copies of one another after 3 steps \(their rows differ by 0% of the weights' size\)/);
  });

  it('says only as information that a constant layer starts symmetric when the random layer after it breaks the symmetry', () => {
    // Keras's kernel_initializer='zeros' on one hidden layer: each unit gets its own gradient from the random weights after it.
    const [f] = check(spec('{weight: zeros, bias: zeros}', 'Tanh'));
    assert.equal(f.severity, 'info');
    assert.match(f.message, /^weight of Linear 0 starts constant \(every entry 0\), but the updates make its 32 units differ \(after 3 steps their rows differ by [\d.]+% of the weights' size\): the symmetry breaks, so this is only a hint$/);
  });

  it('reads how far apart the rows must move to count as broken symmetry from the settings', () => {
    // A constant 0.5 before random biases: after 10 steps the rows are 0.5% apart, still near copies.
    const text = readFileSync(join(EXAMPLES, 'problems/poor-initialisation/constant-init.grad.yaml'), 'utf8');
    const [f] = check(text);
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /their rows differ by 0\.\d% of the weights' size/);
    assert.equal(check(text, withDefaults({ initialisation: { symmetry: 0.001 } }))[0].severity, 'info');
    // Keras's zeros on one hidden layer before a random one: rows 100% apart, a hint at any setting below that.
    const keras = readFileSync(join(EXAMPLES, 'trains/zeros-first-layer-tanh.grad.yaml'), 'utf8');
    assert.deepEqual(check(keras).map((x) => x.severity), ['info']);
    assert.deepEqual(check(keras, withDefaults({ initialisation: { symmetry: 0.5 } })).map((x) => x.severity), ['info']);
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
    assert.equal(f.severity, 'warning');
    // What was measured on the sampled weights, beside what was written, on the init's own text.
    assert.match(f.message, /^weight of Linear 0 starts at std (9\.\d|10|11) as measured \(written: normal\(std=10\)\), expected about 0\.37 \(Xavier for the Tanh after it\): variance \d+× too large; its outputs start at root mean square \d+, \d+× what Xavier would give on these inputs \([\d.]+\)$/);
    assert.equal(text.slice(f.range.start, f.range.end), '{normal: {std: 10}}');
    assert.equal(f.related.length, 1);
    assert.match(f.fixes[0].title, /xavier_uniform\(gain=1\.7\)/);
    fixedIsSilent(text, f);
  });

  it('says a tiny init (std 1e-4) is too small only as information while its gradient gets through', () => {
    // The first layer's gradient does not depend on its own scale: it learns from the first step.
    const [f] = check(spec('{weight: {normal: {std: 0.0001}}}', 'ReLU'));
    assert.equal(f.severity, 'info');
    assert.match(f.message, /expected about 0\.5 \(He for the ReLU after it\): variance [\d.]+e\d+× too small; the signal still gets through \(its ‖∇W‖ = [\d.e-]+ is [\d.e-]+ of the last layer's on the first step\), as with Keras's small inits that train, so this is only a hint$/);
  });

  it('flags a small init as a warning when the gradient vanishes through it (eight tanh layers at std 0.01)', () => {
    const layers: string[] = [];
    for (let i = 0; i < 8; i++) layers.push(`  - Linear: {in_features: 32, out_features: 32}\n    init: {weight: {normal: {std: 0.01}}, bias: zeros}\n  - Tanh`);
    const text = `model:\n${layers.join('\n')}\n  - Linear: {in_features: 32, out_features: 1}\ninput: {shape: [32], distribution: normal}\ntarget: {shape: [1], distribution: normal}\nloss: MSELoss\noptimizer: {SGD: {lr: 0.01}}\ntrace: {steps: 3, batch_size: 8, seed: 0}\n`;
    const findings = check(text);
    const first = findings.find((f) => f.layer === '0')!;
    assert.equal(first.severity, 'warning');
    assert.match(first.message, /variance [\d.]+× too small; the signal collapses: on the first step its mean \|∇W\| is [\d.]+e-\d+, below 1e-7 \(its ‖∇W‖ = [\d.]+e-\d+ is [\d.e-]+ of the last layer's\)$/);
  });

  it('judges the scale by the activation after pass-through layers, and not at all before a normalisation', () => {
    const drop = spec('{weight: {normal: {std: 0.0001}}}', 'ReLU').replace('  - ReLU\n', '  - Dropout: {p: 0.1}\n  - ReLU\n');
    assert.match(check(drop)[0].message, /He for the ReLU/);
    const norm = spec('{weight: {normal: {std: 0.01}}}', 'ReLU').replace('  - ReLU\n', '  - BatchNorm1d: {num_features: 32}\n  - ReLU\n');
    assert.deepEqual(check(norm), []);
  });

  it("does not judge the scale PyTorch's default init drew from by a few entries, but judges a scale written for them", () => {
    const line = (init: string, seed: number) => `model:
  - Linear: {in_features: 1, out_features: 1}${init ? `\n    init: ${init}` : ''}
input: {shape: [1], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 3, batch_size: 8, seed: ${seed}}
`;
    // nn.Linear(1, 1)'s one weight is a single draw of U(-1, 1): 7 of these 40 seeds drew it 12–1900×
    // below Xavier's variance, which the measured value alone called too small.
    for (let seed = 0; seed < 40; seed++) assert.deepEqual(check(line('', seed)), [], `seed ${seed}`);
    // A constant draws nothing: its one value is its scale.
    assert.match(check(line('{weight: {constant: 0.001}}', 0))[0]?.message ?? '', /starts at root mean square 0\.001 .*variance 1e6× too small/);
    // A scale written for a few entries is that scale, whatever they drew: normal(std=0.001) on eight weights.
    const narrow = check(spec('', 'ReLU', 8, 8).replace('out_features: 1}', 'out_features: 1}\n    init: {weight: {normal: {std: 0.001}}}'));
    assert.match(narrow[0]?.message ?? '', /^weight of Linear 2 starts at root mean square 0\.001\d* \(mean [^)]*\) as measured \(written: normal\(std=0\.001\)\).*too small/);
  });

  it('follows the settings: the factor and the absolute variance bounds', () => {
    const text = spec('{weight: {normal: {std: 1}}}', 'ReLU', 64, 32);
    assert.equal(check(text).length, 1, 'variance 1 is 32× the He value 2/64');
    assert.deepEqual(check(text, withDefaults({ initialisation: { factor: 100 } })), []);
    assert.deepEqual(check(text, withDefaults({ severity: { 'poor-initialisation': 'off' } })), []);
  });
});
