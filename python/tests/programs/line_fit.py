import torch
import torch.nn as nn
import torch.nn.functional as F
# A straight line fitted by nn.Linear(1, 1) with PyTorch's default init: its one weight, -0.0075 with
# torch's seed 0, is a single draw of U(-1, 1), which says nothing about the scale it was drawn at.
torch.manual_seed(0)
net = nn.Linear(1, 1)
x = torch.linspace(-1, 1, 32).unsqueeze(1)
y = 2 * x + 1
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(200):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()
