# A WGAN-div in PyTorch-GAN's form, small: the critic's penalty differentiates it at the real
# images (Variable(..., requires_grad=True)) and at the generator's, and the generator steps every
# n_critic iterations, after the critic's step.
import numpy as np
import torch
import torch.nn as nn
import torch.autograd as autograd
import torchvision.transforms as transforms
from torchvision import datasets
from torch.autograd import Variable

n_critic = 3
latent_dim = 8
img_shape = (1, 28, 28)
generator = nn.Sequential(nn.Linear(latent_dim, 32), nn.LeakyReLU(0.2, inplace=True), nn.Linear(32, 784), nn.Tanh())
critic = nn.Sequential(nn.Linear(784, 32), nn.LeakyReLU(0.2, inplace=True), nn.Linear(32, 1))
dataloader = torch.utils.data.DataLoader(
    datasets.MNIST("data", train=True, download=True, transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])),
    batch_size=16,
    shuffle=True,
)
optimizer_G = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.5, 0.999))
Tensor = torch.FloatTensor

for epoch in range(2):
    for i, (imgs, _) in enumerate(dataloader):
        real_imgs = Variable(imgs.type(Tensor).view(imgs.shape[0], -1), requires_grad=True)
        optimizer_D.zero_grad()
        z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], latent_dim))))
        fake_imgs = generator(z)
        real_validity = critic(real_imgs)
        fake_validity = critic(fake_imgs)
        out = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
        real_grad = autograd.grad(real_validity, real_imgs, out, create_graph=True, retain_graph=True, only_inputs=True)[0]
        fake_grad = autograd.grad(fake_validity, fake_imgs, out, create_graph=True, retain_graph=True, only_inputs=True)[0]
        div_gp = torch.mean(real_grad.pow(2).sum(1) ** 3 + fake_grad.pow(2).sum(1) ** 3)
        d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + div_gp
        d_loss.backward()
        optimizer_D.step()
        optimizer_G.zero_grad()
        if i % n_critic == 0:
            g_loss = -torch.mean(critic(generator(z)))
            g_loss.backward()
            optimizer_G.step()
