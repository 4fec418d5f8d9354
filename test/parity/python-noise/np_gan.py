# A GAN in PyTorch-GAN's form, on 2-D points: `Tensor = torch.cuda.FloatTensor if cuda else
# torch.FloatTensor`, labels as `Variable(Tensor(n, 1).fill_(1.0), requires_grad=False)`, the noise
# drawn with NumPy (`Tensor(np.random.normal(0, 1, (n, latent_dim)))`), the sizes from `np.prod`;
# the generator's step first, then the discriminator's (its loss is the step's last backward).
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

torch.manual_seed(3)
latent_dim = 4
point_shape = (1, 2)
cuda = True if torch.cuda.is_available() else False


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.model = nn.Sequential(nn.Linear(latent_dim, 16), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, int(np.prod(point_shape))), nn.Tanh())

    def forward(self, z):
        return self.model(z).view(z.size(0), *point_shape)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.model = nn.Sequential(nn.Linear(int(np.prod(point_shape)), 16), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1), nn.Sigmoid())

    def forward(self, x):
        return self.model(x.view(x.size(0), -1))


adversarial_loss = torch.nn.BCELoss()
generator = Generator()
discriminator = Discriminator()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor
points = torch.rand(64, 1, 2) * 0.5

for epoch in range(2):
    for i in range(0, 64, 16):
        real = points[i:i + 16]
        valid = Variable(Tensor(real.size(0), 1).fill_(1.0), requires_grad=False)
        fake = Variable(Tensor(real.size(0), 1).fill_(0.0), requires_grad=False)
        real_imgs = Variable(real.type(Tensor))

        optimizer_G.zero_grad()
        z = Variable(Tensor(np.random.normal(0, 1, (real.shape[0], latent_dim))))
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()

        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
