# Modules built in the ways real code builds them; test_sites.py checks the recorded sites.
import copy

import torch.nn as nn


def conv3x3(i, o):
    return nn.Conv2d(i, o, 3, padding=1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.act = nn.Sigmoid()
        self.conv = conv3x3(1, 1)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
        self.clone = copy.deepcopy(self.head[0])


net = Net()
café = nn.Sequential(nn.Tanh())  # a non-ASCII name before the call: columns count UTF-16 units
