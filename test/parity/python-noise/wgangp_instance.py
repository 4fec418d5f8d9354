# A WGAN-GP in the DCGAN form many tutorials use, at 8x8: a critic of strided Conv2d blocks with
# InstanceNorm2d(affine=True) and LeakyReLU (no batch norm in a critic under a gradient penalty), a
# generator of ConvTranspose2d, BatchNorm2d and ReLU; the penalty interpolates with one alpha per
# sample repeated over the image and differentiates the critic there with create_graph=True (one
# critic step per batch).
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(8)
Z_DIM = 4
LAMBDA_GP = 10


class Discriminator(nn.Module):
    def __init__(self, channels_img, features_d):
        super(Discriminator, self).__init__()
        self.disc = nn.Sequential(
            nn.Conv2d(channels_img, features_d, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            self._block(features_d, features_d * 2, 4, 2, 1),
            nn.Conv2d(features_d * 2, 1, kernel_size=2, stride=1, padding=0),
        )

    def _block(self, in_channels, out_channels, kernel_size, stride, padding):
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False), nn.InstanceNorm2d(out_channels, affine=True), nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.disc(x)


class Generator(nn.Module):
    def __init__(self, channels_noise, channels_img, features_g):
        super(Generator, self).__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(channels_noise, features_g * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(features_g * 2),
            nn.ReLU(),
            nn.ConvTranspose2d(features_g * 2, channels_img, kernel_size=4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.net(x)


def gradient_penalty(critic, real, fake):
    BATCH_SIZE, C, H, W = real.shape
    alpha = torch.rand((BATCH_SIZE, 1, 1, 1)).repeat(1, C, H, W)
    interpolated_images = real * alpha + fake * (1 - alpha)
    mixed_scores = critic(interpolated_images)
    gradient = torch.autograd.grad(inputs=interpolated_images, outputs=mixed_scores, grad_outputs=torch.ones_like(mixed_scores), create_graph=True, retain_graph=True)[0]
    gradient = gradient.view(gradient.shape[0], -1)
    gradient_norm = gradient.norm(2, dim=1)
    return torch.mean((gradient_norm - 1) ** 2)


gen = Generator(Z_DIM, 2, 2)
critic = Discriminator(2, 3)
opt_gen = optim.Adam(gen.parameters(), lr=1e-2, betas=(0.0, 0.9))
opt_critic = optim.Adam(critic.parameters(), lr=1e-2, betas=(0.0, 0.9))
images = torch.rand(12, 2, 8, 8) * 2 - 1

for batch_idx in range(3):
    real = images[batch_idx * 4:(batch_idx + 1) * 4]
    noise = torch.randn(real.shape[0], Z_DIM, 1, 1)
    fake = gen(noise)
    critic_real = critic(real).reshape(-1)
    critic_fake = critic(fake).reshape(-1)
    gp = gradient_penalty(critic, real, fake)
    loss_critic = -(torch.mean(critic_real) - torch.mean(critic_fake)) + LAMBDA_GP * gp
    critic.zero_grad()
    loss_critic.backward(retain_graph=True)
    opt_critic.step()
    gen_fake = critic(fake).reshape(-1)
    loss_gen = -torch.mean(gen_fake)
    gen.zero_grad()
    loss_gen.backward()
    opt_gen.step()
