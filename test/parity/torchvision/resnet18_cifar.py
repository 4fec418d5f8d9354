# torchvision's ResNet-18 for 10 classes on small (64x64) images, as CIFAR transfer-learning scripts build
# it, trained with SGD and momentum; a fixed batch (no generator draws it, so both sides see the same).
import torch
import torch.nn as nn
import torchvision.models as models

torch.manual_seed(0)
model = models.resnet18(weights=None, num_classes=10)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.sin(torch.arange(4 * 3 * 64 * 64).view(4, 3, 64, 64) * 0.37)
y = torch.tensor([3, 7, 0, 9])

for step in range(3):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
