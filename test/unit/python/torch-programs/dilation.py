# Dilated windows as PyTorch code writes them: max pooling with dilation (nn.MaxPool1d/2d,
# F.max_pool1d/2d), in positional and keyword form, the gradient to each window's largest tap.
import torch
import torch.nn as nn
import torch.nn.functional as F

x = torch.arange(2 * 3 * 9 * 8, dtype=torch.float64).mul(0.37).sin().reshape(2, 3, 9, 8).requires_grad_()


def show(name, out):
    x.grad = None
    (out * torch.arange(out.numel(), dtype=torch.float64).reshape(out.shape).cos()).sum().backward()
    print(name, list(out.shape), [round(v, 10) + 0.0 for v in out.flatten().tolist()])
    print(name, 'grad', [round(v, 10) + 0.0 for v in x.grad.flatten().tolist()])


show('maxpool2d', nn.MaxPool2d(3, stride=1, padding=1, dilation=2)(x))
show('maxpool2d_pairs', nn.MaxPool2d((2, 3), (2, 1), (1, 1), (3, 2))(x))
show('maxpool1d', nn.MaxPool1d(3, 2, 1, 3)(x[:, 0]))
show('maxpool1d_keyword', nn.MaxPool1d(kernel_size=2, dilation=4)(x[0, 1]))
show('f_max_pool2d', F.max_pool2d(x, 2, dilation=3))
show('f_max_pool1d', F.max_pool1d(x[:, 1], 3, 1, 0, 2))
pool = nn.MaxPool2d(2, dilation=(1, 3))
print(pool.dilation, nn.MaxPool1d(3, dilation=2).dilation)
