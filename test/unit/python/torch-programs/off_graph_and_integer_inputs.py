# What a training loop meets when its data is integer or its loss is off the graph: torch.full's
# dtype from its fill value, the layers' errors on a Long input, and backward() of a loss that
# does not require grad. Printed line for line by torch 1.13 and by the interpreter.
import torch
import torch.nn as nn
import torch.nn.functional as F

for fill in (1.0, 2, 2.5, True):
    print(fill, torch.full((2, 3), fill).dtype)
print(torch.full((2,), 3, dtype=torch.float32).dtype)

torch.manual_seed(0)
layers = [
    ("Linear", nn.Linear(4, 3), (2, 4)),
    ("Linear no bias", nn.Linear(4, 3, bias=False), (2, 4)),
    ("Conv1d", nn.Conv1d(4, 3, 1), (2, 4, 5)),
    ("Conv2d", nn.Conv2d(4, 3, 1), (2, 4, 5, 5)),
    ("Conv2d no bias", nn.Conv2d(4, 3, 1, bias=False), (2, 4, 5, 5)),
    ("ConvTranspose2d", nn.ConvTranspose2d(4, 3, 1), (2, 4, 5, 5)),
    ("LSTM", nn.LSTM(4, 3), (2, 1, 4)),
    ("GRU no bias", nn.GRU(4, 3, bias=False), (2, 1, 4)),
    ("LSTM batch_first", nn.LSTM(4, 3, batch_first=True), (2, 1, 4)),
    ("LSTM batch_first no bias", nn.LSTM(4, 3, batch_first=True, bias=False), (2, 1, 4)),
]
for name, layer, shape in layers:
    try:
        layer(torch.full(shape, 2))
        print(name, "ran")
    except RuntimeError as e:
        print(name, "RuntimeError:", e)

emb = nn.Embedding(5, 3)
print("Embedding", emb(torch.full((2, 4), 1)).shape)

def backward_of(what, loss):
    try:
        loss.backward()
        print(what, "backward ran")
    except RuntimeError as e:
        print(what, "RuntimeError:", e)


net = nn.Linear(4, 1)
x = torch.ones(8, 4)
backward_of("detached mse", F.mse_loss(net(x).detach(), torch.zeros(8, 1)))
backward_of("detached sum", net(x).detach().sum())
backward_of("not scalar, no grad", torch.ones(3))
with torch.no_grad():
    loss = F.mse_loss(net(x), torch.zeros(8, 1))
backward_of("under no_grad", loss)
backward_of("on the graph", F.mse_loss(net(x), torch.zeros(8, 1)))
print(net.weight.grad.shape)
