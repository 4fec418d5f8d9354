# The standard library as model code uses it.
import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple
from collections import OrderedDict
from functools import partial, reduce
import itertools
import copy
import argparse

print(math.sqrt(16), math.log(math.e), math.exp(0), math.floor(-2.5), math.ceil(2.1), math.pi, math.prod([2, 3, 4]), math.isclose(0.1 + 0.2, 0.3))
print(math.log(8, 2), math.log2(1024), math.erf(0.5), math.tanh(1), math.inf > 10 ** 100, math.gcd(12, 18), math.cos(0), math.pow(2, 10))

@dataclass
class Config:
    n_layer: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    name: str = 'gpt'
    sizes: List[int] = field(default_factory=lambda: [1, 2])
    head: Optional[int] = None

c = Config(n_layer=2, n_embd=32)
print(c, c.n_layer * c.n_embd, Config() == Config(), Config().sizes is not Config().sizes)

@dataclass
class Point:
    x: float
    y: float = 0.0
    def norm(self): return math.hypot(self.x, self.y)
print(Point(3, 4).norm(), Point(1))
try:
    Point()
except TypeError as e:
    print('TypeError:', e)

@dataclass
class Derived(Point):
    z: float = 1.0
    def __post_init__(self):
        self.total = self.x + self.y + self.z
print(Derived(1, 2).total, Derived(1, 2, 3))

od = OrderedDict([('conv', 1), ('relu', 2)])
od['fc'] = 3
print(list(od.keys()), isinstance(od, dict))
add3 = partial(lambda a, b, c: a + b + c, 1, c=3)
print(add3(2), reduce(lambda a, b: a * b, [1, 2, 3, 4]), list(itertools.chain([1], [2, 3])), list(itertools.product('ab', [0, 1])))
orig = {'a': [1, 2]}
shallow = copy.copy(orig); deep = copy.deepcopy(orig)
orig['a'].append(3)
print(shallow, deep)
parser = argparse.ArgumentParser(description='demo')
parser.add_argument('--batch-size', type=int, default=64, help='input batch size')
parser.add_argument('--lr', type=float, default=1.0)
parser.add_argument('--no-cuda', action='store_true', default=False)
parser.add_argument('--gamma', default='0.7', type=float)
args = parser.parse_args()
print(args.batch_size, args.lr, args.no_cuda, args.gamma)
args2 = parser.parse_args(['--lr', '0.5', '--no-cuda'])
print(args2.lr, args2.no_cuda, args2.batch_size)
