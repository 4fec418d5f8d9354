# A regression loop whose loss is computed and differentiated in one expression:
# `criterion(model(xb), yb).backward()`. The model's input and the loss's target are inside the
# backward call's receiver; they are still the loop's batch (what `--batch` replaces).
import torch
import torch.nn as nn

torch.manual_seed(11)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
X = torch.randn(64, 4)
Y = X.sum(dim=1, keepdim=True) + 0.1 * torch.randn(64, 1)

for epoch in range(4):
    for i in range(0, 64, 16):
        xb, yb = X[i:i + 16], Y[i:i + 16]
        optimizer.zero_grad()
        criterion(model(xb), yb).backward()
        optimizer.step()
