import torch
import torch.nn as nn

# Floats written like ints: a float leaf whose gradient flows.
w = torch.tensor(2., requires_grad=True)
b = torch.tensor(1., requires_grad=True)
x_train = torch.tensor([[1.], [2.], [3.], [4.], [5.], [6.]])
y_train = x_train * 2. + 1.

model = nn.Linear(1, 1)
criterion = nn.MSELoss(size_average=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
for epoch in range(5):
    loss = criterion(model(x_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
