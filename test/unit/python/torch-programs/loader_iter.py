# iter(loader) as the basics tutorials fetch one batch: next(it) gives it; Python 2's it.next() is
# the AttributeError torch 1.13 raises, naming the loader's iterator class.
import torch
from torch.utils.data import DataLoader, TensorDataset

x = torch.arange(24.).view(6, 4)
y = torch.arange(6)
loader = DataLoader(dataset=TensorDataset(x, y), batch_size=4, shuffle=False)
data_iter = iter(loader)
images, labels = next(data_iter)
print(type(data_iter).__name__, list(images.shape), labels.tolist())
try:
    images, labels = data_iter.next()
except AttributeError as e:
    print('AttributeError:', e)
