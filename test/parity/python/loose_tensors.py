# A small network written with bare tensors, before nn.Module: its weights are leaf tensors made
# with requires_grad=True and updated one by one by hand under torch.no_grad(), each gradient
# cleared after its update.
import math
import torch

torch.manual_seed(3)
inputs = torch.linspace(-1.5, 1.5, 48).unsqueeze(1)
wanted = torch.sin(2 * inputs)

w1 = torch.randn(1, 8, requires_grad=True)
b1 = torch.zeros(8, requires_grad=True)
w2 = torch.randn(8, 1) / math.sqrt(8)
w2.requires_grad_()

rate = 5e-3
for epoch in range(300):
    hidden = torch.tanh(inputs @ w1 + b1)
    guess = hidden @ w2
    loss = (guess - wanted).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        w1 -= rate * w1.grad
        b1 -= rate * b1.grad
        w2 -= rate * w2.grad
        w1.grad = None
        b1.grad.zero_()
        w2.grad = None
