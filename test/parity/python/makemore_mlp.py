# A character-level MLP written as the makemore lectures write it: no nn.Module, the embedding
# table and the weights are bare tensors in a list `parameters`, made to require grad in a loop,
# their gradients set to None and updated by hand (`p.data += -lr * p.grad`) in loops over that
# list, at an lr the loop's body sets from the iteration count.
import torch
import torch.nn.functional as F

block_size = 3
# Fixed characters (the step-by-step comparison gives only the weights, not the data).
Xtr = (torch.arange(60).view(20, block_size) * 7) % 11
Ytr = (torch.arange(20) * 5 + 3) % 11

g = torch.Generator().manual_seed(2147483647)
C = torch.randn((11, 4), generator=g)
W1 = torch.randn((12, 32), generator=g) * 0.2
b1 = torch.randn(32, generator=g) * 0.01
W2 = torch.randn((32, 11), generator=g) * 0.1
b2 = torch.randn(11, generator=g) * 0
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True

lossi = []
for i in range(200):
    # minibatch construct
    ix = (torch.arange(8) + 8 * i) % Xtr.shape[0]
    # forward pass
    emb = C[Xtr[ix]]  # (8, 3, 4)
    h = torch.tanh(emb.view(-1, 12) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()
    # update
    lr = 0.5 if i < 100 else 0.05
    for p in parameters:
        p.data += -lr * p.grad
    lossi.append(loss.log10().item())
