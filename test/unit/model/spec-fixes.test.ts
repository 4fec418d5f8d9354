import assert from 'node:assert/strict';
import { parseSpec } from '../../../src/model';
import { applyEdits, replaceOptimizer } from '../../../src/model/spec-fixes';

const BODY = `model:
  - Linear: {in_features: 4, out_features: 1}
input: {shape: [4], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
`;

describe('fix edits', () => {
  it('sets the optimiser of a YAML spec that has none (the default applies) by adding the section', () => {
    const { spec } = parseSpec(BODY, 'm.grad.yaml');
    const fixed = applyEdits(BODY, [replaceOptimizer(BODY, 'yaml', spec!.optimizer.range, { SGD: { lr: 0.1 } })]);
    const after = parseSpec(fixed, 'm.grad.yaml');
    assert.deepEqual(after.diagnostics, []);
    assert.equal(after.spec!.optimizer.args.lr, 0.1);
  });

  it('does the same in JSON', () => {
    const json = JSON.stringify({ model: [{ Linear: { in_features: 4, out_features: 1 } }], input: { shape: [4] }, target: { shape: [1] }, loss: 'MSELoss' }, null, 2);
    const { spec } = parseSpec(json, 'm.grad.json');
    const fixed = applyEdits(json, [replaceOptimizer(json, 'json', spec!.optimizer.range, { Adam: { lr: 0.001 } })]);
    const after = parseSpec(fixed, 'm.grad.json');
    assert.deepEqual(after.diagnostics, []);
    assert.equal(after.spec!.optimizer.type, 'Adam');
  });

  it('replaces an optimiser that is there', () => {
    const text = `${BODY}optimizer: {SGD: {lr: 1e-10}}\n`;
    const { spec } = parseSpec(text, 'm.grad.yaml');
    const fixed = applyEdits(text, [replaceOptimizer(text, 'yaml', spec!.optimizer.range, { SGD: { lr: 0.01 } })]);
    assert.match(fixed, /^optimizer: \{SGD: \{lr: 0\.01\}\}$/m);
    assert.deepEqual(parseSpec(fixed, 'm.grad.yaml').diagnostics, []);
  });
});
