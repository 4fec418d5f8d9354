# Max pooling with ceil_mode=True: the last, partial window (PyTorch keeps it when it starts inside
# the input or its left padding), its outputs and the gradient reaching the input, in float64.
import torch
import torch.nn as nn
import torch.nn.functional as F


def check(shape, k, s, p, d):
    n = 1
    for v in shape:
        n *= v
    x = ((torch.arange(float(n)).reshape(shape).double() * 7919) % 101) / 10
    x.requires_grad_(True)
    y = F.max_pool2d(x, k, s, p, d, ceil_mode=True)
    (y * torch.arange(float(y.numel())).reshape(y.shape).double()).sum().backward()
    print(tuple(y.shape), round(y.sum().item(), 6), round((x.grad * torch.arange(float(n)).reshape(shape).double()).sum().item(), 6))


check((1, 2, 7, 7), 3, 2, 0, 1)
check((2, 1, 6, 5), 2, 2, 0, 1)
check((1, 1, 5, 8), 3, 2, 1, 1)
check((1, 3, 13, 13), 3, 2, 0, 1)
check((1, 1, 7, 6), 2, 3, 1, 1)
check((1, 1, 9, 9), 2, 2, 0, 2)
check((1, 1, 4, 4), 2, 2, 0, 1)
print(F.max_pool2d(torch.zeros(1, 1, 6, 6), 3, 2, ceil_mode=False).shape, F.max_pool2d(torch.zeros(1, 1, 6, 6), 3, 2, ceil_mode=True).shape)

pool = nn.MaxPool2d(3, 2, ceil_mode=True)
print(pool, pool.ceil_mode, nn.MaxPool2d(2, 2, 0, 1, False, True))
x = ((torch.arange(98.).reshape(1, 2, 7, 7).double() * 7919) % 101) / 10
print(tuple(pool(x).shape), round(pool(x).sum().item(), 6))
