# A GAN in the DCGAN example's form, on 2-D points: the generator and the discriminator are
# separate modules with an optimiser each; every step trains D on a real and a fake batch (two
# backward calls, one optimizerD.step()), then G through D (errG.backward(), optimizerG.step()).
# One traced step is the whole iteration: the traced model is the generator, whose loss is the
# last backward; the discriminator's backward calls and step run as the script runs them.
import torch
import torch.nn as nn

torch.manual_seed(1)
nz = 4
netG = nn.Sequential(nn.Linear(nz, 16), nn.ReLU(), nn.Linear(16, 2))
netD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
real_points = torch.randn(64, 2) * 0.5 + 1.0
real_label = 1.0
fake_label = 0.0

for epoch in range(2):
    for i in range(0, 64, 16):
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real = real_points[i:i + 16]
        b_size = real.size(0)
        label = torch.full((b_size,), real_label)
        output = netD(real).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        noise = torch.randn(b_size, nz)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optimizerD.step()
        # (2) Update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
