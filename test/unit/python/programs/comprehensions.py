# Comprehensions and containers: nested clauses, scoping, dict/set comprehensions, generator expressions, slicing.
m = [[i * j for j in range(3)] for i in range(3)]
print(m, [x for row in m for x in row if x % 2 == 0], {x % 3 for x in range(10)}, {k: v for k, v in enumerate('abc') if k != 1})
print(sum(x * x for x in range(5)), max(len(w) for w in ['a', 'abc', 'ab']), any(x > 3 for x in [1, 5]), all(x for x in []))
x = 'outer'
_ = [x for x in range(3)]
print(x)
l = list(range(10))
print(l[2:8:2], l[::-1], l[-3:], l[:-7], l[100:], l[-100:2], l[::3], l[8:2:-2])
t = (1, 2, 3)
print(t[1:], t.index(2), t.count(1), len(t), 3 in t, tuple(reversed(t)), sorted(t, reverse=True))
d = {'b': 2, 'a': 1}
d['c'] = 3
d.update({'d': 4}, e=5)
print(list(d), list(d.values()), d.get('z', 0), d.pop('a'), d.setdefault('f', 6), sorted(d.items()), 'b' in d, len(d))
s = {3, 1, 2}
s.add(4); s.discard(1)
print(sorted(s), sorted(s | {9}), sorted(s & {2, 3}), sorted(s - {2}), {1, 2} <= {1, 2, 3})
lst = [3, 1, 2]
lst.sort(); lst.append(4); lst.insert(0, 0); lst.extend([5, 6]); lst.remove(3); popped = lst.pop(); lst.reverse()
print(lst, popped, lst.index(2), lst.count(2), [1, 2, 3][-1], list(map(str, lst)))
pairs = sorted([('b', 2), ('a', 2), ('c', 1)], key=lambda p: p[1])
print(pairs, sorted(['B', 'a', 'C'], key=str.lower), dict(zip(['x', 'y'], [1, 2])), dict([('k', 'v')]), list(zip(*[(1, 2), (3, 4)])))
nested = {'layers': [{'size': 10}, {'size': 20}]}
print([layer['size'] for layer in nested['layers']], nested['layers'][-1]['size'])
grid = [[0] * 3 for _ in range(2)]
grid[0][1] = 5
print(grid, list(range(10, 0, -3)), list(range(0)), range(5)[2], len(range(0, 10, 3)), 7 in range(0, 10, 7))
