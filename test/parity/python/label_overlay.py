"""Labels written into the input, forward-forward style: the first features of each sample are
cleared and the sample's label position set to the batch's largest value, with a range() as the
row index (x[range(n), labels] = ...). The first layer derives nn.Linear and computes its own
forward from self.weight.T and self.bias on unit-length inputs."""
import torch
import torch.nn as nn

torch.manual_seed(3)


def overlay(x, labels, classes=4):
    out = x.clone()
    out[:, :classes] *= 0.0
    out[range(x.shape[0]), labels] = x.max()
    return out


class UnitLinear(nn.Linear):
    def __init__(self, n_in, n_out, bias=True, device=None, dtype=None):
        super().__init__(n_in, n_out, bias, device, dtype)
        self.act = nn.ReLU()

    def forward(self, x):
        unit = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.act(torch.mm(unit, self.weight.T) + self.bias.unsqueeze(0))


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = UnitLinear(10, 8)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        return self.head(self.first(overlay(x, labels)))


x = torch.linspace(-2.0, 3.0, 60).view(6, 10).sin()
labels = torch.arange(6) % 4
target = torch.linspace(0.0, 1.0, 6).view(6, 1)
model = Scorer()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(3):
    opt.zero_grad()
    goodness = model(x).pow(2).mean(1, keepdim=True)
    loss = nn.functional.mse_loss(torch.log1p(torch.exp(goodness)), target)
    loss.backward()
    opt.step()
