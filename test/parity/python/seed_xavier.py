import torch
import torch.nn as nn
import torch.optim as optim

# Initialize weights with Xavier initialization
model = nn.Sequential(
    nn.Linear(10, 10),
    nn.ReLU(),
    nn.Linear(10, 1)
)

for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)

criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

x = torch.randn(1, 10)
y = torch.randn(1, 1)

for epoch in range(1000):
    optimizer.zero_grad()
    output = model(x)
    loss = criterion(output, y)
    loss.backward()
    optimizer.step()

    for name, param in model.named_parameters():
      if param.grad is not None:
        print(f'Gradient for {name}: {param.grad.mean()}')
