'''A small VGG-like net.'''
import torch.nn as nn

from .blocks import ConvBlock

__all__ = ['SmallNet']


class SmallNet(nn.Module):
    def __init__(self, num_classes=10):
        super(SmallNet, self).__init__()
        self.features = nn.Sequential(ConvBlock(3, 8), nn.MaxPool2d(2), ConvBlock(8, 16), nn.MaxPool2d(2))
        self.classifier = nn.Linear(16 * 2 * 2, num_classes)

    def forward(self, x):
        out = self.features(x)
        out = out.view(out.size(0), -1)
        out = self.classifier(out)
        return out


def test():
    net = SmallNet()
    print(net)


if __name__ == '__main__':
    test()
