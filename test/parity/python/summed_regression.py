# Linear regression in the older tutorials' form: a toy dataset written as float literals that look
# like ints (3., 4.0), a summed squared error by the deprecated size_average=False, plain SGD.
import torch
import torch.nn as nn

torch.manual_seed(1)
x_train = torch.tensor([[3.], [4.], [5.], [6.], [7.], [4.], [9.], [6.], [8.], [2.]])
y_train = torch.tensor([[1.7], [2.], [2.], [3.], [1.], [1.5], [3.], [2.5], [2.5], [1.]])

model = nn.Linear(1, 1)
criterion = nn.MSELoss(size_average=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)

for epoch in range(60):
    outputs = model(x_train)
    loss = criterion(outputs, y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
