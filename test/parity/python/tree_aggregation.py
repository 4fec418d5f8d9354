# A deep-layer-aggregation network (the style of kuangliu/pytorch-cifar's DLA): a Tree registers its
# subtrees under computed names with self.__setattr__('level_%d' % i, ...) and finds them again with
# self.__getattr__, a Root joins the branch outputs with torch.cat over a list. A few SGD steps on one batch.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Unit(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super(Unit, self).__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.skip = nn.Sequential()
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)) + self.skip(x))


class Root(nn.Module):
    def __init__(self, cin, cout):
        super(Root, self).__init__()
        self.conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, parts):
        return F.relu(self.bn(self.conv(torch.cat(parts, 1))))


class Tree(nn.Module):
    def __init__(self, cin, cout, level=1, stride=1):
        super(Tree, self).__init__()
        self.level = level
        if level == 1:
            self.root = Root(2 * cout, cout)
            self.left = Unit(cin, cout, stride)
            self.right = Unit(cout, cout)
        else:
            self.root = Root((level + 2) * cout, cout)
            for i in reversed(range(1, level)):
                self.__setattr__('level_%d' % i, Tree(cin, cout, level=i, stride=stride))
            self.prev = Unit(cin, cout, stride)
            self.left = Unit(cout, cout)
            self.right = Unit(cout, cout)

    def forward(self, x):
        parts = [self.prev(x)] if self.level > 1 else []
        for i in reversed(range(1, self.level)):
            x = self.__getattr__('level_%d' % i)(x)
            parts.append(x)
        x = self.left(x)
        parts.append(x)
        x = self.right(x)
        parts.append(x)
        return self.root(parts)


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super(Net, self).__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(True))
        self.tree1 = Tree(4, 6, level=1)
        self.tree2 = Tree(6, 8, level=2, stride=2)
        self.linear = nn.Linear(8, num_classes)

    def forward(self, x):
        out = self.tree2(self.tree1(self.stem(x)))
        out = F.avg_pool2d(out, 4)
        return self.linear(out.view(out.size(0), -1))


net = Net()
inputs = torch.randn(3, 3, 8, 8)
targets = torch.randint(0, 10, (3,))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

for step in range(3):
    optimizer.zero_grad()
    loss = criterion(net(inputs), targets)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
