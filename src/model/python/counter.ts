/**
 * collections.Counter as CPython 3.11 writes it (Lib/collections/__init__.py): a dict of counts
 * whose missing keys count 0, filled from an iterable (each element counted) or a mapping (its
 * counts added), with most_common, update/subtract, elements, total and the multiset operators
 * (+ - | & and unary + -, which keep positive counts only). Udacity's sentiment notebook builds its
 * vocabulary with it: `sorted(counts, key=counts.get, reverse=True)`.
 */
import type { Range } from './ast';
import { requireInt, sortValues } from './builtins';
import type { Interpreter } from './interpreter';
import { native } from './native';
import * as P from './protocol';
import { Kwargs, NOT_IMPLEMENTED, PyClass, PyDict, PyIter, PyList, PyOpaque, PyTuple, T, Value } from './values';

/** Adds (or with sign -1 subtracts) `src`'s counts into `into`: Counter.update and Counter.subtract. */
function count(interp: Interpreter, into: PyDict, src: Value | undefined, kw: Kwargs | undefined, sign: 1 | -1, r: Range): void {
  const add = (k: Value, n: Value) => {
    const old = into.get(P.hashable(interp, k, r)) ?? 0n;
    into.set(k, P.binop(interp, sign === 1 ? '+' : '-', old, n, r));
  };
  if (src !== undefined && src !== null) {
    if (src instanceof PyDict) {
      // update() from a mapping into an empty Counter copies it as dict.update does (counts kept as written, even 0 or negative).
      if (sign === 1 && into.size === 0) for (const [k, n] of src.entries()) into.set(k, n);
      else for (const [k, n] of src.entries()) add(k, n);
    } else for (const k of interp.toArray(src, r)) add(k, 1n);
  }
  if (kw) for (const [k, n] of kw) add(k, n);
}

/** The (element, count) pairs from the most common down; equal counts in the order first met, as sorted() keeps them. */
function mostCommon(interp: Interpreter, c: PyDict, r: Range): PyTuple[] {
  const pairs = c.entries().map(([k, n]) => new PyTuple([k, n]));
  const second = native('itemgetter(pair)', (a) => (a.pair as PyTuple).items[1]);
  return sortValues(interp, pairs, second, true, r) as PyTuple[];
}

export function counterClass(interp: Interpreter): PyClass {
  const fresh = () => new PyDict(Counter);
  const isCounter = (v: Value): v is PyDict => v instanceof PyDict && v.type.mro.includes(Counter);
  /** A new Counter of the counts `keep` accepts, self's keys first, then other's not in self. */
  const combine = (a: PyDict, b: PyDict, each: (x: Value, y: Value) => Value | null): PyDict => {
    const out = fresh();
    for (const [k, x] of a.entries()) {
      const v = each(x, b.get(k) ?? 0n);
      if (v !== null) out.set(k, v);
    }
    for (const [k, y] of b.entries()) {
      if (a.has(k)) continue;
      const v = each(0n, y);
      if (v !== null) out.set(k, v);
    }
    return out;
  };
  const positive = (v: Value, r: Range) => (interp.truthy(P.compare(interp, '>', v, 0n, r), r) ? v : null);
  const larger = (x: Value, y: Value, r: Range) => (interp.truthy(P.compare(interp, '<', x, y, r), r) ? y : x);
  const smaller = (x: Value, y: Value, r: Range) => (interp.truthy(P.compare(interp, '<', x, y, r), r) ? x : y);

  const Counter: PyClass = new PyClass('Counter', [T.dict], {
    construct: (cls, args, kwargs, r) => {
      if (args.length > 1) return interp.raise('TypeError', `Counter.__init__() takes from 1 to 2 positional arguments but ${args.length + 1} were given`, r);
      if (args[0] instanceof PyOpaque) return args[0];
      const c = new PyDict(cls);
      count(interp, c, args[0], kwargs ?? undefined, 1, r);
      return c;
    },
    repr: (v, r) => {
      const c = v as PyDict;
      const name = c.type.name;
      if (c.size === 0) return `${name}()`;
      const d = new PyDict();
      for (const p of mostCommon(interp, c, r)) d.set(p.items[0], p.items[1]);
      return `${name}(${P.repr(interp, d, r)})`;
    },
    binop: (op, self, other, reflected, r) => {
      if (!isCounter(self) || !isCounter(other)) return NOT_IMPLEMENTED;
      const [a, b] = reflected ? [other, self] : [self, other];
      switch (op) {
        case '+':
          return combine(a, b, (x, y) => positive(P.binop(interp, '+', x, y, r), r));
        case '-':
          return combine(a, b, (x, y) => positive(P.binop(interp, '-', x, y, r), r));
        case '|':
          return combine(a, b, (x, y) => positive(larger(x, y, r), r));
        case '&':
          // other's elements not in self meet min(0, count): never positive, so & keeps self's keys only.
          return combine(a, b, (x, y) => positive(smaller(x, y, r), r));
      }
      return NOT_IMPLEMENTED;
    },
    // Since 3.10 Counters compare as multisets, a missing element counting 0 (Counter(a=1) == Counter(a=1, b=0));
    // against a plain dict, dict's own comparison answers.
    compare: (op, self, other, reflected, r) => {
      if (!isCounter(self) || !isCounter(other)) return NOT_IMPLEMENTED;
      const [a, b] = reflected ? [other, self] : [self, other];
      const every = (rel: string) => [a, b].every((c) => c.keys().every((k) => interp.truthy(P.compare(interp, rel, a.get(k) ?? 0n, b.get(k) ?? 0n, r), r)));
      const equal = () => every('==');
      switch (op) {
        case '==':
          return equal();
        case '!=':
          return !equal();
        case '<=':
          return every('<=');
        case '>=':
          return every('>=');
        case '<':
          return every('<=') && !equal();
        case '>':
          return every('>=') && !equal();
      }
      return NOT_IMPLEMENTED;
    },
    unary: (op, self, r) => {
      if (op === '~') return interp.raise('TypeError', "bad operand type for unary ~: 'Counter'", r);
      const out = fresh();
      for (const [k, n] of (self as PyDict).entries()) {
        const v = op === '-' ? P.binop(interp, '-', 0n, n, r) : n;
        if (positive(v, r) !== null) out.set(k, v);
      }
      return out;
    },
  }, 'collections');

  const method = (sig: string, fn: (c: PyDict, a: Record<string, Value | undefined> & { __varargs?: Value[]; __varkw?: Kwargs }, r: Range) => Value) =>
    Counter.dict.set(sig.slice(0, sig.indexOf('(')), native(sig, (a, r) => fn(a.self as PyDict, a, r), { method: true }));
  method('__missing__(self, key)', () => 0n);
  method('most_common(self, n=None)', (c, a, r) => {
    const pairs = mostCommon(interp, c, r);
    if (a.n === null || a.n === undefined) return new PyList(pairs);
    const n = Number(requireInt(interp, a.n, r));
    return new PyList(pairs.slice(0, Math.max(0, n)));
  });
  method('update(self, iterable=None, /, **kwds)', (c, a, r) => (count(interp, c, a.iterable, a.__varkw, 1, r), null));
  method('subtract(self, iterable=None, /, **kwds)', (c, a, r) => (count(interp, c, a.iterable, a.__varkw, -1, r), null));
  method('total(self)', (c, _a, r) => c.entries().reduce<Value>((s, [, n]) => P.binop(interp, '+', s, n, r), 0n));
  method('elements(self)', (c, _a, r) => {
    const out: Value[] = [];
    for (const [k, n] of c.entries()) for (let i = 0n; i < requireInt(interp, n, r); i++) out.push(k);
    return PyIter.over(out);
  });
  method('copy(self)', (c) => {
    const d = new PyDict(c.type);
    for (const [k, n] of c.entries()) d.set(k, n);
    return d;
  });
  // Deleting a missing element is no error: its count is already 0.
  method('__delitem__(self, elem)', (c, a, r) => (c.delete(P.hashable(interp, a.elem!, r)), null));
  Counter.dict.set(
    'fromkeys',
    native('fromkeys(iterable, v=None)', (_a, r) =>
      interp.raise('NotImplementedError', 'Counter.fromkeys() is undefined.  Use Counter(iterable) instead.', r),
    ),
  );
  return Counter;
}
