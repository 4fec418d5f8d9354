/**
 * torch.nn.init as the interpreter binds it: a program calling every function of PyTorch 1.13's
 * module prints the same lines under torch and here (values that depend on the random stream are
 * printed as statistics with tolerances far outside sampling noise), and each call is recorded on
 * the parameter it set, with the part it covered when it was a slice.
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready, trainingLoop } from './support';

describe('torch.nn.init: every function as PyTorch 1.13', () => {
  before(ready);

  it('nn_init.py prints the same under torch and here, on several seeds', function () {
    printsAsTorch(this, 'nn_init.py', [0, 1, 2]);
  });

  it('records each init on the parameter: scheme, arguments, the call, and the rows a slice covered', async () => {
    const text = `import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 8, batch_first=True)
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(8, 1)
        for i in range(3):
            nn.init.orthogonal_(self.rnn.weight_hh_l0[i * 8:(i + 1) * 8])
        nn.init.trunc_normal_(self.proj.weight, std=0.02)
        nn.init.eye_(self.head.weight.data[:, :1])
        nn.init.xavier_uniform(self.rnn.weight_ih_l0)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(self.proj(out[:, -1]))

net = Net()
${trainingLoop(undefined, 'torch.randn(8, 5, 4)')}`;
    const r = await analysePython({ text, fileName: 'model.py', steps: 2 });
    assert.deepEqual(r.diagnostics.map((d) => d.message), []);
    const layers = new Map<string, Record<string, { scheme: string; args: Record<string, number | string>; range: { start: number; end: number }; span?: number[] }>>();
    const visit = (n: { path: string; init: never; children: unknown[] }) => {
      layers.set(n.path, n.init);
      for (const c of n.children) visit(c as never);
    };
    visit(r.read.model!.graph().model as never);
    const rnn = layers.get('rnn')!;
    assert.deepEqual({ scheme: rnn.weight_hh_l0.scheme, span: rnn.weight_hh_l0.span }, { scheme: 'orthogonal', span: [8, 8] });
    assert.equal(at(text, rnn.weight_hh_l0.range), 'nn.init.orthogonal_(self.rnn.weight_hh_l0[i * 8:(i + 1) * 8])');
    assert.deepEqual({ scheme: rnn.weight_ih_l0.scheme, span: rnn.weight_ih_l0.span }, { scheme: 'xavier_uniform', span: undefined });
    assert.deepEqual(layers.get('proj')!.weight.args, { mean: 0, std: 0.02, a: -2, b: 2 });
    assert.deepEqual({ scheme: layers.get('head')!.weight.scheme, span: layers.get('head')!.weight.span }, { scheme: 'eye', span: [1, 1] });
  });
});
