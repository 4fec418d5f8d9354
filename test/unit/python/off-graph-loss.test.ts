/**
 * A training loop whose loss is off the graph (detached, computed under no_grad, or from integer
 * data a layer refuses) gets PyTorch's own RuntimeError at the line that raises it, never an
 * internal error: torch.full's dtype follows its fill value (2.0 is a float), a Long input into
 * Linear, the RNNs or a convolution is refused in torch 1.13's words, and backward() of a tensor
 * that does not require grad raises what torch raises. Proven line for line against torch 1.13.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready } from './support';

async function said(text: string): Promise<string[]> {
  const r = await analysePython({ text, fileName: 'train.py', steps: 3 });
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.message} at ${at(text, d.range)}`);
}

const loop = (data: string, forward: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F

data = [(${data}, torch.zeros(8, 1)) for i in range(2)]
net = nn.Linear(4, 1, bias=False)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for epoch in range(3):
    for x, y in data:
        opt.zero_grad()
        loss = ${forward}
        loss.backward()
        opt.step()
`;

describe('a loss off the graph, as PyTorch 1.13', () => {
  before(ready);

  it('off_graph_and_integer_inputs.py prints the same dtypes and errors under torch and here', function () {
    printsAsTorch(this, 'off_graph_and_integer_inputs.py');
  });

  it('batches made by torch.full with a float fill train (float32, not int64)', async () => {
    assert.deepEqual(await said(loop('torch.full((8, 4), float(i))', 'F.mse_loss(net(x), y)')), []);
  });

  it("an integer batch into Linear is torch's RuntimeError at the layer's call", async () => {
    const text = loop('torch.full((8, 4), i + 1)', 'F.mse_loss(net(x), y)');
    const errors = await said(text);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /expected scalar type Long but found Float at net\(x\)/);
  });

  it("a detached loss is torch's RuntimeError at loss.backward()", async () => {
    const text = loop('torch.ones(8, 4) * i', 'F.mse_loss(net(x).detach(), y)');
    const errors = await said(text);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /element 0 of tensors does not require grad and does not have a grad_fn at loss\.backward\(\)/);
  });
});
