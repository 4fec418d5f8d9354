# torchvision's FakeData: how many samples, their shape and classes, as the call sets them
# (the pixels are random in both, so only their range is printed).
import torch
import torchvision.datasets as dset
import torchvision.transforms as transforms

ds = dset.FakeData(size=10, image_size=(1, 5, 7), num_classes=3, transform=transforms.ToTensor())
img, label = ds[0]
print(len(ds), tuple(img.shape), img.dtype, type(label).__name__)
print(bool(img.min() >= 0), bool(img.max() <= 1))
default = dset.FakeData(transform=transforms.ToTensor())
print(len(default), tuple(default[3][0].shape))
positional = dset.FakeData(6, (3, 8, 8), 4, transforms.ToTensor())
loader = torch.utils.data.DataLoader(positional, batch_size=4)
print(len(loader), [tuple(x.shape) for x, y in loader], [tuple(y.shape) for x, y in loader])
print(all(0 <= int(l) < 4 for _, l in positional))
