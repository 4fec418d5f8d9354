/**
 * The checks on every message from a model's process (src/worker/typescript/validate.ts), on a real
 * runner's message taken apart: whatever the user's code sends with process.send, the caller reads
 * only messages whose every field it uses has the right form, and the check itself cannot overflow.
 */
import assert from 'node:assert/strict';
import { checkRunnerMessage } from '../../../src/worker/typescript/validate';
import type { TracedModel } from '../../../src/worker/typescript';
import { HEADER, OPTIONS, runSource } from './support';

const TEXT = `${HEADER}
@model(${OPTIONS})
@trace({ steps: 2, batchSize: 2 })
class Net extends Module {
  block = new Sequential([new Linear(4, 3), new ReLU()]);
  fc = new Linear(3, 1);
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.block.forward(x));
  }
}
`.replace('import { ', 'import { Sequential, ');

describe('messages from a model process are checked before use', function () {
  this.timeout(120_000);
  let model: TracedModel;
  before(async () => {
    const { result } = await runSource(TEXT);
    assert.deepEqual(result.errors, []);
    model = result.models[0];
  });

  /** The runner's own message with the layer tree replaced by `root`. */
  const withTree = (root: unknown) => ({ type: 'model', model: { ...model, spec: { ...model.spec, model: root } } });
  const problem = (msg: unknown) => {
    const r = checkRunnerMessage(msg, TEXT.length);
    return r.ok ? null : r.problem;
  };

  it("the runner's own message passes, nested layers and all", () => {
    assert.ok(model.spec.model.children.some((c) => c.children.length), 'the model has a nested block');
    assert.equal(problem({ type: 'model', model }), null);
  });

  it('a layer anywhere in the tree without the fields the editor reads is refused at its path', () => {
    const root = model.spec.model;
    const block = root.children[0];
    const cases: [unknown, RegExp][] = [
      [{ ...root, children: [{}] }, /^model\.model\.spec\.model\.children\[0\]\.path is not a string$/],
      [{ ...root, children: [{ ...block, children: [{ ...block.children[0], typeRange: { start: 0, end: TEXT.length + 1 } }] }] }, /^model\.model\.spec\.model\.children\[0\]\.children\[0\]\.typeRange is not a range inside the file/],
      [{ ...root, children: [{ ...block, children: null }] }, /^model\.model\.spec\.model\.children\[0\]\.children is not a list$/],
      [{ ...root, children: [block, 5] }, /^model\.model\.spec\.model\.children\[1\] is not an object$/],
      [null, /^model\.model\.spec\.model is not an object$/],
    ];
    for (const [tree, why] of cases) assert.match(problem(withTree(tree)) ?? 'passed', why);
  });

  it('a tree nested deeper than any stack is checked without recursion; one with too many layers is refused', () => {
    const leaf = model.spec.model.children[1];
    let deep: unknown = { ...leaf, children: [] };
    for (let i = 0; i < 200_000; i++) deep = { ...leaf, children: [deep] };
    assert.match(problem(withTree(deep)) ?? 'passed', /^model\.model\.spec\.model has more than 100000 layers$/);
    let fine: unknown = { ...leaf, children: [] };
    for (let i = 0; i < 20_000; i++) fine = { ...leaf, children: [fine] };
    assert.equal(problem(withTree(fine)), null);
  });

  it('a message of an unknown kind, or none at all, is refused by what it is', () => {
    assert.match(problem({ type: '__proto__' }) ?? 'passed', /^a message of an unknown kind \("__proto__"\)$/);
    assert.match(problem({ type: 'constructor' }) ?? 'passed', /^a message of an unknown kind/);
    assert.match(problem(undefined) ?? 'passed', /^a message of an unknown kind/);
    assert.match(problem({ type: 'model', model: { ...model, trace: { ...model.trace, steps: [{ ...model.trace.steps[0], params: [] }] } } }) ?? 'passed', /steps\[0\]\.params has 0 entries for \d+ parameters/);
  });
});
