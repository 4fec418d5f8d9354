# Bare tensors handed to torch.optim as a list (no nn.Module): a two-layer regressor whose weights
# Adam steps, as linear-regression walkthroughs write it. Its data is fixed (no draw), so both sides
# see the same batch without one handed over.
import torch

torch.manual_seed(7)
grid = torch.linspace(-1, 1, 40)
features = torch.stack([grid, grid ** 2, torch.cos(3 * grid)], dim=1)
targets = features @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3

w_in = torch.randn(3, 6, requires_grad=True)
b_in = torch.zeros(6, requires_grad=True)
w_out = torch.randn(6, 1, requires_grad=True)
optimizer = torch.optim.Adam([w_in, b_in, w_out], lr=0.02)

for epoch in range(200):
    optimizer.zero_grad()
    hidden = torch.relu(features @ w_in + b_in)
    loss = torch.mean((hidden @ w_out - targets) ** 2)
    loss.backward()
    optimizer.step()
