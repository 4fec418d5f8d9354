# A WGAN in PyTorch-GAN's form, on 2-D points: the critic's step every iteration, then its weights
# clipped (`p.data.clamp_`), and the generator's step every n_critic iterations in an `if` after
# it. A traced step is the iterations up to the generator's next step, the critic stepping at each.
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

torch.manual_seed(5)
latent_dim = 3
n_critic = 2
clip_value = 0.05
generator = nn.Sequential(nn.Linear(latent_dim, 8), nn.ReLU(), nn.Linear(8, 2))
discriminator = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
optimizer_G = torch.optim.RMSprop(generator.parameters(), lr=0.01)
optimizer_D = torch.optim.RMSprop(discriminator.parameters(), lr=0.01)
Tensor = torch.FloatTensor
points = torch.rand(80, 2)

for i in range(0, 80, 8):
    real_imgs = Variable(points[i:i + 8].type(Tensor))
    optimizer_D.zero_grad()
    z = Variable(Tensor(np.random.normal(0, 1, (real_imgs.shape[0], latent_dim))))
    fake_imgs = generator(z).detach()
    loss_D = -torch.mean(discriminator(real_imgs)) + torch.mean(discriminator(fake_imgs))
    loss_D.backward()
    optimizer_D.step()

    for p in discriminator.parameters():
        p.data.clamp_(-clip_value, clip_value)

    if (i // 8) % n_critic == 0:
        optimizer_G.zero_grad()
        gen_imgs = generator(z)
        loss_G = -torch.mean(discriminator(gen_imgs))
        loss_G.backward()
        optimizer_G.step()
