import assert from 'node:assert/strict';
import { parseSpec } from '../../../src/model';
import { applyEdits, replaceOptimizer, specFixes } from '../../../src/model/spec-fixes';

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

  it('clips the gradient norm beside the optimiser, and keeps a written clipping when the optimiser changes', () => {
    for (const [file, text] of [
      ['m.grad.yaml', `${BODY}optimizer: {SGD: {lr: 0.1, momentum: 0.9}}\n`],
      ['m.grad.json', JSON.stringify({ model: [{ Linear: { in_features: 4, out_features: 1 } }], input: { shape: [4] }, target: { shape: [1] }, loss: 'MSELoss', optimizer: { SGD: { lr: 0.1, momentum: 0.9 } } }, null, 2)],
    ]) {
      const render = specFixes(text, file, parseSpec(text, file).spec!);
      const clipped = applyEdits(text, render([{ kind: 'set-gradient-clip', maxNorm: 1 }])!);
      const after = parseSpec(clipped, file);
      assert.deepEqual(after.diagnostics, []);
      assert.deepEqual({ ...after.spec!.optimizer.clip!, ranges: undefined }, { kind: 'norm', maxNorm: 1, normType: 2, ranges: undefined }, file);
      assert.equal(after.spec!.optimizer.args.momentum, 0.9);
      // a later fix of the learning rate keeps the clipping (and a fix doing both writes them together)
      const lowered = applyEdits(clipped, specFixes(clipped, file, after.spec!)([{ kind: 'set-optimizer-args', args: { lr: 0.01 } }])!);
      const again = parseSpec(lowered, file).spec!;
      assert.equal(again.optimizer.args.lr, 0.01);
      assert.equal(again.optimizer.clip?.kind === 'norm' && again.optimizer.clip.maxNorm, 1);
      const both = applyEdits(text, render([{ kind: 'set-optimizer-args', args: { lr: 0.05 } }, { kind: 'set-gradient-clip', maxNorm: 0.5 }])!);
      const b = parseSpec(both, file).spec!;
      assert.deepEqual([b.optimizer.args.lr, b.optimizer.clip?.kind === 'norm' && b.optimizer.clip.maxNorm], [0.05, 0.5]);
    }
    const written = `${BODY}optimizer: {Adam: {lr: 0.1}, clip_grad_norm: {max_norm: 2, norm_type: 1}}\n`;
    const out = applyEdits(written, specFixes(written, 'm.grad.yaml', parseSpec(written, 'm.grad.yaml').spec!)([{ kind: 'set-optimizer-args', args: { lr: 0.001 } }])!);
    assert.match(out, /^optimizer: \{Adam: \{lr: 0\.001\}, clip_grad_norm: \{max_norm: 2, norm_type: 1\}\}$/m);
  });
});
