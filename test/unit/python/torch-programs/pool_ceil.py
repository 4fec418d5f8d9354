# ceil_mode for 1-D max pooling and for average pooling (1-D and 2-D), with count_include_pad and
# divisor_override (of F.avg_pool2d and nn.AvgPool2d): output shapes (the partial last window kept when it starts inside the input or
# its left padding), outputs and the gradient reaching the input, in float64; the modules printed.
import torch
import torch.nn as nn
import torch.nn.functional as F


def ramp(shape):
    n = 1
    for v in shape:
        n *= v
    x = ((torch.arange(float(n)).reshape(shape).double() * 7919) % 101) / 10
    return x.requires_grad_(True)


def show(x, y):
    (y * torch.arange(float(y.numel())).reshape(y.shape).double()).sum().backward()
    n = x.numel()
    print(tuple(y.shape), round(y.sum().item(), 6), round((x.grad * torch.arange(float(n)).reshape(x.shape).double()).sum().item(), 6))


# (No loop around a call that runs backward(): such a loop would be the training loop to trace.)
def one_d(shape, k, s, p):
    x = ramp(shape)
    show(x, F.max_pool1d(x, k, s, p, ceil_mode=True))
    x = ramp(shape)
    show(x, F.avg_pool1d(x, k, s, p, ceil_mode=True, count_include_pad=True))
    x = ramp(shape)
    show(x, F.avg_pool1d(x, k, s, p, ceil_mode=True, count_include_pad=False))
    x = ramp(shape)
    show(x, F.avg_pool1d(x, k, s, p, ceil_mode=False, count_include_pad=False))


def two_d(shape, k, s, p, ceil):
    x = ramp(shape)
    show(x, F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=True))
    x = ramp(shape)
    show(x, F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=False))
    x = ramp(shape)
    show(x, F.avg_pool2d(x, k, s, p, ceil_mode=ceil, divisor_override=5))


one_d((2, 3, 7), 3, 2, 0)
one_d((1, 2, 8), 3, 2, 1)
one_d((1, 1, 10), 4, 3, 2)
one_d((2, 1, 5), 2, 2, 0)
two_d((1, 2, 7, 7), 3, 2, 0, True)
two_d((2, 1, 6, 5), 2, 2, 1, True)
two_d((2, 1, 6, 5), 2, 2, 1, False)
two_d((1, 1, 5, 8), 3, 2, 1, True)
two_d((1, 1, 7, 6), (2, 3), (3, 2), (1, 1), True)
two_d((1, 1, 7, 6), (2, 3), (3, 2), (1, 1), False)

print(F.avg_pool1d(torch.zeros(1, 1, 6), 3, 2, ceil_mode=False).shape, F.avg_pool1d(torch.zeros(1, 1, 6), 3, 2, ceil_mode=True).shape)
print(F.max_pool1d(torch.zeros(1, 1, 6), 3, 2, ceil_mode=True).shape)



def module(pool, shape):
    x = ramp(shape)
    print(pool)
    show(x, pool(x))


module(nn.MaxPool1d(3, 2, ceil_mode=True), (1, 2, 7))
module(nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 2, 7))
module(nn.AvgPool2d(3, 2, 1, True, False), (1, 2, 7, 7))
module(nn.AvgPool2d((2, 3), (3, 2), (1, 1), ceil_mode=True), (2, 1, 7, 6))
module(nn.AvgPool2d(2, divisor_override=3), (1, 2, 4, 5))
module(nn.AvgPool2d(3, 2, 1, True, False, 4), (1, 1, 7, 7))
