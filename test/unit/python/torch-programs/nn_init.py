# Every function of torch.nn.init, run by PyTorch 1.13 and by Gradient Lens's interpreter: the
# printed lines must match. Values drawn at random differ (Gradient Lens's seeded Rng is not
# torch's), so what is printed is what does not depend on the stream: shapes, exact values of
# the deterministic inits, errors, and statistics rounded so sampling noise cannot flip them.
import math
import torch
import torch.nn as nn
from torch.nn import init

torch.manual_seed(0)


def err(f, *args, **kwargs):
    try:
        f(*args, **kwargs)
        print('no error')
    except Exception as e:
        print(type(e).__name__, e)


def moments(t):
    t = t.double().flatten()
    n = t.numel()
    mean = float(t.sum()) / n
    var = float(((t - mean) ** 2).sum()) / n
    return mean, var


def near(name, got, want, tol):
    print(name, 'ok' if abs(got - want) <= tol else 'off: %r vs %r' % (got, want))


# calculate_gain: every nonlinearity, leaky_relu's slope, and the errors.
for nl in ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']:
    print(nl, repr(init.calculate_gain(nl)))
print(repr(init.calculate_gain('leaky_relu', 0.2)), repr(init.calculate_gain('leaky_relu', 1)), repr(init.calculate_gain('relu', 'ignored')))
err(init.calculate_gain, 'swish')
err(init.calculate_gain, 'leaky_relu', True)
err(init.calculate_gain, 'leaky_relu', 'x')

# The fan helper real code calls.
print(init._calculate_fan_in_and_fan_out(torch.empty(10, 20)), init._calculate_fan_in_and_fan_out(torch.empty(16, 3, 5, 5)))
err(init._calculate_fan_in_and_fan_out, torch.empty(5))
print(nn.init._calculate_correct_fan(torch.empty(4, 6, 3), 'FAN_OUT'))

# The deterministic ones: exact values.
w = torch.empty(2, 3)
print(init.constant_(w, 0.5).tolist(), init.ones_(w).tolist(), init.zeros_(w).tolist())
print(init.eye_(torch.empty(2, 3)).tolist(), init.eye_(torch.empty(3, 2)).tolist())
err(init.eye_, torch.empty(3))
d = init.dirac_(torch.empty(4, 2, 3), 2)
print(d.tolist())
print(int(init.dirac_(torch.empty(6, 4, 3, 3)).sum()), init.dirac_(torch.empty(2, 2, 1, 1, 1)).flatten().tolist())
err(init.dirac_, torch.empty(3, 3))
err(init.dirac_, torch.empty(3, 3, 3), 2)
print(init.constant_(torch.empty(0, 3), 2.0).shape, init.constant_(torch.empty(()), 2.0).item())

# uniform_, normal_, trunc_normal_: bounds and moments of 40000 draws (tolerances ~6 standard errors).
u = init.uniform_(torch.empty(200, 200, dtype=torch.float64), -2.0, 3.0)
m, v = moments(u)
print(float(u.min()) >= -2, float(u.max()) < 3)
near('uniform mean', m, 0.5, 0.05)
near('uniform var', v, 25 / 12, 0.06)
n = init.normal_(torch.empty(200, 200, dtype=torch.float64), 1.5, 0.5)
m, v = moments(n)
near('normal mean', m, 1.5, 0.02)
near('normal var', v, 0.25, 0.01)
t = init.trunc_normal_(torch.empty(200, 200, dtype=torch.float64), std=0.02)
m, v = moments(t)
near('trunc_normal std=0.02 var (untruncated: the bounds are absolute)', v, 0.0004, 0.00002)
t = init.trunc_normal_(torch.empty(200, 200, dtype=torch.float64), mean=0.0, std=1.0, a=-1.0, b=0.5)
print(float(t.min()) >= -1, float(t.max()) <= 0.5)
m, v = moments(t)
near('trunc_normal [-1, 0.5] mean', m, -0.2066, 0.01)
print(init.trunc_normal_(torch.empty(0)).shape, init.uniform_(torch.empty(3)).shape, init.normal_(torch.empty(3)).shape)

# xavier_ and kaiming_: bounds and variances from the fans.
x = init.xavier_uniform_(torch.empty(300, 100, dtype=torch.float64), gain=2.0)
bound = 2.0 * math.sqrt(6.0 / 400)
m, v = moments(x)
print(float(x.abs().max()) <= bound)
near('xavier_uniform var', v, bound * bound / 3, 0.03 * bound * bound / 3)
x = init.xavier_normal_(torch.empty(64, 32, 3, 3, dtype=torch.float64), gain=init.calculate_gain('tanh'))
m, v = moments(x)
want = (5 / 3 * math.sqrt(2.0 / (32 * 9 + 64 * 9))) ** 2
near('xavier_normal var', v, want, 0.04 * want)
err(init.xavier_uniform_, torch.empty(3))
err(init.xavier_normal_, torch.empty(0, 0))
print(init.xavier_uniform_(torch.empty(0, 5)).shape)
k = init.kaiming_uniform_(torch.empty(400, 100, dtype=torch.float64), a=math.sqrt(5))
m, v = moments(k)
print(float(k.abs().max()) <= 1 / 10)
near('kaiming_uniform a=sqrt5 var', v, 1 / 300, 0.03 / 300)
k = init.kaiming_normal_(torch.empty(100, 50, 3, dtype=torch.float64), mode='fan_out', nonlinearity='relu')
m, v = moments(k)
near('kaiming_normal fan_out relu var', v, 2 / 300, 0.04 * 2 / 300)
k = init.kaiming_normal_(torch.empty(200, 200, dtype=torch.float64), a=0.2)
m, v = moments(k)
near('kaiming_normal leaky 0.2 var', v, 2 / 1.04 / 200, 0.04 * 2 / 1.04 / 200)
err(init.kaiming_uniform_, torch.empty(3, 3), mode='fan_avg')
err(init.kaiming_uniform_, torch.empty(3, 3), nonlinearity='swish')
err(init.kaiming_normal_, torch.empty(5))
print(init.kaiming_uniform_(torch.empty(0, 4), mode='nonsense').shape, init.kaiming_normal_(torch.empty(0)).shape)

# orthogonal_: QᵀQ = gain²·I on the short side, trailing dims flattened.
q = init.orthogonal_(torch.empty(40, 12, dtype=torch.float64), gain=2)
print(float((q.t() @ q - 4 * torch.eye(12, dtype=torch.float64)).abs().max()) < 1e-10)
q = init.orthogonal_(torch.empty(6, 5, 3, dtype=torch.float64)).reshape(6, 15)
print(float((q @ q.t() - torch.eye(6, dtype=torch.float64)).abs().max()) < 1e-10)
q = init.orthogonal_(torch.empty(48, 12, dtype=torch.float64)[12:24])
print(float((q @ q.t() - torch.eye(12, dtype=torch.float64)).abs().max()) < 1e-10)
err(init.orthogonal_, torch.empty(5))
print(init.orthogonal_(torch.empty(0, 3)).shape)

# sparse_: ceil(sparsity * rows) zeros in every column.
s = init.sparse_(torch.empty(10, 300, dtype=torch.float64), 0.25, std=0.5)
print(sorted(set(int((s[:, c] == 0).sum()) for c in range(300))))
nz = s[s != 0]
m, v = moments(nz)
near('sparse var', v, 0.25, 0.03)
err(init.sparse_, torch.empty(4, 4, 4), 0.1)

# The deprecated names PyTorch 1.13 keeps (they warn, then do the same); ones and zeros have none.
print(init.constant(torch.empty(2), 3.0).tolist(), init.eye(torch.empty(2, 2)).tolist())
for name in ['uniform', 'normal', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal', 'orthogonal', 'sparse', 'dirac']:
    print(name, hasattr(init, name))
print(hasattr(init, 'ones'), hasattr(init, 'zeros'), hasattr(init, 'trunc_normal'))
print(init.xavier_uniform(torch.empty(3, 4)).shape, init.orthogonal(torch.empty(3, 4)).shape)

# On a parameter, in place and without autograd; the call returns its tensor.
lin = nn.Linear(4, 3)
r = init.zeros_(lin.bias)
print(r is lin.bias, lin.bias.requires_grad, lin.bias.grad_fn is None, lin.bias.tolist())
init.eye_(lin.weight.data[:, :3])
print(lin.weight[:, :3].tolist())
