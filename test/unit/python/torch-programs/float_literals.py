# torch.tensor of Python floats that look like ints (1., 2.0) is a float tensor, as in PyTorch's
# first autograd example; ints stay int64, bools bool, a float anywhere makes the whole a float.
import torch

x = torch.tensor(1., requires_grad=True)
w = torch.tensor(2., requires_grad=True)
b = torch.tensor(3., requires_grad=True)
y = w * x + b
y.backward()
print(x.grad.item(), w.grad.item(), b.grad.item(), y.dtype, y.requires_grad)
print(torch.tensor([[1., 2.], [3., 4.]]).dtype, torch.tensor([1, 2]).dtype, torch.tensor([1, 2.]).dtype)
print(torch.tensor([True, False]).dtype, torch.tensor([True, 1]).dtype, torch.tensor(3).dtype)
print(torch.tensor([torch.tensor(1.), 2]).dtype, torch.as_tensor([1., 2.]).dtype, torch.tensor([2.0], dtype=torch.float64).dtype)
m = torch.tensor([[1., 0.], [0., 1.]])
print((m * 3).tolist(), (m / 2).tolist())
