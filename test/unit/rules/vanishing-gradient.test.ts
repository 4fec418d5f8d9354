import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { parseSpec } from '../../../src/model';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import type { Finding } from '../../../src/rules/types';
import { vanishingGradient } from '../../../src/rules/vanishing-gradient';
import { traceModel } from '../../../src/trace/run';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from './corpus';

const FILE = 'deep.grad.yaml';

/** `depth` blocks of Linear(16,16) + `activation`, then Linear(16,1). */
function deep(depth: number, activation = 'Sigmoid', init = ''): string {
  const blocks: string[] = [];
  for (let i = 0; i < depth; i++) {
    blocks.push('  - Linear: {in_features: 16, out_features: 16}');
    if (init) blocks.push(`    init: ${init}`);
    blocks.push(`  - ${activation}`);
  }
  return `model:
${blocks.join('\n')}
  - Linear: {in_features: 16, out_features: 1}
input: {shape: [16], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 10, batch_size: 16, seed: 0}
`;
}

function check(text: string, config = withDefaults()): Finding[] {
  const { spec, diagnostics } = parseSpec(text, FILE);
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return rendered(vanishingGradient.check({ trace: traceModel(spec, FILE), spec: spec, config: config }), specFixes(text, FILE, spec));
}

describe('vanishing-gradient rule', () => {
  it('stays silent on a shallow sigmoid network', () => {
    assert.deepEqual(check(deep(3)), []);
  });

  it('flags the layer where the ratio to the last layer first drops below 1e-3, going back, naming the activations in between', () => {
    const text = deep(12);
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0, 'one finding per model');
    assert.equal(f.layer, '14');
    assert.equal(text.slice(f.range.start, f.range.end), 'Linear');
    // The step with the strongest evidence is named, and on how many of the steps it shows.
    assert.match(f.message, /^gradient vanishes at Linear 14 at step \d+( \(the model as written\))?: its ‖∇W‖ = [\d.e-]+ is [\d.]+e-\d of the last layer's [\d.]+, through 5 Sigmoid layers; on 10 of 10 steps; 7 weight layers before it too$/);
    const ratio = Number(/is ([\d.e-]+) of the last/.exec(f.message)![1]);
    assert.ok(ratio < 1e-3);
    assert.match(f.related[0].message, /^the last weight layer, Linear 24: ‖∇W‖ = /);
    assert.deepEqual(
      f.evidence.map((e) => [e.label, e.values.length]),
      [
        ['‖∇W‖', 10],
        ['ratio to the last layer', 10],
      ],
    );
  });

  it('offers one fix replacing every sigmoid back to the earliest starved layer with ReLU and He init, and it is honest', () => {
    const text = deep(12);
    const [f] = check(text);
    const [relu] = f.fixes;
    assert.ok(relu.preferred);
    assert.match(relu.title, /^Replace the 12 Sigmoid layers after Linear 0 with ReLU/);
    // 12 activations rewritten and the 12 Linear layers feeding them re-initialised.
    assert.equal(relu.edits.length, 24);
    const fixed = applyEdits(text, relu.edits);
    assert.doesNotMatch(fixed, /Sigmoid/);
    assert.equal((fixed.match(/kaiming_normal/g) ?? []).length, 12);
    assert.deepEqual(check(fixed), []);
  });

  it('blames a small init when the activations are not sigmoid, and the init fix is honest', () => {
    const text = deep(10, 'Tanh', '{weight: {normal: {std: 0.05}}}');
    const [f] = check(text);
    assert.match(f.message, /through \d+ Tanh layers/);
    const init = f.fixes.find((x) => /^Initialise/.test(x.title));
    assert.ok(init, f.fixes.map((x) => x.title).join(' | '));
    const fixed = applyEdits(text, init.edits);
    assert.match(fixed, /xavier_uniform: \{gain: 1\.6666666666666667\}/);
    assert.deepEqual(check(fixed), []);
  });

  it('leaves gradients that are exactly zero to dead-relu, disconnected-parameter and underflow', () => {
    // Every ReLU unit dead: the gradient is cut, not small.
    const text = deep(2, 'ReLU', '{bias: {constant: -20}}');
    assert.deepEqual(check(text), []);
  });

  it('follows the thresholds: the ratio, and the mean |grad| of the model as written', () => {
    const text = deep(12);
    assert.deepEqual(check(text, withDefaults({ vanishingGradient: { ratio: 1e-12, meanAbs: 0 } })), []);
    // Without the ratio test the mean |grad| below 1e-7 still finds it, further back.
    const [mean] = check(text, withDefaults({ vanishingGradient: { ratio: 1e-12 } }));
    assert.match(mean.message, /^gradient vanishes at Linear \d+ at step 0 \(the model as written\): mean \|∇W\| = [\d.]+e-[89], /);
    const byMean = check(deep(3), withDefaults({ vanishingGradient: { meanAbs: 1 } }));
    assert.equal(byMean.length, 1);
    assert.match(byMean[0].message, /^gradient vanishes at Linear 4 at step 0 \(the model as written\): mean \|∇W\| = [\d.]+, ‖∇W‖ = [\d.]+, through 1 Sigmoid layer; 2 weight layers before it too$/);
  });

  it('finds a gradient that vanishes on the first step only, before the plateau hides it, and names the step', () => {
    // Six sigmoid layers of 32, targets around 3: from step 3 the output bias has fit the mean and
    // every gradient is small, so the ratios look normal; on step 0 the first layer gets 1e-6 of the last's.
    const text = readFileSync(join(EXAMPLES, 'bugs/deep-sigmoid/first-step-only.grad.yaml'), 'utf8');
    const [f] = check(text);
    assert.ok(f, 'a finding');
    assert.equal(f.layer, '0');
    assert.match(f.message, /^gradient vanishes at Linear 0 at step 0 \(the model as written\): its ‖∇W‖ = [\d.]+e-\d is [\d.]+e-\d of the last layer's [\d.]+, through 6 Sigmoid layers; on [1-4] of 20 steps$/);
    // A median over the steps does not see it.
    const ratios = f.evidence[1].values.filter(Number.isFinite).sort((a, b) => a - b);
    assert.ok(ratios[ratios.length >> 1] > 1e-3, `median ratio ${ratios[ratios.length >> 1]}`);
  });

  it('takes a dip on one step between two that recover for a transient, and two steps in a row for a vanishing gradient', () => {
    // A healthy shallow network whose first layer's gradient is made to dip mid-run, as a ReLU
    // network fitting one sample does for a step (seen in a real PyTorch run: 1 of 202 steps).
    const text = deep(3);
    const { spec } = parseSpec(text, FILE);
    const dipped = (steps: number[]) => {
      const trace = traceModel(spec!, FILE);
      const first = trace.params.findIndex((p) => p.name === '0.weight');
      for (const j of steps) {
        const p = trace.steps[j].params[first];
        trace.steps[j].params[first] = { ...p, gradNorm: 1e-9, gradMeanAbs: 1e-11 };
      }
      return rendered(vanishingGradient.check({ trace, spec: spec!, config: withDefaults() }), specFixes(text, FILE, spec!));
    };
    assert.deepEqual(dipped([]), []);
    assert.deepEqual(dipped([4]), [], 'one step between two that recover is a transient');
    const [f] = dipped([4, 5]);
    assert.match(f.message, /^gradient vanishes at Linear 0 at step [45]: .* on 2 of 10 steps/);
    // The model as written and the last step have no step after them to recover on.
    assert.equal(dipped([9]).length, 1);
  });

  it('says a model that has fit its batch has small gradients because of that, as information, and nothing else', () => {
    // The seed article's loop, 300 of its 1000 steps: one sample, SGD at 0.1, fit within a few steps.
    const text = readFileSync(join(EXAMPLES, 'trains/seed-converged-single-sample.grad.yaml'), 'utf8').replace('steps: 1000', 'steps: 300');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'info');
    assert.equal(f.layer, '0');
    assert.match(f.message, /^gradients are small because the loss is (down to 0|[\d.e-]+): the model has fit this batch \(the loss fell from [\d.]+ at step 0 to [\d.]+e-\d at step 6\), not a vanishing gradient; mean \|∇W\| of Linear 0 is below 1e-7 on \d+ of the \d+ steps after that$/);
    // The share of the first loss that counts as a fit is a setting: 1e-3 is reached at step 3.
    const [early] = check(text, withDefaults({ vanishingGradient: { convergedLoss: 1e-3 } }));
    assert.match(early.message, /to [\d.]+e-4 at step 3\)/);
    // The steps before a fit are still judged: at 0.5 the deep sigmoid stack "fits" early, and its step 0 still warns.
    const bug = readFileSync(join(EXAMPLES, 'bugs/deep-sigmoid/first-step-only.grad.yaml'), 'utf8');
    assert.equal(check(bug, withDefaults({ vanishingGradient: { convergedLoss: 0.5 } }))[0].severity, 'warning');
  });
});
