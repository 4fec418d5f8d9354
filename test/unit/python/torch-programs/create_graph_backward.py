# loss.backward(create_graph=True): each parameter's .grad is on the graph (requires_grad, a
# leaf no more), a loss built from it differentiates through it, a second backward accumulates into it,
# and zero_grad cuts it off again; printed here and by torch 1.13, line for line.
import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
with torch.no_grad():
    net[0].weight.copy_(torch.tensor([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]]))
    net[0].bias.copy_(torch.tensor([0.1, -0.1, 0.05]))
    net[2].weight.copy_(torch.tensor([[0.7, -0.3, 0.2]]))
    net[2].bias.fill_(0.0)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.tensor([[0.2, 0.4], [-0.6, 1.0], [1.5, -0.3]])
loss = net(x).pow(2).mean()
loss.backward(create_graph=True)
w = net[0].weight
print(w.grad.requires_grad, [round(a, 4) for a in w.grad.flatten().tolist()])
penalty = sum((p.grad ** 2).sum() for p in net.parameters())
(g,) = torch.autograd.grad(penalty, w, retain_graph=True)
print(g.requires_grad, [round(a, 4) for a in g.flatten().tolist()])
penalty.backward()
print([round(a, 4) for a in w.grad.flatten().tolist()])
loss2 = net(x).sum()
loss2.backward()
print(w.grad.requires_grad, [round(a, 4) for a in w.grad.flatten().tolist()])
opt.zero_grad()
print(w.grad is None or not w.grad.requires_grad)
y = torch.tensor([1.0, 2.0], requires_grad=True)
(y ** 3).sum().backward(create_graph=True)
print(y.grad.requires_grad, y.grad.tolist())
(hess_diag,) = torch.autograd.grad(y.grad.sum(), y)
print(hess_diag.tolist())
