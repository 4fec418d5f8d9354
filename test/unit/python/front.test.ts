/**
 * The PyTorch front end end to end, in process: a user's unchanged script read (never run), its
 * own loop traced, findings on the user's lines (the `nn.Sigmoid()` call, the forward line as a
 * related location, loop-built layers as one finding), fixes written in Python that make the
 * finding go away, names as named_parameters() gives them, and "can't follow" diagnostics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython, joinPaths, PythonResult } from '../../../src/worker/python';
import { applyEdits } from '../../../src/model/fixes';
import { at, ready } from './support';

const PARITY = join(__dirname, '..', '..', 'parity', 'python');
const seed = (name: string) => readFileSync(join(PARITY, `${name}.py`), 'utf8');

/** The seed's first program with the first Linear's weight drawn 30× too wide (std 10). */
const LARGE_INIT = seed('seed_sigmoid').replace('criterion = nn.MSELoss()', 'nn.init.normal_(model[0].weight, std=10.0)\n\ncriterion = nn.MSELoss()');

async function trace(text: string, fileName = 'model.py', steps = 5): Promise<PythonResult> {
  return analysePython({ text, fileName, steps });
}

function findings(r: PythonResult) {
  assert.ok(r.analysis, `no analysis: ${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join('; ')}`);
  return r.analysis.findings;
}

describe('Python front end: the seed programs', () => {
  before(ready);

  it('traces the three seed programs unchanged, with named_parameters() names and the script\'s optimiser', async () => {
    for (const name of ['seed_sigmoid', 'seed_relu', 'seed_xavier']) {
      const r = await trace(seed(name));
      assert.deepEqual(r.diagnostics, [], name);
      const a = r.analysis!;
      assert.deepEqual(a.trace.params.map((p) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias'], name);
      assert.equal(a.trace.steps.length, 5, name);
    }
  });

  it('puts a large init\'s saturation on the user\'s nn.Sigmoid() line, the forward call as related location', async () => {
    const r = await trace(LARGE_INIT);
    const sat = findings(r).find((f) => f.rule === 'saturated-activation');
    assert.ok(sat, 'no saturation finding');
    assert.equal(at(LARGE_INIT, sat.range), 'nn.Sigmoid()');
    assert.match(sat.message, /sigmoid layer saturated: \d+% of units/);
    const related = sat.related.map((x) => `${at(LARGE_INIT, x.range)} — ${x.message}`);
    assert.ok(related.includes('model(x) — Sigmoid 1 is applied here'), related.join('\n'));
    assert.ok(related.some((x) => x.startsWith('nn.Linear(10, 10) — its inputs come from Linear 0')), related.join('\n'));
  });

  it('the ReLU quick fix edits the Sigmoid call, and the saturation finding is gone', async () => {
    const r = await trace(LARGE_INIT);
    const sat = findings(r).find((f) => f.rule === 'saturated-activation')!;
    const fix = sat.fixes.find((f) => f.title === 'Replace Sigmoid with ReLU');
    assert.ok(fix, sat.fixes.map((f) => f.title).join('; '));
    const fixed = applyEdits(LARGE_INIT, fix.edits);
    assert.ok(fixed.includes('nn.ReLU(),  # This is prone to saturation'));
    const again = await trace(fixed);
    assert.ok(!findings(again).some((f) => f.rule === 'saturated-activation'));
  });

  it('the init finding sits on the user\'s own init call, its Xavier fix rewrites it, and both findings are gone', async () => {
    const r = await trace(LARGE_INIT);
    const init = findings(r).find((f) => f.rule === 'poor-initialisation')!;
    // Reported on the line to change: the init the user wrote, not the layer it initialises.
    assert.equal(at(LARGE_INIT, init.range), 'nn.init.normal_(model[0].weight, std=10.0)');
    assert.match(init.message, /std 10 as measured \(written: normal\(mean=0, std=10\)\)/);
    const fixed = applyEdits(LARGE_INIT, init.fixes[0].edits);
    assert.ok(fixed.includes('nn.init.xavier_uniform_(model[0].weight)\n'), fixed);
    assert.ok(!fixed.includes('std=10.0'));
    const again = findings(await trace(fixed));
    assert.deepEqual(again.filter((f) => f.rule === 'poor-initialisation' || f.rule === 'saturated-activation'), []);
  });

  it('an LSTM whose gradient explodes through time: clip_grad_norm_ after backward(), or the user\'s init line removed for PyTorch\'s default; each makes the finding go', async () => {
    const text = readFileSync(join(__dirname, '..', '..', 'extension', 'fixtures', 'python', 'lstm_explodes.py'), 'utf8');
    const f = findings(await trace(text)).find((x) => x.rule === 'gradient-through-time');
    assert.ok(f, 'no gradient-through-time finding');
    assert.equal(at(text, f.range), 'nn.LSTM(4, 16, batch_first=True)');
    const [clip, init] = f.fixes;
    assert.equal(clip.title, 'Clip the gradient norm to 1 before each step (torch.nn.utils.clip_grad_norm_)');
    const clipped = applyEdits(text, clip.edits);
    assert.ok(clipped.includes('    loss.backward()\n    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n    optimizer.step()'), clipped);
    assert.match(init.title, /^Initialise LSTM lstm's weight_hh_l0 with PyTorch's default/);
    const defaulted = applyEdits(text, init.edits);
    assert.equal(defaulted, text.replace('        nn.init.normal_(self.lstm.weight_hh_l0, std=1.5)\n', ''));
    for (const fixed of [clipped, defaulted]) assert.deepEqual(findings(await trace(fixed)).filter((x) => x.rule === 'gradient-through-time'), []);
  });

  it('no clip_grad_norm_ fix where the optimiser was given parameter groups, whose parameters it cannot name in one expression', async () => {
    const text = readFileSync(join(__dirname, '..', '..', 'extension', 'fixtures', 'python', 'lstm_explodes.py'), 'utf8').replace(
      'torch.optim.SGD(model.parameters(), lr=0.1)',
      "torch.optim.SGD([{'params': model.lstm.parameters()}, {'params': model.head.parameters()}], lr=0.1)",
    );
    const f = findings(await trace(text)).find((x) => x.rule === 'gradient-through-time');
    assert.ok(f, 'no gradient-through-time finding');
    assert.deepEqual(f.fixes.map((x) => x.title).filter((t) => t.startsWith('Clip')), []);
  });

  it('parameter groups with their own weight_decay are followed; groups with different lr are can\'t-follow at the optimiser call', async () => {
    const base = readFileSync(join(__dirname, '..', '..', 'extension', 'fixtures', 'python', 'lstm_explodes.py'), 'utf8');
    const decay = base.replace('torch.optim.SGD(model.parameters(), lr=0.1)', "torch.optim.SGD([{'params': model.lstm.parameters(), 'weight_decay': 0.01}, {'params': model.head.parameters()}], lr=0.1, momentum=0.9)");
    assert.notEqual(decay, base);
    const followed = await trace(decay);
    assert.deepEqual(followed.diagnostics, []);
    assert.equal(followed.analysis!.trace.optimizer.lr, 0.1);
    const call = "torch.optim.SGD([{'params': model.lstm.parameters(), 'lr': 0.01}, {'params': model.head.parameters()}], lr=0.1)";
    const rates = base.replace('torch.optim.SGD(model.parameters(), lr=0.1)', call);
    const r = await trace(rates);
    const follow = r.diagnostics.filter((d) => d.code === 'python/cant-follow');
    assert.equal(follow.length, 1, r.diagnostics.map((d) => d.message).join('; '));
    assert.equal(follow[0].message, "Gradient Lens can't follow param groups with different lr here");
    assert.equal(at(rates, follow[0].range), call);
  });

  it('understands the Xavier loop over model.modules() of the third program: the init is recorded, no init warning', async () => {
    const r = await trace(seed('seed_xavier'), 'model.py', 20);
    assert.ok(!findings(r).some((f) => f.rule === 'poor-initialisation'));
    const graph = r.read.model!.graph();
    const linear0 = graph.model.children[0];
    assert.equal(linear0.init.weight?.scheme, 'xavier_uniform');
    assert.equal(at(seed('seed_xavier'), linear0.init.weight!.range), 'nn.init.xavier_uniform_(m.weight)');
  });
});

describe('Python front end: findings on the user\'s lines', () => {
  before(ready);

  const BLOCKS = `import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.Sigmoid()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self, width=16, depth=4):
        super().__init__()
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.head = nn.Linear(width, 1)
        for b in self.blocks:
            nn.init.normal_(b.fc.weight, std=10.0)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x)


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(32, 16)
y = torch.randn(32, 1)
for step in range(100):
    opt.zero_grad()
    loss = nn.functional.mse_loss(net(x), y)
    loss.backward()
    opt.step()
`;

  it('layers one line built in a loop are one finding that names them (blocks.0-3.act)', async () => {
    const r = await trace(BLOCKS);
    const sat = findings(r).filter((f) => f.rule === 'saturated-activation');
    assert.equal(sat.length, 1, sat.map((f) => f.message).join('\n'));
    assert.equal(sat[0].layer, 'blocks.0-3.act');
    assert.equal(at(BLOCKS, sat[0].range), 'nn.Sigmoid()');
    assert.match(sat[0].message, /blocks\.0-3\.act|4 layers built by this line/);
    assert.ok(sat[0].related.some((x) => at(BLOCKS, x.range) === 'self.act(self.fc(x))'), sat[0].related.map((x) => at(BLOCKS, x.range)).join('; '));
  });

  it('joins paths that differ in one index; lists the others', () => {
    assert.equal(joinPaths(['blocks.0.act', 'blocks.1.act', 'blocks.2.act']), 'blocks.0-2.act');
    assert.equal(joinPaths(['blocks.0.act', 'blocks.2.act']), 'blocks.0,2.act');
    assert.equal(joinPaths(['a.act', 'b.act']), 'a.act, b.act');
  });

  it('a file without a training loop says how to trace its model; a value the model needs and cannot be followed is one info diagnostic at its range', async () => {
    const defs = BLOCKS.slice(0, BLOCKS.indexOf('net = Net()'));
    const none = await trace(defs);
    assert.equal(none.analysis, null);
    assert.deepEqual(none.read.classes.map((c) => c.name), ['Block', 'Net']);

    const opaque = BLOCKS.replace('import torch\n', 'import torch\nimport numpy as np\n').replace('net = Net()', 'net = Net(width=np.load("w.npy").shape[0])');
    const r = await trace(opaque);
    assert.equal(r.analysis, null);
    const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d, r.diagnostics.map((x) => x.message).join('; '));
    assert.equal(d.severity, 'info');
    assert.match(d.message, /^Gradient Lens can't follow .* here$/);
    assert.ok(at(opaque, d.range).startsWith('np.load'), at(opaque, d.range));
  });

  it('follows the data flow: a small init in a residual branch is left to the absolute bounds, the same layer in a plain stack is judged', async () => {
    const model = (residual: boolean) => `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(16, 64)
        self.proj = nn.Linear(64, 64)
        nn.init.normal_(self.proj.weight, std=0.01)
        self.norm = nn.LayerNorm(64)
        self.out = nn.Linear(64, 1)

    def forward(self, x):
        h = self.inp(x)
        h = ${residual ? 'h + self.proj(h)' : 'self.proj(h)'}
        return ${residual ? 'self.out(self.norm(h))' : 'self.out2(h)'}


net = Net()
net.out2 = nn.Linear(64, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
x = torch.randn(32, 16)
y = torch.randn(32, 1)
for step in range(5):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()
`;
    const residual = findings(await trace(model(true))).filter((f) => f.rule === 'poor-initialisation' && f.layer === 'proj');
    assert.deepEqual(residual, []);
    const plain = findings(await trace(model(false))).filter((f) => f.rule === 'poor-initialisation' && f.layer === 'proj');
    assert.equal(plain.length, 1);
    assert.match(plain[0].message, /weight of Linear proj starts at std 0\.01/);
  });

  it("a batch the loop body makes from the loop's item (inputs, labels = data; .to(device); .view) is the trace's batch, its statements run once per step", async () => {
    const text = `import torch
import torch.nn as nn

net = nn.Linear(6, 2)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
crit = nn.CrossEntropyLoss()
data_list = [(torch.randn(8, 2, 3), torch.randint(0, 2, (8,))) for _ in range(6)]
count = 0
for data in data_list:
    inputs, labels = data
    inputs = inputs.view(inputs.size(0), -1).to('cpu')
    count = count + 1
    opt.zero_grad()
    loss = crit(net(inputs), labels)
    assert count <= 5, count
    loss.backward()
    opt.step()
`;
    const r = await trace(text);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.steps.length, 5);
    assert.equal(r.analysis!.trace.batchSize, 8);
    assert.equal(r.analysis!.trace.data?.target.integers, true);
  });
});
