# A second backward through a graph the first one freed: torch 1.13 raises only when it reaches a
# node that saved a tensor (mul, an activation, matmul, a loss), not through additions, sums and
# views, which save none. Printed line for line by torch 1.13 and by the interpreter.
import torch
import torch.nn as nn
import torch.nn.functional as F


def twice(what, f, retain=False):
    x = torch.randn(3, 4, requires_grad=True)
    w = torch.randn(4, 2, requires_grad=True)
    s = f(x, w)
    s.backward(retain_graph=retain)
    first = x.grad.clone()
    try:
        s.backward()
        print(what, "ran twice, x.grad doubled:", (x.grad - 2 * first).abs().max().item() < 1e-6)
    except RuntimeError as e:
        print(what, "RuntimeError:", e)


twice("x * x", lambda x, w: (x * x).sum())
twice("x * x retained", lambda x, w: (x * x).sum(), retain=True)
twice("x * 2", lambda x, w: (x * 2).sum())
twice("x + 1", lambda x, w: (x + 1).sum())
twice("x - 1", lambda x, w: (x - 1).sum())
twice("-x", lambda x, w: (-x).sum())
twice("x * const", lambda x, w: (x * torch.ones(3, 4)).sum())
twice("x / 2", lambda x, w: (x / 2).sum())
twice("2 / x", lambda x, w: (2 / x).sum())
twice("x ** 2", lambda x, w: (x**2).sum())
twice("mean", lambda x, w: x.mean())
twice("sum", lambda x, w: x.sum())
twice("view", lambda x, w: x.view(12).sum())
twice("reshape", lambda x, w: x.reshape(12).sum())
twice("t", lambda x, w: x.t().sum())
twice("x[0]", lambda x, w: x[0].sum())
twice("cat", lambda x, w: torch.cat([x, x]).sum())
twice("expand", lambda x, w: x[:, :1].expand(3, 4).sum())
twice("clone", lambda x, w: x.clone().sum())
twice("sigmoid", lambda x, w: x.sigmoid().sum())
twice("tanh", lambda x, w: x.tanh().sum())
twice("relu", lambda x, w: x.relu().sum())
twice("exp", lambda x, w: x.exp().sum())
twice("abs", lambda x, w: x.abs().sum())
twice("softmax", lambda x, w: x.softmax(1).sum())
twice("log_softmax", lambda x, w: x.log_softmax(1).sum())
twice("matmul", lambda x, w: (x @ w).sum())
twice("linear", lambda x, w: F.linear(x, w.t()).sum())
twice("max", lambda x, w: x.max())
twice("norm", lambda x, w: x.norm())
twice("dropout", lambda x, w: F.dropout(x, 0.5).sum())
twice("mse_loss", lambda x, w: F.mse_loss(x, torch.zeros(3, 4)))
twice("cross_entropy", lambda x, w: F.cross_entropy(x, torch.tensor([0, 1, 2])))
twice("index_select", lambda x, w: x.index_select(0, torch.tensor([0, 2])).sum())
twice("gather", lambda x, w: x.gather(1, torch.tensor([[0], [1], [2]])).sum())
twice("max(1)", lambda x, w: x.max(1)[0].sum())
twice("x[[0, 2]]", lambda x, w: x[[0, 2]].sum())
twice("x[x > 0]", lambda x, w: x[x > 0].sum())
twice("flip", lambda x, w: x.flip(0).sum())
twice("repeat", lambda x, w: x.repeat(2, 1).sum())
twice("avg_pool2d", lambda x, w: F.avg_pool2d(x.view(1, 1, 3, 4), 2).sum())
twice("max_pool2d", lambda x, w: F.max_pool2d(x.view(1, 1, 3, 4), 2).sum())
twice("layer_norm", lambda x, w: F.layer_norm(x, (4,)).sum())
twice("x - x.detach()", lambda x, w: (x - x.detach()).sum())

# torch.autograd.grad frees the nodes it ran; retain_graph=True keeps them.
def grad_then_backward(retain):
    x = torch.randn(3, 4, requires_grad=True)
    loss = (x * x).sum()
    (g,) = torch.autograd.grad(loss, x, retain_graph=retain)
    try:
        loss.backward()
        print("autograd.grad then backward, retain_graph", retain, "ran, same gradient:", (x.grad - g).abs().max().item() < 1e-6)
    except RuntimeError as e:
        print("autograd.grad then backward, retain_graph", retain, "RuntimeError:", e)


grad_then_backward(False)
grad_then_backward(True)
