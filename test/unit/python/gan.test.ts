/**
 * A training step with several backward() calls, as a GAN's (pytorch/examples' dcgan): the
 * discriminator on a real and a fake batch, its step, then the generator through the discriminator.
 * One traced step is the whole iteration; both models are traced under their variable names (each
 * with its own optimiser), so findings can land on either's layers; each backward's loss is recorded
 * under its variable's name. Gradient parity with PyTorch: test/parity/python-noise.test.ts.
 */
import assert from 'node:assert/strict';
import { analysePython, PythonResult } from '../../../src/worker/python';
import { formatNormTable } from '../../../src/cli/trace';
import { at, ready } from './support';

async function trace(text: string, steps = 6): Promise<PythonResult> {
  return analysePython({ text, fileName: 'gan.py', steps });
}

/** A GAN on 2-D points in the DCGAN example's form; `lastG` is the generator's output layer(s). */
const gan = (lastG: string, initG = '', lastD = 'nn.Sigmoid()') => `import torch
import torch.nn as nn

torch.manual_seed(0)
nz = 4
netG = nn.Sequential(nn.Linear(nz, 16), nn.ReLU(), ${lastG})
netD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), ${lastD})
${initG}criterion = nn.BCELoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
real_points = torch.randn(64, 2) * 0.5 + 1.0

for i in range(0, 64, 16):
    netD.zero_grad()
    real = real_points[i:i + 16]
    label = torch.full((16,), 1.0)
    output = netD(real).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    noise = torch.randn(16, nz)
    fake = netG(noise)
    label.fill_(0.0)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    optimizerD.step()
    netG.zero_grad()
    label.fill_(1.0)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    optimizerG.step()
`;

describe('Python front end: a GAN step (several backward calls, two optimisers)', () => {
  before(ready);

  it('traces both models over whole iterations under their variable names, each backward\'s loss named by its variable; a healthy GAN stays silent', async () => {
    const text = gan('nn.Linear(16, 2)');
    const r = await trace(text, 4);
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.equal(t.steps.length, 4);
    // Both models, in the order their optimisers were made (optimizerD first).
    const names = ['netD.0.weight', 'netD.0.bias', 'netD.2.weight', 'netD.2.bias', 'netG.0.weight', 'netG.0.bias', 'netG.2.weight', 'netG.2.bias'];
    assert.deepEqual(t.params.map((p) => p.name), names);
    assert.deepEqual(t.params.map((p) => p.shape), [[16, 2], [16], [1, 16], [1], [16, 4], [16], [2, 16], [2]]);
    for (const s of t.steps) {
      assert.deepEqual(s.losses?.map((l) => l.name), ['errD_real', 'errD_fake', 'errG']);
      assert.equal(s.loss, s.losses![2].value);
      assert.ok(s.params.every((p) => p.reached && p.gradNorm > 0));
    }
    // BCELoss scores the discriminator's Sigmoid, not the generator's Linear: no loss finding on G.
    assert.deepEqual(r.analysis!.findings.map((f) => f.rule), []);
    const table = formatNormTable(t);
    assert.match(table, /step\s+errD_real\s+errD_fake\s+errG\s+netD\.0\.weight/);
  });

  it('a discriminator ending in a saturated Sigmoid (huge init) gets the finding on its own line', async () => {
    const text = gan('nn.Linear(16, 2)', 'nn.init.normal_(netD[2].weight, std=40.0)\n');
    const r = await trace(text);
    assert.deepEqual(r.diagnostics, []);
    const f = r.analysis!.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, `no saturation finding: ${r.analysis!.findings.map((x) => x.rule).join(', ')}`);
    assert.equal(at(text, f.range), 'nn.Sigmoid()');
    assert.ok(text.slice(0, f.range.start).endsWith('netD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), '));
  });

  it('the discriminator\'s records are of the gradient its own optimizer.step() applied, not what the generator\'s backward added after', async () => {
    const text = gan('nn.Linear(16, 2)');
    const applied: number[][] = [];
    const r = await analysePython({
      text,
      fileName: 'gan.py',
      steps: 3,
      onRead: (model) => {
        const d = model.torch.optimizers[0].engine;
        const step = d.step.bind(d);
        d.step = () => {
          applied.push(d.params.map((p) => Math.hypot(...p.grad!)));
          step();
        };
      },
    });
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.equal(applied.length, 3);
    t.steps.forEach((s, k) => s.params.slice(0, 4).forEach((p, i) => assert.ok(Math.abs(p.gradNorm - applied[k][i]) <= 1e-6 * applied[k][i], `step ${k} ${t.params[i].name}: ${p.gradNorm} vs ${applied[k][i]}`)));
  });

  it('a generator ending in a saturated Sigmoid (huge init) gets the finding on its own line', async () => {
    const text = gan('nn.Linear(16, 2), nn.Sigmoid()', 'nn.init.normal_(netG[2].weight, std=40.0)\n');
    const r = await trace(text);
    assert.deepEqual(r.diagnostics, []);
    const f = r.analysis!.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, `no saturation finding: ${r.analysis!.findings.map((x) => x.rule).join(', ')}`);
    assert.equal(at(text, f.range), 'nn.Sigmoid()');
    assert.ok(text.slice(0, f.range.start).endsWith('netG = nn.Sequential(nn.Linear(nz, 16), nn.ReLU(), nn.Linear(16, 2), '));
  });

  it('the traced optimiser clips as the generator\'s step does, not as the discriminator\'s clip_grad_norm_ before it', async () => {
    const clipD = '    torch.nn.utils.clip_grad_norm_(netD.parameters(), max_norm=5.0)\n    optimizerD.step()\n';
    const clipG = '    torch.nn.utils.clip_grad_norm_(netG.parameters(), max_norm=0.5)\n    optimizerG.step()\n';
    const base = gan('nn.Linear(16, 2)');
    const onlyD = base.replace('    optimizerD.step()\n', clipD);
    assert.notEqual(onlyD, base);
    const r = await trace(onlyD, 2);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.analysis!.trace.optimizer.clip, null);
    const r2 = await trace(onlyD.replace('    optimizerG.step()\n', clipG), 2);
    assert.deepEqual(r2.diagnostics, []);
    assert.deepEqual(r2.analysis!.trace.optimizer.clip, { kind: 'norm', maxNorm: 0.5, normType: 2 });
  });

  it('a script with one backward() a step records no per-backward losses (its output is as before)', async () => {
    const text = gan('nn.Linear(16, 2)').replace(/ {4}errD_real\.backward\(\)\n/, '').replace(/ {4}errD_fake\.backward\(\)\n/, '');
    const r = await trace(text, 2);
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.analysis!.trace.steps.every((s) => s.losses === undefined));
    assert.match(formatNormTable(r.analysis!.trace), /step\s+loss\s+0\.weight/);
  });

  it('a generator\'s backward through a discriminator its step has changed in place (softmax_gan\'s retain_graph form) fails at that backward, as in PyTorch', async () => {
    // PyTorch 1.13 on this script: "RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation".
    const text = `import torch
import torch.nn as nn

torch.manual_seed(0)
G = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
opt_G = torch.optim.Adam(G.parameters(), lr=0.01)
opt_D = torch.optim.Adam(D.parameters(), lr=0.01)
real = torch.randn(16, 2)
for i in range(3):
    opt_G.zero_grad()
    opt_D.zero_grad()
    d_real = D(real)
    d_fake = D(G(torch.randn(16, 3)))
    Z = torch.sum(torch.exp(-d_real)) + torch.sum(torch.exp(-d_fake))
    d_loss = torch.mean(d_real) + torch.log(Z)
    d_loss.backward(retain_graph=True)
    opt_D.step()
    g_loss = torch.mean(d_real) + torch.mean(d_fake) + torch.log(Z)
    g_loss.backward()
    opt_G.step()
`;
    const r = await trace(text, 2);
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.equal(d.severity, 'error');
    assert.match(d.message, /^the model fails here: RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation/);
    assert.equal(at(text, d.range), 'g_loss.backward()');
    // Stepped after the generator's backward instead, nothing is changed in place: traced.
    const fine = await trace(text.replace('    opt_D.step()\n', '').replace('    opt_G.step()\n', '    opt_G.step()\n    opt_D.step()\n'), 2);
    assert.deepEqual(fine.diagnostics, []);
  });

  it('depth ratios are judged within each model: a generator whose gradient vanishes is measured against its own last layer, not the discriminator\'s', async () => {
    // PyTorch-GAN's order: the generator's step first, so the discriminator's layers are the last applied.
    const text = `import torch
import torch.nn as nn

torch.manual_seed(0)
generator = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
discriminator = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
nn.init.normal_(generator[2].weight, std=1e-9)
adversarial_loss = nn.BCELoss()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=2e-4)
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=2e-4)
points = torch.randn(64, 2)
for i in range(0, 64, 16):
    valid = torch.ones(16, 1)
    fake = torch.zeros(16, 1)
    optimizer_G.zero_grad()
    gen = generator(torch.randn(16, 4))
    g_loss = adversarial_loss(discriminator(gen), valid)
    g_loss.backward()
    optimizer_G.step()
    optimizer_D.zero_grad()
    d_loss = (adversarial_loss(discriminator(points[i:i + 16]), valid) + adversarial_loss(discriminator(gen.detach()), fake)) / 2
    d_loss.backward()
    optimizer_D.step()
`;
    const r = await trace(text, 3);
    assert.deepEqual(r.diagnostics, []);
    const f = r.analysis!.findings.find((x) => x.rule === 'vanishing-gradient');
    assert.ok(f, `no vanishing finding: ${r.analysis!.findings.map((x) => x.rule).join(', ')}`);
    assert.match(f.message, /generator\.0/);
    const notes = (f.related ?? []).map((x) => x.message).join(' | ');
    assert.match(notes, /the last weight layer, Linear generator\.2/);
    assert.doesNotMatch(notes, /discriminator/);
  });

  it('a step\'s tail that updates state the step reads runs as the script does, and its error is PyTorch\'s at its line (BEGAN\'s `.data[0]` of a 0-dim loss)', async () => {
    const text = `import torch
import torch.nn as nn

net = nn.Linear(2, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(8, 2)
k = 0.0
for i in range(5):
    opt.zero_grad()
    loss = net(x).pow(2).mean() + k
    loss.backward()
    opt.step()
    k = k + 1.0
`;
    // k carries over: each step's loss is 1 more than without it, less what the step trained away.
    const r = await trace(text, 3);
    assert.deepEqual(r.diagnostics, []);
    const losses = r.analysis!.trace.steps.map((s) => s.loss);
    assert.ok(losses[1] > losses[0] + 0.5 && losses[2] > losses[1] + 0.5, losses.join(', '));
    // PyTorch 1.13: "IndexError: invalid index of a 0-dim tensor. Use \`tensor.item()\` ...".
    const broken = text + '    M = loss.data[0]\n';
    const b = await trace(broken, 3);
    assert.equal(b.diagnostics.length, 1);
    assert.match(b.diagnostics[0].message, /IndexError: invalid index of a 0-dim tensor/);
    assert.equal(at(broken, b.diagnostics[0].range), 'loss.data[0]');
  });
  it('a WGAN\'s generator trained every n_critic iterations (an `if` after the critic\'s step) is traced and judged: each traced step runs the iterations up to the next generator step, and says which they were', async () => {
    const wgan = (initG: string) => `import torch
import torch.nn as nn

torch.manual_seed(0)
n_critic = 3
generator = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2), nn.Tanh())
discriminator = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
${initG}optimizer_G = torch.optim.RMSprop(generator.parameters(), lr=5e-4)
optimizer_D = torch.optim.RMSprop(discriminator.parameters(), lr=5e-4)
points = torch.randn(96, 2) * 0.5

for i, start in enumerate(range(0, 96, 8)):
    real = points[start:start + 8]
    optimizer_D.zero_grad()
    z = torch.randn(8, 4)
    fake = generator(z).detach()
    loss_D = -torch.mean(discriminator(real)) + torch.mean(discriminator(fake))
    loss_D.backward()
    optimizer_D.step()
    for p in discriminator.parameters():
        p.data.clamp_(-0.05, 0.05)
    if i % n_critic == 0:
        optimizer_G.zero_grad()
        loss_G = -torch.mean(discriminator(generator(z)))
        loss_G.backward()
        optimizer_G.step()
`;
    const text = wgan('');
    // 12 iterations hold 4 generator steps (0, 3, 6, 9): the trace stops there, not at 6.
    const r = await trace(text, 6);
    const t = r.analysis!.trace;
    assert.equal(t.steps.length, 4);
    assert.equal(r.diagnostics.length, 1);
    const note = r.diagnostics[0];
    assert.equal(note.severity, 'info');
    assert.equal(at(text, note.range), 'i % n_critic == 0');
    assert.match(note.message, /loss_G\.backward\(\) runs only when i % n_critic == 0: .*the trace.s 4 steps ended at iterations 0, 3, 6, 9 \(10 iterations/);
    // Both models, the generator's optimiser made first; each step's losses once, the critic's its last.
    assert.deepEqual(t.params.map((p) => p.name.split('.')[0]), [...Array(4).fill('generator'), ...Array(4).fill('discriminator')]);
    for (const s of t.steps) {
      assert.deepEqual(s.losses?.map((l) => l.name), ['loss_D', 'loss_G']);
      // The critic's last bias cancels in mean(D(fake)) - mean(D(real)): exactly 0, as in PyTorch.
      assert.ok(s.params.every((p, i) => p.reached && (p.gradNorm > 0) !== (t.params[i].name === 'discriminator.2.bias')));
    }
    // The generator is judged: its saturated Tanh (a huge init) is found on its own line.
    const sat = wgan('nn.init.normal_(generator[2].weight, std=60.0)\n');
    const r2 = await trace(sat, 6);
    const f = r2.analysis!.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, `no saturation finding: ${r2.analysis!.findings.map((x) => x.rule).join(', ')}`);
    assert.equal(at(sat, f.range), 'nn.Tanh()');
  });

  it("the batch is the generator's noise drawn inside `with torch.no_grad():` (the Udacity MNIST GAN's form), not a stand-in of one row", async () => {
    const text = `import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

D = nn.Sequential(nn.Linear(16, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
G = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 16), nn.Tanh())
d_optimizer = optim.Adam(D.parameters(), 0.002)
g_optimizer = optim.Adam(G.parameters(), 0.002)

def real_loss(D_out):
    return nn.BCEWithLogitsLoss()(D_out.squeeze(), torch.ones(D_out.size(0)))

def fake_loss(D_out):
    return nn.BCEWithLogitsLoss()(D_out.squeeze(), torch.zeros(D_out.size(0)))

data = [(torch.rand(32, 16), torch.zeros(32)) for _ in range(4)]
for epoch in range(2):
    for real_images, _ in data:
        batch_size = real_images.size(0)
        d_optimizer.zero_grad()
        D_real = D(real_images)
        d_real_loss = real_loss(D_real)
        with torch.no_grad():
            z = np.random.uniform(-1, 1, size=(batch_size, 4))
            z = torch.from_numpy(z).float()
            fake_images = G(z)
        d_loss = d_real_loss + fake_loss(D(fake_images))
        d_loss.backward()
        d_optimizer.step()
        g_optimizer.zero_grad()
        z = np.random.uniform(-1, 1, size=(batch_size, 4))
        z = torch.from_numpy(z).float()
        g_loss = real_loss(D(G(z)))
        g_loss.backward()
        g_optimizer.step()
`;
    const r = await trace(text, 2);
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.equal(t.batchSize, 32);
    // the summary is of that noise (uniform on [-1, 1)), not of a zero stand-in
    assert.ok(t.data && t.data.input.std > 0.3 && t.data.input.min >= -1 && t.data.input.max < 1, JSON.stringify(t.data?.input));
  });

});
