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
import { at, ready } from './support';

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
  it("the tensor memory limit met by the trace's own backward is a limit warning at the script's backward line naming the setting, not an internal error", () => {
    // Between the limits the forward's activations fit and the backward's gradients of them do not
    // (8 MiB: the parameters alone; 10-20 MiB: the forward, at net(x); 24-28 MiB: the backward, as
    // measured): the exact bytes move with the engine, so each limit in the range is tried, none may
    // throw, and one must stop in the backward.
    const text = `import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(512, 64)
for step in range(3):
    opt.zero_grad()
    loss = net(x).pow(2).mean()
    loss.backward()
    opt.step()
`;
    const inBackward: number[] = [];
    for (let mb = 8; mb <= 40; mb += 2) {
      const r = analysePythonNow({ text, fileName: 'wide.py', steps: 2, memoryLimitBytes: mb * 2 ** 20 });
      const d = r.diagnostics.find((x) => x.code === 'python/limit');
      if (!d || at(text, d.range) !== 'loss.backward()' || !/exceeded in layer/.test(d.message)) continue;
      assert.equal(d.severity, 'warning');
      assert.match(d.message, /^Gradient Lens stopped: tensor memory cap of \d+ MiB exceeded in layer \d: .*; raise --memory-limit-mb \/ gradientLens\.memoryLimitMB or give the script a smaller batch$/);
      assert.equal(r.analysis, null);
      inBackward.push(mb);
    }
    assert.ok(inBackward.length > 0, 'no limit from 8 to 40 MiB stopped the backward');
  });
});
