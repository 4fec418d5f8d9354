/**
 * Forms of the older, most-read PyTorch tutorials (yunjey/pytorch-tutorial's style): torch.tensor of
 * floats written `1.` (its first autograd example), and the deprecated size_average=/reduce= of a
 * loss (its VAE's summed reconstruction loss). Each program prints the same under torch 1.13 and here.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { applyEdits } from '../../../src/model/fixes';
import { at, printsAsTorch, ready } from './support';

describe('tutorial forms: float literals that look like ints, size_average= and reduce=', () => {
  before(ready);

  it('float_literals.py: torch.tensor(1., requires_grad=True) is a float leaf whose gradient flows, as in torch', function () {
    printsAsTorch(this, 'float_literals.py');
  });

  it("tensor_print.py: print(x.grad) of a whole float is PyTorch's tensor(2.), values padded to the widest", function () {
    printsAsTorch(this, 'tensor_print.py');
  });

  it("loader_iter.py: iter(loader) is torch's _SingleProcessDataLoaderIter, Python 2's data_iter.next() its AttributeError", function () {
    printsAsTorch(this, 'loader_iter.py');
  });

  it('legacy_reduction.py: size_average=False sums, reduce=False keeps each element, over reduction=, as in torch', function () {
    printsAsTorch(this, 'legacy_reduction.py');
  });

  it('a VAE-style loop with F.binary_cross_entropy(size_average=False) traces the summed loss', async () => {
    const text = `import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 6), nn.Sigmoid())
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.rand(16, 6)
for step in range(2):
    loss = F.binary_cross_entropy(net(x), x, size_average=False)
    opt.zero_grad()
    loss.backward()
    opt.step()
`;
    const summed = await analysePython({ text, fileName: 'vae.py', steps: 2 });
    assert.deepEqual(summed.diagnostics.map((d) => `${d.code}: ${d.message} at ${at(text, d.range)}`), []);
    const mean = await analysePython({ text: text.replace('size_average=False', "reduction='mean'"), fileName: 'vae.py', steps: 2 });
    // Same weights and batch: the sum over 16 x 6 elements is 96 times the mean.
    const [s, m] = [summed.analysis!.trace.steps[0].loss, mean.analysis!.trace.steps[0].loss];
    assert.ok(Math.abs(s - 96 * m) < 1e-4 * s, `${s} vs 96 x ${m}`);
    assert.equal(summed.analysis!.graph.loss.args.reduction, 'sum');
  });
  it("the mean-reduction fix of a summed functional loss removes size_average=False (or reduction='sum'), which would still sum", async () => {
    const text = `import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
x = torch.randn(256, 8)
y = torch.randn(256, 1) * 10
for step in range(20):
    loss = F.mse_loss(net(x), y, LEGACY)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
`;
    for (const summed of ['size_average=False', "reduction='sum'", "size_average=False, reduction='sum'"]) {
      const script = text.replace('LEGACY', summed);
      const r = await analysePython({ text: script, fileName: 'fit.py', steps: 5 });
      const fix = r.analysis!.findings.flatMap((f) => f.fixes).find((f) => f.title.includes('default reduction'));
      assert.ok(fix, summed);
      const fixed = applyEdits(script, fix.edits);
      assert.ok(fixed.includes('    loss = F.mse_loss(net(x), y)\n'), fixed);
      const again = await analysePython({ text: fixed, fileName: 'fit.py', steps: 5 });
      assert.equal(again.analysis!.graph.loss.args.reduction, 'mean', summed);
    }
  });
});
