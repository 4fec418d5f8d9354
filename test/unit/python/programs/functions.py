# Functions: defaults, keywords, *args/**kwargs, keyword-only, closures, nonlocal/global, lambdas, decorators, recursion.
def f(a, b=2, *args, c, d=4, **kw):
    return (a, b, args, c, d, sorted(kw.items()))
print(f(1, c=3), f(1, 5, 6, 7, c=8, e=9, d=0), f(*[1, 2, 3], **{'c': 4, 'z': 5}))
def pos_only(a, b, /, c=3): return a + b + c
print(pos_only(1, 2), pos_only(1, 2, c=10))
for call in (lambda: f(), lambda: f(1, 2), lambda: f(1, c=2, a=3), lambda: pos_only(1, 2, 3, 4), lambda: f(1, c=1, **{'c': 2})):
    try:
        call()
    except TypeError as e:
        print('TypeError:', e)

def counter():
    n = 0
    def inc(step=1):
        nonlocal n
        n += step
        return n
    return inc
inc = counter(); inc(); inc(5); print(inc())

total = 0
def add(x):
    global total
    total += x
add(3); add(4); print(total)

def make_multipliers():
    return [lambda x, i=i: x * i for i in range(4)]
print([m(10) for m in make_multipliers()])

def deco(fn):
    def wrapper(*a, **k):
        return ('wrapped', fn(*a, **k))
    return wrapper
def deco_with(tag):
    def d(fn):
        return lambda *a: (tag, fn(*a))
    return d
@deco
@deco_with('t')
def hello(x): return x + 1
print(hello(1))

def fact(n): return 1 if n <= 1 else n * fact(n - 1)
print(fact(20), fact(30))
def fib(n, memo={}):
    if n in memo: return memo[n]
    memo[n] = n if n < 2 else fib(n - 1) + fib(n - 2)
    return memo[n]
print(fib(80))

def unbound():
    print(x_later)
    x_later = 1
try:
    unbound()
except UnboundLocalError as e:
    print('UnboundLocalError:', e)
try:
    undefined_name
except NameError as e:
    print('NameError:', e)
def deep(n): return deep(n + 1)
try:
    deep(0)
except RecursionError as e:
    print('RecursionError')
print((lambda *a, **k: (a, k))(1, 2, x=3), (lambda x, y=2: x * y)(4), sorted([3, 1, 2], key=lambda v: -v))
def gen_like(n): return [i for i in range(n)]
print(list(map(lambda x: x * 2, gen_like(4))), list(filter(None, [0, 1, 2, 0])), list(zip('ab', range(5))), list(enumerate('xy', 1)))


# A bare return, also from inside an except block.
def early(f):
    try:
        f()
    except Exception as e:
        print('caught', type(e).__name__)
        return
    print('no error')


early(lambda: 1)
early(lambda: 1 / 0)


def nothing():
    return


print(nothing())
