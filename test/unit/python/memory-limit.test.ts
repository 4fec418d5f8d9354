/**
 * A script whose tensors outgrow the memory limit (pytorch/examples' forward-forward MNIST: a
 * 50,000-image batch) stops with Gradient Lens's own limit, which names the setting and what to set
 * it above (test/unit/trace/bounded.test.ts); never a Python RuntimeError that the script could
 * catch, or that is said to be the model's.
 */
import assert from 'node:assert/strict';
import { setMemoryWatch } from '../../../src/engine/context';
import { analysePythonNow } from '../../../src/worker/python';
import { LimitError } from '../../../src/trace/bounded';
import { ready } from './support';

const SCRIPT = `import torch
import torch.nn as nn

kept = []
for i in range(4):
    try:
        kept.append(torch.ones(2000, 784).mul(2.0))
    except RuntimeError:
        pass
net = nn.Linear(784, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(3):
    opt.zero_grad()
    loss = net(kept[0][:8]).pow(2).mean()
    loss.backward()
    opt.step()
`;

describe('python: a script past the memory limit', () => {
  before(ready);

  it("stops with the memory limit's LimitError, not a RuntimeError the script's except takes", () => {
    // The process cap's watch, tripped by the first 16 MiB of tensors (as growth past the cap would trip it).
    setMemoryWatch(() => {
      throw new LimitError('the trace stopped after the process grew by ...', 'memoryLimitMB');
    });
    try {
      assert.throws(() => analysePythonNow({ text: SCRIPT, fileName: 'big.py', steps: 2 }), (e: unknown) => e instanceof LimitError && e.limit === 'memoryLimitMB');
    } finally {
      setMemoryWatch(null);
    }
  });
});
