# A classifier trained with gradient accumulation: the loss of each micro-batch is divided by the
# number of micro-batches, backward() runs on each, and the optimiser steps (after clipping) on
# every third one only.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
grid = torch.linspace(-3.0, 3.0, 12 * 5 * 6).view(12, 5, 6)
micro_batches = [(torch.sin(grid[k] * (k + 1)), (torch.arange(5) + k) % 3) for k in range(12)]


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 3))

    def forward(self, x):
        return self.body(x)


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
accum_steps = 3
optimizer.zero_grad()
for i, (xb, yb) in enumerate(micro_batches):
    logits = model(xb)
    loss = F.cross_entropy(logits, yb) / accum_steps
    loss.backward()
    if (i + 1) % accum_steps == 0:
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        optimizer.zero_grad()
