/**
 * The Python front end's writers of a parameter's values (`w.data = …`, load_state_dict, nn.init,
 * in-place ops under no_grad and through `.data`) bump its version, so the kernels' kept copy of a
 * linear layer's weight (engine/kernels/resident.ts) is never read stale: each program runs the
 * layer once (keeping the weight), writes the weight, and prints how far the next forward is from
 * x·Wᵀ + b computed from the new values.
 */
import assert from 'node:assert/strict';
import { setKernelBackend } from '../../../src/engine/kernels/core';
import { printedHere, ready } from './support';

const writes: [string, string][] = [
  ['w.data = …', 'lin.weight.data = torch.randn(32, 32)'],
  ['load_state_dict', 'lin.load_state_dict(nn.Linear(32, 32).state_dict())'],
  ['nn.init.normal_', 'nn.init.normal_(lin.weight)'],
  ['nn.init.zeros_ on a slice', 'nn.init.zeros_(lin.weight[:8])'],
  ['copy_ under no_grad', 'with torch.no_grad():\n    lin.weight.copy_(torch.randn(32, 32))'],
  ['mul_ through .data', 'lin.weight.data.mul_(3)'],
  ['an SGD step', 'grads()\ntorch.optim.SGD(lin.parameters(), lr=0.5).step()'],
];

describe('Python writers of a weight: the next forward reads the new values', () => {
  before(async function () {
    if (setKernelBackend('auto') === 'js') this.skip();
    await ready();
  });

  for (const [name, write] of writes) {
    it(name, () => {
      const src = `import torch
import torch.nn as nn
torch.manual_seed(0)
lin = nn.Linear(32, 32)
x = torch.randn(8, 32)
# In a function: a backward and a step at the top level would be read as one training step to trace.
def grads():
    lin(x).sum().backward()
grads()
before = lin.weight.detach().clone()
${write}
y = lin(x)
w = lin.weight.detach()
ref = (x.double() @ w.double().t() + lin.bias.detach().double()).float()
print(bool((w != before).any()), float((y - ref).abs().max()))
`;
      const [changed, err] = printedHere(src, 'writes.py', 0).trim().split(' ');
      assert.equal(changed, 'True', 'the write changed the weight');
      assert.ok(Number(err) < 1e-4, `${name}: the forward after the write is off by ${err}`);
    });
  }
});
