# One training step written at the top level, outside any loop, as the 60-minute blitz's
# neural-network page teaches it: build, forward, loss, zero_grad, backward, step, once.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.fc = nn.Linear(3 * 4 * 4, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(torch.flatten(x, 1))


torch.manual_seed(0)
net = Tiny()
print(net)
input = torch.randn(2, 1, 10, 10)
target = torch.randn(2, 5)
criterion = nn.MSELoss()

optimizer = optim.SGD(net.parameters(), lr=0.1)
optimizer.zero_grad()
output = net(input)
loss = criterion(output, target)
loss.backward()
optimizer.step()
print(loss.item())
