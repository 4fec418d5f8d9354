# An image optimised through a frozen network, as style transfer and adversarial examples write it:
# the network's weights are set by hand and frozen (requires_grad_(False)), the optimiser steps one
# loose tensor (the target image cloned from the content), so the trace trains `target`, not the
# network. Nothing is drawn, so both sides see the same weights and data without any handed over.
import torch
import torch.nn as nn
import torch.optim as optim

features = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 3, padding=1))
with torch.no_grad():
    features[0].weight.copy_(torch.linspace(-1, 1, 27).view(3, 1, 3, 3))
    features[0].bias.copy_(torch.tensor([0.1, -0.2, 0.05]))
    features[2].weight.copy_(torch.cos(torch.linspace(0, 6, 54)).view(2, 3, 3, 3))
    features[2].bias.zero_()
for param in features.parameters():
    param.requires_grad_(False)

content = torch.sin(torch.linspace(0, 9, 64)).view(1, 1, 8, 8)
style = torch.cos(torch.linspace(0, 5, 64)).view(1, 1, 8, 8)
target = content.clone().requires_grad_(True)
optimizer = optim.Adam([target], lr=0.05)


def gram(x):
    _, d, h, w = x.size()
    f = x.view(d, h * w)
    return f @ f.t() / (h * w)


style_gram = gram(features(style))
for ii in range(1, 50):
    target_features = features(target)
    content_loss = torch.mean((target_features - features(content)) ** 2)
    style_loss = torch.mean((gram(target_features) - style_gram) ** 2)
    total_loss = content_loss + 10 * style_loss
    optimizer.zero_grad()
    total_loss.backward()
    optimizer.step()
