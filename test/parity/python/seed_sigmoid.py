import torch
import torch.nn as nn
import torch.optim as optim

# Define a simple network with a sigmoid activation
model = nn.Sequential(
    nn.Linear(10, 10),
    nn.Sigmoid(),  # This is prone to saturation
    nn.Linear(10, 1)
)

criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

# Sample input and target
x = torch.randn(1, 10)
y = torch.randn(1, 1)

# Training loop (demonstrating the problem)
for epoch in range(1000):
    optimizer.zero_grad()
    output = model(x)
    loss = criterion(output, y)
    loss.backward()
    optimizer.step()

    # Check gradients (you'd normally do this with a debugging tool)
    for name, param in model.named_parameters():
      if param.grad is not None:
        print(f'Gradient for {name}: {param.grad.mean()}')
