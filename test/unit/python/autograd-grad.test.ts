/**
 * torch.autograd.grad (a WGAN-GP's and a WGAN-div's gradient penalty) and the deprecated Variable
 * wrapper, as torch 1.13 runs them: the input gradient, create_graph's gradient on the tape (the
 * penalty's backward reaching the critic's weights), PyTorch's errors for an unused input and an
 * implicit grad_outputs of a non-scalar. The gradients against float64 central differences:
 * test/unit/engine/grad-graph.test.ts; whole scripts against PyTorch: test/parity/python-noise.test.ts.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready } from './support';

/** A script whose loss goes through torch.sin (its gradient is not written again) before backward(create_graph=True). */
const sinScript = (after: string) => `import torch
import torch.nn as nn

net = nn.Linear(3, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(3):
    x = torch.randn(4, 3)
    opt.zero_grad()
    loss = torch.sin(net(x)).pow(2).mean()
    loss.backward(create_graph=True)
${after}    opt.step()
`;

describe('Python front end: torch.autograd.grad and Variable', () => {
  before(ready);

  it('autograd_grad.py prints what torch 1.13 prints', function () {
    printsAsTorch(this, 'autograd_grad.py');
  });

  it("backward(create_graph=True) through an op not followed: the step is traced with its plain gradients; reading p.grad again as on the graph is the can't-follow at that backward call, naming the op", async () => {
    const plain = await analysePython({ text: sinScript(''), fileName: 'train.py', steps: 2 });
    assert.deepEqual(plain.diagnostics.filter((d) => d.code === 'python/cant-follow'), []);
    assert.ok(plain.analysis, 'traced');
    const text = sinScript('    (net.weight.grad ** 2).sum().backward()\n');
    const r = await analysePython({ text, fileName: 'train.py', steps: 2 });
    const follow = r.diagnostics.filter((d) => d.code === 'python/cant-follow');
    assert.equal(follow.length, 1, JSON.stringify(r.diagnostics));
    assert.match(follow[0].message, /can't follow Tensor\.backward\(create_graph=True\) through sin /);
    assert.equal(at(text, follow[0].range), 'loss.backward(create_graph=True)');
  });

  it('create_graph_backward.py (loss.backward(create_graph=True), .grad on the graph) prints what torch 1.13 prints', function () {
    printsAsTorch(this, 'create_graph_backward.py');
  });
});
