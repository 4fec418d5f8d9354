/**
 * The constructs PyTorch-GAN's scripts build their steps from: `np.prod(img_shape)` for a layer's
 * size, `Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor`, labels as
 * `Variable(Tensor(n, 1).fill_(1.0), requires_grad=False)`, NumPy noise and class labels
 * (`FloatTensor(np.random.normal(...))`, `LongTensor(np.random.randint(...))`), `imgs.type(Tensor)`,
 * `os.makedirs`. Gradient parity of such a GAN: test/parity/python-noise.test.ts (np_gan.py).
 */
import assert from 'node:assert/strict';
import { analysePython } from '../../../src/worker/python';
import { ready } from './support';

/** A conditional GAN in cgan.py's form; the asserts check what each construct gives, as PyTorch does. */
const cgan = (extra = '') => `import os
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

os.makedirs("images", exist_ok=True)
n_classes = 3
latent_dim = 4
img_shape = (1, 2, 2)
cuda = True if torch.cuda.is_available() else False
assert np.prod(img_shape) == 4 and isinstance(np.prod(img_shape), int)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.label_emb = nn.Embedding(n_classes, n_classes)
        self.model = nn.Sequential(nn.Linear(latent_dim + n_classes, 8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(8, int(np.prod(img_shape))), nn.Tanh())

    def forward(self, noise, labels):
        return self.model(torch.cat((self.label_emb(labels), noise), -1)).view(noise.size(0), *img_shape)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.label_embedding = nn.Embedding(n_classes, n_classes)
        self.model = nn.Sequential(nn.Linear(n_classes + int(np.prod(img_shape)), 8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(8, 1))

    def forward(self, img, labels):
        return self.model(torch.cat((img.view(img.size(0), -1), self.label_embedding(labels)), -1))


adversarial_loss = torch.nn.MSELoss()
generator = Generator()
discriminator = Discriminator()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.0002)
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.0002)
FloatTensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor
LongTensor = torch.cuda.LongTensor if cuda else torch.LongTensor
data = [(torch.rand(8, 1, 2, 2), torch.randint(0, n_classes, (8,))) for _ in range(3)]

for epoch in range(2):
    for i, (imgs, labels) in enumerate(data):
        batch_size = imgs.shape[0]
        valid = Variable(FloatTensor(batch_size, 1).fill_(1.0), requires_grad=False)
        fake = Variable(FloatTensor(batch_size, 1).fill_(0.0), requires_grad=False)
        real_imgs = Variable(imgs.type(FloatTensor))
        labels = Variable(labels.type(LongTensor))
        z = Variable(FloatTensor(np.random.normal(0, 1, (batch_size, latent_dim))))
        gen_labels = Variable(LongTensor(np.random.randint(0, n_classes, batch_size)))
        assert valid.shape == (8, 1) and valid.dtype == torch.float32 and not valid.requires_grad
        assert z.dtype == torch.float32 and gen_labels.dtype == torch.int64 and labels.dtype == torch.int64
        assert isinstance(np.random.normal(), float) and 0 <= np.random.randint(5) < 5
${extra}
        optimizer_G.zero_grad()
        gen_imgs = generator(z, gen_labels)
        g_loss = adversarial_loss(discriminator(gen_imgs, gen_labels), valid)
        g_loss.backward()
        optimizer_G.step()

        optimizer_D.zero_grad()
        d_real_loss = adversarial_loss(discriminator(real_imgs, labels), valid)
        d_fake_loss = adversarial_loss(discriminator(gen_imgs.detach(), gen_labels), fake)
        d_loss = (d_real_loss + d_fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
`;

describe('Python front end: NumPy draws and typed tensor constructors in a GAN step (PyTorch-GAN\'s form)', () => {
  before(ready);

  it('traces both models of a conditional GAN built from np.prod, FloatTensor/LongTensor and numpy.random draws', async () => {
    const r = await analysePython({ text: cgan(), fileName: 'cgan.py', steps: 3 });
    assert.deepEqual(r.diagnostics, []);
    const t = r.analysis!.trace;
    assert.equal(t.steps.length, 3);
    assert.deepEqual(t.params.map((p) => p.name).slice(0, 2), ['generator.label_emb.weight', 'generator.model.0.weight']);
    assert.ok(t.params.some((p) => p.name === 'discriminator.model.2.bias'));
    assert.deepEqual(t.steps[0].losses?.map((l) => l.name), ['g_loss', 'd_loss']);
    assert.ok(t.steps.every((s) => s.params.every((p) => p.reached && p.gradNorm > 0)));
  });

});
