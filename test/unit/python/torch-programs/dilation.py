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

# F.conv1d/F.conv2d with padding as a string: 'same' keeps the size (stride 1), 'valid' is no padding.
w2 = torch.arange(4 * 3 * 3 * 5, dtype=torch.float64).mul(0.11).cos().reshape(4, 3, 3, 5)
w1 = torch.arange(2 * 3 * 3, dtype=torch.float64).mul(0.23).cos().reshape(2, 3, 3)
show('f_conv2d_same', F.conv2d(x, w2, padding='same', dilation=(1, 2)))
show('f_conv2d_valid', F.conv2d(x, w2, torch.ones(4, dtype=torch.float64), 1, 'valid'))
show('f_conv1d_same', F.conv1d(x[:, :, 0], w1, None, 1, 'same', 3))
show('f_conv1d_valid', F.conv1d(x[:, :, 1], w1, padding='valid', stride=2))

# Transposed convolutions with dilation: (H − 1)·stride − 2·padding + dilation·(K − 1) + output_padding + 1,
# output_padding below the stride or the dilation.
wt2 = torch.arange(3 * 2 * 3 * 2, dtype=torch.float64).mul(0.19).sin().reshape(3, 2, 3, 2)
wt1 = torch.arange(3 * 2 * 4, dtype=torch.float64).mul(0.29).cos().reshape(3, 2, 4)
show('f_conv_transpose2d', F.conv_transpose2d(x, wt2, torch.tensor([0.5, -0.5], dtype=torch.float64), 2, 1, 1, 1, 2))
show('f_conv_transpose2d_pairs', F.conv_transpose2d(x, wt2, stride=(1, 2), padding=(2, 0), output_padding=(1, 0), dilation=(2, 3)))
show('f_conv_transpose1d', F.conv_transpose1d(x[:, :, 0], wt1, None, 1, 2, 1, 1, 3))
show('f_conv_transpose1d_unbatched', F.conv_transpose1d(x[0, :, 1], wt1, dilation=2, stride=3))
# The layer (float32 weights of its own draw): its shape, and the functional call on its weights.
ct = nn.ConvTranspose2d(3, 2, (3, 2), stride=2, padding=1, output_padding=1, dilation=2)
xf = x.detach().float()
print(list(ct(xf).shape), (ct(xf) - F.conv_transpose2d(xf, ct.weight, ct.bias, 2, 1, 1, 1, 2)).abs().max().item() < 1e-6)
print(ct.dilation, ct.weight.shape, nn.ConvTranspose2d(1, 1, 2, 1, 0, 0, 1, True, 3).dilation)
ct1 = nn.ConvTranspose1d(3, 2, 4, 3, 1, 0, 1, True, 2)
x1 = x.detach().float()[:, :, 0]
print(list(ct1(x1).shape), list(ct1.weight.shape), (ct1(x1) - F.conv_transpose1d(x1, ct1.weight, ct1.bias, 3, 1, 0, 1, 2)).abs().max().item() < 1e-6)
