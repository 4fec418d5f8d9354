# A torch.autograd.Function over two tensor inputs and a constant: a gate written by hand, its
# backward giving each input's gradient (only where ctx.needs_input_grad asks) and None for the
# constant, as PyTorch's "Extending torch.autograd" page writes a multiply.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return scale * a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad_out * b * ctx.scale
        if ctx.needs_input_grad[1]:
            grad_b = grad_out * a * ctx.scale
        return grad_a, grad_b, None


class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.value = nn.Linear(5, 7)
        self.gate = nn.Linear(5, 7)
        self.out = nn.Linear(7, 2)

    def forward(self, x):
        return self.out(ScaledMul.apply(torch.tanh(self.value(x)), torch.sigmoid(self.gate(x)), 1.5))


torch.manual_seed(0)
net = Gated()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.randn(16, 5)
y = torch.randn(16, 2)
for step in range(20):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()
