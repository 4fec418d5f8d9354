# A small regressor fitted with an optimiser that is handed a closure each step, the way scripts
# written for LBFGS do it (zero_grad, forward, loss, backward inside the closure); SGD with momentum
# accepts the same call.
import torch
import torch.nn as nn
import torch.optim as optim


class Smoother(nn.Module):
    def __init__(self, hidden=12):
        super(Smoother, self).__init__()
        self.inp = nn.Linear(3, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.inp(x)))


torch.manual_seed(3)
xs = torch.linspace(-1.5, 1.5, 30).view(10, 3)
ys = torch.stack([xs.sum(1).sin(), xs[:, 0] * xs[:, 2]], dim=1)
net = Smoother()
mse = nn.MSELoss()
opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

for epoch in range(8):
    def closure():
        opt.zero_grad()
        pred = net(xs)
        loss = mse(pred, ys)
        loss.backward()
        return loss
    opt.step(closure)
