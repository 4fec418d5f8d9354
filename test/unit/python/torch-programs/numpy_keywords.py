# NumPy's keyword names that PyTorch's own reductions take (makemore's `counts.sum(1, keepdims=True)`),
# and the functions PyTorch writes in Python, which do not.
import torch
import torch.nn.functional as F

x = torch.arange(12.).view(3, 4)
counts = x.exp()
probs = counts / counts.sum(1, keepdims=True)
print(tuple(probs.shape), round(probs.sum().item(), 4))
print(tuple(torch.sum(x, axis=0, keepdims=True).shape), tuple(x.max(axis=1).values.shape))
print(tuple(x.mean(axis=1).shape), tuple(torch.logsumexp(x, axis=1, keepdims=True).shape))
for f in (lambda: x.norm(dim=1, keepdims=True), lambda: F.softmax(x, axis=1)):
    try:
        f()
    except TypeError as e:
        print(e)
