"""
A GAN in Lightning 1.x's form (automatic optimisation with two optimisers: training_step(self, batch,
batch_idx, optimizer_idx), called once per optimiser per batch), traced by Gradient Lens; its torch
side is lightning_gan_1x_plain.py (the loop Lightning 1.x runs for it written out: Lightning is not
installed here).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
import pytorch_lightning as pl


class GAN(pl.LightningModule):
    def __init__(self, latent_dim=6, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.generator = nn.Sequential(nn.Linear(latent_dim, 12), nn.LeakyReLU(0.2), nn.Linear(12, 16), nn.Tanh())
        self.discriminator = nn.Sequential(nn.Linear(16, 12), nn.LeakyReLU(0.2), nn.Linear(12, 1), nn.Sigmoid())

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx, optimizer_idx):
        imgs, _ = batch
        z = torch.randn(imgs.shape[0], self.hparams.latent_dim)
        valid = torch.ones(imgs.size(0), 1)
        if optimizer_idx == 0:
            self.generated_imgs = self(z)
            g_loss = F.binary_cross_entropy(self.discriminator(self.generated_imgs), valid)
            return g_loss
        if optimizer_idx == 1:
            real_loss = F.binary_cross_entropy(self.discriminator(imgs), valid)
            fake_loss = F.binary_cross_entropy(self.discriminator(self(z).detach()), torch.zeros(imgs.size(0), 1))
            return (real_loss + fake_loss) / 2

    def configure_optimizers(self):
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=self.hparams.lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.lr, betas=(0.5, 0.999))
        return [opt_g, opt_d], []


images = torch.linspace(-3.0, 3.0, 24 * 16).reshape(24, 16).sin()
loader = DataLoader(TensorDataset(images, torch.zeros(24)), batch_size=6)
trainer = pl.Trainer(max_epochs=2, logger=False)
trainer.fit(GAN(), loader)
