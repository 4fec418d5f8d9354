# A ResNet of torchvision's Bottleneck blocks (one per stage, narrow 3x3 convolutions through
# width_per_group) with its last layer replaced, as fine-tuning tutorials write it
# (`model.fc = nn.Linear(model.fc.in_features, n)`), the first stage frozen.
import torch
import torch.nn as nn
from torchvision.models.resnet import Bottleneck, ResNet

torch.manual_seed(0)
model = ResNet(Bottleneck, [1, 1, 1, 1], width_per_group=16)
model.fc = nn.Linear(model.fc.in_features, 4)
for p in model.layer1.parameters():
    p.requires_grad = False
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.005, momentum=0.9)
x = torch.sin(torch.arange(4 * 3 * 64 * 64).view(4, 3, 64, 64) * 0.13)
y = torch.tensor([0, 2, 3, 1])

for step in range(3):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
