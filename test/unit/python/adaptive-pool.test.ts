/**
 * Adaptive max pooling (nn.AdaptiveMaxPool1d/2d, F.adaptive_max_pool1d/2d): a program prints the
 * outputs and gradients on fixed float64 values, the same under torch 1.13 and here; return_indices
 * is a construct not followed, said at the call.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready, trainingLoop } from './support';

describe('adaptive max pooling as PyTorch 1.13', () => {
  before(ready);

  it('adaptive_max_pool.py prints the same outputs and gradients under torch and here', function () {
    printsAsTorch(this, 'adaptive_max_pool.py');
  });

  it('return_indices=True is not followed, said at the call', async () => {
    const text = `import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(F.adaptive_max_pool1d(x.unsqueeze(1), 2, return_indices=True)[0].flatten(1))

net = Net()
${trainingLoop()}`;
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    const said = r.diagnostics.map((d) => `${d.code}: ${d.message} at ${at(text, d.range)}`);
    assert.deepEqual(said, ["python/cant-follow: Gradient Lens can't follow adaptive_max_pool1d(return_indices=True) here at F.adaptive_max_pool1d(x.unsqueeze(1), 2, return_indices=True)"]);
  });
});
