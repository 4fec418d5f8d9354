/**
 * Dilated windows beyond convolutions, and padding strings of the functional convolutions: max
 * pooling with dilation (nn.MaxPool1d/2d, F.max_pool1d/2d), F.conv1d/F.conv2d with padding='same' or
 * 'valid'. A program prints the outputs and gradients on fixed float64 values, the same under torch
 * 1.13 and here; a 'same' padding PyTorch splits unevenly is a construct not followed, said at the call.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready, trainingLoop } from './support';

describe('dilation in max pooling and padding strings in F.conv*d as PyTorch 1.13', () => {
  before(ready);

  it('dilation.py prints the same outputs and gradients under torch and here', function () {
    printsAsTorch(this, 'dilation.py');
  });

  it("F.conv1d(padding='same') with an even kernel (PyTorch pads one more on the right) is not followed, said at the call", async () => {
    const text = `import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(1, 1, 2))
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(F.conv1d(x.unsqueeze(1), self.w, padding='same').flatten(1))

net = Net()
${trainingLoop()}`;
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    const said = r.diagnostics.map((d) => `${d.code}: ${d.message} at ${at(text, d.range)}`);
    assert.deepEqual(said, ["python/cant-follow: Gradient Lens can't follow conv1d(padding='same') here at F.conv1d(x.unsqueeze(1), self.w, padding='same')"]);
  });
});
