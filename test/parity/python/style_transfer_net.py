# An image-transformation network in the style of the fast-neural-style examples: reflection-padded
# convolutions with instance norm, a residual block, and an upsample-then-convolve decoder
# (nn.Upsample(mode='nearest') instead of ConvTranspose2d, against checkerboard artefacts).
import torch


class PaddedConv(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        super().__init__()
        self.pad = torch.nn.ReflectionPad2d(kernel_size // 2)
        self.conv = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        return self.conv(self.pad(x))


class Residual(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = PaddedConv(channels, channels, 3)
        self.norm1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = PaddedConv(channels, channels, 3)
        self.norm2 = torch.nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x):
        return x + self.norm2(self.conv2(torch.relu(self.norm1(self.conv1(x)))))


class StyleNet(torch.nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.down = PaddedConv(3, width, 5, stride=2)
        self.norm = torch.nn.InstanceNorm2d(width, affine=True)
        self.res = Residual(width)
        self.up = torch.nn.Upsample(scale_factor=2, mode='nearest')
        self.out = PaddedConv(width, 3, 5)
        self.side = torch.nn.ReflectionPad2d((2, 1, 0, 3))

    def forward(self, x):
        y = torch.relu(self.norm(self.down(x)))
        y = self.out(self.up(self.res(y)))
        # F-style calls the examples use too: a mirrored border and a resize to a given size.
        y = torch.nn.functional.pad(y, (1, 1, 1, 1), mode='reflect')[:, :, 1:-1, 1:-1]
        edge = torch.nn.functional.interpolate(self.side(x), size=(9, 11))
        return y + edge[:, :, :8, 1:9] * 0.5
