import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { explodingGradient } from '../../../src/rules/exploding-gradient';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';

const FILE = 'deep.grad.yaml';

/** `depth` blocks of Linear(w,w) + `activation` with `init`, then Linear(w,1). */
function deep({ depth = 24, width = 32, activation = 'Tanh', init = '{weight: {normal: {std: 0.5}}}', loss = 'MSELoss', optimizer = '{SGD: {lr: 0.01}}', batch = 16 } = {}): string {
  const blocks: string[] = [];
  for (let i = 0; i < depth; i++) {
    blocks.push(`  - Linear: {in_features: ${width}, out_features: ${width}}`);
    if (init) blocks.push(`    init: ${init}`);
    blocks.push(`  - ${activation}`);
  }
  return `model:
${blocks.join('\n')}
  - Linear: {in_features: ${width}, out_features: 1}
input: {shape: [${width}], distribution: normal}
target: {shape: [1], distribution: normal}
loss: ${loss}
optimizer: ${optimizer}
trace: {steps: 10, batch_size: ${batch}, seed: 0}
`;
}

function check(text: string, config = withDefaults()): Finding[] {
  const { spec, diagnostics } = parseSpec(text, FILE);
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return rendered(explodingGradient.check({ trace: traceModel(spec, FILE), spec: spec, config: config }), specFixes(text, FILE, spec));
}

describe('exploding-gradient rule', () => {
  it('stays silent on the same deep tanh network with Xavier init for tanh', () => {
    assert.deepEqual(check(deep({ init: '{weight: {xavier_uniform: {gain: 1.6666666666666667}}}' })), []);
  });

  it('flags the first layer when its ‖∇W‖ is more than 70× the last one’s, with both norms', () => {
    const text = deep();
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '0');
    assert.equal(text.slice(f.range.start, f.range.end), 'Linear');
    const m = /^gradient explodes towards Linear 0: its ‖∇W‖ = (\d+) is (\d+)× the last layer's ([\d.]+) \(at step 0\)$/.exec(f.message);
    assert.ok(m, f.message);
    assert.ok(Number(m[2]) > 70);
    assert.match(f.related[0].message, /^the last weight layer, Linear 48/);
    assert.equal(f.evidence[0].values.length, 10);
  });

  it('blames the written init first, offers LayerNorm too, and both fixes are honest', () => {
    const text = deep();
    const [f] = check(text);
    assert.match(f.fixes[0].title, /^Initialise the 24 weight layers for the activation after each/);
    assert.ok(f.fixes[0].preferred);
    assert.match(f.fixes[1].title, /^Insert LayerNorm before the 24 hidden activations/);
    assert.ok(!f.fixes.some((x) => /lr/.test(x.title)), 'the updates are not the cause');
    for (const fix of f.fixes) assert.deepEqual(check(applyEdits(text, fix.edits)), [], fix.title);
  });

  it('flags a gradient norm that grows past the bound under the updates, and offers the mean reduction and a lower lr', () => {
    const text = deep({ depth: 2, activation: 'ReLU', init: '', loss: '{MSELoss: {reduction: sum}}', optimizer: '{SGD: {lr: 0.1}}', batch: 32 });
    const [f] = check(text);
    assert.ok(f, 'finding');
    assert.match(f.message, /^gradient explodes at Linear \d: its ‖∇W‖ grew from [\d.]+ at step 0 to [\d.]+e\d at step \d, past the bound 1e4/);
    assert.deepEqual(
      f.fixes.map((x) => x.title.split(' ')[0]),
      ['Use', 'Lower'],
    );
    assert.match(applyEdits(text, f.fixes[0].edits), /^loss: MSELoss$/m);
    for (const fix of f.fixes) assert.deepEqual(check(applyEdits(text, fix.edits)), [], fix.title);
  });

  it('follows the ratio and bound settings', () => {
    assert.deepEqual(check(deep(), withDefaults({ explodingGradient: { ratio: 1e4 } })), []);
    const [f] = check(deep({ depth: 3, init: '' }), withDefaults({ explodingGradient: { normBound: 1e-3 } }));
    assert.match(f.message, /is [\d.]+ at step 0, past the bound 0\.001/);
  });
});
