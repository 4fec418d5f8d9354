"""
The torch side of the Lightning GAN parity test (lightning_gan.py): Lightning is not installed
here, so this is the same models and data with the loop Lightning runs for them written out. Under
manual optimisation Lightning calls training_step for each batch and does nothing else to the
gradients; toggle_optimizer(opt) sets requires_grad False on every parameter of the other
optimisers (untoggle_optimizer puts the flags back); manual_backward(loss) is loss.backward() on
the CPU; clip_gradients(opt, v, "norm") is clip_grad_norm_ over opt's parameters.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Generator(nn.Module):
    def __init__(self, latent_dim, img_shape):
        super().__init__()
        self.img_shape = img_shape
        self.model = nn.Sequential(nn.Linear(latent_dim, 12), nn.LeakyReLU(0.2), nn.Linear(12, 16), nn.Tanh())

    def forward(self, z):
        img = self.model(z)
        return img.view(img.size(0), *self.img_shape)


class Discriminator(nn.Module):
    def __init__(self, img_shape):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(16, 12), nn.LeakyReLU(0.2), nn.Linear(12, 1), nn.Sigmoid())

    def forward(self, img):
        return self.model(img.view(img.size(0), -1))


latent_dim = 6
generator = Generator(latent_dim, (1, 4, 4))
discriminator = Discriminator((1, 4, 4))
optimizer_g = torch.optim.Adam(generator.parameters(), lr=0.01, betas=(0.5, 0.999))
optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=0.01, betas=(0.5, 0.999))
images = torch.linspace(-3.0, 3.0, 24 * 16).reshape(24, 1, 4, 4).sin()
loader = DataLoader(TensorDataset(images, torch.zeros(24)), batch_size=6)
for epoch in range(2):
    for batch_idx, (imgs, _) in enumerate(loader):
        z = torch.randn(imgs.shape[0], latent_dim)
        for p in discriminator.parameters():
            p.requires_grad = False
        generated_imgs = generator(z)
        valid = torch.ones(imgs.size(0), 1)
        g_loss = F.binary_cross_entropy(discriminator(generated_imgs), valid)
        g_loss.backward()
        torch.nn.utils.clip_grad_norm_(generator.parameters(), 0.05)
        optimizer_g.step()
        optimizer_g.zero_grad()
        for p in discriminator.parameters():
            p.requires_grad = True
        for p in generator.parameters():
            p.requires_grad = False
        real_loss = F.binary_cross_entropy(discriminator(imgs), valid)
        fake = torch.zeros(imgs.size(0), 1)
        fake_loss = F.binary_cross_entropy(discriminator(generated_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_d.step()
        optimizer_d.zero_grad()
        for p in generator.parameters():
            p.requires_grad = True
