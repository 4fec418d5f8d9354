# A count-free bigram model in the style of character-level tutorials: the model is a table of
# logits indexed by the previous token (`self.table[idx]`, a tensor index), trained on a token
# stream. PyTorch indexes only with int64 (or bool) tensors, so the batch the parity suite gives
# (`--batch`, the token ids as JSON numbers) must come back as int64 indices, as the script's own.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
vocab = 12


class BigramTable(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.table = nn.Parameter(0.1 * torch.randn(n, n))

    def forward(self, idx):
        return self.table[idx]


model = BigramTable(vocab)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
stream = torch.randint(0, vocab, (200,))

for step in range(10):
    start = step * 16
    xs = stream[start:start + 16]
    ys = stream[start + 1:start + 17]
    logits = model(xs)
    loss = F.cross_entropy(logits, ys)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
