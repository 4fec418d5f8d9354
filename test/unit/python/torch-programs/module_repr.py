import torch
import torch.nn as nn
import torch.nn.functional as F
mods = [nn.Linear(3, 4), nn.Linear(3, 4, bias=False), nn.Conv1d(2, 3, 5), nn.Conv1d(2, 3, 5, stride=2, padding=1, bias=False),
        nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(3, 8, (3, 5), stride=2, groups=1, dilation=2), nn.ConvTranspose2d(4, 2, 3, stride=2),
        nn.ReLU(), nn.ReLU(inplace=True), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2), nn.GELU(), nn.ELU(),
        nn.BatchNorm1d(5), nn.BatchNorm2d(5, affine=False), nn.LayerNorm(6), nn.LayerNorm((2, 3)), nn.GroupNorm(2, 4),
        nn.Dropout(), nn.Dropout(0.2), nn.Dropout2d(0.1), nn.MaxPool2d(2), nn.MaxPool2d(3, 2, 1), nn.MaxPool1d(2), nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
        nn.Embedding(10, 3), nn.Identity(), nn.Sequential(nn.Linear(2, 2), nn.ReLU()), nn.ModuleList([nn.Tanh()]),
        nn.LSTM(4, 8), nn.GRU(4, 8, num_layers=2, batch_first=True), nn.Upsample(scale_factor=2), nn.Conv1d(2, 3, 5).kernel_size, nn.Conv1d(2, 3, 5).padding]
for m in mods:
    print(m)
c = nn.Conv1d(2, 3, 5)
print(c.kernel_size[0], c.stride, c.padding, c.dilation, c.groups)
