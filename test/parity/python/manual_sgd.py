# A cubic fitted with the parameters updated by hand, before torch.optim is introduced: the
# update runs under torch.no_grad() over every parameter, and the gradients are cleared each step.
import math
import torch

xs = torch.linspace(-2.0, 2.0, 64)
target = torch.cos(xs)
feats = torch.stack([xs, xs ** 2, xs ** 3], dim=1)

torch.manual_seed(1)
net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1), torch.nn.Flatten(0, 1))
criterion = torch.nn.MSELoss(reduction='sum')
step_size = 2e-3

for it in range(500):
    pred = net(feats)
    loss = criterion(pred, target)
    net.zero_grad()
    loss.backward()
    with torch.no_grad():
        for w in net.parameters():
            w -= step_size * w.grad
