# A BEGAN-style step on 2-D points: the discriminator is an autoencoder, and the weight `k` of its
# fake term is updated after its step (`k = k + lambda_k * diff.item()`, clamped to [0, 1]), read by
# the next step's `d_loss = d_loss_real - k * d_loss_fake`: state the step carries, run as the
# script runs it.
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

torch.manual_seed(7)
latent_dim = 3
generator = nn.Sequential(nn.Linear(latent_dim, 8), nn.ReLU(), nn.Linear(8, 2))
discriminator = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.01)
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.01)
Tensor = torch.FloatTensor
points = torch.rand(64, 2)
gamma = 0.75
lambda_k = 0.5
k = 0.0

for i in range(0, 64, 8):
    real_imgs = Variable(points[i:i + 8].type(Tensor))
    optimizer_G.zero_grad()
    z = Variable(Tensor(np.random.normal(0, 1, (real_imgs.shape[0], latent_dim))))
    gen_imgs = generator(z)
    g_loss = torch.mean(torch.abs(discriminator(gen_imgs) - gen_imgs))
    g_loss.backward()
    optimizer_G.step()

    optimizer_D.zero_grad()
    d_real = discriminator(real_imgs)
    d_fake = discriminator(gen_imgs.detach())
    d_loss_real = torch.mean(torch.abs(d_real - real_imgs))
    d_loss_fake = torch.mean(torch.abs(d_fake - gen_imgs.detach()))
    d_loss = d_loss_real - k * d_loss_fake
    d_loss.backward()
    optimizer_D.step()

    diff = torch.mean(gamma * d_loss_real - d_loss_fake)
    k = k + lambda_k * diff.item()
    k = min(max(k, 0), 1)
