# The legacy tensor types (torch.FloatTensor ...) and torch.normal, as older tutorials write them,
# run by PyTorch 1.13 and by Gradient Lens's interpreter: the printed lines must match. Draws differ
# (Gradient Lens's seeded Rng is not torch's), so they print as shapes, dtypes and statistics
# rounded far outside sampling noise.
import torch

torch.manual_seed(0)


def err(f, *args, **kwargs):
    try:
        f(*args, **kwargs)
        print('no error')
    except Exception as e:
        print(type(e).__name__, e)


def near(name, got, want, tol):
    print(name, 'ok' if abs(got - want) <= tol else 'off: %r vs %r' % (got, want))


x = torch.ones(2, 3)
print(x.type(), torch.zeros(2, dtype=torch.float64).type(), torch.arange(3).type(), (x > 0).type())
y = torch.cat((torch.zeros(2), torch.ones(2)), ).type(torch.LongTensor)
print(y, y.dtype, y.type())
print(y.type('torch.DoubleTensor').dtype, y.type(torch.FloatTensor).dtype, y.type(torch.float64).dtype)
print(x.type(torch.FloatTensor) is x, x.type('torch.FloatTensor') is x)
print(torch.LongTensor([1, 2]).dtype, torch.FloatTensor(2, 3).shape, torch.DoubleTensor([[1.5]]).dtype)
print(torch.BoolTensor([True, False]).dtype, torch.FloatTensor([1, 2]).dtype)
err(x.type, 'torch.NoSuchTensor')

n_data = torch.ones(100, 2)
x0 = torch.normal(2 * n_data, 1)
print(x0.shape, x0.dtype, x0.requires_grad)
m = torch.normal(torch.zeros(4000, 1), torch.ones(4000, 1) * 3)
print(m.shape)
near('mean', float(m.mean()), 0.0, 0.3)
near('std', float(m.std()), 3.0, 0.3)
s = torch.normal(0.5, 2.0, size=(3000,))
print(s.shape, s.dtype)
near('mean', float(s.mean()), 0.5, 0.2)
near('std', float(s.std()), 2.0, 0.2)
print(torch.normal(torch.zeros(3), torch.ones(2, 1)).shape)
print(torch.normal(mean=0.5, std=torch.ones(4)).shape, torch.normal(torch.zeros(2, dtype=torch.float64), 1.0).dtype)
w = torch.zeros(3, requires_grad=True)
print(torch.normal(w, 1.0).requires_grad)
err(torch.normal, 0.0, -1.0, size=(2,))
o = torch.normal(w, torch.ones(3, requires_grad=True))
o.sum().backward()
print(w.grad.tolist())
# `x.type(Tensor)` with `Tensor = torch.Tensor` (a CPU script's pick where a GPU one takes torch.cuda.FloatTensor): the default type.
Tensor = torch.Tensor
print(torch.zeros(2, dtype=torch.int64).type(Tensor).dtype, torch.zeros(2, dtype=torch.float64).type(Tensor).type())
