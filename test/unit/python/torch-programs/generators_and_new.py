# Generators as the Udacity notebooks write them (get_batches), the legacy Tensor.new, and the
# IndexError NumPy and PyTorch raise past an axis's end: what torch 1.13 prints. (A generator's body runs
# whole at its first next() here, so what it prints itself would come early: it prints nothing mid-way.)
import numpy as np
import torch
from torch import nn


def get_batches(arr, batch_size, seq_length):
    arr = arr.reshape((batch_size, -1))
    for n in range(0, arr.shape[1], seq_length):
        x = arr[:, n:n + seq_length]
        y = np.zeros_like(x)
        try:
            y[:, :-1], y[:, -1] = x[:, 1:], arr[:, n + seq_length]
        except IndexError:
            y[:, :-1], y[:, -1] = x[:, 1:], arr[:, 0]
        yield x, y


batches = get_batches(np.arange(12), 2, 3)
print(type(batches).__name__)
x, y = next(batches)
print(x.tolist(), y.tolist())
for x, y in batches:
    print(x.tolist(), y.tolist())
print(next(batches, "done"))


def countdown(n):
    print("start", n)
    while n > 0:
        got = yield n
        print("got", got)
        n -= 1
    return "unused"


print(list(countdown(3)))
print(sum(countdown(4)))


def chained():
    yield from range(2)
    yield from ["a", "b"]
    yield


print(list(chained()))


def fails_late():
    yield 1
    yield 2
    raise ValueError("third")


seen = []
try:
    for v in fails_late():
        seen.append(v)
except ValueError as e:
    print("after", seen, "raised", e)

try:
    get_batches(np.arange(4))
except TypeError as e:
    print(e)

w = torch.zeros(2)
print(w.new(2, 3).shape, w.new(2, 3).dtype, w.new(2, 3).zero_().sum().item())
print(w.new([3, 4]), w.new((3, 4)), w.new(torch.Size([3, 4])).shape, w.new().shape)
l = torch.zeros(2, dtype=torch.long)
print(l.new(2).dtype, l.new([1.5]))
print(torch.zeros(2, requires_grad=True).new(3).requires_grad)
h = w.new(2, 4, 8).zero_()
print(h.shape, h.dtype)

a = np.zeros((2, 5))
for key in [(slice(None), 5), 7, (1, -6)]:
    try:
        a[key]
    except IndexError as e:
        print("numpy:", e)
try:
    a[3] = 1.0
except IndexError as e:
    print("numpy set:", e)
t = torch.zeros(2, 5)
try:
    t[:, 5]
except IndexError as e:
    print("torch:", e)
try:
    t[2] = 1.0
except IndexError as e:
    print("torch set:", e)

for cls in (nn.LSTM, nn.GRU, nn.RNN):
    for batch_first in (True, False):
        try:
            cls(3, 4, batch_first=batch_first)(torch.zeros(2, 5, 3, dtype=torch.float64))
        except RuntimeError as e:
            print(cls.__name__, batch_first, e)

# the string module's constants (the sentiment notebook strips punctuation)
import string
from string import punctuation
print(repr(punctuation), repr(string.whitespace), string.printable == string.digits + string.ascii_letters + punctuation + string.whitespace)
print(''.join([c for c in "it's great, isn't it?" if c not in punctuation]), string.hexdigits, string.octdigits)
