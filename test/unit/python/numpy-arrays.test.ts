/**
 * NumPy arrays in user scripts (ndarray.ts, numpy.ts): data built with NumPy and handed to torch
 * (`torch.from_numpy`, `torch.tensor(ndarray)`, `torch.Tensor(ndarray)`) and back (`.numpy()`).
 * The semantics are checked line for line against NumPy 1.24 and torch 1.13 (numpy_arrays.py);
 * here, that scripts in the tutorials' forms train, and what stays outside is a can't-follow.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready } from './support';

/** A toy regression in the form of the basics tutorials: NumPy data of dtype float32, converted once. */
const regression = (data = 'np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168]], dtype=np.float32)') => `import numpy as np
import torch
import torch.nn as nn

x_train = ${data}
y_train = x_train * 0.5 + 1
model = nn.Linear(1, 1)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
inputs = torch.from_numpy(x_train)
targets = torch.from_numpy(y_train)
for epoch in range(5):
    outputs = model(inputs)
    loss = criterion(outputs, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
predicted = model(inputs).detach().numpy()
assert predicted.shape == (6, 1) and predicted.dtype == np.float32
`;

/** A sequence regressor fed one window at a time, as Morvan's RNN tutorial does: linspace, sin/cos, np.newaxis. */
const sineRnn = `import numpy as np
import torch
from torch import nn

class RNN(nn.Module):
    def __init__(self):
        super(RNN, self).__init__()
        self.rnn = nn.RNN(input_size=1, hidden_size=8, num_layers=1, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x, h_state):
        r_out, h_state = self.rnn(x, h_state)
        outs = [self.out(r_out[:, t, :]) for t in range(r_out.size(1))]
        return torch.stack(outs, dim=1), h_state

rnn = RNN()
optimizer = torch.optim.Adam(rnn.parameters(), lr=0.02)
loss_func = nn.MSELoss()
h_state = None
for step in range(4):
    start, end = step * np.pi, (step + 1) * np.pi
    steps = np.linspace(start, end, 10, dtype=np.float32, endpoint=False)
    x_np = np.sin(steps)
    y_np = np.cos(steps)
    x = torch.from_numpy(x_np[np.newaxis, :, np.newaxis])
    y = torch.from_numpy(y_np[np.newaxis, :, np.newaxis])
    prediction, h_state = rnn(x, h_state)
    h_state = h_state.data
    loss = loss_func(prediction, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert prediction.data.numpy().flatten().shape == (10,)
`;

describe('Python front end: NumPy arrays in user scripts', () => {
  before(ready);

  it('computes as NumPy 1.24 and converts as torch 1.13 does (numpy_arrays.py, line for line)', function () {
    printsAsTorch(this, 'numpy_arrays.py');
  });

  it("a torch tensor given to np.clip, np.squeeze, a ufunc or reshape comes back a tensor, as torch 1.13's __array_wrap__ returns it (numpy_on_tensors.py)", function () {
    printsAsTorch(this, 'numpy_on_tensors.py');
  });

  it('traces a regression on a float32 np.array handed over with torch.from_numpy, and .detach().numpy() after it', async () => {
    const r = await analysePython({ text: regression(), fileName: 'main.py', steps: 3 });
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.equal(t.steps.length, 3);
    assert.deepEqual(t.params.map((p) => p.name), ['weight', 'bias']);
    assert.ok(t.steps.every((s) => s.params.every((p) => p.reached && p.gradNorm > 0)));
  });

  it('traces an RNN fed NumPy windows (np.linspace, np.sin, x[np.newaxis, :, np.newaxis])', async () => {
    const r = await analysePython({ text: sineRnn, fileName: 'rnn.py', steps: 3 });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.steps.length, 3);
    assert.ok(r.analysis!.trace.params.some((p) => p.name === 'rnn.weight_ih_l0'));
  });

  it('raises as torch does when float64 NumPy data meets a float32 model (np.array without dtype=)', async () => {
    const text = regression('np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168]])');
    const r = await analysePython({ text, fileName: 'main.py', steps: 3 });
    const raised = r.diagnostics.find((d) => d.code === 'python/raises');
    assert.ok(raised, JSON.stringify(r.diagnostics));
    assert.match(raised.message, /RuntimeError: mat1 and mat2 must have the same dtype/);
    assert.equal(at(text, raised.range), 'model(inputs)');
  });

  it("is a can't-follow at the call for what of NumPy stays out (fancy dtypes, np.linalg, unmodelled ndarray methods)", async () => {
    for (const [expr, range] of [
      ['np.ones((6, 1)).astype(np.float16)', 'np.float16'],
      ['np.linalg.pinv(np.ones((6, 1)))', 'np.linalg.pinv(np.ones((6, 1)))'],
      ['np.ones((6, 1)).cumsum(0)', 'np.ones((6, 1)).cumsum'],
    ]) {
      const text = regression(`${expr}.astype(np.float32)`);
      const r = await analysePython({ text, fileName: 'main.py', steps: 2 });
      const said = r.diagnostics.map((d) => `${d.code}: ${d.message} at ${JSON.stringify(at(text, d.range))}`).join('\n');
      assert.equal(r.diagnostics.length, 1, said);
      assert.equal(r.diagnostics[0].code, 'python/cant-follow', said);
      assert.equal(at(text, r.diagnostics[0].range), range, said);
    }
  });
  it("an unmodelled method that changes the array in place (a.sort()) is a can't-follow at the call, and the array is not used with its old values after it", async () => {
    const text = regression('np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168]], dtype=np.float32)').replace('\ny_train', '\nx_train.sort(axis=0)\ny_train');
    assert.match(text, /x_train\.sort\(axis=0\)/);
    const r = await analysePython({ text, fileName: 'main.py', steps: 2 });
    const said = r.diagnostics.map((d) => `${d.code}: ${d.message} at ${JSON.stringify(at(text, d.range))}`).join('\n');
    assert.equal(r.diagnostics.length, 1, said);
    assert.match(r.diagnostics[0].message, /^Gradient Lens can't follow ndarray\.sort \(changes the array in place\) here$/, said);
    assert.equal(r.analysis, null, 'traced on the unsorted values');
  });
});
