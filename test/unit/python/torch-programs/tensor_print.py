# print() of small tensors as PyTorch shows them: whole floats as `2.` (the first autograd example's
# x.grad), each value padded to the widest, four decimals otherwise.
import torch

x = torch.tensor(1., requires_grad=True)
w = torch.tensor(2., requires_grad=True)
y = w * x + 3.
y.backward()
print(x.grad)
print(w.grad)
print(torch.tensor([1., 2.]), torch.tensor([1., -10.]), torch.tensor([-0., 3.]))
print(torch.tensor([1.5, 10.25]), torch.tensor(2.5), torch.tensor([0.5, -1.]))
print(torch.tensor([True, False]), torch.tensor([3, 100]), torch.tensor(7))
