# Double backpropagation (a gradient-norm penalty on the weights): loss.backward(create_graph=True)
# leaves each parameter's .grad on the graph, a penalty on their squared norm is built from p.grad,
# and its own backward() adds the penalty's gradient (through the first one) before the step.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
model = nn.Sequential(nn.Linear(3, 8), nn.ELU(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
penalty_weight = 0.5

for step in range(4):
    x = torch.randn(8, 3)
    y = torch.randn(8, 2)
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward(create_graph=True)
    grad_norm = sum(p.grad.pow(2).sum() for p in model.parameters())
    (penalty_weight * grad_norm).backward()
    optimizer.step()
