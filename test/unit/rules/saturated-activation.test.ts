import assert from 'node:assert/strict';
import { rendered } from '../../../src/analyse';
import { specFixes } from '../../../src/model/spec-fixes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec } from '../../../src/model';
import { withDefaults } from '../../../src/rules/config';
import { applyEdits } from '../../../src/model/fixes';
import { saturatedActivation } from '../../../src/rules/saturated-activation';
import type { Finding } from '../../../src/rules/types';
import { traceModel } from '../../../src/trace/run';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const FILE = 'seed.grad.yaml';

/** The seed model, Linear(10,10) → Sigmoid → Linear(10,1), with the first layer's init as given. */
function seed(init = '', activation = 'Sigmoid', input = 'normal'): string {
  return `model:
  - Linear: {in_features: 10, out_features: 10}${init ? `\n    init: ${init}` : ''}
  - ${activation}
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: ${input}}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 20, batch_size: 8, seed: 0}
`;
}

function check(text: string, file = FILE, config = withDefaults()): Finding[] {
  const { spec, diagnostics } = parseSpec(text, file);
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return rendered(saturatedActivation.check({ trace: traceModel(spec, file), spec: spec, config: config }), specFixes(text, file, spec));
}

describe('saturated-activation rule', () => {
  it('flags the seed model with weights from N(0, 8²) on the Sigmoid line, with the share in the message', () => {
    const text = seed('{weight: {normal: {std: 8}}}');
    const [f, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(f.layer, '1');
    assert.equal(text.slice(f.range.start, f.range.end), 'Sigmoid');
    const share = Number(/^sigmoid layer saturated: (\d+)% of units/.exec(f.message)?.[1]);
    assert.ok(share > 50, f.message);
    assert.match(f.message, /inputs reach \|x\| = \d+/);
    assert.equal(f.evidence[0].values.length, 20);
  });

  it('is an error when most units sit in the flat region, where float32 cannot move them back', () => {
    const [f] = check(seed('{weight: {normal: {std: 8}}}'));
    assert.equal(f.severity, 'error');
    assert.match(f.message, /\d+% in the flat region where the derivative is below 1e-7/);
  });

  it('prefers re-initialising the feeding layer, and every fix removes the finding', () => {
    const text = seed('{weight: {normal: {std: 8}}}');
    const [f] = check(text);
    assert.ok(f.fixes[0].preferred);
    assert.match(f.fixes[0].title, /^Initialise Linear 0's weight with xavier_uniform/);
    for (const fix of f.fixes) assert.deepEqual(check(applyEdits(text, fix.edits)), [], fix.title);
  });

  it('flags tanh with its own threshold, and huge inputs without blaming the init', () => {
    const [tanh] = check(seed('{weight: {normal: {std: 4}}}', 'Tanh'));
    assert.match(tanh.message, /^tanh layer saturated: \d+% of units/);
    const [inputs] = check(seed('', 'Sigmoid', '{normal: {mean: 0, std: 200}}'));
    assert.match(inputs.message, /^sigmoid layer saturated: \d+% of units/);
    assert.ok(!inputs.fixes.some((x) => /Initialise/.test(x.title)), 'the default init is not the cause');
  });

  it('stays silent on the default-init seed and at the share setting', () => {
    assert.deepEqual(check(seed()), []);
    assert.deepEqual(check(seed('{weight: {normal: {std: 8}}}'), FILE, withDefaults({ saturatedActivation: { share: 0.99 } })), []);
  });

  for (const name of ['seed-relu.grad.yaml', 'seed-xavier.grad.yaml', 'healthy/seed-xavier-sigmoid.grad.yaml']) {
    it(`stays silent on examples/${name}`, () => {
      const file = join(EXAMPLES, name);
      assert.deepEqual(check(readFileSync(file, 'utf8'), file), []);
    });
  }
});
