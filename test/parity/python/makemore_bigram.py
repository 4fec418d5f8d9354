# The makemore lectures' first neural net: a bigram model as one weight matrix over one-hot
# characters, softmax written out (`counts / counts.sum(1, keepdims=True)`, NumPy's keyword that
# PyTorch's own reductions take), the loss indexed out of the probabilities with a regulariser,
# the gradient set to None and the weights updated by hand at a literal step.
import torch
import torch.nn.functional as F

# Fixed characters (the step-by-step comparison gives only the weights, not the data).
xs = (torch.arange(40) * 7) % 11
ys = (torch.arange(40) * 5 + 3) % 11
num = xs.nelement()

g = torch.Generator().manual_seed(2147483647)
W = torch.randn((11, 11), generator=g, requires_grad=True)

for k in range(100):
    xenc = F.one_hot(xs, num_classes=11).to(W.dtype)  # .float() in the lecture: the parity runs float64
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad
