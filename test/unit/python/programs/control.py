# Control flow: loops with else/break/continue, while, try/except/else/finally, raise, assert, with, del, unpacking.
for i in range(3):
    if i == 1: continue
    print('for', i)
else:
    print('for-else')
for i in range(5):
    if i == 2: break
else:
    print('never')
n = 0
while n < 10:
    n += 3
    if n > 100: break
else:
    print('while-else', n)

def tryit(x):
    out = []
    try:
        out.append('try')
        if x == 1: raise ValueError('bad value')
        if x == 2: raise KeyError('k')
        if x == 3: return out + ['returned']
    except ValueError as e:
        out.append(f'value:{e}')
    except (KeyError, IndexError) as e:
        out.append(f'lookup:{e!r}')
    else:
        out.append('else')
    finally:
        out.append('finally')
    return out
for x in range(4): print(tryit(x))

class MyError(Exception):
    def __init__(self, msg, code):
        super().__init__(msg)
        self.code = code
try:
    raise MyError('custom', 42)
except Exception as e:
    print(type(e).__name__, e, e.code, e.args, isinstance(e, MyError))
try:
    try:
        [][1]
    except IndexError:
        raise
except IndexError as e:
    print('reraised', e)
try:
    assert 1 + 1 == 3, 'math is broken'
except AssertionError as e:
    print('assert:', e)
try:
    1 / 0
except ZeroDivisionError as e:
    print('zero:', e)

class Ctx:
    def __init__(self, name): self.name = name
    def __enter__(self):
        print('enter', self.name); return self.name.upper()
    def __exit__(self, *exc):
        print('exit', self.name); return False
with Ctx('a') as a, Ctx('b') as b:
    print('body', a, b)

a, (b, c), *d = 1, (2, 3), 4, 5
first, *middle, last = range(6)
x = y = [0]
y.append(1)
print(a, b, c, d, first, middle, last, x)
data = {'k': 1, 'j': 2}
del data['k']
lst = [0, 1, 2, 3, 4]; del lst[1:3]; lst[0:1] = [9, 9]
print(data, lst)
try:
    p, q = [1, 2, 3]
except ValueError as e:
    print('ValueError:', e)
it = iter([1, 2])
print(next(it), next(it), next(it, 'done'))
i = 0
while True:
    i += 1
    if i >= 5: break
print('i', i, [(n := k * 2) for k in range(3)], n)
