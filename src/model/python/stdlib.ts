/**
 * The standard-library modules model code imports: math, dataclasses, typing, collections,
 * functools, itertools, copy, argparse (argparse.ts), sys, abc,
 * types, contextlib, random (random.ts); and tqdm's progress bars (progress.ts). Each run gets fresh module objects. Everything else in the standard library
 * is opaque but harmless: its functions read their arguments and never change them.
 */
import { erf } from '../../engine/ops/activation';
import type { Range } from './ast';
import { toFloat, toInt, requireInt, strFormat } from './builtins';
import { CantFollow, ScriptExit } from './errors';
import type { Interpreter, ModuleFactory } from './interpreter';
import { native, need } from './native';
import { argparseModule } from './argparse';
import { counterClass } from './counter';
import { PROGRESS_MODULES } from './progress';
import { randomModule } from './random';
import * as P from './protocol';
import {
  isInt,
  Kwargs,
  OBJECT,
  PyBoundMethod,
  PyBuiltin,
  PyClass,
  PyDict,
  PyFunction,
  PyInstance,
  PyIter,
  PyList,
  PyModule,
  PyObj,
  PyOpaque,
  PyProperty,
  PySet,
  PyTuple,
  T,
  toBigInt,
  typeName,
  typeOf,
  Value,
  NOWHERE,
} from './values';

const pure = { propagate: true };

function mod(name: string, members: Record<string, Value>): PyModule {
  const m = new PyModule(name);
  for (const [k, v] of Object.entries(members)) m.dict.set(k, v);
  return m;
}

// ── math ─────────────────────────────────────────────────────────────────────

function real(fn: (x: number) => number, name: string, domain?: (x: number) => boolean) {
  return native(`${name}(x, /)`, (a, r, interp) => {
    const x = toFloat(interp, a.x, r);
    if (domain && !domain(x)) interp.raise('ValueError', 'math domain error', r);
    const y = fn(x);
    if (!Number.isFinite(y) && Number.isFinite(x)) interp.raise('OverflowError', 'math range error', r);
    return y;
  }, pure);
}

function mathModule(): PyModule {
  const intResult = (fn: (x: number) => number, name: string) =>
    native(`${name}(x, /)`, (a, r, interp) => (isInt(a.x) ? toBigInt(a.x) : toInt(interp, fn(toFloat(interp, a.x, r)), r)), pure);
  return mod('math', {
    pi: Math.PI,
    e: Math.E,
    tau: 2 * Math.PI,
    inf: Infinity,
    nan: NaN,
    sqrt: real(Math.sqrt, 'sqrt', (x) => x >= 0 || x !== x),
    exp: real(Math.exp, 'exp'),
    expm1: real(Math.expm1, 'expm1'),
    log1p: real(Math.log1p, 'log1p', (x) => x > -1),
    log2: real(Math.log2, 'log2', (x) => x > 0),
    log10: real(Math.log10, 'log10', (x) => x > 0),
    log: native('log(x, base=None)', (a, r, interp) => {
      const x = toFloat(interp, a.x, r);
      if (!(x > 0)) interp.raise('ValueError', 'math domain error', r);
      if (a.base === null) return Math.log(x);
      const b = toFloat(interp, a.base, r);
      return Math.log(x) / Math.log(b);
    }, pure),
    sin: real(Math.sin, 'sin'),
    cos: real(Math.cos, 'cos'),
    tan: real(Math.tan, 'tan'),
    asin: real(Math.asin, 'asin', (x) => x >= -1 && x <= 1),
    acos: real(Math.acos, 'acos', (x) => x >= -1 && x <= 1),
    atan: real(Math.atan, 'atan'),
    sinh: real(Math.sinh, 'sinh'),
    cosh: real(Math.cosh, 'cosh'),
    tanh: real(Math.tanh, 'tanh'),
    erf: real(erf, 'erf'),
    erfc: real((x) => 1 - erf(x), 'erfc'),
    fabs: real(Math.abs, 'fabs'),
    degrees: real((x) => (x * 180) / Math.PI, 'degrees'),
    radians: real((x) => (x * Math.PI) / 180, 'radians'),
    floor: intResult(Math.floor, 'floor'),
    ceil: intResult(Math.ceil, 'ceil'),
    trunc: intResult(Math.trunc, 'trunc'),
    atan2: native('atan2(y, x, /)', (a, r, interp) => Math.atan2(toFloat(interp, a.y, r), toFloat(interp, a.x, r)), pure),
    hypot: native('hypot(*coordinates)', (a, r, interp) => Math.hypot(...(a.__varargs ?? []).map((v) => toFloat(interp, v, r))), pure),
    pow: native('pow(x, y, /)', (a, r, interp) => Math.pow(toFloat(interp, a.x, r), toFloat(interp, a.y, r)), pure),
    copysign: native('copysign(x, y, /)', (a, r, interp) => {
      const x = Math.abs(toFloat(interp, a.x, r));
      const y = toFloat(interp, a.y, r);
      return y < 0 || Object.is(y, -0) ? -x : x;
    }, pure),
    fmod: native('fmod(x, y, /)', (a, r, interp) => toFloat(interp, a.x, r) % toFloat(interp, a.y, r), pure),
    isnan: native('isnan(x, /)', (a, r, interp) => Number.isNaN(toFloat(interp, a.x, r)), pure),
    isinf: native('isinf(x, /)', (a, r, interp) => Math.abs(toFloat(interp, a.x, r)) === Infinity, pure),
    isfinite: native('isfinite(x, /)', (a, r, interp) => Number.isFinite(toFloat(interp, a.x, r)), pure),
    isclose: native('isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0)', (a, r, interp) => {
      const [x, y] = [toFloat(interp, a.a, r), toFloat(interp, a.b, r)];
      if (x === y) return true;
      return Math.abs(x - y) <= Math.max(toFloat(interp, a.rel_tol, r) * Math.max(Math.abs(x), Math.abs(y)), toFloat(interp, a.abs_tol, r));
    }, pure),
    prod: native('prod(iterable, /, *, start=1)', (a, r, interp) => {
      let acc = a.start;
      for (const v of interp.toArray(a.iterable, r)) acc = P.binop(interp, '*', acc, v, r);
      return acc;
    }, pure),
    fsum: native('fsum(iterable, /)', (a, r, interp) => interp.toArray(a.iterable, r).reduce<number>((s, v) => s + toFloat(interp, v, r), 0), pure),
    gcd: native('gcd(*integers)', (a, r, interp) => {
      let g = 0n;
      for (const v of a.__varargs ?? []) {
        let x = requireInt(interp, v, r);
        if (x < 0n) x = -x;
        while (x) [g, x] = [x, g % x];
      }
      return g;
    }, pure),
    lcm: native('lcm(*integers)', (a, r, interp) => {
      let l = 1n;
      for (const v of a.__varargs ?? []) {
        const x = requireInt(interp, v, r);
        if (x === 0n) return 0n;
        let [g, y] = [l, x < 0n ? -x : x];
        while (y) [g, y] = [y, g % y];
        l = (l * (x < 0n ? -x : x)) / g;
      }
      return l;
    }, pure),
    factorial: native('factorial(n, /)', (a, r, interp) => {
      const n = requireInt(interp, a.n, r);
      if (n < 0n) interp.raise('ValueError', 'factorial() not defined for negative values', r);
      if (n > 2000n) interp.raise('OverflowError', 'factorial() argument too large for Gradient Lens', r);
      let f = 1n;
      for (let i = 2n; i <= n; i++) f *= i;
      return f;
    }, pure),
    comb: native('comb(n, k, /)', (a, r, interp) => {
      const n = requireInt(interp, a.n, r);
      let k = requireInt(interp, a.k, r);
      if (k > n) return 0n;
      if (k > n - k) k = n - k;
      let c = 1n;
      for (let i = 0n; i < k; i++) c = (c * (n - i)) / (i + 1n);
      return c;
    }, pure),
  });
}

// ── dataclasses ──────────────────────────────────────────────────────────────

const MISSING = new (class extends PyObj {
  get type(): PyClass {
    return OBJECT;
  }
})();

/** What dataclasses.field(...) returns, until @dataclass reads it. */
class Field extends PyObj {
  constructor(
    readonly dflt: Value | typeof MISSING,
    readonly factory: Value | typeof MISSING,
    readonly init: boolean,
  ) {
    super();
  }
  get type(): PyClass {
    return FIELD_CLASS;
  }
}
const FIELD_CLASS = new PyClass('Field', [OBJECT], null, 'dataclasses');

function isMutableDefault(v: Value): boolean {
  return v instanceof PyList || v instanceof PyDict || v instanceof PySet;
}

function makeDataclass(interp: Interpreter, cls: PyClass, init: boolean, r: Range): PyClass {
  const fields: NonNullable<PyClass['dataclassFields']> = [];
  for (const base of [...cls.mro].reverse().slice(0, -1)) {
    for (const f of base.dataclassFields ?? []) {
      const i = fields.findIndex((x) => x.name === f.name);
      if (i >= 0) fields[i] = f;
      else fields.push(f);
    }
  }
  for (const { name, classVar } of cls.annotations) {
    if (classVar) continue;
    const v = cls.dict.get(name);
    let field: (typeof fields)[number];
    if (v instanceof Field) {
      field = { name, default: v.dflt === MISSING ? undefined : (v.dflt as Value), factory: v.factory === MISSING ? undefined : (v.factory as Value), init: v.init };
      if (v.dflt === MISSING) cls.dict.delete(name);
      else cls.dict.set(name, v.dflt as Value);
    } else {
      if (v !== undefined && isMutableDefault(v)) {
        interp.raise('ValueError', `mutable default ${P.repr(interp, typeOf(v), r)} for field ${name} is not allowed: use default_factory`, r);
      }
      field = { name, default: v, factory: undefined, init: true };
    }
    const i = fields.findIndex((x) => x.name === name);
    if (i >= 0) fields[i] = field;
    else fields.push(field);
  }
  let seenDefault = false;
  for (const f of fields) {
    if (!f.init) continue;
    const has = f.default !== undefined || f.factory !== undefined;
    if (!has && seenDefault) interp.raise('TypeError', `non-default argument '${f.name}' follows default argument`, r);
    seenDefault ||= has;
  }
  cls.dataclassFields = fields;
  if (init && !cls.dict.has('__init__')) cls.dict.set('__init__', dataclassInit(cls.name, fields));
  if (!cls.dict.has('__repr__')) {
    cls.dict.set(
      '__repr__',
      native('__repr__(self)', (a, rr, ip) => `${cls.name}(${fields.map((f) => `${f.name}=${P.repr(ip, ip.getAttr(a.self, f.name, rr), rr)}`).join(', ')})`, { method: true }),
    );
  }
  if (!cls.dict.has('__eq__')) {
    cls.dict.set(
      '__eq__',
      native('__eq__(self, other)', (a, rr, ip) => typeOf(a.other) === typeOf(a.self) && fields.every((f) => P.eq(ip, ip.getAttr(a.self, f.name, rr), ip.getAttr(a.other, f.name, rr), rr)), { method: true }),
    );
  }
  return cls;
}

/** The generated __init__: fields in order as parameters, defaults and factories, then __post_init__. */
function dataclassInit(name: string, fields: NonNullable<PyClass['dataclassFields']>): PyBuiltin {
  const params = fields.filter((f) => f.init);
  return new PyBuiltin(
    '__init__',
    (args, kwargs, { r, interp }) => {
      const [self, ...pos] = args;
      if (pos.length > params.length) interp.raise('TypeError', `${name}.__init__() takes ${params.length + 1} positional arguments but ${pos.length + 1} were given`, r);
      const values = new Map<string, Value>();
      pos.forEach((v, i) => values.set(params[i].name, v));
      for (const [k, v] of kwargs ?? []) {
        if (!params.some((p) => p.name === k)) interp.raise('TypeError', `${name}.__init__() got an unexpected keyword argument '${k}'`, r);
        if (values.has(k)) interp.raise('TypeError', `${name}.__init__() got multiple values for argument '${k}'`, r);
        values.set(k, v);
      }
      const missing = params.filter((p) => !values.has(p.name) && p.default === undefined && p.factory === undefined);
      if (missing.length) {
        interp.raise('TypeError', `${name}.__init__() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${missing.map((m) => `'${m.name}'`).join(' and ')}`, r);
      }
      for (const f of fields) {
        let v = values.get(f.name);
        if (v === undefined) {
          if (f.factory !== undefined) v = interp.call(f.factory, [], null, r);
          else if (f.default !== undefined) v = f.default;
          else continue;
        }
        interp.setAttr(self, f.name, v, r);
      }
      const post = P.userMethod(self, '__post_init__');
      if (post) interp.call(post, [self], null, r);
      return null;
    },
    true,
  );
}

function dataclassesModule(): PyModule {
  const dataclass = native('dataclass(cls=None, *, init=True, repr=True, eq=True, order=False, unsafe_hash=False, frozen=False, kw_only=False, slots=False)', (a, r, interp) => {
    const apply = (c: Value) => {
      if (c instanceof PyOpaque) return c;
      if (!(c instanceof PyClass)) return interp.raise('TypeError', 'dataclass() should be called on a class', r);
      return makeDataclass(interp, c, interp.truthy(a.init, r), r);
    };
    if (a.cls !== null) return apply(a.cls);
    return new PyBuiltin('dataclass', (args, _k, site) => apply(args[0]));
  });
  const fieldsOf = (interp: Interpreter, v: Value, r: Range) => {
    const cls = v instanceof PyClass ? v : typeOf(v);
    if (!cls.dataclassFields) return interp.raise('TypeError', 'must be called with a dataclass type or instance', r);
    return cls.dataclassFields;
  };
  return mod('dataclasses', {
    dataclass,
    field: new PyBuiltin('field', (args, kwargs, { r, interp }) => {
      if (args.length) interp.raise('TypeError', 'field() takes 0 positional arguments', r);
      const init = kwargs?.get('init');
      return new Field(kwargs?.get('default') ?? MISSING, kwargs?.get('default_factory') ?? MISSING, init === undefined ? true : interp.truthy(init, r));
    }),
    MISSING,
    asdict: native('asdict(obj)', (a, r, interp) => {
      const d = new PyDict();
      for (const f of fieldsOf(interp, a.obj, r)) d.set(f.name, interp.getAttr(a.obj, f.name, r));
      return d;
    }),
    fields: native('fields(class_or_instance)', (a, r, interp) => new PyTuple(fieldsOf(interp, a.class_or_instance, r).map((f) => f.name))),
    replace: native('replace(obj, /, **changes)', (a, r, interp) => {
      const kw: Kwargs = new Map();
      for (const f of fieldsOf(interp, a.obj, r)) if (f.init) kw.set(f.name, interp.getAttr(a.obj, f.name, r));
      for (const [k, v] of a.__varkw ?? []) kw.set(k, v);
      return interp.call(typeOf(a.obj), [], kw, r);
    }),
    is_dataclass: native('is_dataclass(obj)', (a) => !!(a.obj instanceof PyClass ? a.obj : typeOf(a.obj)).dataclassFields),
  });
}

// ── typing ───────────────────────────────────────────────────────────────────

function typingModule(name: string): PyModule {
  const special = (n: string) => new PyClass(n, [OBJECT], null, 'typing');
  const members: Record<string, Value> = { TYPE_CHECKING: false };
  for (const n of ['Any', 'List', 'Dict', 'Tuple', 'Set', 'FrozenSet', 'Optional', 'Union', 'Callable', 'Sequence', 'Mapping', 'MutableMapping', 'Iterable', 'Iterator', 'Type', 'ClassVar', 'Final', 'Literal', 'Generic', 'Protocol', 'NoReturn', 'Annotated', 'OrderedDict', 'DefaultDict', 'Deque', 'Generator', 'Hashable', 'Sized', 'Collection', 'Container', 'AbstractSet', 'MutableSequence', 'TypedDict', 'Self', 'Never', 'ParamSpec', 'Concatenate', 'TypeAlias', 'SupportsInt', 'SupportsFloat']) {
    members[n] = special(n);
  }
  members.cast = native('cast(typ, val)', (a) => a.val);
  members.overload = native('overload(func)', (a) => a.func);
  members.final = native('final(f)', (a) => a.f);
  members.no_type_check = native('no_type_check(arg)', (a) => a.arg);
  members.runtime_checkable = native('runtime_checkable(cls)', (a) => a.cls);
  members.TypeVar = native('TypeVar(name, *constraints, bound=None, covariant=False, contravariant=False)', (a) => special(String(a.name)));
  members.NewType = native('NewType(name, tp)', (a) => a.tp);
  members.get_type_hints = native('get_type_hints(obj)', (_a, r) => new PyOpaque('typing.get_type_hints', r));
  return mod(name, members);
}

// ── collections ──────────────────────────────────────────────────────────────

function collectionsModule(interp: Interpreter): PyModule {
  const OrderedDict = new PyClass('OrderedDict', [T.dict], {
    construct: (cls, args, kwargs, r, interp) => {
      const d = new PyDict(cls);
      const src = T.dict.native!.construct!(T.dict, args, kwargs, r, interp);
      if (src instanceof PyOpaque) return src;
      for (const [k, v] of (src as PyDict).entries()) d.set(k, v);
      return d;
    },
  }, 'collections');
  OrderedDict.dict.set('move_to_end', native('move_to_end(self, key, last=True)', (a, r, interp) => {
    const d = a.self as PyDict;
    const v = d.get(a.key);
    if (v === undefined) interp.raiseArgs('KeyError', [a.key], r);
    d.delete(a.key);
    d.set(a.key, v!);
    return null;
  }, { method: true }));
  return mod('collections', {
    OrderedDict,
    defaultdict: native('defaultdict(*args, **kwargs)', (_a, r) => new PyOpaque('collections.defaultdict', r)),
    namedtuple: native('namedtuple(typename, field_names, *, rename=False, defaults=None, module=None)', (_a, r) => new PyOpaque('collections.namedtuple', r)),
    Counter: counterClass(interp),
    deque: native('deque(iterable=(), maxlen=None)', (_a, r) => new PyOpaque('collections.deque', r)),
  });
}

// ── functools, itertools, copy ──────────────────────────────────────────────

function functoolsModule(): PyModule {
  const identityDecorator = (name: string) =>
    native(`${name}(*args, **kwargs)`, (a) => {
      const first = a.__varargs?.[0];
      if (first instanceof PyFunction || first instanceof PyBuiltin || first instanceof PyBoundMethod) return first;
      return new PyBuiltin(name, (args) => args[0]);
    });
  return mod('functools', {
    partial: native('partial(func, /, *args, **keywords)', (a, r, interp) => {
      const fn = need(a.func, r);
      const pre = a.__varargs ?? [];
      const preKw = a.__varkw;
      const p = new PyBuiltin('partial', (args, kwargs, site) => {
        const kw: Kwargs = new Map(preKw ?? []);
        for (const [k, v] of kwargs ?? []) kw.set(k, v);
        return site.interp.call(fn, [...pre, ...args], kw.size ? kw : null, site.r);
      });
      void interp;
      return p;
    }),
    reduce: native('reduce(function, iterable, *initial)', (a, r, interp) => {
      const items = interp.toArray(a.iterable, r);
      let acc: Value;
      if (a.__varargs?.length) acc = a.__varargs[0];
      else if (items.length) acc = items.shift()!;
      else return interp.raise('TypeError', 'reduce() of empty iterable with no initial value', r);
      for (const v of items) acc = interp.call(a.function, [acc, v], null, r);
      return acc;
    }),
    wraps: native('wraps(wrapped, *args, **kwargs)', () => new PyBuiltin('wraps', (args) => args[0])),
    lru_cache: identityDecorator('lru_cache'),
    cache: identityDecorator('cache'),
    cached_property: native('cached_property(func)', (a) => new PyProperty(a.func)),
    total_ordering: native('total_ordering(cls)', (a) => a.cls),
  });
}

function itertoolsModule(): PyModule {
  return mod('itertools', {
    chain: native('chain(*iterables)', (a, r, interp) => PyIter.over((a.__varargs ?? []).flatMap((v) => interp.toArray(v, r))), pure),
    product: native('product(*iterables, repeat=1)', (a, r, interp) => {
      const pools = (a.__varargs ?? []).map((v) => interp.toArray(v, r));
      const all: Value[][] = [];
      const n = Number(requireInt(interp, a.repeat, r));
      for (let i = 0; i < n; i++) all.push(...pools);
      let out: Value[][] = [[]];
      for (const pool of all) {
        out = out.flatMap((prefix) => pool.map((v) => [...prefix, v]));
        if (out.length > interp.limits.maxLength) interp.raise('MemoryError', 'itertools.product too large', r);
      }
      return PyIter.over(out.map((t) => new PyTuple(t)));
    }, pure),
    repeat: native('repeat(object, times=None)', (a, r, interp) => {
      if (a.times === null) return new PyIter(() => a.object);
      let n = Number(requireInt(interp, a.times, r));
      return new PyIter(() => (n-- > 0 ? a.object : undefined));
    }, pure),
    count: native('count(start=0, step=1)', (a, r, interp) => {
      let v: Value = a.start;
      return new PyIter(() => {
        const cur = v;
        v = P.binop(interp, '+', v, a.step, r);
        return cur;
      });
    }, pure),
    islice: native('islice(iterable, *args)', (a, r, interp) => {
      const args = a.__varargs ?? [];
      const [start, stop, step] = args.length === 1 ? [0, args[0], 1] : [args[0] ?? 0, args[1] ?? null, args[2] ?? 1];
      const it = P.iterate(interp, a.iterable, r);
      const s0 = start === null ? 0 : Number(requireInt(interp, start, r));
      const s1 = stop === null ? Infinity : Number(requireInt(interp, stop, r));
      const st = step === null ? 1 : Number(requireInt(interp, step, r));
      let i = 0;
      return new PyIter(() => {
        while (i < s1) {
          const v = it.next();
          if (v === undefined) return undefined;
          const k = i++;
          if (k >= s0 && (k - s0) % st === 0) return v;
        }
        return undefined;
      });
    }, pure),
    accumulate: native('accumulate(iterable, func=None, *, initial=None)', (a, r, interp) => {
      const out: Value[] = [];
      let acc: Value | undefined = a.initial === null ? undefined : a.initial;
      if (acc !== undefined) out.push(acc);
      for (const v of interp.toArray(a.iterable, r)) {
        acc = acc === undefined ? v : a.func === null ? P.binop(interp, '+', acc, v, r) : interp.call(a.func, [acc, v], null, r);
        out.push(acc);
      }
      return PyIter.over(out);
    }, pure),
    zip_longest: native('zip_longest(*iterables, fillvalue=None)', (a, r, interp) => {
      const lists = (a.__varargs ?? []).map((v) => interp.toArray(v, r));
      const n = Math.max(0, ...lists.map((l) => l.length));
      return PyIter.over(Array.from({ length: n }, (_, i) => new PyTuple(lists.map((l) => (i < l.length ? l[i] : a.fillvalue)))));
    }, pure),
    combinations: native('combinations(iterable, r)', (a, rr, interp) => {
      const pool = interp.toArray(a.iterable, rr);
      const k = Number(requireInt(interp, a.r, rr));
      const out: Value[] = [];
      const pick = (start: number, acc: Value[]) => {
        if (acc.length === k) {
          out.push(new PyTuple([...acc]));
          return;
        }
        for (let i = start; i < pool.length; i++) pick(i + 1, [...acc, pool[i]]);
      };
      if (k <= pool.length && pool.length <= 64) pick(0, []);
      return PyIter.over(out);
    }, pure),
  });
}

/** Native classes that know how to copy themselves (modules, tensors) register here. */
export type Copier = (v: Value, deep: boolean, memo: Map<object, Value>, interp: Interpreter, r: Range) => Value | undefined;
const copiers: Copier[] = [];
export function registerCopier(c: Copier): void {
  copiers.push(c);
}

export function copyValue(interp: Interpreter, v: Value, deep: boolean, memo: Map<object, Value>, r: Range): Value {
  if (typeof v !== 'object' || v === null || v instanceof PyClass || v instanceof PyFunction || v instanceof PyBuiltin || v instanceof PyModule || v instanceof PyOpaque) return v;
  const seen = memo.get(v);
  if (seen !== undefined) return seen;
  for (const c of copiers) {
    const out = c(v, deep, memo, interp, r);
    if (out !== undefined) return out;
  }
  const sub = (x: Value) => (deep ? copyValue(interp, x, deep, memo, r) : x);
  if (v instanceof PyList) {
    const out = new PyList([]);
    memo.set(v, out);
    out.items = v.items.map(sub);
    return out;
  }
  if (v instanceof PyTuple) return deep ? new PyTuple(v.items.map(sub)) : v;
  if (v instanceof PyDict) {
    const out = new PyDict(v.type === T.dict ? null : v.type);
    memo.set(v, out);
    for (const [k, x] of v.entries()) out.set(k, sub(x));
    return out;
  }
  if (v instanceof PySet) {
    const out = new PySet(v.frozen);
    for (const x of v.values()) out.add(x);
    return out;
  }
  if (v instanceof PyInstance && !v.cls.native?.alloc) {
    const out = new PyInstance(v.cls);
    memo.set(v, out);
    for (const [k, x] of v.dict) out.dict.set(k, sub(x));
    return out;
  }
  return new PyOpaque(`copying a ${typeName(v)}`, r);
}

function copyModule(): PyModule {
  return mod('copy', {
    copy: native('copy(x)', (a, r, interp) => copyValue(interp, a.x, false, new Map(), r), pure),
    deepcopy: native('deepcopy(x, memo=None)', (a, r, interp) => copyValue(interp, a.x, true, new Map(), r), pure),
  });
}

// ── sys, abc, types, contextlib ─────────────────────────────────────────────

function sysModule(interp: Interpreter, r: Range): PyModule {
  return mod('sys', {
    // Known when the user gave the script's arguments; else what the script would be run with is not.
    argv: interp.argv ? new PyList([...interp.argv]) : new PyOpaque("sys.argv (the command line: give the script's arguments with args: in its sidecar or after -- on the command line)", r),
    exit: native('exit(status=None)', (_a, rr) => {
      throw new ScriptExit(rr);
    }),
    version_info: new PyTuple([3n, 11n, 0n, 'final', 0n]),
    version: '3.11.0',
    platform: 'linux',
    maxsize: 2n ** 63n - 1n,
    path: new PyOpaque('sys.path', r),
    stdout: new PyOpaque('sys.stdout', r),
    stderr: new PyOpaque('sys.stderr', r),
    modules: new PyOpaque('sys.modules', r),
    float_info: new PyOpaque('sys.float_info', r),
  });
}

function abcModule(): PyModule {
  const ABC = new PyClass('ABC', [OBJECT], null, 'abc');
  const ident = (n: string) => native(`${n}(f)`, (a) => a.f);
  return mod('abc', { ABC, ABCMeta: T.type, abstractmethod: ident('abstractmethod'), abstractproperty: ident('abstractproperty') });
}

function typesModule(): PyModule {
  const SimpleNamespace = new PyClass('SimpleNamespace', [OBJECT], null, 'types');
  SimpleNamespace.dict.set('__init__', native('__init__(self, **kwargs)', (a, r, interp) => {
    for (const [k, v] of a.__varkw ?? []) interp.setAttr(a.self, k, v, r);
    return null;
  }, { method: true }));
  return mod('types', { SimpleNamespace, FunctionType: T.function, MethodType: T.method, ModuleType: T.module });
}

function contextlibModule(): PyModule {
  const Null = new PyClass('nullcontext', [OBJECT], {
    enter: (self) => ((self as PyInstance).dict.get('enter_result') ?? null),
    exit: () => undefined,
  }, 'contextlib');
  Null.dict.set('__init__', native('__init__(self, enter_result=None)', (a) => {
    (a.self as PyInstance).dict.set('enter_result', a.enter_result);
    return null;
  }, { method: true }));
  return mod('contextlib', { nullcontext: Null, suppress: Null });
}

/** The standard-library modules the interpreter models, by name. */
/** `string`'s constants (Udacity's sentiment notebook strips `punctuation`), as CPython defines them. */
function stringModule(): PyModule {
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const upper = lower.toUpperCase();
  const digits = '0123456789';
  const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  const whitespace = ' \t\n\r\x0b\x0c';
  return mod('string', {
    ascii_lowercase: lower,
    ascii_uppercase: upper,
    ascii_letters: lower + upper,
    digits,
    hexdigits: `${digits}abcdefABCDEF`,
    octdigits: '01234567',
    punctuation,
    whitespace,
    printable: digits + lower + upper + punctuation + whitespace,
  });
}

export const STANDARD_MODULES: Record<string, ModuleFactory> = {
  math: () => mathModule(),
  dataclasses: () => dataclassesModule(),
  typing: (_i, n) => typingModule(n),
  typing_extensions: (_i, n) => typingModule(n),
  collections: (interp) => collectionsModule(interp),
  functools: () => functoolsModule(),
  itertools: () => itertoolsModule(),
  copy: () => copyModule(),
  argparse: () => argparseModule(mod),
  sys: (interp) => sysModule(interp, NOWHERE),
  abc: () => abcModule(),
  types: () => typesModule(),
  contextlib: () => contextlibModule(),
  random: () => randomModule(),
  __future__: () => mod('__future__', {}),
  string: () => stringModule(),
  // Not the standard library, but in as many training scripts: a progress bar passes its loop through.
  ...PROGRESS_MODULES,
};

export { CantFollow, strFormat };
