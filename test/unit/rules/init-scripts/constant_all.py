import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
for m in net.modules():
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.1)
        nn.init.zeros_(m.bias)
x = torch.randn(32, 16)
y = torch.randn(32, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    losses.append(loss.item())
    opt.step()
