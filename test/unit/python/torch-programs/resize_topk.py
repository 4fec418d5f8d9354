# Tensor.resize_ and topk as the Udacity course's notebooks use them, printed to compare with torch 1.13.
import torch

images = torch.arange(24.).view(2, 3, 4)
alias = images
images.resize_(images.size()[0], 12)
print(alias.shape, images[1, 8:])
images.resize_((3, 8))
print(images.sum(dim=1))
print(images.resize_(2, 3)[1])
try:
    torch.zeros(2, requires_grad=True).resize_(4)
except RuntimeError as e:
    print(e)
try:
    images.resize_(2, -1)
except RuntimeError as e:
    print(e)

ps = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.5, 0.0], [0.3, 0.3, 0.4]])
top_p, top_class = ps.topk(1, dim=1)
print(top_p.view(-1), top_class.view(-1), top_class.shape)
smallest = ps.topk(2, largest=False)
print(smallest.values.view(-1), smallest.indices.view(-1))
print(torch.topk(ps, 2, dim=0).indices.view(-1))
labels = torch.tensor([1, 0, 1])
equals = top_class == labels.view(*top_class.shape)
print(torch.mean(equals.type(torch.FloatTensor)))
print(torch.tensor([1., float('nan'), 2.]).topk(2).indices)
try:
    ps.topk(4)
except RuntimeError as e:
    print(e)
x = torch.tensor([[1., 3., 2.]], requires_grad=True)
x.topk(2)[0].sum().backward()
print(x.grad.view(-1))
