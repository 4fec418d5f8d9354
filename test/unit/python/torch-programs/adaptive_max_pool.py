# Adaptive max pooling as PyTorch code writes it (nn.AdaptiveMaxPool1d/2d, F.adaptive_max_pool1d/2d):
# uneven windows that overlap, None keeping a side, the gradient to each window's largest element.
import torch
import torch.nn as nn
import torch.nn.functional as F

x = torch.arange(70, dtype=torch.float64).mul(0.37).sin().reshape(2, 5, 7).requires_grad_()


def show(name, out):
    x.grad = None
    (out * torch.arange(out.numel(), dtype=torch.float64).reshape(out.shape).cos()).sum().backward()
    print(name, list(out.shape), [round(v, 10) + 0.0 for v in out.flatten().tolist()])
    print(name, 'grad', [round(v, 10) + 0.0 for v in x.grad.flatten().tolist()])


show('module2d', nn.AdaptiveMaxPool2d((3, 2))(x))
show('module2d_int', nn.AdaptiveMaxPool2d(4)(x.unsqueeze(0)))
show('module2d_none', nn.AdaptiveMaxPool2d((None, 3))(x))
show('functional2d', F.adaptive_max_pool2d(x, (4, 5)))
show('module1d', nn.AdaptiveMaxPool1d(3)(x))
show('functional1d', F.adaptive_max_pool1d(x[0], 4))
pool = nn.AdaptiveMaxPool2d((2, None))
print(pool.output_size, nn.AdaptiveMaxPool1d(5).output_size)
