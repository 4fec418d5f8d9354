/**
 * A backward frees the graph it walked (retain_graph=None): a later backward reaching a node that
 * saved a tensor is torch's "Trying to backward through the graph a second time" at the user's
 * backward line. The bugs that meet it: an RNN's hidden state carried across batches without
 * .detach(), backward() twice on one loss, a GAN whose discriminator loss reuses the generator's
 * output undetached. Each proven in torch 1.13 (where it raises, and that the fix trains).
 */
import assert from 'node:assert/strict';
import { GRAPH_FREED } from '../../../src/engine/autograd';
import { analysePython } from '../../../src/worker/python';
import { requireTorch, runInOneTorchProcess, type ScriptAnswer } from '../../support/torch';
import { at, printsAsTorch, ready } from './support';

async function analysed(text: string) {
  return analysePython({ text, fileName: 'train.py', steps: 3 });
}

/** The errors said here, as message at the text they point to. */
async function errorsHere(text: string): Promise<string[]> {
  const r = await analysed(text);
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.message} at ${at(text, d.range)}`);
}

/** The 1-based line of the script's own frame torch's traceback ends in, and the error's last line. */
function raisedAt(answer: ScriptAnswer, file: string): { line: number; error: string } {
  assert.ok('error' in answer, `torch ran ${file} without an error`);
  const lines = [...answer.error.matchAll(new RegExp(`File "${file}", line (\\d+)`, 'g'))];
  const last = answer.error.trim().split('\n').pop()!;
  return { line: Number(lines[lines.length - 1][1]), error: last };
}

/** The 1-based line of `text` where `r` starts. */
const lineOf = (text: string, r: { start: number }) => text.slice(0, r.start).split('\n').length;

/** The line of `text` holding `code` (1-based), the last one when several do. */
const lineHolding = (text: string, code: string) => text.split('\n').map((l) => l.includes(code)).lastIndexOf(true) + 1;

/**
 * An RNN (or LSTM) trained on three batches with its hidden state carried from batch to batch;
 * `carry` is the line at the top of the body that cuts (or does not cut) it from the last batch's
 * graph. Weights and data are written out, so torch and the trace start from the same numbers.
 */
const recurrent = (layer: 'RNN' | 'LSTM', carry: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.${layer}(4, 8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x, hidden):
        out, hidden = self.rnn(x, hidden)
        return self.head(out[:, -1]), hidden


net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.sin(torch.arange(p.numel()).float()).view_as(p) * 0.3)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
data = [(torch.cos(torch.arange(40).float() * (i + 1)).view(2, 5, 4), torch.ones(2, 1) * i) for i in range(3)]
hidden = ${layer === 'LSTM' ? '(torch.zeros(1, 2, 8), torch.zeros(1, 2, 8))' : 'torch.zeros(1, 2, 8)'}
for x, y in data:
    opt.zero_grad()
    ${carry}
    out, hidden = net(x, hidden)
    loss = F.mse_loss(out, y)
    loss.backward()
    opt.step()
    print(loss.item())
`;

/** A GAN's step in the DCGAN example's form; `fakeForD` is what the discriminator's fake loss is computed on. */
const gan = (fakeForD: string) => `import torch
import torch.nn as nn

torch.manual_seed(0)
netG = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
netD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
real_points = torch.randn(64, 2) * 0.5 + 1.0

for i in range(0, 64, 16):
    netD.zero_grad()
    label = torch.full((16,), 1.0)
    errD_real = criterion(netD(real_points[i:i + 16]).view(-1), label)
    errD_real.backward()
    fake = netG(torch.randn(16, 4))
    label.fill_(0.0)
    errD_fake = criterion(netD(${fakeForD}).view(-1), label)
    errD_fake.backward()
    optimizerD.step()
    netG.zero_grad()
    label.fill_(1.0)
    errG = criterion(netD(fake).view(-1), label)
    errG.backward()
    optimizerG.step()
`;

/**
 * Gradients accumulated over four batches per optimiser step, an RNN's hidden state carried from
 * batch to batch and detached only after the step: each batch's backward reaches the earlier
 * batches' graphs, which must have been kept (`call`: the backward call as written).
 */
const accumulated = (call: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rnn = nn.RNN(4, 8, batch_first=True)
head = nn.Linear(8, 1)
opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.1)
data = [(torch.randn(2, 5, 4), torch.randn(2, 1)) for _ in range(8)]
hidden = torch.zeros(1, 2, 8)
for i, (x, y) in enumerate(data):
    out, hidden = rnn(x, hidden)
    loss = F.mse_loss(head(out[:, -1]), y)
    ${call}
    if (i + 1) % 4 == 0:
        opt.step()
        opt.zero_grad()
        hidden = hidden.detach()
`;

/** A regression trained with backward() called twice on each step's loss, the first `first`. */
const twice = (first: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(16, 4)
y = torch.randn(16, 1)
for step in range(3):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    ${first}
    loss.backward()
    opt.step()
`;

describe('a graph freed by backward, as PyTorch 1.13', () => {
  before(ready);

  it('backward_twice.py: which ops raise on a second backward (those that saved a tensor), retain_graph, and torch.autograd.grad then backward print as under torch', function () {
    printsAsTorch(this, 'backward_twice.py');
  });

  describe('with torch', () => {
    let answers: ScriptAnswer[];
    const scripts = {
      rnn: recurrent('RNN', 'pass'),
      rnnDetached: recurrent('RNN', 'hidden = hidden.detach()'),
      rnnRetained: recurrent('RNN', 'pass').replace('loss.backward()', 'loss.backward(retain_graph=True)'),
      lstm: recurrent('LSTM', 'pass'),
      lstmDetached: recurrent('LSTM', 'hidden = tuple(h.detach() for h in hidden)'),
      gan: gan('fake'),
      ganDetached: gan('fake.detach()'),
      accumulated: accumulated('loss.backward()'),
      accumulatedRetained: accumulated('loss.backward(retain_graph=True)'),
      twice: twice('loss.backward()'),
      twiceRetained: twice('loss.backward(retain_graph=True)'),
    };
    const names = Object.keys(scripts) as (keyof typeof scripts)[];
    const torchSaid = (name: keyof typeof scripts) => answers[names.indexOf(name)];

    before(function () {
      requireTorch(this, 'freed-graph');
      answers = runInOneTorchProcess(names.map((name) => ({ text: scripts[name], file: `${name}.py` })));
    });

    /** The script raises torch's words at `code` (torch: that line raises them), here and in torch. */
    async function raisesAt(name: keyof typeof scripts, code: string): Promise<void> {
      const text = scripts[name];
      const theirs = raisedAt(torchSaid(name), `${name}.py`);
      assert.equal(theirs.error, `RuntimeError: ${GRAPH_FREED}`);
      assert.equal(theirs.line, lineHolding(text, code));
      const r = await analysed(text);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1, r.diagnostics.map((d) => d.message).join('\n'));
      assert.equal(errors[0].message, `the model fails here: ${theirs.error}`);
      assert.equal(at(text, errors[0].range), code);
      assert.equal(lineOf(text, errors[0].range), theirs.line);
    }

    /** The script trains here without an error, each traced step's loss torch's. */
    async function trainsAsTorch(name: keyof typeof scripts): Promise<void> {
      const answer = torchSaid(name);
      assert.ok('stdout' in answer, 'error' in answer ? answer.error : '');
      const r = await analysed(scripts[name]);
      assert.deepEqual(await errorsHere(scripts[name]), []);
      const theirs = answer.stdout.trim().split('\n').map(Number);
      const mine = r.analysis!.trace.steps.map((s) => s.loss);
      assert.equal(mine.length, 3);
      mine.forEach((l, i) => assert.ok(Math.abs(l - theirs[i]) <= 1e-5 * Math.max(1, Math.abs(theirs[i])), `step ${i}: ${l} here, ${theirs[i]} in torch`));
    }

    it("an RNN's hidden state carried across batches undetached: the second batch's loss.backward() raises torch's RuntimeError", async () => {
      await raisesAt('rnn', 'loss.backward()');
    });

    it('the same RNN with hidden = hidden.detach() trains, three steps with the losses torch gives', async () => {
      await trainsAsTorch('rnnDetached');
    });

    it("with loss.backward(retain_graph=True) the traced step keeps the graph: the next batch's backward reaches weights opt.step() changed in place, torch's in-place RuntimeError, not the freed graph's", async () => {
      const theirs = raisedAt(torchSaid('rnnRetained'), 'rnnRetained.py');
      const inplace = 'RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation';
      assert.ok(theirs.error.startsWith(inplace), theirs.error);
      const errors = await errorsHere(scripts.rnnRetained);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0].startsWith(`the model fails here: ${inplace}`), errors[0]);
      assert.ok(errors[0].endsWith(' at loss.backward(retain_graph=True)'), errors[0]);
    });

    it("an LSTM's (h, c) carried undetached raises the same; detached with tuple(h.detach() for h in hidden) it trains as in torch", async () => {
      await raisesAt('lstm', 'loss.backward()');
      await trainsAsTorch('lstmDetached');
    });

    it("a GAN whose discriminator's fake loss reuses the generator's output undetached: the generator's errG.backward() raises; with fake.detach() it trains", async () => {
      await raisesAt('gan', 'errG.backward()');
      const answer = torchSaid('ganDetached');
      assert.ok('stdout' in answer, 'error' in answer ? answer.error : '');
      assert.deepEqual(await errorsHere(scripts.ganDetached), []);
    });

    it("gradient accumulation over an RNN's carried hidden state: loss.backward() raises at the second batch; with retain_graph=True the micro-batches' backward calls keep their graphs and it trains", async () => {
      await raisesAt('accumulated', 'loss.backward()');
      const answer = torchSaid('accumulatedRetained');
      assert.ok('stdout' in answer, 'error' in answer ? answer.error : '');
      const r = await analysed(scripts.accumulatedRetained);
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.equal(r.analysis!.trace.steps.length, 2);
    });

    it('backward() twice on one loss raises at the second; with retain_graph=True on the first it trains, as in torch', async () => {
      const text = scripts.twice;
      const theirs = raisedAt(torchSaid('twice'), 'twice.py');
      assert.equal(theirs.error, `RuntimeError: ${GRAPH_FREED}`);
      const errors = await errorsHere(text);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.equal(errors[0], `the model fails here: ${theirs.error} at loss.backward()`);
      const r = await analysed(text);
      assert.equal(lineOf(text, r.diagnostics.find((d) => d.severity === 'error')!.range), theirs.line);
      const retained = torchSaid('twiceRetained');
      assert.ok('stdout' in retained, 'error' in retained ? retained.error : '');
      assert.deepEqual(await errorsHere(scripts.twiceRetained), []);
    });
  });
});
