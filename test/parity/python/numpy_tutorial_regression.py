# Regression in the basics tutorials' form on NumPy data: a toy dataset written with np.array,
# a target made by NumPy arithmetic, handed over with torch.Tensor (the default float type) and
# a prediction taken back with .detach().numpy().
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(4)
x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182], [7.59], [2.167]])
y_train = np.sqrt(x_train) * 0.8 - 0.2 * np.log(x_train + 1)

model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
inputs = torch.Tensor(x_train / x_train.max())
targets = torch.Tensor(y_train)

for epoch in range(60):
    outputs = model(inputs)
    loss = criterion(outputs, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

predicted = model(inputs).detach().numpy()
