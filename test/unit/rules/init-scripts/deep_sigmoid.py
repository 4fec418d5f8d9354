import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
layers = []
for i in range(8):
    lin = nn.Linear(64, 64)
    nn.init.normal_(lin.weight, std=1.0)
    layers += [lin, nn.Sigmoid()]
net = nn.Sequential(*layers, nn.Linear(64, 1))
x = torch.randn(32, 64)
y = torch.randn(32, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    losses.append(loss.item())
    opt.step()
