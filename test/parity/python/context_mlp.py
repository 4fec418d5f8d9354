# A character-level language model in the style of makemore: a Bengio-style MLP over the previous
# block_size characters (built with torch.roll and a <BLANK> token written in place into the
# index tensor), a GELU written out with torch.pow, an MLP kept as a lambda over a ModuleDict,
# a recurrent head whose start state is a Parameter expanded over the batch, ignore_index=-1 on
# padded targets, AdamW with betas, and zero_grad(set_to_none=True).
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class ModelConfig:
    block_size: int = None
    vocab_size: int = None
    n_embd: int = 8
    n_embd2: int = 16


class NewGELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Refine(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.ln = nn.LayerNorm(n)
        self.mlp = nn.ModuleDict(dict(
            c_fc=nn.Linear(n, 2 * n),
            c_proj=nn.Linear(2 * n, n),
            act=NewGELU(),
        ))
        m = self.mlp
        self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))

    def forward(self, x):
        return x + self.mlpf(self.ln(x))


class ContextMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.block_size = config.block_size
        self.vocab_size = config.vocab_size
        self.wte = nn.Embedding(config.vocab_size + 1, config.n_embd)  # +1: the <BLANK> token
        self.start = nn.Parameter(torch.zeros(1, config.n_embd2))
        self.mlp = nn.Sequential(
            nn.Linear(self.block_size * config.n_embd, config.n_embd2),
            nn.Tanh(),
        )
        self.refine = Refine(config.n_embd2)
        self.lm_head = nn.Linear(config.n_embd2, self.vocab_size)

    def get_block_size(self):
        return self.block_size

    def forward(self, idx, targets=None):
        embs = []
        for k in range(self.block_size):
            tok_emb = self.wte(idx)
            idx = torch.roll(idx, 1, 1)
            idx[:, 0] = self.vocab_size
            embs.append(tok_emb)
        x = torch.cat(embs, -1)
        b, t = x.size(0), x.size(1)
        h = self.mlp(x) + self.start.expand((b, -1)).unsqueeze(1)
        logits = self.lm_head(self.refine(h))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


torch.manual_seed(1337)
config = ModelConfig(vocab_size=11, block_size=4)
model = ContextMLP(config)
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8)
# Fixed characters (the step-by-step comparison gives only the weights, not the data).
X = (torch.arange(30).view(6, 5) * 7) % 11
Y = (torch.arange(30).view(6, 5) * 5 + 3) % 11
Y[:, -1] = -1
for step in range(20):
    logits, loss = model(X, Y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
