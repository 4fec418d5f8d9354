import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self, d=128, depth=4):
        super().__init__()
        self.embed = nn.Linear(16, d)
        self.blocks = nn.ModuleList([nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)) for _ in range(depth)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1)
        self.apply(self._init)
    def _init(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    def forward(self, x):
        x = self.embed(x)
        for b in self.blocks:
            x = x + b(x)
        return self.head(self.norm(x).mean(1))
net = Net()
x = torch.randn(16, 10, 16)
y = torch.randn(16, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.001)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    losses.append(loss.item())
    opt.step()
