# Convolutional autoencoder on MNIST, in the style of the many blog-post autoencoders:
# an encoder and a decoder module, Flatten/Unflatten, ConvTranspose2d back up, sigmoid output,
# reconstruction loss against the input itself, a tqdm progress bar and a save at the end.
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from tqdm import tqdm

num_epochs = 10
batch_size = 8
learning_rate = 1e-3
latent_dim = 16

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),   # -> 8 x 14 x 14
            nn.ReLU(True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),  # -> 16 x 7 x 7
            nn.BatchNorm2d(16),
            nn.ReLU(True),
        )
        self.flatten = nn.Flatten(start_dim=1)
        self.fc = nn.Linear(16 * 7 * 7, latent_dim)

    def forward(self, x):
        x = self.conv(x)
        x = self.flatten(x)
        return self.fc(x)


class Decoder(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, 16 * 7 * 7),
            nn.ReLU(True),
        )
        self.unflatten = nn.Unflatten(dim=1, unflattened_size=(16, 7, 7))
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(True),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def forward(self, z):
        x = self.fc(z)
        x = self.unflatten(x)
        x = self.deconv(x)
        return torch.sigmoid(x)


class AutoEncoder(nn.Module):
    def __init__(self, latent_dim=latent_dim):
        super(AutoEncoder, self).__init__()
        self.encoder = Encoder(latent_dim)
        self.decoder = Decoder(latent_dim)

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z


transform = transforms.Compose([transforms.ToTensor()])
train_data = datasets.MNIST(root="data", train=True, download=True, transform=transform)
train_loader = DataLoader(train_data, batch_size=batch_size, shuffle=True, drop_last=True)

model = AutoEncoder().to(device)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=1e-5)

history = []
for epoch in tqdm(range(num_epochs)):
    total = 0.0
    for data in train_loader:
        img, _ = data
        img = img.to(device)
        # ===================forward=====================
        output, code = model(img)
        loss = criterion(output, img)
        # ===================backward====================
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    history.append(total / len(train_loader))
    print('epoch [{}/{}], loss:{:.4f}'.format(epoch + 1, num_epochs, history[-1]))

os.makedirs("checkpoints", exist_ok=True)
torch.save(model.state_dict(), "checkpoints/conv_autoencoder.pth")
