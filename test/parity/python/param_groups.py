# A regressor trained the way GPT-style scripts configure AdamW: weight decay on the matrices only,
# none on biases and norm gains (two parameter groups with different weight_decay), the learning
# rate set on every group each step, gradients clipped over all parameters; a LayerNorm with an
# optional bias, off (F.layer_norm given a weight and bias=None).
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


class Norm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Regressor(nn.Module):
    def __init__(self, d_in=6, d_hidden=16):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.norm = Norm(d_hidden, bias=False)
        self.fc2 = nn.Linear(d_hidden, 1)

    def forward(self, x):
        return self.fc2(F.gelu(self.norm(self.fc1(x))))

    def configure_optimizers(self, weight_decay, learning_rate):
        decay = [p for n, p in self.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in self.named_parameters() if p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.95))


def get_lr(it, warmup=2, base=0.05):
    return base * (it + 1) / warmup if it < warmup else base


torch.manual_seed(0)
model = Regressor()
optimizer = model.configure_optimizers(weight_decay=0.5, learning_rate=0.05)
x = torch.linspace(-2.0, 2.0, 48).view(8, 6)
y = torch.sin(x.sum(dim=1, keepdim=True))

for it in range(6):
    lr = get_lr(it)
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
