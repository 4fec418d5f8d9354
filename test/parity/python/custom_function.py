# An activation written as a torch.autograd.Function with its own backward, a surrogate gradient
# (not the derivative of its forward, as straight-through estimators and spiking networks do): the
# input saved with ctx.save_for_backward, a constant kept on ctx, and None as the constant's gradient.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledSoftsign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * ctx.scale / (1 + x.abs()), None


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 10)
        self.out = nn.Linear(10, 2)

    def forward(self, x):
        return self.out(ScaledSoftsign.apply(self.hidden(x), 1.5))


torch.manual_seed(0)
net = Regressor()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.randn(32, 6)
y = torch.randn(32, 2)
for step in range(50):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()
