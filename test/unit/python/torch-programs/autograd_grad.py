# torch.autograd.grad as WGAN-GP and WGAN-div scripts call it, and the deprecated Variable wrapper
# they feed it: printed here and by torch 1.13, line for line.
import torch
import torch.nn as nn
from torch import autograd
from torch.autograd import Variable

x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
y = x * 2
v = Variable(y)
print(v.requires_grad, v.is_leaf)
w = Variable(y, requires_grad=True)
print(w.requires_grad, w.is_leaf)
print(Variable(torch.ones(2), requires_grad=True).requires_grad)

critic = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2, inplace=True), nn.Linear(3, 1), nn.Tanh())
with torch.no_grad():
    critic[0].weight.copy_(torch.tensor([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]]))
    critic[0].bias.copy_(torch.tensor([0.1, -0.1, 0.05]))
    critic[2].weight.copy_(torch.tensor([[0.7, -0.3, 0.2]]))
    critic[2].bias.fill_(0.0)
points = torch.tensor([[0.2, 0.4], [-0.6, 1.0], [1.5, -0.3]]).requires_grad_(True)
out = critic(points)
ones = torch.ones(3, 1)
(g,) = autograd.grad(out, points, ones, retain_graph=True)
print(g.requires_grad, [round(a, 6) for a in g.flatten().tolist()])
g = autograd.grad(outputs=out, inputs=points, grad_outputs=ones, create_graph=True, retain_graph=True, only_inputs=True)[0]
print(g.requires_grad, g.shape)
penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
print([round(a, 6) for a in critic[0].weight.grad.flatten().tolist()])
print([round(a, 6) for a in critic[2].bias.grad.flatten().tolist()])
print(critic[0].weight.grad is not None, points.grad is not None)
try:
    autograd.grad(critic(points).sum(), [points, torch.ones(2, requires_grad=True)])
except RuntimeError as e:
    print('RuntimeError:', e)
try:
    autograd.grad(critic(points), points)
except RuntimeError as e:
    print('RuntimeError:', e)
