# Two second-order forms on a small convolutional discriminator: StyleGAN's R1 penalty (the gradient
# of D(real).sum() with respect to the real images, create_graph=True, its squared norm per sample)
# added to the non-saturating loss, and a Hessian-vector product of the loss (torch.autograd.grad
# twice: the gradient with create_graph, then the gradient of its dot product with a vector v),
# whose result is added to the gradients by hand before the step (a curvature-damped update).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
D = nn.Sequential(nn.Conv2d(2, 4, 3, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 4, 3, 1, 1), nn.Softplus(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 2 * 2, 1))
optimizer = torch.optim.SGD(D.parameters(), lr=0.05)
r1_gamma = 10.0
images = torch.randn(12, 2, 8, 8)

for i in range(3):
    real = images[i * 4:(i + 1) * 4].clone().requires_grad_(True)
    fake = torch.randn(4, 2, 8, 8)
    optimizer.zero_grad()
    real_pred = D(real)
    loss = F.softplus(D(fake)).mean() + F.softplus(-real_pred).mean()
    grad_real, = torch.autograd.grad(outputs=real_pred.sum(), inputs=real, create_graph=True)
    r1 = grad_real.pow(2).reshape(grad_real.shape[0], -1).sum(1).mean()
    total = loss + r1_gamma / 2 * r1
    params = list(D.parameters())
    g = torch.autograd.grad(total, params, create_graph=True)
    v = [torch.randn_like(p) for p in params]
    hv = torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params, retain_graph=True)
    for p, gi, h in zip(params, g, hv):
        p.grad = gi.detach() + 0.01 * h
    total.backward()
    optimizer.step()
