# A MAML-style meta step on sine-like regression tasks: one inner SGD step taken by hand on the
# support set (torch.autograd.grad of the loss with respect to the parameters, create_graph=True),
# then the query loss through the updated ("fast") weights with F.linear; its backward() reaches the
# model's weights through the inner gradient too (second order), and the meta-optimiser steps.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
meta_optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
inner_lr = 0.4


def functional_forward(x, weights):
    h = torch.tanh(F.linear(x, weights[0], weights[1]))
    h = torch.tanh(F.linear(h, weights[2], weights[3]))
    return F.linear(h, weights[4], weights[5])


for it in range(4):
    amplitude = 1 + it * 0.5
    x_support = torch.rand(10, 1) * 4 - 2
    y_support = amplitude * torch.sin(x_support)
    x_query = torch.rand(10, 1) * 4 - 2
    y_query = amplitude * torch.sin(x_query)
    meta_optimizer.zero_grad()
    weights = list(model.parameters())
    support_loss = F.mse_loss(model(x_support), y_support)
    grads = torch.autograd.grad(support_loss, weights, create_graph=True)
    fast_weights = [w - inner_lr * g for w, g in zip(weights, grads)]
    query_loss = F.mse_loss(functional_forward(x_query, fast_weights), y_query)
    query_loss.backward()
    meta_optimizer.step()
