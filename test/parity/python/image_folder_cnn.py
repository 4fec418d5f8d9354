# An image-folder classifier in the common custom-Dataset style: __init__ lists the files with glob,
# __getitem__ opens one with PIL, converts it to RGB and transforms it (Resize, ToTensor, Normalize);
# a small CNN trained with Adam. The folder (image_folder/, written by its make_images.py) is read by
# PyTorch only: Gradient Lens stands synthetic images in for it.
import glob
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "image_folder")


class FolderImages(Dataset):
    def __init__(self, root, transform=None):
        self.files = sorted(glob.glob(os.path.join(root, "*.png")))
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        image = Image.open(self.files[index]).convert("RGB")
        if self.transform is not None:
            image = self.transform(image)
        return image, index % 3


class SmallCNN(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        # CycleGAN's discriminator pads this way before its last convolution.
        self.pad = nn.ZeroPad2d((1, 0, 1, 0))
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.fc = nn.Linear(8 * 7 * 5, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(self.pad(x)))
        return self.fc(torch.flatten(x, 1))


transform = transforms.Compose([
    transforms.Resize((16, 12)),
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
])
loader = DataLoader(FolderImages(ROOT, transform), batch_size=4, shuffle=True)

model = SmallCNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(2):
    for images, labels in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
