'''Train a small CIFAR-style net, its model split over a package as pytorch-cifar does.'''
import torch
import torch.nn as nn
import torch.optim as optim

from models import *

net = SmallNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

inputs = torch.randn(8, 3, 8, 8)
targets = torch.randint(0, 10, (8,))

for epoch in range(2):
    net.train()
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
    print('epoch %d loss %.3f' % (epoch, loss.item()))
