# The seed article's first PyTorch program ("Vanishing Gradients with Sigmoid"), with the first
# layer's weights drawn large (std 8, as examples/seed-saturated.grad.yaml) so the sigmoid saturates.
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

# Define a simple network with a sigmoid activation
model = nn.Sequential(
    nn.Linear(10, 10),
    nn.Sigmoid(),  # This is prone to saturation
    nn.Linear(10, 1)
)
nn.init.normal_(model[0].weight, std=8.0)

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
