import torch
import torch.nn as nn
import torchvision
from torchvision import transforms

transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))])
mnist = torchvision.datasets.MNIST(root='data', train=True, transform=transform, download=True)
loader = torch.utils.data.DataLoader(dataset=mnist, batch_size=32, shuffle=True)

D = nn.Sequential(nn.Linear(784, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1), nn.Sigmoid())
criterion = nn.BCELoss()
d_optimizer = torch.optim.Adam(D.parameters(), lr=0.0002)
for images, _ in loader:
    images = images.reshape(32, -1)
    d_loss = criterion(D(images), torch.ones(32, 1))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
