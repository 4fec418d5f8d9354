# NumPy arrays as scripts build their data before handing it to torch, run by NumPy 1.24 and
# PyTorch 1.13 and by Gradient Lens's interpreter: the printed lines must match. Values print
# through tolist() rounded (NumPy's float32 kernels may differ from a correctly rounded result in
# the last bit), dtypes and shapes as they are.
import numpy as np
import torch


def show(name, a):
    if isinstance(a, np.ndarray):
        flat = a.reshape(-1).tolist()
        print(name, a.dtype, a.shape, a.ndim, a.size, [round(v, 5) if isinstance(v, float) else v for v in flat])
    else:
        print(name, 'scalar', round(float(a), 5))


def err(f, *args, **kwargs):
    try:
        f(*args, **kwargs)
        print('no error')
    except Exception as e:
        print(type(e).__name__, e)


# creation: nested lists and dtype=, zeros/ones/empty/full, arange/linspace
x = np.array([[3.3], [4.4], [5.5]], dtype=np.float32)
show('array f32', x)
show('array default', np.array([[1, 2], [3, 4.5]]))
show('array ints', np.array([1, 2, 3]))
show('array bools', np.array([True, False]))
show('array of arrays', np.array([np.ones(2), np.zeros(2)]))
show('zeros', np.zeros((2, 3)))
show('ones int', np.ones(3, dtype=int))
show('full', np.full((2, 2), 7))
show('full float', np.full((2,), 0.5, dtype=np.float32))
show('zeros_like', np.zeros_like(x))
show('arange', np.arange(6))
show('arange float', np.arange(0, 1, 0.25))
show('arange stop float', np.arange(2.5))
show('linspace', np.linspace(0, np.pi * 2, 5))
show('linspace f32', np.linspace(-7, 10, 7, dtype=np.float32))
show('linspace no endpoint', np.linspace(0, 1, 4, endpoint=False))
show('asarray', np.asarray([1.5, 2]))
print('asarray same', np.asarray(x) is x, np.asarray(x, dtype=np.float64) is x)

# dtype and astype
print(x.dtype == np.float32, x.dtype == 'float32', x.dtype == np.float64, str(x.dtype), x.dtype.name, x.itemsize)
show('astype f64', x.astype(np.float64))
show('astype int', np.array([1.7, -2.5]).astype(int))
show('astype float32 of bools', (np.arange(4) > 1).astype(np.float32))
show('scalar f32', np.float32(2.5))
show('scalar f32 * float', np.float32(2.5) * 3.0)

# shapes, views, slicing, np.newaxis
a = np.arange(12).reshape((3, 4))
show('reshape', a)
show('reshape -1', a.reshape(2, -1))
show('T', a.T)
show('newaxis', np.linspace(0, 1, 3)[np.newaxis, :, np.newaxis])
show('column', np.linspace(0, 1, 3)[:, np.newaxis])
show('slice', a[1:, ::2])
show('row', a[0])
show('element', a[1, 2])
show('last col', a[:, -1])
show('flatten', a.flatten())
show('ravel', a.T.ravel())
show('squeeze', np.zeros((1, 3, 1)).squeeze())
b = a.copy()
b[0, :] = np.array([9, 9, 9, 9])
b[1] = 5
show('setitem', b)
show('original untouched', a[0])
v = a[0]
v[0] = 100
show('view writes through', a[0])
print('len', len(a), [int(r.sum()) for r in a])

# elementwise math and NumPy's dtype rules
i = np.array([1, 2, 3])
f = np.array([1.0, 2.0, 4.0], dtype=np.float32)
show('int + int', i + i)
show('int / int', i / i)
show('int * float', i * 1.5)
show('f32 + float', f + 0.5)
show('f32 * int array', f * i)
show('f32 + f64', f + np.ones(3))
show('int ** 2', i ** 2)
show('f32 ** 2', f ** 2)
show('reflected', 1 - f)
show('floordiv', np.array([7, -7]) // 2)
show('mod', np.array([7.5, -7.5]) % 2)
show('neg', -f)
show('compare', i > 1)
show('bools and', (i > 1) & (i < 3))
show('where as float', ((i - 1) > 0.5).astype(np.float32))
show('sin int', np.sin(i))
show('cos f32', np.cos(f))
show('exp', np.exp(np.array([0.0, 1.0])))
show('log', np.log(f))
show('sqrt', np.sqrt(i))
show('abs int', np.abs(np.array([-1, 2])))
show('abs list', np.abs([-1.5, 2]))
show('tanh', np.tanh(np.array([0.5, -0.5])))
show('square', np.square(np.array([[1.5], [2.0]])))
show('power', np.power(np.linspace(-1, 1, 3), 2))
show('maximum', np.maximum(i, 2))
show('sin of float', np.sin(0.5))
print('pi e', round(np.pi, 6), round(np.e, 6))
y = np.ones(3)
y += 1
y *= i
show('inplace', y)
err(lambda: np.array([1, 2]) + np.array([1, 2, 3]))
err(lambda: bool(np.array([1, 2])))

# reductions
m = np.array([[1.0, 5.0], [3.0, 2.0]])
show('sum', m.sum())
show('sum axis 0', m.sum(axis=0))
show('sum keepdims', m.sum(axis=1, keepdims=True))
show('mean', m.mean())
show('mean axis', m.mean(1))
show('max', m.max())
show('min axis', m.min(axis=0))
show('np.sum', np.sum(m, axis=1))
show('np.mean list', np.mean([-1, -2, 1, 2]))
show('np.max', np.max(m))
show('int sum', i.sum())
show('int mean', i.mean())
show('f32 mean', f.mean())
show('std', m.std())
show('argmax', m.argmax())
show('prod shape', np.prod((2, 3, 4)))

# stacking
p = np.vstack([np.linspace(-1, 1, 3) for _ in range(2)])
show('vstack', p)
show('hstack', np.hstack((np.array([1.5, 2.5]), [3, 4], np.zeros(1))))
show('hstack 2d', np.hstack((np.ones((2, 1)), np.zeros((2, 2)))))
show('concatenate', np.concatenate([np.ones((1, 2)), np.zeros((2, 2))]))
show('concatenate axis', np.concatenate([np.ones((2, 1)), np.zeros((2, 1))], axis=1))
show('stack', np.stack([i, i * 2], axis=1))
show('expand_dims', np.expand_dims(i, 0))

# to torch and back: from_numpy shares memory and keeps the dtype; torch.tensor copies; torch.Tensor is float
t = torch.from_numpy(x)
print('from_numpy', t.dtype, tuple(t.shape))
t[0, 0] = 1.0
show('shared', x)
print('from_numpy f64', torch.from_numpy(np.linspace(0, 1, 3)).dtype, torch.from_numpy(i).dtype, torch.from_numpy(i > 1).dtype)
print('tensor', torch.tensor(np.linspace(0, 1, 3)).dtype, torch.tensor(x, dtype=torch.float64).dtype, torch.as_tensor(i).dtype)
print('Tensor', torch.Tensor(np.linspace(0, 1, 3)).dtype, torch.FloatTensor(i).dtype, torch.LongTensor(np.array([1.0, 2.0])).dtype)
c = torch.tensor(x)
c[0, 0] = 50.0
print('tensor copies', float(x[0, 0]))
w = torch.ones(2, 3, requires_grad=True)
show('detach numpy', (w * 2).detach().numpy())
show('data numpy', w.data.numpy())
show('cpu numpy', torch.zeros(2).cpu().numpy())
err(lambda: (w * 2).numpy())
err(torch.from_numpy, [1.0, 2.0])
z = torch.arange(3).numpy()
show('long numpy', z)
show('0-d numpy', -torch.tensor(2.5).numpy())
print('%.2f' % torch.tensor([0.25, 0.5]).numpy().mean())
print(isinstance(x, np.ndarray), isinstance(t, np.ndarray), type(x).__name__)

# float64 NumPy data into a float32 layer: PyTorch refuses it (the script must cast, .float())
double = torch.from_numpy(np.ones((3, 2, 1)))
for layer, data in [(torch.nn.Linear(1, 2), double), (torch.nn.Conv1d(2, 1, 1), double), (torch.nn.LSTM(1, 2), double), (torch.nn.Sequential(torch.nn.Linear(1, 1)), double)]:
    err(layer, data)
print('cast', tuple(torch.nn.Linear(1, 2)(double.float()).shape))

# more of NumPy's creation and selection; draws print as shapes and dtypes (other generators)
show('eye', np.eye(3))
show('eye k', np.eye(2, 3, k=1, dtype=int))
show('where', np.where(i > 1, i, 0.5))
show('round', np.round(np.array([0.5, 1.5, -2.7])))
for name, d in [('rand', np.random.rand(2, 3)), ('randn', np.random.randn(4)), ('choice', np.random.choice(10, 5)), ('choice rows', np.random.choice(np.arange(6), (2, 2), replace=False))]:
    print(name, d.dtype, d.shape)
print('rand scalar', isinstance(np.random.rand(), float))
perm = np.random.permutation(6)
print('permutation', perm.dtype, sorted(perm.tolist()) == list(range(6)))
print('permuted rows', np.random.permutation(a).shape, sorted(np.random.permutation(a)[:, 0].tolist()))
items = [1, 2, 3, 4]
np.random.shuffle(items)
print('shuffle', sorted(items))
rows = np.arange(8).reshape(4, 2)
np.random.shuffle(rows)
print('shuffle rows', sorted(rows[:, 0].tolist()), (rows[:, 1] - rows[:, 0]).tolist())
idx = np.random.permutation(4)
print('fancy', rows[idx].shape, x[np.array([0, 2])].shape, x[x[:, 0] > 4].shape)
print('tensor of arrays', torch.tensor([np.array([1., 2.]), np.array([3., 4.])]).dtype, torch.tensor([np.float32(1.5), 2.0]).dtype, torch.tensor([np.array([1, 2])]).dtype, torch.FloatTensor([np.ones(2)]).dtype)
print(torch.tensor([np.array([1., 2.]), np.array([3., 4.])]).tolist())
grown = np.arange(6.0)
grown.resize((2, 3))
print('resize', grown.shape, grown.tolist())
grown.resize(9)
print('resize padded', grown.shape, grown.tolist())
grown.resize(2, 2)
print('resize cut', grown.shape, grown.tolist(), torch.Tensor(grown).unsqueeze(0).shape)
