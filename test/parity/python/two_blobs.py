# Two Gaussian blobs classified by a small net, written as torch 0.4-era tutorials write it: data
# from torch.normal, labels through the legacy torch.LongTensor type, Variable wrappers (x stays in
# the default dtype: the suite runs in float64).
import torch
from torch.autograd import Variable
import torch.nn.functional as F

torch.manual_seed(1)

n_data = torch.ones(50, 2)
x0 = torch.normal(2 * n_data, 1)
y0 = torch.zeros(50)
x1 = torch.normal(-2 * n_data, 1)
y1 = torch.ones(50)
x = torch.cat((x0, x1), 0)
y = torch.cat((y0, y1), ).type(torch.LongTensor)
x, y = Variable(x), Variable(y)


class Net(torch.nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super(Net, self).__init__()
        self.hidden = torch.nn.Linear(n_feature, n_hidden)
        self.out = torch.nn.Linear(n_hidden, n_output)

    def forward(self, x):
        x = F.relu(self.hidden(x))
        return self.out(x)


net = Net(n_feature=2, n_hidden=10, n_output=2)
optimizer = torch.optim.SGD(net.parameters(), lr=0.02)
loss_func = torch.nn.CrossEntropyLoss()

for t in range(100):
    out = net(x)
    loss = loss_func(out, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
