/**
 * Training loops written in other ways than `optimizer.step()` after each `loss.backward()`: an
 * optimiser handed a closure (LBFGS needs one; SGD, Adam, ... accept one), parameters updated by
 * hand as tutorials do before torch.optim, gradients accumulated over micro-batches. Each is
 * traced as the script trains (parity against PyTorch: test/parity/python-steps.test.ts), or gets a
 * "can't follow" (or the error PyTorch raises) at the construct, never a note that there is no loop.
 */
import assert from 'node:assert/strict';
import { analysePython, PythonResult } from '../../../src/worker/python';
import { applyEdits } from '../../../src/model/fixes';
import { at, ready } from './support';

async function trace(text: string, steps = 4): Promise<PythonResult> {
  return analysePython({ text, fileName: 'train.py', steps });
}

const HEAD = `import torch
import torch.nn as nn
import torch.optim as optim

net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
x = torch.linspace(-1, 1, 32).view(8, 4)
y = x.sum(dim=1, keepdim=True)
criterion = nn.MSELoss()
`;

/** A loop stepping `opt` with a closure defined in its body, as pytorch/examples' time-sequence script does. */
const closureLoop = (opt: string) => `${HEAD}opt = ${opt}
for i in range(5):
    def closure():
        opt.zero_grad()
        out = net(x)
        loss = criterion(out, y)
        loss.backward()
        return loss
    opt.step(closure)
`;

/** A loop updating the parameters itself after backward(). */
const handLoop = (update: string, lr = 'learning_rate = 0.05') => `${HEAD}${lr}
for t in range(5):
    loss = criterion(net(x), y)
    net.zero_grad()
    loss.backward()
${update}
`;

describe('Python front end: closures, hand-written updates, gradient accumulation', () => {
  before(ready);

  it('an optimiser stepped with a closure is traced, the closure being the step (also a closure defined before the loop)', async () => {
    const r = await trace(closureLoop('optim.Adam(net.parameters(), lr=0.01)'));
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.steps.length, 4);
    assert.equal(r.analysis!.trace.optimizer.type, 'Adam');
    assert.equal(r.analysis!.trace.batchSize, 8);
    const outside = `${HEAD}opt = optim.SGD(net.parameters(), lr=0.1)
def closure():
    opt.zero_grad()
    loss = criterion(net(x), y)
    loss.backward()
    return loss
for i in range(5):
    opt.step(closure)
`;
    const o = await trace(outside);
    assert.deepEqual(o.diagnostics, []);
    assert.equal(o.analysis!.trace.steps.length, 4);
  });

  it('LBFGS, which Gradient Lens does not have, is a can\'t-follow at its call, the closure\'s step related (not "no training loop")', async () => {
    const text = closureLoop('optim.LBFGS(net.parameters(), lr=0.8)');
    const r = await trace(text);
    assert.equal(r.analysis, null);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    const [d] = r.diagnostics;
    assert.equal(d.code, 'python/cant-follow');
    assert.match(d.message, /can't follow torch\.optim\.LBFGS \(Gradient Lens has no LBFGS optimiser\) here/);
    assert.equal(at(text, d.range), 'optim.LBFGS(net.parameters(), lr=0.8)');
    assert.deepEqual(d.related.map((x) => at(text, x.range)), ['opt.step(closure)']);
    // Data from torch.load (the time-sequence script's) is its own can't-follow beside the optimiser's.
    const loaded = text.replace('x = torch.linspace(-1, 1, 32).view(8, 4)', 'x = torch.load("series.pt")[3:, :-1]');
    const both = await trace(loaded);
    assert.deepEqual(both.diagnostics.map((x) => at(loaded, x.range)), ['optim.LBFGS(net.parameters(), lr=0.8)', 'torch.load("series.pt")']);
  });

  it('a closure whose loss Gradient Lens cannot follow is a can\'t-follow at what made it', async () => {
    const text = closureLoop('optim.SGD(net.parameters(), lr=0.1)').replace('loss = criterion(out, y)', 'loss = criterion(out, y) + torch.load("extra.pt")');
    const r = await trace(text);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/cant-follow');
    assert.equal(at(text, r.diagnostics[0].range), 'torch.load("extra.pt")');
  });

  it('a script that exits before its loop (no CUDA) says so at the exit, not that there is no training loop', async () => {
    const text = `${HEAD}if not torch.cuda.is_available():
    print('cuda is not available')
    exit(-1)
${closureLoop('optim.SGD(net.parameters(), lr=0.1)').slice(HEAD.length)}`;
    const r = await trace(text);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/no-model');
    assert.match(r.diagnostics[0].message, /exits here before its training loop/);
    assert.equal(at(text, r.diagnostics[0].range), 'exit(-1)');
  });

  it('a hand-written SGD update is SGD with the script\'s lr: the lr finding and its fix at the learning_rate assignment', async () => {
    const update = '    with torch.no_grad():\n        for param in net.parameters():\n            param -= learning_rate * param.grad';
    const r = await trace(handLoop(update, 'learning_rate = 1e-9'), 5);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.optimizer.type, 'SGD');
    assert.equal(r.analysis!.trace.optimizer.lr, 1e-9);
    const text = handLoop(update, 'learning_rate = 1e-9');
    const f = r.analysis!.findings.find((x) => x.rule === 'learning-rate');
    assert.ok(f, r.analysis!.findings.map((x) => x.rule).join(', '));
    assert.match(f.message, /learning rate too small/);
    assert.equal(at(text, f.range), '1e-9');
    const fix = f.fixes[0];
    assert.ok(fix, 'no lr fix');
    const fixed = applyEdits(text, fix.edits);
    assert.match(fixed, /^learning_rate = (?!1e-9)[0-9.e-]+$/m);
    assert.ok(fixed.includes('param -= learning_rate * param.grad'));
    const again = await trace(fixed, 5);
    assert.deepEqual(again.analysis!.findings.filter((x) => x.rule === 'learning-rate'), []);
  });

  it('a summed loss over many samples with an lr to match (the polynomial tutorial\'s way) trains: large gradients that fall with the loss are no exploding gradient', async () => {
    const text = `import math
import torch

t = torch.linspace(-math.pi, math.pi, 1500)
target = torch.sin(t)
feats = t.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
fit = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction='sum')
step = 1e-6
for k in range(1000):
    loss = loss_fn(fit(feats), target)
    fit.zero_grad()
    loss.backward()
    with torch.no_grad():
        for w in fit.parameters():
            w -= step * w.grad
`;
    const r = await trace(text, 5);
    assert.deepEqual(r.diagnostics, []);
    const steps = r.analysis!.trace.steps;
    assert.ok(steps[0].params[0].gradNorm > 1e4, `first gradient ${steps[0].params[0].gradNorm}`);
    assert.ok(steps[4].loss < steps[0].loss / 2, steps.map((s) => s.loss).join(', '));
    assert.deepEqual(r.analysis!.findings.map((f) => `${f.rule}: ${f.message}`), []);
  });

  it('an lr written in the update itself (param.data.add_(-1e-9 * param.grad)) is the SGD lr, its finding and fix on that number', async () => {
    const text = handLoop('    for param in net.parameters():\n        param.data.add_(-1e-9 * param.grad)', '');
    const r = await trace(text, 5);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.optimizer.lr, 1e-9);
    const f = r.analysis!.findings.find((x) => x.rule === 'learning-rate');
    assert.ok(f, r.analysis!.findings.map((x) => x.rule).join(', '));
    assert.equal(at(text, f.range), '1e-9');
    const fixed = applyEdits(text, f.fixes[0].edits);
    assert.match(fixed, /param\.data\.add_\(-(?!1e-9)[0-9.e-]+ \* param\.grad\)/);
  });

  it('a model from the file\'s own module (import model, as the word language model\'s main.py) is a can\'t-follow where it is built, also with a hand-written update', async () => {
    const text = `import torch
import torch.nn as nn
import model

net = model.RNNModel('LSTM', 50, 16, 16, 2)
criterion = nn.CrossEntropyLoss()
lr = 20
x = torch.zeros(5, 3, dtype=torch.long)
y = torch.zeros(15, dtype=torch.long)
for step in range(4):
    net.zero_grad()
    loss = criterion(net(x).view(-1, 50), y)
    loss.backward()
    for p in net.parameters():
        p.data.add_(p.grad, alpha=-lr)
`;
    const r = await trace(text);
    assert.equal(r.analysis, null);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/cant-follow');
    assert.equal(at(text, r.diagnostics[0].range), "model.RNNModel('LSTM', 50, 16, 16, 2)");
  });

  it('an in-place update of the parameters outside torch.no_grad() is the error PyTorch raises there', async () => {
    const text = handLoop('    for param in net.parameters():\n        param.add_(-0.1 * param.grad)');
    const r = await trace(text);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/raises');
    assert.match(r.diagnostics[0].message, /a leaf Variable that requires grad is being used in an in-place operation/);
    assert.equal(at(text, r.diagnostics[0].range), 'param.add_(-0.1 * param.grad)');
  });

  it('any other hand-written update (momentum by hand, some parameters only) is a can\'t-follow at its loop', async () => {
    const momentum = '    with torch.no_grad():\n        for param in net.parameters():\n            param.mul_(0.99)\n            param -= learning_rate * param.grad';
    const text = handLoop(momentum);
    const r = await trace(text);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.match(r.diagnostics[0].message, /can't follow a hand-written parameter update other than plain SGD/);
    assert.ok(at(text, r.diagnostics[0].range).startsWith('for param in net.parameters():'));
    const some = handLoop('    with torch.no_grad():\n        for param in net[0].parameters():\n            param -= learning_rate * param.grad');
    const s = await trace(some);
    assert.equal(s.diagnostics.length, 1, JSON.stringify(s.diagnostics));
    assert.match(s.diagnostics[0].message, /can't follow a hand-written update of some of the parameters only/);
    assert.equal(at(some, s.diagnostics[0].range), 'net[0].parameters()');
  });

  it('a loop calling a function that does one step (backward and the update inside it) is the training loop: with an optimiser, or updating by hand', async () => {
    // pytorch/examples' GAT calls train_iter(...) once an epoch; the char-RNN tutorials call train(...) per sample.
    const withOptimizer = `${HEAD}opt = optim.Adam(net.parameters(), lr=0.01)

def train_step(model, optimizer, xb, yb):
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()

for epoch in range(6):
    train_step(net, opt, x * 2, y)
`;
    const r = await trace(withOptimizer);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.steps.length, 4);
    assert.equal(r.analysis!.trace.optimizer.type, 'Adam');
    // The batch is the loop's argument for the function's xb.
    assert.equal(r.analysis!.trace.batchSize, 8);
    assert.ok(Math.abs(r.analysis!.trace.data!.input.max - 2) < 1e-6, JSON.stringify(r.analysis!.trace.data));
    const byHand = `${HEAD}learning_rate = 0.005

def train(xb, yb):
    net.zero_grad()
    loss = criterion(net(xb), yb)
    loss.backward()
    for p in net.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return net(xb), loss.item()

for it in range(1, 10):
    output, loss = train(x, y)
`;
    const h = await trace(byHand);
    assert.deepEqual(h.diagnostics, []);
    assert.equal(h.analysis!.trace.steps.length, 4);
    assert.equal(h.analysis!.trace.optimizer.type, 'SGD');
    assert.equal(h.analysis!.trace.optimizer.lr, 0.005);
    // A function with a loop of its own around backward is not one step: that loop is the training loop.
    const own = `${HEAD}opt = optim.SGD(net.parameters(), lr=0.1)

def fit(n):
    for k in range(n):
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        opt.step()

for epoch in range(2):
    fit(3)
`;
    const o = await trace(own, 20);
    assert.deepEqual(o.diagnostics, []);
    assert.equal(o.analysis!.trace.steps.length, 3);
  });

  it('a Trainer class whose epoch loop calls self._run_batch(...) for each step is the training loop (pytorch/examples\' DDP tutorial series)', async () => {
    const trainer = (outputs: number, target: string) => `import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, train_data, optimizer):
        self.model = model
        self.train_data = train_data
        self.optimizer = optimizer

    def _run_batch(self, source, targets):
        self.optimizer.zero_grad()
        output = self.model(source)
        loss = F.cross_entropy(output, targets)
        loss.backward()
        self.optimizer.step()

    def _run_epoch(self, epoch):
        for source, targets in self.train_data:
            self._run_batch(source, targets * 3)

    def train(self, max_epochs):
        for epoch in range(max_epochs):
            self._run_epoch(epoch)


model = torch.nn.Linear(20, ${outputs})
data = DataLoader(TensorDataset(torch.rand(64, 20), ${target}), batch_size=16, shuffle=True)
Trainer(model, data, torch.optim.SGD(model.parameters(), lr=1e-3)).train(2)
`;
    const healthy = await trace(trainer(4, 'torch.randint(0, 2, (64,))'));
    assert.deepEqual(healthy.diagnostics, []);
    assert.deepEqual(healthy.analysis!.findings.map((f) => f.message), []);
    assert.equal(healthy.analysis!.trace.steps.length, 4);
    assert.equal(healthy.analysis!.trace.batchSize, 16);
    // The method's targets parameter is the loop's \`targets * 3\`: labels 0 and 3.
    assert.equal(healthy.analysis!.trace.data!.target.max, 3);
    // One output and float targets, as the tutorial writes it: a loss of exactly 0, no gradient; an error on the loss call.
    const text = trainer(1, 'torch.rand(64, 1)');
    const single = await trace(text);
    const f = single.analysis!.findings.find((x) => x.rule === 'loss-activation-mismatch');
    assert.ok(f, JSON.stringify(single.analysis!.findings.map((x) => x.message)));
    assert.equal(f.severity, 'error');
    assert.match(f.message, /^CrossEntropyLoss over 1 class: .* exactly 0 at all 4 traced steps .*Linear \(the whole model\) has 1 output/);
    assert.equal(at(text, f.range), 'F.cross_entropy');
    // Its targets (rand × 3) are no probabilities: the regression fix comes first.
    const fixed = applyEdits(text, f.fixes.find((x) => x.preferred)!.edits);
    assert.match(fixed, /loss = F\.mse_loss\(output, targets\)/);
    assert.deepEqual((await trace(fixed)).analysis!.findings.filter((x) => x.severity !== 'info').map((x) => x.message), []);
  });

  it('under gradient accumulation a traced step is the script\'s: one optimiser step per accum_steps backward() calls', async () => {
    const text = `${HEAD}opt = optim.SGD(net.parameters(), lr=0.1)
batches = [(x + k, y) for k in range(12)]
accum_steps = 3
for i, (xb, yb) in enumerate(batches):
    loss = criterion(net(xb), yb) / accum_steps
    assert i < 9, i
    loss.backward()
    if (i + 1) % accum_steps == 0:
        opt.step()
        opt.zero_grad()
`;
    const r = await trace(text, 3);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.steps.length, 3);
    // Three steps ran nine micro-batches: the ninth (i = 8) was reached.
    const fewer = await trace(text.replace('assert i < 9, i', 'assert i < 8, i'), 3);
    assert.equal(fewer.analysis, null);
    assert.match(fewer.diagnostics.map((d) => d.message).join('; '), /AssertionError: 8/);
  });

  it('under gradient accumulation the trace takes the optimiser steps of one pass over the data, not one per item', async () => {
    // 12 micro-batches in threes are 4 steps; 10 are 3 (the tenth's gradient never steps in this pass).
    const script = (n: number) => `${HEAD}opt = optim.SGD(net.parameters(), lr=0.1)
batches = [(x * (k + 1), y) for k in range(${n})]
for i, (xb, yb) in enumerate(batches):
    loss = criterion(net(xb), yb) / 3
    loss.backward()
    if (i + 1) % 3 == 0:
        opt.step()
        opt.zero_grad()
`;
    for (const [n, steps] of [[12, 4], [10, 3], [2, 0]] as const) {
      const r = await trace(script(n), 20);
      if (steps === 0) {
        // Two micro-batches never reach a step: following them into further passes never steps either.
        assert.equal(r.analysis, null);
        assert.match(r.diagnostics.map((d) => d.message).join('; '), /optimiser step that has not come after 256 backward\(\) calls/);
        continue;
      }
      assert.deepEqual(r.diagnostics, [], `${n} micro-batches`);
      assert.equal(r.analysis!.trace.steps.length, steps, `${n} micro-batches`);
      assert.equal(r.analysis!.trace.stoppedEarly, null);
    }
    // A counter kept across epochs steps in the next pass: the first step is followed into it.
    const counter = `${HEAD}opt = optim.SGD(net.parameters(), lr=0.1)
batches = [(x * (k + 1), y) for k in range(2)]
seen = 0
for xb, yb in batches:
    loss = criterion(net(xb), yb) / 3
    loss.backward()
    seen += 1
    if seen % 3 == 0:
        opt.step()
        opt.zero_grad()
`;
    const c = await trace(counter, 20);
    assert.deepEqual(c.diagnostics, []);
    assert.equal(c.analysis!.trace.steps.length, 1);
  });

  it('an accumulation condition Gradient Lens cannot follow is a can\'t-follow at the if, not a step on every backward()', async () => {
    const text = `${HEAD}import os
opt = optim.SGD(net.parameters(), lr=0.1)
accum = int(os.environ["ACCUM"])
for i in range(12):
    loss = criterion(net(x), y) / 2
    loss.backward()
    if (i + 1) % accum == 0:
        opt.step()
        opt.zero_grad()
`;
    const r = await trace(text, 3);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    assert.equal(r.diagnostics[0].code, 'python/cant-follow');
    assert.equal(at(text, r.diagnostics[0].related[0]?.range ?? r.diagnostics[0].range), '(i + 1) % accum == 0');
  });
  describe('loose tensors trained by hand (the autograd tutorials, before nn.Module)', () => {
    const loose = (reset: string, rates = ['rate', 'rate', 'rate']) => `import math
import torch

xs = torch.linspace(-math.pi, math.pi, 200)
ys = torch.cos(xs)
p0 = torch.randn((), requires_grad=True)
p1 = torch.randn((), requires_grad=True)
p2 = torch.zeros((), requires_grad=True)
rate = 2e-5
for it in range(50):
    pred = p0 + p1 * xs + p2 * xs ** 2
    loss = (pred - ys).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        p0 -= ${rates[0]} * p0.grad
        p1 -= ${rates[1]} * p1.grad
        p2 -= ${rates[2]} * p2.grad
${reset}
`;
    const resetNone = '        p0.grad = None\n        p1.grad = None\n        p2.grad = None';

    it('are the model\'s parameters under their own names, trained by SGD at the script\'s rate, which the lr findings name', async () => {
      const text = loose(resetNone);
      const r = await trace(text);
      assert.deepEqual(r.diagnostics, []);
      const t = r.analysis!.trace;
      assert.deepEqual(t.params.map((p) => p.name), ['p0', 'p1', 'p2']);
      assert.equal(t.optimizer.type, 'SGD');
      assert.equal(t.optimizer.lr, 2e-5);
      // The loss falls: the update is applied step after step.
      assert.ok(t.steps[3].loss < t.steps[0].loss, JSON.stringify(t.steps.map((s) => s.loss)));
      // The batch is the data the parameters are applied to (xs), not one sample.
      assert.equal(t.batchSize, 200);
    });

    it('a model written as a function over them (pred = model(xb)) takes its batch from that call; a tensor made with requires_grad_() counts too', async () => {
      const text = `import math
import torch
import torch.nn.functional as F

data = torch.rand(96, 12)
labels = torch.randint(0, 3, (96,))
weights = torch.randn(12, 3) / math.sqrt(12)
weights.requires_grad_()
bias = torch.zeros(3, requires_grad=True)

def model(xb):
    return xb @ weights + bias

bs = 16
lr = 0.1
for i in range(6):
    xb = data[i * bs:(i + 1) * bs]
    yb = labels[i * bs:(i + 1) * bs]
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    with torch.no_grad():
        weights -= weights.grad * lr
        bias -= bias.grad * lr
        weights.grad.zero_()
        bias.grad.zero_()
`;
      const r = await trace(text);
      assert.deepEqual(r.diagnostics, []);
      const t = r.analysis!.trace;
      assert.deepEqual(t.params.map((p) => p.name), ['weights', 'bias']);
      assert.equal(t.batchSize, 16);
      assert.equal(t.optimizer.lr, 0.1);
    });

    it('handed to torch.optim as a list (optim.SGD([w, b])) they are the model under their names; a tensor without a name of its own is not guessed', async () => {
      const fit = (params: string) => `import torch

xs = torch.linspace(0, 1, 50).unsqueeze(1)
ys = 3 * xs + 0.5
w = torch.randn(1, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD(${params}, lr=0.1)
for epoch in range(100):
    optimizer.zero_grad()
    loss = ((xs @ w + b - ys) ** 2).mean()
    loss.backward()
    optimizer.step()
`;
      const r = await trace(fit('[w, b]'));
      assert.deepEqual(r.diagnostics, []);
      assert.deepEqual(r.analysis!.trace.params.map((p) => p.name), ['w', 'b']);
      assert.equal(r.analysis!.trace.batchSize, 50);
      const text = fit('[w, b, torch.zeros(1, requires_grad=True)]');
      const unnamed = await trace(text);
      assert.equal(unnamed.diagnostics.length, 1, JSON.stringify(unnamed.diagnostics));
      assert.match(unnamed.diagnostics[0].message, /can't follow the model this training loop trains/);
    });

    it('a .grad set to a number is the TypeError PyTorch raises there; updates at different rates are a can\'t-follow', async () => {
      const text = loose('        p0.grad, p1.grad, p2.grad = 0., 0., 0.');
      const r = await trace(text);
      assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
      assert.equal(r.diagnostics[0].code, 'python/raises');
      assert.match(r.diagnostics[0].message, /TypeError: assigned grad expected to be a Tensor or None but got grad of typefloat/);
      assert.equal(at(text, r.diagnostics[0].range), 'p0.grad, p1.grad, p2.grad = 0., 0., 0.');
      const mixed = loose(resetNone, ['rate', 'rate', '0.5 * rate']);
      const m = await trace(mixed);
      assert.equal(m.diagnostics.length, 1, JSON.stringify(m.diagnostics));
      assert.match(m.diagnostics[0].message, /can't follow hand-written updates at different learning rates/);
      assert.equal(at(mixed, m.diagnostics[0].range), 'p0 -= rate * p0.grad');
    });
  });
});
