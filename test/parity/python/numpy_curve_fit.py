# A curve fit on data built with NumPy, with bare leaf tensors as the model: the NumPy arrays
# (linspace, np.newaxis, sin/cos/exp, np.power, float64 by default, an int column cast with astype,
# vstack/hstack, slicing, reductions) are the script's own data, handed to torch with
# torch.from_numpy, so the loss and gradients check the arrays' values end to end.
import numpy as np
import torch

torch.manual_seed(2)
steps = np.linspace(0, np.pi * 2, 24)
x_np = np.vstack([np.sin(steps), np.cos(steps)]).T
scale = np.arange(24).reshape(24, 1).astype(np.float64) / 23.0
x_np = np.hstack((x_np, scale, np.power(scale, 2)))
y_np = np.exp(-np.abs(x_np[:, :1])) + 0.5 * x_np[:, 2:3] - x_np.mean(axis=1, keepdims=True)
y_np = y_np - y_np.mean()
x_np = x_np[::2]
y_np = y_np[::2, np.newaxis, 0]

inputs = torch.from_numpy(x_np)
targets = torch.from_numpy(y_np)
w1 = torch.randn(4, 6, requires_grad=True)
b1 = torch.zeros(6, requires_grad=True)
w2 = torch.randn(6, 1, requires_grad=True)

for epoch in range(50):
    guess = torch.tanh(inputs @ w1 + b1) @ w2
    loss = ((guess - targets) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w1 -= 0.05 * w1.grad
        b1 -= 0.05 * b1.grad
        w2 -= 0.05 * w2.grad
        w1.grad = None
        b1.grad = None
        w2.grad = None
