# torch.nn.init's structured schemes on one model: a Conv1d front starting as the identity
# (dirac_), an LSTM whose recurrent weight is orthogonal gate by gate, a pre-norm attention block
# initialised GPT-style (trunc_normal_ std 0.02), an MLP with He and sparse weights, and an eye_
# skip. The weights differ between PyTorch and Gradient Lens (two random streams); the parity
# harness gives both the same state_dict and compares the gradients.
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.up = nn.Linear(d, hidden)
        self.down = nn.Linear(hidden, d)
        for lin in [self.qkv, self.proj]:
            nn.init.trunc_normal_(lin.weight, std=0.02)
            nn.init.zeros_(lin.bias)
        nn.init.kaiming_normal_(self.up.weight, nonlinearity='relu')
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.up.weight)
        nn.init.uniform_(self.up.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        nn.init.sparse_(self.down.weight, sparsity=0.25, std=0.1)
        nn.init.constant_(self.down.bias, 0.01)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln(x)).split(d, dim=2)
        att = (q @ k.transpose(1, 2)) / math.sqrt(d)
        mask = torch.tril(torch.ones(t, t)).bool()
        att = att.masked_fill(~mask, float('-inf')).softmax(dim=-1)
        x = x + self.proj(att @ v)
        return x + self.down(F.relu(self.up(x)))


class Net(nn.Module):
    def __init__(self, channels=6, hidden=12):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=1)
        nn.init.dirac_(self.conv.weight)
        self.lstm = nn.LSTM(channels, hidden, batch_first=True)
        for gate in range(4):
            nn.init.orthogonal_(self.lstm.weight_hh_l0[gate * hidden:(gate + 1) * hidden])
        nn.init.xavier_normal_(self.lstm.weight_ih_l0)
        self.block = Block(hidden, 2 * hidden)
        self.skip = nn.Linear(hidden, hidden, bias=False)
        nn.init.eye_(self.skip.weight)
        self.head = nn.Linear(hidden, 1)
        nn.init.xavier_uniform_(self.head.weight, gain=nn.init.calculate_gain('tanh'))

    def forward(self, x):
        h = torch.tanh(self.conv(x.transpose(1, 2))).transpose(1, 2)
        out, _ = self.lstm(h)
        out = self.block(out)
        return self.head(torch.tanh(self.skip(out[:, -1])))


torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(4, 7, 6)
y = torch.randn(4, 1)
for step in range(20):
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
