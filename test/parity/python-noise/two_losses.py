# Two losses on one model's output, each with its own backward(): the first keeps the graph
# (retain_graph=True) for the second, and the optimiser steps on the gradients of both added up.
import torch
import torch.nn as nn

torch.manual_seed(3)
model = nn.Sequential(nn.Linear(5, 12), nn.Tanh(), nn.Linear(12, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
inputs = torch.randn(40, 5)
targets = torch.randn(40, 3)

for epoch in range(3):
    for i in range(0, 40, 8):
        optimizer.zero_grad()
        out = model(inputs[i:i + 8])
        fit = ((out - targets[i:i + 8]) ** 2).mean()
        fit.backward(retain_graph=True)
        smooth = 0.1 * out.abs().mean()
        smooth.backward()
        optimizer.step()
