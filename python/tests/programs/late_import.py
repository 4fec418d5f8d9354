# The model is built before gradient_lens is imported: sites are read from the source instead.
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.act = nn.Sigmoid()


model = nn.Sequential(
    nn.Linear(4, 4),
    nn.Tanh(),
)
net = Net()

import json  # noqa: E402
import sys  # noqa: E402

import gradient_lens  # noqa: E402
from gradient_lens.describe import describe  # noqa: E402

json.dump({"seq": describe(model)["modules"], "net": describe(net)["modules"]}, sys.stdout)
