# Classes: inheritance, both super() forms, MRO, properties, class/static methods, dunders.
class Base:
    count = 0
    def __init__(self, x, scale=2):
        self.x = x
        self.scale = scale
        Base.count += 1
    def value(self):
        return self.x * self.scale
    @property
    def double(self):
        return self.x * 2
    @staticmethod
    def helper(a, b=1):
        return a + b
    @classmethod
    def make(cls, x):
        return cls(x)
    def __repr__(self):
        return f'{type(self).__name__}(x={self.x})'

class Child(Base):
    def __init__(self, x, extra=10, **kw):
        super().__init__(x, **kw)
        self.extra = extra
    def value(self):
        return super().value() + self.extra

class Old(Base):
    def __init__(self, x):
        super(Old, self).__init__(x, scale=3)
    def value(self):
        return super(Old, self).value() - 1

c = Child(3, scale=4)
o = Old(5)
print(c.value(), o.value(), c.double, Base.helper(2), c.helper(5, b=5), Child.make(7), Base.count, repr(c), o)
print(isinstance(c, Base), issubclass(Child, Base), type(c) is Child, c.__class__.__name__, Child.__mro__[1].__name__)

class A:
    def who(self): return ['A']
class B(A):
    def who(self): return ['B'] + super().who()
class C(A):
    def who(self): return ['C'] + super().who()
class D(B, C):
    def who(self): return ['D'] + super().who()
print(D().who(), [k.__name__ for k in D.__mro__])

class Vec:
    def __init__(self, *xs): self.xs = list(xs)
    def __add__(self, o): return Vec(*[a + b for a, b in zip(self.xs, o.xs)])
    def __mul__(self, k): return Vec(*[a * k for a in self.xs])
    __rmul__ = __mul__
    def __len__(self): return len(self.xs)
    def __getitem__(self, i): return self.xs[i]
    def __iter__(self): return iter(self.xs)
    def __eq__(self, o): return isinstance(o, Vec) and self.xs == o.xs
    def __contains__(self, v): return v in self.xs
    def __call__(self, i): return self.xs[i] * 100
    def __bool__(self): return any(self.xs)
    def __neg__(self): return Vec(*[-a for a in self.xs])
    def __repr__(self): return f'Vec{tuple(self.xs)}'
v = Vec(1, 2) + Vec(10, 20)
print(v, 2 * v, v * 3, len(v), v[1], list(v), v == Vec(11, 22), 22 in v, v(0), bool(Vec(0, 0)), -v, v[-1])

class Counter:
    def __init__(self): self._n = 0
    @property
    def n(self): return self._n
    @n.setter
    def n(self, value): self._n = max(0, value)
k = Counter(); k.n = 5; print(k.n); k.n = -3; print(k.n)
try:
    k.missing
except AttributeError as e:
    print('AttributeError:', e)

class WithGetattr:
    def __getattr__(self, name): return f'<{name}>'
print(WithGetattr().anything, getattr(WithGetattr(), 'x'))

class Empty: pass
e = Empty(); e.a = 1; setattr(e, 'b', 2); print(e.a + e.b, hasattr(e, 'c'), vars is not None)
try:
    Empty(1)
except TypeError as err:
    print('TypeError:', err)
