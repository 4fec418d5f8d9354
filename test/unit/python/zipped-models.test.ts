/**
 * Several models trained one after another in one loop (`for net, opt, l_his in zip(nets,
 * optimizers, losses_his):` inside the batch loop, as MorvanZhou's optimizer comparison writes it):
 * the batch loop is the traced step, every model is traced under the name the user knows it by (a
 * variable bound to it, else the list's item), each backward's loss is named by its model, and the
 * rules judge each model on its own. Gradient parity with PyTorch: test/parity/python-noise.test.ts
 * (zipped_optimizers.py).
 */
import assert from 'node:assert/strict';
import { analysePython, PythonResult } from '../../../src/worker/python';
import { formatNormTable } from '../../../src/cli/trace';
import { at, ready } from './support';

async function trace(text: string, steps = 4): Promise<PythonResult> {
  return analysePython({ text, fileName: 'compare.py', steps });
}

/** Two nets with their own optimisers; `makeNets` binds them, `extra` follows (an init). */
const script = (makeNets: string, extra = '') => `import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)
y = x.pow(2)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
${makeNets}${extra}
optimizers = [torch.optim.SGD(nets[0].parameters(), lr=0.05), torch.optim.Adam(nets[1].parameters(), lr=0.01)]
losses_his = [[], []]
loss_func = nn.MSELoss()
for epoch in range(3):
    for step, (b_x, b_y) in enumerate(loader):
        for net, opt, l_his in zip(nets, optimizers, losses_his):
            output = net(b_x)
            loss = loss_func(output, b_y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            l_his.append(loss.item())
`;

const bound = `net_SGD = nn.Sequential(nn.Linear(1, 8), nn.Sigmoid(), nn.Linear(8, 1))
net_Adam = nn.Sequential(nn.Linear(1, 8), nn.Sigmoid(), nn.Linear(8, 1))
nets = [net_SGD, net_Adam]
`;

describe('Python front end: several models trained in one loop over zip(models, optimizers)', () => {
  before(ready);

  it('traces every model under its variable\'s name over whole batches, each backward\'s loss named by its model', async () => {
    const r = await trace(script(bound));
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.equal(t.steps.length, 4);
    assert.deepEqual(t.params.map((p) => p.name), ['net_SGD.0.weight', 'net_SGD.0.bias', 'net_SGD.2.weight', 'net_SGD.2.bias', 'net_Adam.0.weight', 'net_Adam.0.bias', 'net_Adam.2.weight', 'net_Adam.2.bias']);
    for (const s of t.steps) {
      assert.deepEqual(s.losses?.map((l) => l.name), ['loss (net_SGD)', 'loss (net_Adam)']);
      assert.equal(s.loss, s.losses![1].value);
      assert.ok(s.params.every((p) => p.reached && p.gradNorm > 0));
    }
    // The batch loop is the step: a batch of 16 (the inner loop's items are models, not samples).
    assert.equal(t.batchSize, 16);
    assert.equal(t.optimizer.type, 'Adam');
    assert.match(formatNormTable(t), /step\s+loss \(net_SGD\)\s+loss \(net_Adam\)\s+net_SGD\.0\.weight/);
    assert.deepEqual(r.analysis!.findings.map((f) => f.rule), []);
  });

  it('models made in a list are named by the list\'s items (nets[0], nets[1])', async () => {
    const r = await trace(script('nets = [nn.Sequential(nn.Linear(1, 8), nn.Sigmoid(), nn.Linear(8, 1)) for _ in range(2)]\n'), 2);
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.deepEqual(t.params.map((p) => p.name).filter((n) => n.endsWith('0.weight')), ['nets[0].0.weight', 'nets[1].0.weight']);
    assert.deepEqual(t.steps[0].losses?.map((l) => l.name), ['loss (nets[0])', 'loss (nets[1])']);
  });

  it('the loop may be over enumerate(zip(...)), and a model the step skips with continue is found never to get a gradient', async () => {
    const text = script(bound).replace('for net, opt, l_his in zip(nets, optimizers, losses_his):', 'for k, (net, opt, l_his) in enumerate(zip(nets, optimizers, losses_his)):');
    const r = await trace(text, 2);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.analysis!.trace.steps[0].losses?.map((l) => l.name), ['loss (net_SGD)', 'loss (net_Adam)']);
    const skipping = text.replace('            output = net(b_x)\n', '            if k == 0:\n                continue\n            output = net(b_x)\n');
    assert.notEqual(skipping, text);
    const s = await trace(skipping, 2);
    assert.deepEqual(s.analysis!.trace.steps[0].losses?.map((l) => l.name), ['loss (net_Adam)']);
    const f = s.analysis!.findings.find((x) => x.rule === 'disconnected-parameter');
    assert.ok(f && /net_SGD\.0\.weight/.test(f.message), f?.message);
  });

  it('each model is judged on its own: a saturated Sigmoid in the first (stepped by the script) is found on its line', async () => {
    const text = script(bound, 'nn.init.normal_(net_SGD[0].weight, std=40.0)\n');
    const r = await trace(text);
    assert.deepEqual(r.diagnostics, []);
    const f = r.analysis!.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, `no saturation finding: ${r.analysis!.findings.map((x) => x.rule).join(', ')}`);
    assert.equal(at(text, f.range), 'nn.Sigmoid()');
    assert.ok(text.slice(0, f.range.start).endsWith('net_SGD = nn.Sequential(nn.Linear(1, 8), '));
  });

  it('a zip of inputs and targets is not several models: its loop stays the step (one sample each)', async () => {
    const text = `import torch
import torch.nn as nn

net = nn.Linear(3, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
xs = [torch.randn(1, 3) for _ in range(4)]
ys = [torch.randn(1, 1) for _ in range(4)]
for epoch in range(2):
    for x, y in zip(xs, ys):
        opt.zero_grad()
        loss = (net(x) - y).pow(2).mean()
        loss.backward()
        opt.step()
`;
    const r = await trace(text, 3);
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.deepEqual(t.params.map((p) => p.name), ['weight', 'bias']);
    assert.ok(t.steps.every((s) => s.losses === undefined));
  });
});
