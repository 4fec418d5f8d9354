# A small DeepLab-style ASPP head (atrous spatial pyramid pooling): parallel 3x3 convolutions with
# dilation 2 and 4 and padding='same', a 1x1 branch and a dilated F.conv2d with its own weight,
# concatenated and projected by a 1x1 convolution; global pooling and a classifier. SGD steps.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class ASPP(nn.Module):
    def __init__(self, in_ch, ch, rates=(2, 4)):
        super().__init__()
        self.branches = nn.ModuleList([nn.Conv2d(in_ch, ch, 1, bias=False)])
        for r in rates:
            self.branches.append(nn.Conv2d(in_ch, ch, 3, padding='same', dilation=r, bias=False))
        # an atrous branch written with the functional form, dilation (3, 2) and padding to match
        self.atrous_weight = nn.Parameter(torch.randn(ch, in_ch, 3, 3) * 0.1)
        self.bn = nn.BatchNorm2d(ch * (len(rates) + 2))
        self.project = nn.Conv2d(ch * (len(rates) + 2), ch, 1)

    def forward(self, x):
        outs = [b(x) for b in self.branches]
        outs.append(F.conv2d(x, self.atrous_weight, None, 1, (3, 2), (3, 2)))
        return F.relu(self.project(F.relu(self.bn(torch.cat(outs, dim=1)))))


class Net(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.aspp = ASPP(8, 6)
        self.fc = nn.Linear(6, num_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.aspp(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


net = Net()
inputs = torch.randn(3, 3, 18, 18)
targets = torch.randint(0, 4, (3,))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.05)

for i in range(2):
    optimizer.zero_grad()
    loss = criterion(net(inputs), targets)
    loss.backward()
    optimizer.step()
    print(i, loss.item())
