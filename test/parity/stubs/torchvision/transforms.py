"""torchvision.transforms on tensors: what each does to a [C, H, W] image."""
import torch
import torch.nn.functional as F


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ToTensor:
    def __call__(self, x):
        return x


class Normalize:
    def __init__(self, mean, std):
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, x):
        return (x - self.mean) / self.std


class Pad:
    def __init__(self, padding):
        self.padding = padding

    def __call__(self, x):
        p = self.padding
        return F.pad(x, (p, p, p, p))


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        return x.flip(-1) if torch.rand(()) < self.p else x


class RandomCrop:
    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, x):
        h, w = self.size
        top = int(torch.randint(0, x.shape[1] - h + 1, ()).item())
        left = int(torch.randint(0, x.shape[2] - w + 1, ()).item())
        return x[:, top:top + h, left:left + w]
