# A second backward through a graph the first one freed: torch 1.13 raises only when it reaches a
# node that saved a tensor (mul, an activation, matmul, a loss), not through additions, sums and
# views, which save none; what a node saved it also version-checks against an in-place change.
# Printed line for line by torch 1.13 and by the interpreter.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Tripled(torch.autograd.Function):
    """A Function that saves its input for its backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 3

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * 3 + x * 0


class TripledUnsaved(torch.autograd.Function):
    """The same saving nothing: nothing of it is freed, nor version-checked."""

    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, dy):
        return dy * 3


class TripledSavingOther(torch.autograd.Function):
    """The same saving a tensor it made: freed like any saved tensor."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x * 0)
        return x * 3

    @staticmethod
    def backward(ctx, dy):
        (z,) = ctx.saved_tensors
        return dy * 3 + z


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
twice("dropout(p=0)", lambda x, w: (F.dropout(x, 0.0) + 0).sum())
twice("dropout in eval", lambda x, w: (F.dropout(x, 0.5, training=False) + 0).sum())
twice("nn.Dropout in eval", lambda x, w: (nn.Dropout(0.5).eval()(x) + 0).sum())
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
twice("Function saving its input", lambda x, w: Tripled.apply(x).sum())
twice("Function saving nothing", lambda x, w: TripledUnsaved.apply(x).sum())
twice("Function saving a tensor it made", lambda x, w: TripledSavingOther.apply(x).sum())
img = lambda x: x.view(1, 1, 3, 4)
twice("adaptive_avg_pool2d", lambda x, w: F.adaptive_avg_pool2d(img(x), 2).sum())
twice("adaptive_max_pool2d", lambda x, w: F.adaptive_max_pool2d(img(x), 2).sum())
twice("pad reflect", lambda x, w: F.pad(img(x), (1, 1, 1, 1), mode="reflect").sum())
twice("pad constant", lambda x, w: F.pad(img(x), (1, 1, 1, 1)).sum())
twice("interpolate nearest", lambda x, w: F.interpolate(img(x), scale_factor=2).sum())
twice("sign", lambda x, w: (x.sign() + x).sum())
twice("masked_fill", lambda x, w: x.masked_fill(torch.ones(3, 4) > 0.5, 0.0).sum())
twice("clamp", lambda x, w: x.clamp(-0.5, 0.5).sum())
twice("where", lambda x, w: torch.where(x > 0, x, torch.zeros(3, 4)).sum())
twice("cumsum", lambda x, w: x.cumsum(1).sum())
twice("conv2d", lambda x, w: F.conv2d(img(x), torch.ones(1, 1, 2, 2)).sum())
twice("batch_norm", lambda x, w: F.batch_norm(x, None, None, training=True).sum())
twice("pixel_shuffle", lambda x, w: F.pixel_shuffle(x.view(1, 4, 3, 1), 2).sum())
twice("stack", lambda x, w: torch.stack([x, x]).sum())
twice("permute", lambda x, w: x.permute(1, 0).sum())
twice("x + w.sum()", lambda x, w: (x + w.sum()).sum())
twice("leaky_relu", lambda x, w: F.leaky_relu(x, 0.1).sum())
twice("gelu", lambda x, w: F.gelu(x).sum())
twice("log", lambda x, w: (x.abs() + 1).log().sum())
twice("sqrt", lambda x, w: (x * 0 + 4).sqrt().sum())
twice("var", lambda x, w: x.var())
twice("logsumexp", lambda x, w: x.logsumexp(1).sum())
twice("bce_with_logits", lambda x, w: F.binary_cross_entropy_with_logits(x, torch.ones(3, 4)))
twice("l1_loss", lambda x, w: F.l1_loss(x, torch.zeros(3, 4)))
twice("nll_loss", lambda x, w: F.nll_loss(x, torch.tensor([0, 1, 2])))
twice("softplus", lambda x, w: F.softplus(x).sum())
twice("flatten", lambda x, w: img(x).flatten(1).sum())
twice("unsqueeze", lambda x, w: x.unsqueeze(0).sum())
twice("split", lambda x, w: x.split(2, 1)[0].sum())
twice("narrow", lambda x, w: x.narrow(1, 0, 2).sum())
twice("x[:, 1:3]", lambda x, w: x[:, 1:3].sum())
twice("embedding", lambda x, w: F.embedding(torch.tensor([0, 2]), x).sum())
twice("lstm", lambda x, w: nn.LSTM(4, 2)(x.view(3, 1, 4))[0].sum())

# Writes into a tensor on the graph save their indices (or, through a view, are freed with it).
def put_index(x):
    y = x + 0
    y[torch.tensor([0, 2])] = 0.0
    return y.sum()


def put_slice(x):
    y = x + 0
    y[0] = 0.0
    return y.sum()


def put_mask(x):
    y = x + 0
    y[y > 0] = 0.0
    return y.sum()


def masked_fill_(x):
    y = x + 0
    y.masked_fill_(torch.ones(3, 4) > 0.5, 1.0)
    return y.sum()


twice("y[idx] = 0", lambda x, w: put_index(x))
twice("y[0] = 0", lambda x, w: put_slice(x))
twice("y[y > 0] = 0", lambda x, w: put_mask(x))
twice("masked_fill_", lambda x, w: masked_fill_(x))


# The same nodes refuse an input changed in place after they ran: they saved it (nearest upsampling did not).
def changed_after(what, f):
    x = torch.randn(1, 1, 4, 4, requires_grad=True)
    h = x * 1
    y = f(h)
    h.add_(1)
    try:
        y.sum().backward()
        print(what, "after an in-place change: ran")
    except RuntimeError as e:
        print(what, "after an in-place change: RuntimeError:", str(e).split(":")[0])


changed_after("adaptive_avg_pool2d", lambda h: F.adaptive_avg_pool2d(h, 2))
changed_after("adaptive_max_pool2d", lambda h: F.adaptive_max_pool2d(h, 2))
changed_after("pad reflect", lambda h: F.pad(h, (1, 1, 1, 1), mode="reflect"))
changed_after("interpolate nearest", lambda h: F.interpolate(h, scale_factor=2))
changed_after("Function saving its input", Tripled.apply)
changed_after("Function saving nothing", TripledUnsaved.apply)

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


# autograd.grad runs (and frees) only the nodes between its input and its output.
def grad_of_intermediate():
    x = torch.randn(3, 4, requires_grad=True)
    h = x.sigmoid()
    loss = (h * h).sum()
    (g,) = torch.autograd.grad(loss, h)
    h.sum().backward()
    print("sigmoid below autograd.grad's input: not run, not freed; backward ran", x.grad.shape)
    try:
        loss.backward()
        print("the product above it ran again")
    except RuntimeError as e:
        print("the product above it:", str(e)[:52])


grad_of_intermediate()
