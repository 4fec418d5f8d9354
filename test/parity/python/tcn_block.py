# A WaveNet/TCN-style stack (locuslab/TCN's TemporalBlock, simplified): causal dilated Conv1d with
# dilation 1, 2, 4 (left padding (k - 1)·d by F.pad, so no output sees the future), ReLU, a
# residual connection (a 1x1 Conv1d where the channel count changes), then a linear head on the
# last time step. A few Adam steps on one random batch.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class CausalBlock(nn.Module):
    def __init__(self, n_in, n_out, kernel_size, dilation):
        super().__init__()
        self.left = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(n_in, n_out, kernel_size, dilation=dilation)
        # positional: in, out, kernel, stride, padding, dilation
        self.conv2 = nn.Conv1d(n_out, n_out, kernel_size, 1, 0, dilation)
        self.downsample = nn.Conv1d(n_in, n_out, 1) if n_in != n_out else None

    def forward(self, x):
        out = F.relu(self.conv1(F.pad(x, (self.left, 0))))
        out = F.relu(self.conv2(F.pad(out, (self.left, 0))))
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(out + res)


class TCN(nn.Module):
    def __init__(self, n_in, channels, kernel_size=2, n_out=3):
        super().__init__()
        layers = []
        for i, c in enumerate(channels):
            layers.append(CausalBlock(n_in if i == 0 else channels[i - 1], c, kernel_size, dilation=2 ** i))
        self.network = nn.Sequential(*layers)
        self.linear = nn.Linear(channels[-1], n_out)

    def forward(self, x):
        y = self.network(x)
        return self.linear(y[:, :, -1])


net = TCN(2, [6, 6, 8], kernel_size=3)
inputs = torch.randn(4, 2, 16)
targets = torch.randint(0, 3, (4,))
optimizer = optim.Adam(net.parameters(), lr=1e-3)

for step in range(3):
    optimizer.zero_grad()
    loss = F.cross_entropy(net(inputs), targets)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
