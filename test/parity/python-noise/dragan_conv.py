# A DRAGAN in PyTorch-GAN's form on 8x8 "images": a convolutional critic (strided Conv2d, in-place
# LeakyReLU, BatchNorm2d(eps=0.8) in train mode, ELU, AvgPool2d, Linear and Sigmoid) whose gradient
# penalty differentiates the critic's gradient with respect to points perturbed around the real
# images (torch.autograd.grad with create_graph=True, the gradient's norm over dim 1 of the image),
# so the penalty's backward() reaches the critic's weights through its own input gradient. The
# generator (Linear, ConvTranspose2d, BatchNorm2d, Tanh) steps first on the BCE loss.
import numpy as np
import torch
import torch.nn as nn
import torch.autograd as autograd
from torch.autograd import Variable

torch.manual_seed(5)
latent_dim = 3
lambda_gp = 10


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.l1 = nn.Linear(latent_dim, 4 * 4 * 4)
        self.conv_blocks = nn.Sequential(nn.BatchNorm2d(4), nn.ConvTranspose2d(4, 2, 4, 2, 1), nn.BatchNorm2d(2, 0.8), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(2, 1, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        out = self.l1(z).view(z.shape[0], 4, 4, 4)
        return self.conv_blocks(out)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()

        def block(in_filters, out_filters, bn=True):
            layers = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
            if bn:
                layers.append(nn.BatchNorm2d(out_filters, 0.8))
            return layers

        self.model = nn.Sequential(*block(1, 4, bn=False), *block(4, 6), nn.ELU(), nn.AvgPool2d(2))
        self.adv_layer = nn.Sequential(nn.Linear(6, 1), nn.Sigmoid())

    def forward(self, img):
        out = self.model(img)
        return self.adv_layer(out.view(out.shape[0], -1))


adversarial_loss = torch.nn.BCELoss()
generator = Generator()
discriminator = Discriminator()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.01, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.01, betas=(0.5, 0.999))
Tensor = torch.FloatTensor
images = torch.rand(24, 1, 8, 8) * 2 - 1


def compute_gradient_penalty(D, X):
    alpha = Tensor(np.random.random(size=X.shape))
    interpolates = alpha * X + ((1 - alpha) * (X + 0.5 * X.std() * torch.rand(X.size())))
    interpolates = Variable(interpolates, requires_grad=True)
    d_interpolates = D(interpolates)
    fake = Variable(Tensor(X.shape[0], 1).fill_(1.0), requires_grad=False)
    gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake, create_graph=True, retain_graph=True, only_inputs=True)[0]
    return lambda_gp * ((gradients.norm(2, dim=1) - 1) ** 2).mean()


for i in range(4):
    imgs = images[i * 6:(i + 1) * 6]
    valid = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
    fake = Variable(Tensor(imgs.shape[0], 1).fill_(0.0), requires_grad=False)
    real_imgs = Variable(imgs.type(Tensor))

    optimizer_G.zero_grad()
    z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], latent_dim))))
    gen_imgs = generator(z)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()
    optimizer_G.step()

    optimizer_D.zero_grad()
    real_loss = adversarial_loss(discriminator(real_imgs), valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = (real_loss + fake_loss) / 2
    gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data)
    (d_loss + gradient_penalty).backward()
    optimizer_D.step()
