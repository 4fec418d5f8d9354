"""
The torch side of the Lightning parity test (lightning_lit.py): Lightning is not installed here, so
this is the same model and data with the loop Lightning's Trainer.fit runs for it written out
(automatic optimisation: training_step, zero_grad, backward, clip_grad_norm_ at gradient_clip_val,
the optimiser's step, for each batch of the train loader, each epoch).
"""
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Regressor(nn.Module):
    def __init__(self, hidden=10):
        super().__init__()
        self.l1 = nn.Linear(4, hidden)
        self.l2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.l2(torch.tanh(self.l1(x)))


x = torch.linspace(-2.0, 2.0, 96).reshape(24, 4).sin()
y = (3.0 * x[:, :1] - x[:, 1:2] * x[:, 2:3] + 0.5).cos()
loader = DataLoader(TensorDataset(x, y), batch_size=6)
model = Regressor()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
for epoch in range(3):
    for batch_idx, (xb, yb) in enumerate(loader):
        loss = F.mse_loss(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
