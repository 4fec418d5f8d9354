"""
The torch side of the Lightning 1.x GAN parity test (lightning_gan_1x.py): Lightning is not installed
here, so this is the same models and data with the loop Lightning 1.x runs for them written out. For
each batch, for each optimiser in turn: toggle_optimizer (1.x toggles when there are several: the
other optimisers' parameters stop requiring grad), training_step with its optimizer_idx, zero_grad,
backward, the optimiser's step, untoggle_optimizer.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class GAN(nn.Module):
    def __init__(self, latent_dim=6):
        super().__init__()
        self.generator = nn.Sequential(nn.Linear(latent_dim, 12), nn.LeakyReLU(0.2), nn.Linear(12, 16), nn.Tanh())
        self.discriminator = nn.Sequential(nn.Linear(16, 12), nn.LeakyReLU(0.2), nn.Linear(12, 1), nn.Sigmoid())


gan = GAN()
optimizers = [torch.optim.Adam(gan.generator.parameters(), lr=0.01, betas=(0.5, 0.999)), torch.optim.Adam(gan.discriminator.parameters(), lr=0.01, betas=(0.5, 0.999))]
images = torch.linspace(-3.0, 3.0, 24 * 16).reshape(24, 16).sin()
loader = DataLoader(TensorDataset(images, torch.zeros(24)), batch_size=6)
for epoch in range(2):
    for batch_idx, (imgs, _) in enumerate(loader):
        for optimizer_idx, opt in enumerate(optimizers):
            others = gan.discriminator if optimizer_idx == 0 else gan.generator
            for p in others.parameters():
                p.requires_grad = False
            z = torch.randn(imgs.shape[0], 6)
            valid = torch.ones(imgs.size(0), 1)
            if optimizer_idx == 0:
                loss = F.binary_cross_entropy(gan.discriminator(gan.generator(z)), valid)
            else:
                real_loss = F.binary_cross_entropy(gan.discriminator(imgs), valid)
                fake_loss = F.binary_cross_entropy(gan.discriminator(gan.generator(z).detach()), torch.zeros(imgs.size(0), 1))
                loss = (real_loss + fake_loss) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            for p in others.parameters():
                p.requires_grad = True
