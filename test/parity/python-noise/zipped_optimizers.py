# Several optimisers compared on one regression, in one loop: three copies of a small net, each with
# its own optimiser (SGD, SGD with momentum, Adam), trained one after another on every batch by an
# inner `for net, opt, history in zip(nets, optimizers, histories):` loop. Every model is traced:
# the batch loop is the step, the inner loop runs each model's backward and step as written.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(3)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(1, 12)
        self.out = nn.Linear(12, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


xs = torch.linspace(-1, 1, 48).unsqueeze(1)
ys = xs.pow(3) + 0.05 * torch.randn(48, 1)
loader = DataLoader(TensorDataset(xs, ys), batch_size=16)

plain = Regressor()
heavy = Regressor()
adaptive = Regressor()
nets = [plain, heavy, adaptive]
optimizers = [
    torch.optim.SGD(plain.parameters(), lr=0.05),
    torch.optim.SGD(heavy.parameters(), lr=0.05, momentum=0.9),
    torch.optim.Adam(adaptive.parameters(), lr=0.01),
]
histories = [[], [], []]

for epoch in range(3):
    for x, y in loader:
        for net, opt, history in zip(nets, optimizers, histories):
            pred = net(x)
            loss = F.mse_loss(pred, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append(loss.item())
