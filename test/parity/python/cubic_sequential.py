# A cubic fitted by a one-layer model written as nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1)),
# as in the tutorials' polynomial examples: the Sequential and its Linear hold the same
# parameters. The script calls the Sequential, so it is the traced model (names 0.weight, 0.bias,
# the batch its input), as PyTorch's harness picks the outermost of modules holding the same ones.
import math

import torch

x = torch.linspace(-math.pi, math.pi, 500)
y = torch.cos(x)
powers = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))

model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
losses = []

for t in range(2000):
    y_pred = model(powers)
    loss = loss_fn(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
