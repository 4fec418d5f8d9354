/**
 * Generator functions (Udacity's get_batches), the legacy Tensor.new, and the IndexError past an
 * axis's end (NumPy's "axis", PyTorch's "dimension"), as torch 1.13 runs them; and the generators a
 * buffered run cannot follow, each a can't-follow at its yield.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready, trainingLoop } from './support';

const MODEL = `import torch
import torch.nn as nn
import torch.nn.functional as F
`;

async function cantFollow(setup: string, width: string): Promise<{ message: string; range: string }> {
  const text = `${MODEL}${setup}\nnet = nn.Linear(${width}, 1)\n${trainingLoop()}`;
  const r = await analysePython({ text, fileName: 'gen.py', steps: 2 });
  const follow = r.diagnostics.filter((d) => d.code === 'python/cant-follow');
  assert.equal(follow.length, 1, r.diagnostics.map((d) => d.message).join('\n'));
  assert.ok(!r.diagnostics.some((d) => d.code === 'python/raises'));
  return { message: follow[0].message, range: at(text, follow[0].range) };
}

describe('Python front end: generators, Tensor.new and out-of-bounds indices as torch 1.13', () => {
  before(ready);

  it('prints what torch 1.13 prints (generators, yield from, a late raise, Tensor.new forms, IndexError wording, RNN dtype errors, the string module)', function () {
    printsAsTorch(this, 'generators_and_new.py');
  });

  it('a generator that never ends is a can\'t-follow at its yield, not a hang', async () => {
    const d = await cantFollow('def widths():\n    while True:\n        yield 4\n', 'next(widths())');
    assert.match(d.message, /a generator of more than 10000 items/);
    assert.equal(d.range, 'yield 4');
  });

  it('a generator that yields the same list again (changed in between) is a can\'t-follow at its yield', async () => {
    const d = await cantFollow('def widths():\n    buf = [4]\n    for k in range(3):\n        buf[0] = 4 + k\n        yield buf\n', 'next(widths())[0]');
    assert.match(d.message, /yields the same object again/);
    assert.equal(d.range, 'yield buf');
  });

  it('a generator whose body skipped what it cannot follow (a loop over a file\'s text) has no known end: a can\'t-follow, not StopIteration', async () => {
    const d = await cantFollow('def widths(text):\n    for line in text.split():\n        yield len(line)\n', 'next(widths(open("w.txt").read()))');
    assert.match(d.message, /open\(\)/);
  });

  it('the training loop over a generator trains on its batches, the epoch loop\'s body before it run each epoch', async () => {
    const text = `${MODEL}
def batches(n):
    for i in range(n):
        yield torch.ones(8, 4) * i, torch.zeros(8, 1)

net = nn.Linear(4, 1, bias=False)
opt = torch.optim.SGD(net.parameters(), lr=0.0)
for epoch in range(3):
    net.weight.data.fill_(0.5 * (epoch + 1))
    for x, y in batches(2):
        opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        opt.step()
`;
    const r = await analysePython({ text, fileName: 'gen.py', steps: 4 });
    assert.deepEqual(r.diagnostics, []);
    // lr 0: epoch e's weight 0.5 (e + 1) stays, so net(x) = 2 i (e + 1) and the loss its square.
    const losses = r.analysis!.trace.steps.map((s) => s.loss);
    assert.deepEqual(losses, [0, 4, 0, 16]);
  });
});
