/**
 * Losses as PyTorch code writes them beyond the plain mean: ignore_index (padded targets), the
 * per-element loss of reduction='none' reduced by the script, reduction='sum', class weights,
 * label smoothing, BCE's element weights and pos_weight, an integer target PyTorch refuses. A program prints
 * each loss and its gradient on fixed float64 values, the same under torch 1.13 and here; a traced
 * script's loss is the scalar backward() is called on.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready } from './support';

describe('losses: ignore_index, reduction, class weights, label smoothing and pos_weight as PyTorch 1.13', () => {
  before(ready);

  it('losses.py prints the same losses and gradients under torch and here', function () {
    printsAsTorch(this, 'losses.py');
  });

  /** A translation-style loop: targets padded with PAD_IDX, the loss written as `loss`. */
  const translation = (loss: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_IDX = 1
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 5))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
x = torch.randn(8, 6)
y = torch.tensor([2, 1, 3, 0, 1, 4, 1, 2])
criterion = nn.CrossEntropyLoss(ignore_index=PAD_IDX)
for step in range(3):
    opt.zero_grad()
    out = net(x)
    ${loss}
    print(round(loss.item(), 6))
    loss.backward()
    opt.step()
`;

  const CASES = [
    ['nn.CrossEntropyLoss(ignore_index=PAD_IDX)', 'loss = criterion(out, y)', { reduction: 'mean', ignore_index: 1, label_smoothing: 0 }],
    ['F.cross_entropy(reduction="none") masked and averaged by the script', 'loss = F.cross_entropy(out, y, reduction="none")[y != PAD_IDX].mean()', { reduction: 'none', ignore_index: -100, label_smoothing: 0 }],
    ['nn.CrossEntropyLoss with class weights and label smoothing', 'loss = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 0.0, 2.0, 1.0, 0.5]), label_smoothing=0.1)(out, y)', { reduction: 'mean', ignore_index: -100, label_smoothing: 0.1 }],
    ['F.nll_loss(ignore_index=...) summed', 'loss = F.nll_loss(F.log_softmax(out, dim=1), y, ignore_index=PAD_IDX, reduction="sum")', { reduction: 'sum', ignore_index: 1 }],
  ] as const;

  it("a traced loop with ignore_index, reduction='none' reduced by hand, or 'sum': followed, the trace's loss the scalar backward() is called on", async () => {
    const first: number[] = [];
    for (const [what, loss, args] of CASES) {
      const text = translation(loss);
      const r = await analysePython({ text, fileName: 'train.py', steps: 3 });
      assert.deepEqual(r.diagnostics.map((d) => `${d.code}: ${d.message} at ${at(text, d.range)}`), [], what);
      assert.deepEqual(r.analysis!.graph.loss.args, args, what);
      assert.equal(r.analysis!.trace.steps.length, 3, what);
      first.push(r.analysis!.trace.steps[0].loss);
    }
    // Same weights and batch: the mean over the 5 unpadded targets, the masked mean, and their sum (5 times it).
    assert.ok(Number.isFinite(first[0]) && first[0] > 0, String(first[0]));
    assert.ok(Math.abs(first[1] - first[0]) < 1e-5 * first[0], `${first[1]} ${first[0]}`);
    assert.ok(Math.abs(first[3] - 5 * first[0]) < 1e-5 * first[3], `${first[3]} ${5 * first[0]}`);
  });
  it('MSELoss or HuberLoss on an integer target (torch.arange(1, 11)) is the RuntimeError PyTorch 1.13 raises at backward(); a float target trains', async () => {
    const regression = (criterion: string, target: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F

net = nn.Linear(4, 10)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
x = torch.randn(2, 4)
target = ${target}
for step in range(3):
    opt.zero_grad()
    loss = ${criterion}
    loss.backward()
    opt.step()
`;
    for (const criterion of ['nn.MSELoss()(net(x), target)', 'F.mse_loss(net(x), target)', 'nn.HuberLoss()(net(x), target)']) {
      const text = regression(criterion, 'torch.arange(1, 11).repeat(2, 1)');
      const r = await analysePython({ text, fileName: 'train.py', steps: 2 });
      assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
      assert.equal(r.diagnostics[0].code, 'python/raises');
      assert.match(r.diagnostics[0].message, /RuntimeError: Found dtype Long but expected Float/);
      assert.equal(at(text, r.diagnostics[0].range), 'loss.backward()');
      const fine = await analysePython({ text: regression(criterion, 'torch.arange(1, 11).repeat(2, 1).float()'), fileName: 'train.py', steps: 2 });
      assert.deepEqual(fine.diagnostics, []);
    }
  });
});
