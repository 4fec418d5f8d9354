import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(8, 64, batch_first=True)
        nn.init.orthogonal_(self.rnn.weight_hh_l0)
        nn.init.xavier_uniform_(self.rnn.weight_ih_l0)
        self.head = nn.Linear(64, 1)
    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])
net = Net()
x = torch.randn(16, 30, 8)
y = torch.randn(16, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    losses.append(loss.item())
    opt.step()
