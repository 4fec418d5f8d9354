import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withSeverity } from '../../../src/rules';
import { withDefaults } from '../../../src/rules/config';
import { deadRelu } from '../../../src/rules/dead-relu';
import { applyEdits } from '../../../src/model/fixes';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from './corpus';

const FILE = 'relu.grad.yaml';

/** Linear(16,32) → ReLU → Linear(32,1), with the first layer's init and the optimiser as given. */
function spec({ init = '', optimizer = '{SGD: {lr: 0.01}}', batch = 16, layers = 1 } = {}): string {
  const hidden: string[] = [];
  for (let i = 0; i < layers; i++) {
    hidden.push(`  - Linear: {in_features: ${i ? 32 : 16}, out_features: 32}`);
    if (init && i === 0) hidden.push(`    init: ${init}`);
    hidden.push('  - ReLU');
  }
  return `model:
${hidden.join('\n')}
  - Linear: {in_features: 32, out_features: 1}
input: {shape: [16], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: ${optimizer}
trace: {steps: 20, batch_size: ${batch}, seed: 0}
`;
}

function check(text: string, config = withDefaults()): Finding[] {
  const { spec: s, diagnostics } = parseSpec(text, FILE);
  assert.ok(s, diagnostics.map((d) => d.message).join('; '));
  return rendered(withSeverity(deadRelu.check({ trace: traceModel(s, FILE), spec: s, config: config }), config), specFixes(text, FILE, s));
}

describe('dead-relu rule', () => {
  it('stays silent on a ReLU layer with PyTorch default init', () => {
    assert.deepEqual(check(spec()), []);
  });

  it('flags a layer whose bias starts at -3 as an error on the ReLU line: every unit is dead', () => {
    const text = spec({ init: '{bias: {constant: -3}}' });
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.rule, 'dead-relu');
    assert.equal(f.severity, 'error');
    assert.equal(f.layer, '1');
    assert.equal(text.slice(f.range.start, f.range.end), 'ReLU');
    assert.match(f.message, /^relu layer dead: 100% of units never activate on any sample of the batch \(inputs mean -3(\.\d+)?\)$/);
    assert.equal(f.evidence[0].values.length, 20);
    assert.match(f.related[0].message, /Linear 0/);
  });

  it('prefers LeakyReLU, and offers He init with a zero bias when the written init is the cause; both are honest', () => {
    const text = spec({ init: '{bias: {constant: -3}}' });
    const [f] = check(text);
    assert.deepEqual(
      f.fixes.map((x) => [x.title.split(' ').slice(0, 2).join(' '), !!x.preferred]),
      [
        ['Replace ReLU', true],
        ['Initialise Linear', false],
      ],
    );
    const leaky = applyEdits(text, f.fixes[0].edits);
    assert.match(leaky, /^ {2}- LeakyReLU$/m);
    const he = applyEdits(text, f.fixes[1].edits);
    assert.match(he, /init: \{bias: zeros, weight: \{kaiming_normal: \{nonlinearity: relu\}\}\}|init: \{weight: \{kaiming_normal: \{nonlinearity: relu\}\}, bias: zeros\}/);
    for (const fix of f.fixes) assert.deepEqual(check(applyEdits(text, fix.edits)), [], fix.title);
  });

  it('is a warning below 100%, and follows the share setting', () => {
    // Bias -1.2 leaves the units with the largest weights alive on a few samples.
    const text = spec({ init: '{bias: {constant: -1.2}}' });
    const [f] = check(text);
    assert.ok(f, 'finding');
    assert.equal(f.severity, 'warning');
    const share = Number(/dead: (\d+)%/.exec(f.message)![1]);
    assert.ok(share > 50 && share < 100, f.message);
    assert.deepEqual(check(text, withDefaults({ deadRelu: { share: 0.9 } })), []);
  });

  it('says when units died during training, and offers a concrete lower lr that keeps them alive', () => {
    // Adam at lr 0.3 moves every weight by about 0.3 a step: the last hidden layer dies within four steps.
    const text = spec({ layers: 3, optimizer: '{Adam: {lr: 0.3}}' });
    const findings = check(text);
    const f = findings.find((x) => /alive at step 0/.test(x.message));
    assert.ok(f, findings.map((x) => x.message).join(' | '));
    assert.match(f.message, /alive at step 0 \([\d.]+% dead\) and dead by step \d+/);
    const lr = f.fixes.find((x) => /lr/.test(x.title));
    assert.ok(lr, 'an lr fix');
    const fixed = applyEdits(text, lr.edits);
    const newLr = Number(/optimizer: \{Adam: \{lr: ([\d.e-]+)\}\}/.exec(fixed)![1]);
    assert.ok(newLr <= 0.1, `suggested lr ${newLr}`);
    assert.equal(check(fixed).filter((x) => x.layer === f.layer).length, 0);
  });

  it('does not judge a batch of one: a healthy unit is off on a single sample half the time', () => {
    // The article's Xavier seed at batch_size 1 has 60% of its units off on that one sample.
    const text = spec({ init: 'xavier_uniform', batch: 1 }).replace('init: xavier_uniform', 'init: {weight: xavier_uniform}');
    assert.deepEqual(check(text), []);
  });

  it('removes an output ReLU that regression targets below zero kill, instead of blaming the lr', () => {
    const text = `model:
  - Linear: {in_features: 16, out_features: 32}
  - ReLU
  - Linear: {in_features: 32, out_features: 1}
  - ReLU
input: {shape: [16], distribution: normal}
target: {shape: [1], distribution: {normal: {mean: -2, std: 0.5}}}
loss: MSELoss
optimizer: {SGD: {lr: 0.05}}
trace: {steps: 20, batch_size: 16, seed: 0}
`;
    const [f] = check(text);
    assert.equal(f.layer, '3');
    assert.match(f.fixes[0].title, /^Remove the ReLU after the output layer Linear 2/);
    assert.ok(!f.fixes.some((x) => /lr/.test(x.title)));
    assert.doesNotMatch(applyEdits(text, f.fixes[0].edits), /ReLU\ninput/);
  });

  it('respects severity off', () => {
    assert.deepEqual(check(spec({ init: '{bias: {constant: -3}}' }), withDefaults({ severity: { 'dead-relu': 'off' } })), []);
  });

  it('stays silent on a healthy MLP with up to 47% of its units dead (below 70%), and follows the share setting', () => {
    // Four Keras-style layers at normal(0, 0.05) with Adam: it trains to 1% of its loss in PyTorch.
    const file = join(EXAMPLES, 'trains/keras-normal-deep-mlp-adam.grad.yaml');
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(check(text), []);
    const loud = check(text, withDefaults({ deadRelu: { share: 0.4 } }));
    assert.ok(loud.length >= 1 && loud.every((f) => /dead: 4\d% of units/.test(f.message)), loud.map((f) => f.message).join(' | '));
  });

  it('counts the channels of a convolution, not its positions', () => {
    // A 5×5 kernel over a 6×6 image: a channel is dead only if no position of it fires on any sample.
    const text = `model:
  - Conv2d: {in_channels: 1, out_channels: 8, kernel_size: 5}
    init: {bias: {constant: -1.5}}
  - ReLU
  - Flatten
  - Linear: {in_features: 32, out_features: 1}
input: {shape: [1, 6, 6], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 5, batch_size: 16, seed: 0}
`;
    const { spec: s } = parseSpec(text, FILE);
    const trace = traceModel(s!, FILE);
    const a = trace.steps[0].activations.find((x) => x.layer === '1')!;
    assert.equal(a.deadUnits, 'channels');
    // With the bias at -1.5 some channels never fire; counted by position many more would look dead.
    assert.ok(a.deadShare > 0 && a.deadShare < 1, `dead channels ${a.deadShare}`);
    const [f] = deadRelu.check({ trace, spec: s!, config: withDefaults({ deadRelu: { share: 0.01 } }) });
    assert.match(f.message, /^relu layer dead: \d+% of channels never activate on any sample of the batch/);
  });
});
