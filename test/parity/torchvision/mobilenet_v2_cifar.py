# torchvision's MobileNetV2 (inverted residuals, depthwise convolutions, ReLU6) for 10 classes on
# 64x64 images, trained with Adam; its classifier's dropout off (the two sides draw masks differently).
import torch
import torch.nn as nn
import torchvision

torch.manual_seed(0)
model = torchvision.models.mobilenet_v2(num_classes=10, dropout=0.0)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.cos(torch.arange(4 * 3 * 64 * 64).view(4, 3, 64, 64) * 0.21)
y = torch.tensor([1, 8, 8, 2])

for step in range(3):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
