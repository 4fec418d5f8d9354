/**
 * One training step written at the top level, outside any loop (the 60-minute blitz's
 * neural-network page): traced as a loop repeating it, said in an info diagnostic at its backward.
 * Gradient parity against torch 1.13: test/parity/python/top_level_step.py.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { ready } from './support';

const SCRIPT = `import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
x = torch.randn(16, 4)
y = x.sum(dim=1, keepdim=True)
criterion = nn.MSELoss()
out = net(x)
net.zero_grad()
out.backward(torch.randn(16, 1))
optimizer = optim.SGD(net.parameters(), lr=0.05)
optimizer.zero_grad()
output = net(x)
loss = criterion(output, y)
loss.backward()
optimizer.step()
print(loss)
`;

describe('python: a training step written at the top level', () => {
  before(ready);

  it('is traced as a loop repeating the step (not "no training loop"), the info at its backward saying so', async () => {
    const r = await analysePython({ text: SCRIPT, fileName: 'blitz.py', steps: 5 });
    const steps = r.analysis?.trace.steps ?? [];
    assert.equal(steps.length, 5, JSON.stringify(r.diagnostics));
    // The optimiser is made once: SGD steps lower the loss step after step.
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i].loss < steps[i - 1].loss, `step ${i}: ${steps[i].loss} after ${steps[i - 1].loss}`);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    const d = r.diagnostics[0];
    assert.equal(d.code, 'python/top-level-step');
    assert.equal(SCRIPT.slice(d.range.start, d.range.end), 'loss.backward()');
    assert.match(d.message, /the script takes it once, the trace repeats it for 5 steps/);
  });

  it('a top-level backward with no optimiser step after it is still no training loop', async () => {
    const text = SCRIPT.replace('optimizer.step()\n', '');
    const r = await analysePython({ text, fileName: 'blitz.py', steps: 3 });
    assert.equal(r.analysis, null);
    assert.equal(r.read.model, null);
    assert.deepEqual(r.diagnostics, []);
  });

  it('a file with a training loop keeps its loop, a top-level step before it runs once as written', async () => {
    const text = `${SCRIPT}for i in range(3):\n    optimizer.zero_grad()\n    loss = criterion(net(x), y)\n    loss.backward()\n    optimizer.step()\n`;
    const r = await analysePython({ text, fileName: 'blitz.py', steps: 3 });
    assert.equal(r.analysis?.trace.steps.length, 3);
    assert.deepEqual(r.diagnostics, []);
  });
});
