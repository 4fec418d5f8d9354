"""Random samples with the shape and class count of torchvision's datasets; no file is read."""
import torch
from torch.utils.data import Dataset

_TABLE = {
    "MNIST": ((1, 28, 28), 10, 60000, 10000),
    "FashionMNIST": ((1, 28, 28), 10, 60000, 10000),
    "CIFAR10": ((3, 32, 32), 10, 50000, 10000),
    "CIFAR100": ((3, 32, 32), 100, 50000, 10000),
    "SVHN": ((3, 32, 32), 10, 73257, 26032),
}


class _Synthetic(Dataset):
    shape = None
    classes_count = 0
    sizes = (0, 0)

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False, split=None):
        self.train = train if split is None else split == "train"
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return self.sizes[0] if self.train else self.sizes[1]

    def __getitem__(self, index):
        img = torch.rand(self.shape)
        target = int(torch.randint(0, self.classes_count, ()).item())
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


for _name, (_shape, _classes, _train, _test) in _TABLE.items():
    globals()[_name] = type(_name, (_Synthetic,), {"shape": _shape, "classes_count": _classes, "sizes": (_train, _test)})
