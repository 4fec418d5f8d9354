/**
 * Python's built-in functions, exceptions and the methods of the built-in types, as far as model
 * code uses them. Each behaves as CPython's does, errors included; what the subset leaves out
 * (open, eval, exec, input) gives an opaque value, not an error.
 */
import type { Range } from './ast';
import { CantFollow, LimitExceeded, PyRaise, ScriptExit } from './errors';
import type { Interpreter } from './interpreter';
import { Bound, firstOpaque, native, need } from './native';
import * as P from './protocol';
import {
  ELLIPSIS,
  idOf,
  isInt,
  NOT_IMPLEMENTED,
  isNumber,
  Kwargs,
  OBJECT,
  PyBoundMethod,
  PyBuiltin,
  PyClass,
  PyClassMethod,
  PyDict,
  PyFunction,
  PyInstance,
  PyIter,
  PyList,
  PyModule,
  PyObj,
  PyOpaque,
  PyProperty,
  PyRange,
  PySet,
  PySlice,
  PyStaticMethod,
  PySuper,
  PyTuple,
  T,
  toBigInt,
  toNumber,
  typeName,
  typeOf,
  Value,
} from './values';

// ── exceptions ───────────────────────────────────────────────────────────────

function argsOf(v: Value): readonly Value[] {
  const a = v instanceof PyInstance ? v.dict.get('args') : undefined;
  return a instanceof PyTuple ? a.items : [];
}

const BaseException = new PyClass('BaseException', [OBJECT], {
  alloc: (cls) => {
    const o = new PyInstance(cls);
    o.dict.set('args', new PyTuple([]));
    return o;
  },
  str: (v, r, interp) => {
    const args = argsOf(v);
    if (args.length === 0) return '';
    if (args.length === 1) return (v as PyInstance).cls.name === 'KeyError' ? P.repr(interp, args[0], r) : P.str(interp, args[0], r);
    return P.repr(interp, new PyTuple(args), r);
  },
  repr: (v, r, interp) => `${(v as PyInstance).cls.name}(${argsOf(v).map((a) => P.repr(interp, a, r)).join(', ')})`,
});
BaseException.dict.set(
  '__init__',
  native(
    '__init__(self, *args)',
    (a) => {
      (a.self as PyInstance).dict.set('args', new PyTuple(a.__varargs ?? []));
      return null;
    },
    { method: true },
  ),
);

const EXCEPTION_TREE: [string, string][] = [
  ['Exception', 'BaseException'],
  ['SystemExit', 'BaseException'],
  ['KeyboardInterrupt', 'BaseException'],
  ['GeneratorExit', 'BaseException'],
  ['ArithmeticError', 'Exception'],
  ['ZeroDivisionError', 'ArithmeticError'],
  ['OverflowError', 'ArithmeticError'],
  ['FloatingPointError', 'ArithmeticError'],
  ['AssertionError', 'Exception'],
  ['AttributeError', 'Exception'],
  ['LookupError', 'Exception'],
  ['IndexError', 'LookupError'],
  ['KeyError', 'LookupError'],
  ['NameError', 'Exception'],
  ['UnboundLocalError', 'NameError'],
  ['RuntimeError', 'Exception'],
  ['NotImplementedError', 'RuntimeError'],
  ['RecursionError', 'RuntimeError'],
  ['TypeError', 'Exception'],
  ['ValueError', 'Exception'],
  ['UnicodeError', 'ValueError'],
  ['ImportError', 'Exception'],
  ['ModuleNotFoundError', 'ImportError'],
  ['StopIteration', 'Exception'],
  ['OSError', 'Exception'],
  ['FileNotFoundError', 'OSError'],
  ['PermissionError', 'OSError'],
  ['EOFError', 'Exception'],
  ['SyntaxError', 'Exception'],
  ['MemoryError', 'Exception'],
  ['Warning', 'Exception'],
  ['UserWarning', 'Warning'],
  ['DeprecationWarning', 'Warning'],
  ['RuntimeWarning', 'Warning'],
  ['FutureWarning', 'Warning'],
];

export const EXCEPTIONS = new Map<string, PyClass>([['BaseException', BaseException]]);
for (const [name, base] of EXCEPTION_TREE) EXCEPTIONS.set(name, new PyClass(name, [EXCEPTIONS.get(base)!]));
EXCEPTIONS.set('IOError', EXCEPTIONS.get('OSError')!);
EXCEPTIONS.set('EnvironmentError', EXCEPTIONS.get('OSError')!);

// ── conversions ──────────────────────────────────────────────────────────────

function intFromString(interp: Interpreter, s: string, base: number, r: Range): bigint {
  const t = s.trim().replace(/_/g, '');
  const m = /^([+-]?)(0[xob])?([0-9a-z]+)$/i.exec(t);
  let b = base;
  if (m && m[2] && (base === 0 || base === { x: 16, o: 8, b: 2 }[m[2][1].toLowerCase() as 'x']!)) b = { x: 16, o: 8, b: 2 }[m[2][1].toLowerCase() as 'x' | 'o' | 'b'];
  else if (m && m[2]) b = -1;
  if (b === 0) b = 10;
  const digits = m?.[3] ?? '';
  const valid = b >= 2 && b <= 36 && digits.length > 0 && [...digits.toLowerCase()].every((c) => parseInt(c, 36) < b);
  if (!m || !valid) return interp.raise('ValueError', `invalid literal for int() with base ${base}: ${P.repr(interp, s, r)}`, r);
  let v = 0n;
  for (const c of digits.toLowerCase()) v = v * BigInt(b) + BigInt(parseInt(c, 36));
  return m[1] === '-' ? -v : v;
}

/** The result of `v`'s own conversion method (a user class's or a native type's), undefined when it has none. */
function conversion(interp: Interpreter, v: Value, name: '__int__' | '__float__', r: Range): Value | undefined {
  if (!(v instanceof PyObj)) return undefined;
  const own = P.userMethod(v, name);
  if (own) return interp.call(own, [v], null, r);
  const native = typeOf(v).native?.getattr?.(v, name, r);
  return native instanceof PyObj ? interp.call(native, [], null, r) : undefined;
}

export function toInt(interp: Interpreter, v: Value, r: Range): bigint {
  if (isInt(v)) return toBigInt(v);
  if (typeof v === 'number') {
    if (v !== v) interp.raise('ValueError', 'cannot convert float NaN to integer', r);
    if (!Number.isFinite(v)) interp.raise('OverflowError', 'cannot convert float infinity to integer', r);
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'string') return intFromString(interp, v, 10, r);
  // int() asks __int__ before __index__ (CPython): int(t.sum()) of a float tensor truncates, t[i] would not.
  const viaInt = conversion(interp, v, '__int__', r);
  if (viaInt !== undefined) return toInt(interp, viaInt, r);
  const n = interp.toNumberLike(v, r);
  if (n === null) return interp.raise('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'`, r);
  return toInt(interp, n, r);
}

export function toFloat(interp: Interpreter, v: Value, r: Range): number {
  if (isNumber(v)) return toNumber(v);
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase().replace(/_/g, '');
    if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(t)) return NaN;
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
    return interp.raise('ValueError', `could not convert string to float: ${P.repr(interp, v, r)}`, r);
  }
  const viaFloat = conversion(interp, v, '__float__', r);
  if (viaFloat !== undefined) return toFloat(interp, viaFloat, r);
  const n = interp.toNumberLike(v, r);
  if (n === null) return interp.raise('TypeError', `float() argument must be a string or a real number, not '${typeName(v)}'`, r);
  return toNumber(n);
}

/** An int argument where Python requires one (range(), list index): floats are a TypeError. */
export function requireInt(interp: Interpreter, v: Value, r: Range): bigint {
  if (isInt(v)) return toBigInt(v);
  return BigInt(interp.toIndex(v, r, `'${typeName(v)}' object cannot be interpreted as an integer`));
}

// ── the built-in classes' constructors ──────────────────────────────────────

function dictFrom(interp: Interpreter, src: Value | undefined, kw: Kwargs | undefined, r: Range, into = new PyDict()): PyDict {
  if (src !== undefined) {
    if (src instanceof PyDict) for (const [k, v] of src.entries()) into.set(k, v);
    else {
      for (const item of interp.toArray(src, r)) {
        const pair = interp.toArray(item, r);
        if (pair.length !== 2) interp.raise('ValueError', `dictionary update sequence element has length ${pair.length}; 2 is required`, r);
        into.set(P.hashable(interp, pair[0], r), pair[1]);
      }
    }
  }
  if (kw) for (const [k, v] of kw) into.set(k, v);
  return into;
}

T.int.native = {
  construct: (_c, args, kwargs, r, interp) => {
    const o = firstOpaque(args, kwargs);
    if (o) return o;
    if (args.length === 0 && !kwargs?.size) return 0n;
    const x = args[0] ?? kwargs?.get('x');
    const base = args[1] ?? kwargs?.get('base');
    if (base !== undefined) {
      if (typeof x !== 'string') return interp.raise('TypeError', "int() can't convert non-string with explicit base", r);
      return intFromString(interp, x, Number(requireInt(interp, base, r)), r);
    }
    return toInt(interp, x as Value, r);
  },
};
const numberAttrs = (obj: Value, name: string): Value | undefined => {
  if (name === 'real') return typeof obj === 'boolean' ? (obj ? 1n : 0n) : obj;
  if (name === 'imag') return typeof obj === 'number' ? 0 : 0n;
  return undefined;
};
T.int.native.getattr = numberAttrs;
T.bool.native = { getattr: numberAttrs, construct: (_c, args, _k, r, interp) => (args.length ? (args[0] instanceof PyOpaque ? args[0] : interp.truthy(args[0], r)) : false) };
T.float.native = {
  getattr: numberAttrs,
  construct: (_c, args, _k, r, interp) => {
    if (!args.length) return 0;
    if (args[0] instanceof PyOpaque) return args[0];
    return toFloat(interp, args[0], r);
  },
};
T.str.native = {
  construct: (_c, args, _k, r, interp) => {
    if (!args.length) return '';
    if (args[0] instanceof PyOpaque) return args[0];
    return P.str(interp, args[0], r);
  },
};
T.list.native = {
  construct: (_c, args, _k, r, interp) => {
    if (args[0] instanceof PyOpaque) return args[0];
    return new PyList(args.length ? interp.toArray(args[0], r) : []);
  },
};
T.tuple.native = {
  construct: (_c, args, _k, r, interp) => {
    if (args[0] instanceof PyOpaque) return args[0];
    return new PyTuple(args.length ? interp.toArray(args[0], r) : []);
  },
};
T.dict.native = {
  construct: (_c, args, kwargs, r, interp) => {
    if (args[0] instanceof PyOpaque) return args[0];
    return dictFrom(interp, args[0], kwargs ?? undefined, r);
  },
};
const setConstruct = (frozen: boolean) => (_c: PyClass, args: Value[], _k: Kwargs | null, r: Range, interp: Interpreter) => {
  if (args[0] instanceof PyOpaque) return args[0];
  const s = new PySet(frozen);
  if (args.length) for (const v of interp.toArray(args[0], r)) s.add(P.hashable(interp, v, r));
  return s;
};
T.set.native = { construct: setConstruct(false) };
T.frozenset.native = { construct: setConstruct(true) };
T.range.native = {
  construct: (_c, args, _k, r, interp) => {
    const o = firstOpaque(args, null);
    if (o) return o;
      if (args.length < 1 || args.length > 3) return interp.raise('TypeError', `range expected at most 3 arguments, got ${args.length}`, r);
    const n = args.map((v) => requireInt(interp, v, r));
    const [start, stop, step] = n.length === 1 ? [0n, n[0], 1n] : [n[0], n[1], n[2] ?? 1n];
    if (step === 0n) interp.raise('ValueError', 'range() arg 3 must not be zero', r);
    return new PyRange(start, stop, step);
  },
};
T.slice.native = {
  construct: (_c, args) => (args.length === 1 ? new PySlice(null, args[0], null) : new PySlice(args[0] ?? null, args[1] ?? null, args[2] ?? null)),
};
OBJECT.native = { alloc: (cls) => new PyInstance(cls) };
OBJECT.dict.set(
  '__init__',
  new PyBuiltin(
    '__init__',
    (args, kwargs, { r, interp }) => (args.length > 1 || kwargs?.size ? interp.raise('TypeError', `${typeName(args[0])}() takes no arguments`, r) : null),
    true,
  ),
);
T.property.native = {
  construct: (_c, args, kwargs) => new PyProperty(args[0] ?? kwargs?.get('fget') ?? null, args[1] ?? kwargs?.get('fset') ?? null),
  getattr: (obj, name) => {
    const p = obj as PyProperty;
    if (name === 'setter') return new PyBuiltin('setter', (args) => new PyProperty(p.fget, args[0]));
    if (name === 'getter') return new PyBuiltin('getter', (args) => new PyProperty(args[0], p.fset));
    if (name === 'fget') return p.fget;
    if (name === 'fset') return p.fset;
    return undefined;
  },
};
T.staticmethod.native = { construct: (_c, args) => new PyStaticMethod(args[0]) };
T.classmethod.native = { construct: (_c, args) => new PyClassMethod(args[0]) };
T.super.native = {
  construct: (_c, args, _k, r, interp) => {
      if (args.length >= 1) {
      const start = args[0];
      if (!(start instanceof PyClass)) return interp.raise('TypeError', `super() argument 1 must be a type, not ${typeName(start)}`, r);
      return new PySuper(start, args[1] ?? null);
    }
    const frame = interp.currentFrame();
    const owner = frame?.fn.owner;
    const first = frame?.fn.params[0];
    if (!frame || !owner || !first) return interp.raise('RuntimeError', 'super(): no arguments', r);
    const self = frame.scope.vars.get(first.name);
    if (self === undefined) return interp.raise('RuntimeError', 'super(): arg[0] deleted', r);
    return new PySuper(owner, self);
  },
};
T.type.native = {
  construct: (_c, args, _k, r, interp) => {
    if (args.length === 1) return args[0] instanceof PyOpaque ? args[0] : typeOf(args[0]);
    return new PyOpaque('type() with three arguments (a class made at run time)', r);
  },
};

// ── methods of the built-in types ───────────────────────────────────────────

function method(cls: PyClass, sigText: string, fn: (a: Bound, r: Range, interp: Interpreter) => Value): void {
  const b = native(sigText, fn, { method: true });
  cls.dict.set(b.name, b);
}

const self = <V>(a: Bound) => a.self as unknown as V;

function strArg(interp: Interpreter, v: Value, what: string, r: Range): string {
  if (typeof v !== 'string') return interp.raise('TypeError', `${what} must be str, not ${typeName(v)}`, r);
  return v;
}

function stripChars(s: string, chars: Value, left: boolean, right: boolean): string {
  const set = chars === null || chars === undefined ? null : new Set([...(chars as string)]);
  const strip = (c: string) => (set ? set.has(c) : /\s/.test(c));
  const cs = [...s];
  let i = 0;
  let j = cs.length;
  if (left) while (i < j && strip(cs[i])) i++;
  if (right) while (j > i && strip(cs[j - 1])) j--;
  return cs.slice(i, j).join('');
}

function split(s: string, sep: Value, maxsplit: number, interp: Interpreter, r: Range): string[] {
  if (sep === null) {
    const parts = s.trim().split(/\s+/).filter(Boolean);
    if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    for (let i = 0; i < maxsplit; i++) {
      const m = /\s+/.exec(rest);
      if (!m) break;
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    out.push(rest);
    return out;
  }
  const sp = strArg(interp, sep, 'separator', r);
  if (sp === '') interp.raise('ValueError', 'empty separator', r);
  const parts = s.split(sp);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sp)];
}

/** str.format: `{}`, `{0}`, `{name}`, `{name.attr}`, `{0[key]}`, `!r`, `:spec` with nested fields. */
export function strFormat(interp: Interpreter, fmt: string, args: readonly Value[], kw: Kwargs | undefined, r: Range): string {
  let auto = 0;
  const field = (text: string): Value => {
    const m = /^([^.[]*)(.*)$/s.exec(text)!;
    let v: Value;
    if (m[1] === '') v = args[auto++];
    else if (/^\d+$/.test(m[1])) v = args[Number(m[1])];
    else v = kw?.get(m[1]) as Value;
    if (v === undefined) {
      if (m[1] === '' || /^\d+$/.test(m[1])) return interp.raise('IndexError', `Replacement index ${m[1] || auto - 1} out of range for positional args tuple`, r);
      return interp.raiseArgs('KeyError', [m[1]], r);
    }
    const re = /\.(\w+)|\[([^\]]*)\]/g;
    let mm: RegExpExecArray | null;
    while ((mm = re.exec(m[2]))) {
      if (mm[1] !== undefined) v = interp.getAttr(v, mm[1], r);
      else v = P.getItem(interp, v, /^\d+$/.test(mm[2]) ? BigInt(mm[2]) : mm[2], r);
    }
    return v;
  };
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c === '{' && fmt[i + 1] === '{') {
      out += '{';
      i++;
      continue;
    }
    if (c === '}' && fmt[i + 1] === '}') {
      out += '}';
      i++;
      continue;
    }
    if (c === '}') interp.raise('ValueError', "Single '}' encountered in format string", r);
    if (c !== '{') {
      out += c;
      continue;
    }
    let depth = 1;
    let j = i + 1;
    for (; j < fmt.length && depth; j++) {
      if (fmt[j] === '{') depth++;
      else if (fmt[j] === '}') depth--;
    }
    if (depth) interp.raise('ValueError', "Single '{' encountered in format string", r);
    const inner = fmt.slice(i + 1, j - 1);
    const m = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(inner);
    if (!m) interp.raise('ValueError', 'invalid format field', r);
    let v = field(m![1]);
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (m![2] === 'r' || m![2] === 'a') v = P.repr(interp, v, r);
    else if (m![2] === 's') v = P.str(interp, v, r);
    const spec = m![3] ? strFormat(interp, m![3], args, kw, r) : '';
    out += P.format(interp, v, spec, r);
    i = j - 1;
  }
  return out;
}

method(T.str, 'join(self, iterable)', (a, r, interp) =>
  interp
    .toArray(a.iterable, r)
    .map((v, i) => (typeof v === 'string' ? v : interp.raise('TypeError', `sequence item ${i}: expected str instance, ${typeName(v)} found`, r)))
    .join(self<string>(a)),
);
method(T.str, 'split(self, sep=None, maxsplit=-1)', (a, r, interp) => new PyList(split(self(a), a.sep, Number(requireInt(interp, a.maxsplit, r)), interp, r)));
method(T.str, 'rsplit(self, sep=None, maxsplit=-1)', (a, r, interp) => {
  const max = Number(requireInt(interp, a.maxsplit, r));
  const parts = split(self(a), a.sep, -1, interp, r);
  if (max < 0 || parts.length <= max + 1) return new PyList(parts);
  const sep = a.sep === null ? ' ' : (a.sep as string);
  return new PyList([parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)]);
});
method(T.str, 'splitlines(self, keepends=False)', (a) => new PyList(self<string>(a).split(/\r\n|\r|\n/).filter((_, i, all) => i < all.length - 1 || all[i] !== '')));
method(T.str, 'strip(self, chars=None)', (a) => stripChars(self(a), a.chars, true, true));
method(T.str, 'lstrip(self, chars=None)', (a) => stripChars(self(a), a.chars, true, false));
method(T.str, 'rstrip(self, chars=None)', (a) => stripChars(self(a), a.chars, false, true));
method(T.str, 'lower(self)', (a) => self<string>(a).toLowerCase());
method(T.str, 'upper(self)', (a) => self<string>(a).toUpperCase());
method(T.str, 'title(self)', (a) => self<string>(a).replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase()));
method(T.str, 'capitalize(self)', (a) => {
  const s = self<string>(a);
  return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
});
const affix = (which: 'startsWith' | 'endsWith') => (a: Bound, r: Range, interp: Interpreter) => {
  const s = self<string>(a);
  const opts = a.prefix instanceof PyTuple ? a.prefix.items : [a.prefix];
  return opts.some((p) => s[which](strArg(interp, p, `${which === 'startsWith' ? 'startswith' : 'endswith'} first arg`, r)));
};
method(T.str, 'startswith(self, prefix)', affix('startsWith'));
method(T.str, 'endswith(self, prefix)', affix('endsWith'));
method(T.str, 'replace(self, old, new, count=-1)', (a, r, interp) => {
  const [s, o, n] = [self<string>(a), strArg(interp, a.old, 'replace() argument 1', r), strArg(interp, a.new, 'replace() argument 2', r)];
  let count = Number(requireInt(interp, a.count, r));
  if (count < 0) return s.split(o).join(n);
  let out = '';
  let rest = s;
  while (count-- > 0) {
    const i = rest.indexOf(o);
    if (i < 0) break;
    out += rest.slice(0, i) + n;
    rest = rest.slice(i + o.length);
  }
  return out + rest;
});
method(T.str, 'find(self, sub)', (a, r, interp) => BigInt(self<string>(a).indexOf(strArg(interp, a.sub, 'find() argument', r))));
method(T.str, 'rfind(self, sub)', (a, r, interp) => BigInt(self<string>(a).lastIndexOf(strArg(interp, a.sub, 'rfind() argument', r))));
method(T.str, 'index(self, sub)', (a, r, interp) => {
  const i = self<string>(a).indexOf(strArg(interp, a.sub, 'index() argument', r));
  return i < 0 ? interp.raise('ValueError', 'substring not found', r) : BigInt(i);
});
method(T.str, 'count(self, sub)', (a, r, interp) => {
  const sub = strArg(interp, a.sub, 'count() argument', r);
  return BigInt(sub === '' ? [...self<string>(a)].length + 1 : self<string>(a).split(sub).length - 1);
});
method(T.str, 'format(self, *args, **kwargs)', (a, r, interp) => strFormat(interp, self(a), a.__varargs ?? [], a.__varkw, r));
method(T.str, 'isdigit(self)', (a) => /^\d+$/.test(self(a)));
method(T.str, 'isnumeric(self)', (a) => /^\d+$/.test(self(a)));
method(T.str, 'isalpha(self)', (a) => /^\p{L}+$/u.test(self(a)));
method(T.str, 'isalnum(self)', (a) => /^[\p{L}\p{N}]+$/u.test(self(a)));
method(T.str, 'isspace(self)', (a) => /^\s+$/.test(self(a)));
method(T.str, 'isupper(self)', (a) => /\p{L}/u.test(self(a)) && self<string>(a) === self<string>(a).toUpperCase());
method(T.str, 'islower(self)', (a) => /\p{L}/u.test(self(a)) && self<string>(a) === self<string>(a).toLowerCase());
method(T.str, 'isidentifier(self)', (a) => /^[\p{L}_][\p{L}\p{N}_]*$/u.test(self(a)));
method(T.str, 'zfill(self, width)', (a, r, interp) => {
  const s = self<string>(a);
  const w = Number(requireInt(interp, a.width, r));
  const sign = /^[+-]/.test(s) ? s[0] : '';
  return sign + s.slice(sign.length).padStart(w - sign.length, '0');
});
const padMethod = (which: 'l' | 'r' | 'c') => (a: Bound, r: Range, interp: Interpreter) => {
  const s = self<string>(a);
  const w = Number(requireInt(interp, a.width, r));
  const fill = strArg(interp, a.fillchar, 'fillchar', r);
  const n = w - [...s].length;
  if (n <= 0) return s;
  if (which === 'l') return s + fill.repeat(n);
  if (which === 'r') return fill.repeat(n) + s;
  const left = Math.floor(n / 2) + (n & w & 1);
  return fill.repeat(left) + s + fill.repeat(n - left);
};
method(T.str, "ljust(self, width, fillchar=' ')", padMethod('l'));
method(T.str, "rjust(self, width, fillchar=' ')", padMethod('r'));
method(T.str, "center(self, width, fillchar=' ')", padMethod('c'));
method(T.str, 'partition(self, sep)', (a, r, interp) => {
  const s = self<string>(a);
  const sep = strArg(interp, a.sep, 'partition() argument', r);
  const i = s.indexOf(sep);
  return i < 0 ? new PyTuple([s, '', '']) : new PyTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
});
method(T.str, 'encode(self, encoding="utf-8")', (_a, r) => new PyOpaque('bytes (str.encode)', r));

// list
method(T.list, 'append(self, x)', (a, r, interp) => {
  const l = self<PyList>(a);
  if (l.items.length >= interp.limits.maxLength) throw new LimitExceeded('size', `a list longer than ${interp.limits.maxLength} elements`, r);
  l.items.push(a.x);
  return null;
});
method(T.list, 'extend(self, iterable)', (a, r, interp) => {
  const l = self<PyList>(a);
  const more = interp.toArray(need(a.iterable, r), r);
  if (l.items.length + more.length > interp.limits.maxLength) throw new LimitExceeded('size', `a list longer than ${interp.limits.maxLength} elements`, r);
  l.items.push(...more);
  return null;
});
method(T.list, 'insert(self, index, x)', (a, r, interp) => {
  const l = self<PyList>(a);
  let i = Number(requireInt(interp, a.index, r));
  if (i < 0) i = Math.max(0, i + l.items.length);
  l.items.splice(Math.min(i, l.items.length), 0, a.x);
  return null;
});
method(T.list, 'pop(self, index=-1)', (a, r, interp) => {
  const l = self<PyList>(a);
  if (!l.items.length) return interp.raise('IndexError', 'pop from empty list', r);
  let i = Number(requireInt(interp, a.index, r));
  if (i < 0) i += l.items.length;
  if (i < 0 || i >= l.items.length) return interp.raise('IndexError', 'pop index out of range', r);
  return l.items.splice(i, 1)[0];
});
method(T.list, 'remove(self, x)', (a, r, interp) => {
  const l = self<PyList>(a);
  const i = l.items.findIndex((v) => P.identical(v, a.x) || P.eq(interp, v, a.x, r));
  if (i < 0) return interp.raise('ValueError', 'list.remove(x): x not in list', r);
  l.items.splice(i, 1);
  return null;
});
const indexOf = (a: Bound, r: Range, interp: Interpreter) => {
  const items = (a.self as PyList | PyTuple).items;
  const i = items.findIndex((v) => P.identical(v, a.x) || P.eq(interp, v, a.x, r));
  return i < 0 ? interp.raise('ValueError', `${P.repr(interp, a.x, r)} is not in ${typeName(a.self)}`, r) : BigInt(i);
};
const countOf = (a: Bound, r: Range, interp: Interpreter) => BigInt((a.self as PyList | PyTuple).items.filter((v) => P.identical(v, a.x) || P.eq(interp, v, a.x, r)).length);
method(T.list, 'index(self, x)', indexOf);
method(T.list, 'count(self, x)', countOf);
method(T.tuple, 'index(self, x)', indexOf);
method(T.tuple, 'count(self, x)', countOf);
method(T.list, 'reverse(self)', (a) => {
  self<PyList>(a).items.reverse();
  return null;
});
method(T.list, 'copy(self)', (a) => new PyList([...self<PyList>(a).items]));
method(T.list, 'clear(self)', (a) => {
  self<PyList>(a).items.length = 0;
  return null;
});

export function sortValues(interp: Interpreter, items: Value[], key: Value, reverse: boolean, r: Range): Value[] {
  const keys = key === null ? items : items.map((v) => interp.call(key, [v], null, r));
  const idx = items.map((_, i) => i);
  const lt = (x: Value, y: Value) => interp.truthy(P.compare(interp, '<', x, y, r), r);
  idx.sort((i, j) => {
    const [x, y] = reverse ? [keys[j], keys[i]] : [keys[i], keys[j]];
    if (lt(x, y)) return -1;
    if (lt(y, x)) return 1;
    return reverse ? j - i : i - j;
  });
  if (reverse) {
    // Python's reverse sort keeps equal elements in their original order.
    idx.sort((i, j) => {
      const x = keys[i];
      const y = keys[j];
      if (lt(y, x)) return -1;
      if (lt(x, y)) return 1;
      return i - j;
    });
  }
  return idx.map((i) => items[i]);
}
method(T.list, 'sort(self, *, key=None, reverse=False)', (a, r, interp) => {
  const l = self<PyList>(a);
  l.items = sortValues(interp, l.items, a.key, interp.truthy(a.reverse, r), r);
  return null;
});

// dict
method(T.dict, 'get(self, key, default=None)', (a, r, interp) => self<PyDict>(a).get(P.hashable(interp, a.key, r)) ?? a.default);
method(T.dict, 'keys(self)', (a) => new PyList(self<PyDict>(a).keys()));
method(T.dict, 'values(self)', (a) => new PyList(self<PyDict>(a).entries().map((e) => e[1])));
method(T.dict, 'items(self)', (a) => new PyList(self<PyDict>(a).entries().map(([k, v]) => new PyTuple([k, v]))));
method(T.dict, 'pop(self, key, *default)', (a, r, interp) => {
  const d = self<PyDict>(a);
  const v = d.get(P.hashable(interp, a.key, r));
  if (v === undefined) {
    if (a.__varargs?.length) return a.__varargs[0];
    return interp.raiseArgs('KeyError', [a.key], r);
  }
  d.delete(a.key);
  return v;
});
method(T.dict, 'popitem(self)', (a, r, interp) => {
  const d = self<PyDict>(a);
  const last = d.entries().pop();
  if (!last) return interp.raise('KeyError', "'popitem(): dictionary is empty'", r);
  d.delete(last[0]);
  return new PyTuple(last);
});
method(T.dict, 'setdefault(self, key, default=None)', (a, r, interp) => {
  const d = self<PyDict>(a);
  const v = d.get(P.hashable(interp, a.key, r));
  if (v !== undefined) return v;
  d.set(a.key, a.default);
  return a.default;
});
method(T.dict, 'update(self, *other, **kwargs)', (a, r, interp) => {
  dictFrom(interp, a.__varargs?.[0], a.__varkw, r, self<PyDict>(a));
  return null;
});
method(T.dict, 'copy(self)', (a) => {
  const d = new PyDict();
  for (const [k, v] of self<PyDict>(a).entries()) d.set(k, v);
  return d;
});
method(T.dict, 'clear(self)', (a) => {
  self<PyDict>(a).map.clear();
  return null;
});
T.dict.dict.set(
  'fromkeys',
  new PyClassMethod(
    native('fromkeys(cls, iterable, value=None)', (a, r, interp) => {
      const d = new PyDict();
      for (const k of interp.toArray(a.iterable, r)) d.set(P.hashable(interp, k, r), a.value);
      return d;
    }),
  ),
);

// set
method(T.set, 'add(self, x)', (a, r, interp) => {
  self<PySet>(a).add(P.hashable(interp, a.x, r));
  return null;
});
method(T.set, 'update(self, *others)', (a, r, interp) => {
  for (const o of a.__varargs ?? []) for (const v of interp.toArray(o, r)) self<PySet>(a).add(P.hashable(interp, v, r));
  return null;
});
method(T.set, 'discard(self, x)', (a, r, interp) => {
  self<PySet>(a).map.delete(interp.hashKeyOf(P.hashable(interp, a.x, r)));
  return null;
});
method(T.set, 'remove(self, x)', (a, r, interp) => {
  if (!self<PySet>(a).map.delete(interp.hashKeyOf(P.hashable(interp, a.x, r)))) interp.raiseArgs('KeyError', [a.x], r);
  return null;
});
for (const cls of [T.set, T.frozenset]) {
  const op = (name: string, sym: string) =>
    method(cls, `${name}(self, *others)`, (a, r, interp) =>
      (a.__varargs ?? []).reduce<Value>((acc, o) => P.binop(interp, sym, acc, o instanceof PySet ? o : setConstruct(false)(T.set, [o], null, r, interp), r), self<PySet>(a)),
    );
  op('union', '|');
  op('intersection', '&');
  op('difference', '-');
  method(cls, 'issubset(self, other)', (a, r, interp) => P.compare(interp, '<=', a.self, a.other, r));
  method(cls, 'issuperset(self, other)', (a, r, interp) => P.compare(interp, '>=', a.self, a.other, r));
  method(cls, 'copy(self)', (a) => {
    const s = new PySet(self<PySet>(a).frozen);
    self<PySet>(a).values().forEach((v) => s.add(v));
    return s;
  });
}

// numbers
method(T.int, 'bit_length(self)', (a) => {
  const x = toBigInt(self<bigint>(a));
  return BigInt((x < 0n ? -x : x).toString(2).replace(/^0$/, '').length);
});
method(T.float, 'is_integer(self)', (a) => Number.isInteger(self<number>(a)));
method(T.int, 'is_integer(self)', () => true);

// ── built-in functions ───────────────────────────────────────────────────────

const pure = { propagate: true };

function classList(interp: Interpreter, info: Value, r: Range, fn: string): PyClass[] {
  if (info instanceof PyClass) return [info];
  if (info instanceof PyTuple) return info.items.flatMap((i) => classList(interp, i, r, fn));
  if (info instanceof PyOpaque) throw new CantFollow(info, r);
  return interp.raise('TypeError', `${fn}() arg 2 must be a type, a tuple of types, or a union`, r);
}

function minmax(which: 'min' | 'max') {
  return native(`${which}(*args, key=None, default=None)`, (a, r, interp) => {
    const args = a.__varargs ?? [];
    const items = args.length === 1 ? interp.toArray(args[0], r) : args;
    if (!items.length) {
      if (args.length === 0) return interp.raise('TypeError', `${which} expected at least 1 argument, got 0`, r);
      if (a.default !== null) return a.default;
      return interp.raise('ValueError', `${which}() arg is an empty sequence`, r);
    }
    let best = items[0];
    let bestKey = a.key === null ? best : interp.call(a.key, [best], null, r);
    for (const v of items.slice(1)) {
      const k = a.key === null ? v : interp.call(a.key, [v], null, r);
      if (k instanceof PyOpaque) return k;
      if (interp.truthy(P.compare(interp, which === 'min' ? '<' : '>', k, bestKey, r), r)) {
        best = v;
        bestKey = k;
      }
    }
    return best;
  }, pure);
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** round(x, n) as CPython: the correctly rounded decimal, ties to even on the exact binary value. */
function roundTo(x: number, n: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (n > 22) return x;
  if (n < -22) return 0 * x;
  const exact = Math.abs(x).toFixed(Math.min(100, Math.max(0, n) + 60));
  const [ip, fp = ''] = exact.split('.');
  const digits = ip + fp;
  const point = ip.length + n;
  if (point < 0) return 0 * x;
  const kept = digits.slice(0, point) || '0';
  const rest = digits.slice(point);
  let up = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  if (rest[0] === '5' && !/[1-9]/.test(rest.slice(1))) up = Number(kept[kept.length - 1]) % 2 === 1;
  const s = (BigInt(kept) + (up ? 1n : 0n)).toString().padStart(n + 1, '0');
  const text = n >= 0 ? `${s.slice(0, s.length - n)}.${s.slice(s.length - n)}` : `${s}${'0'.repeat(-n)}`;
  return (x < 0 ? -1 : 1) * Number(text);
}

function lazyMap(interp: Interpreter, its: PyIter[], fn: (vals: Value[]) => Value, strict = false, r?: Range): PyIter {
  let done = false;
  return new PyIter(() => {
    if (done) return undefined;
    const vals: Value[] = [];
    for (const it of its) {
      const v = it.next();
      if (v === undefined) {
        done = true;
        if (strict && vals.length && r) interp.raise('ValueError', `zip() argument ${vals.length + 1} is shorter than argument 1`, r);
        return undefined;
      }
      vals.push(v);
    }
    return fn(vals);
  });
}

/** A built-in Gradient Lens does not model; with `changesArgs`, what it was given may have been changed by it (exec's namespace). */
function opaqueBuiltin(name: string, construct: string, changesArgs = false): PyBuiltin {
  return new PyBuiltin(name, (args, kw, site) => {
    const out = new PyOpaque(construct, site.r);
    if (changesArgs) {
      const cause = new CantFollow(out, site.r);
      for (const a of [...args, ...(kw?.values() ?? [])]) if (a instanceof PyObj && !(a instanceof PyOpaque) && !(a instanceof PyModule)) site.interp.taint(a, cause);
    }
    return out;
  });
}

function safeText(interp: Interpreter, v: Value, r: Range): string {
  try {
    return P.str(interp, v, r);
  } catch (e) {
    if (e instanceof CantFollow) return '<?>';
    throw e;
  }
}

export const BUILTIN_FUNCTIONS: Record<string, Value> = {
  print: native("print(*args, sep=' ', end='\\n', file=None, flush=False)", (a, r, interp) => {
    const sep = typeof a.sep === 'string' ? a.sep : ' ';
    const end = typeof a.end === 'string' ? a.end : '\n';
    interp.write((a.__varargs ?? []).map((v) => safeText(interp, v, r)).join(sep) + end);
    return null;
  }),
  len: native('len(obj, /)', (a, r, interp) => BigInt(P.len(interp, a.obj, r)), pure),
  isinstance: native('isinstance(obj, classinfo, /)', (a, r, interp) => classList(interp, a.classinfo, r, 'isinstance').some((c) => typeOf(a.obj).isSubclassOf(c)), pure),
  issubclass: native('issubclass(cls, classinfo, /)', (a, r, interp) => {
    if (!(a.cls instanceof PyClass)) return interp.raise('TypeError', 'issubclass() arg 1 must be a class', r);
    return classList(interp, a.classinfo, r, 'issubclass').some((c) => (a.cls as PyClass).isSubclassOf(c));
  }, pure),
  getattr: native('getattr(obj, name, *default)', (a, r, interp) => {
    if (a.obj instanceof PyOpaque) return a.obj;
    const name = strArg(interp, need(a.name, r), 'attribute name', r);
    try {
      return interp.getAttr(a.obj, name, r);
    } catch (e) {
      if (a.__varargs?.length && interp.isException(e, 'AttributeError')) return a.__varargs[0];
      throw e;
    }
  }),
  hasattr: native('hasattr(obj, name, /)', (a, r, interp) => {
    const name = strArg(interp, a.name, 'attribute name', r);
    if (a.obj instanceof PyModule && a.obj.partial && !a.obj.dict.has(name)) return false;
    try {
      interp.getAttr(a.obj, name, r);
      return true;
    } catch (e) {
      if (interp.isException(e, 'AttributeError')) return false;
      throw e;
    }
  }, pure),
  setattr: native('setattr(obj, name, value, /)', (a, r, interp) => {
    interp.setAttr(a.obj, strArg(interp, need(a.name, r), 'attribute name', r), a.value, r);
    return null;
  }),
  delattr: native('delattr(obj, name, /)', (a, r, interp) => {
    interp.delAttr(a.obj, strArg(interp, need(a.name, r), 'attribute name', r), r);
    return null;
  }),
  min: minmax('min'),
  max: minmax('max'),
  sum: native('sum(iterable, /, start=0)', (a, r, interp) => {
    let acc = a.start;
    for (const v of interp.toArray(a.iterable, r)) acc = P.binop(interp, '+', acc, v, r);
    return acc;
  }, pure),
  abs: native('abs(x, /)', (a, r, interp) => {
    const x = a.x;
    if (typeof x === 'number') return Math.abs(x);
    if (isInt(x)) {
      const v = toBigInt(x);
      return v < 0n ? -v : v;
    }
    const own = P.userMethod(x, '__abs__');
    if (own) return interp.call(own, [x], null, r);
    const m = typeOf(x).native?.getattr?.(x, '__abs__', r);
    if (m instanceof PyObj) return interp.call(m, [], null, r);
    return interp.raise('TypeError', `bad operand type for abs(): '${typeName(x)}'`, r);
  }, pure),
  round: native('round(number, ndigits=None)', (a, r, interp) => {
    const x = a.number;
    if (isInt(x)) {
      if (a.ndigits === null || requireInt(interp, a.ndigits, r) >= 0n) return toBigInt(x);
      const p = 10n ** -requireInt(interp, a.ndigits, r);
      const v = toBigInt(x);
      const q = v / p;
      const rem = v - q * p;
      const twice = 2n * (rem < 0n ? -rem : rem);
      const adj = twice > p || (twice === p && q % 2n !== 0n) ? (v < 0n ? -1n : 1n) : 0n;
      return (q + adj) * p;
    }
    const f = interp.toNumberLike(x, r);
    if (f === null) return interp.raise('TypeError', `type ${typeName(x)} doesn't define __round__ method`, r);
    const v = toNumber(f);
    if (a.ndigits === null) {
      if (!Number.isFinite(v)) interp.raise(v !== v ? 'ValueError' : 'OverflowError', v !== v ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer', r);
      return BigInt(roundHalfEven(v));
    }
    return roundTo(v, Number(requireInt(interp, a.ndigits, r)));
  }, pure),
  sorted: native('sorted(iterable, /, *, key=None, reverse=False)', (a, r, interp) => new PyList(sortValues(interp, interp.toArray(a.iterable, r), a.key, interp.truthy(a.reverse, r), r)), pure),
  reversed: native('reversed(seq, /)', (a, r, interp) => PyIter.over(interp.toArray(a.seq, r).reverse()), pure),
  enumerate: native('enumerate(iterable, start=0)', (a, r, interp) => {
    let i = requireInt(interp, a.start, r);
    const it = P.iterate(interp, a.iterable, r);
    return lazyMap(interp, [it], ([v]) => new PyTuple([i++, v]));
  }, pure),
  zip: native('zip(*iterables, strict=False)', (a, r, interp) => {
    const its = (a.__varargs ?? []).map((v) => P.iterate(interp, v, r));
    if (!its.length) return PyIter.over([]);
    return lazyMap(interp, its, (vals) => new PyTuple(vals), interp.truthy(a.strict, r), r);
  }, pure),
  map: native('map(function, iterable, *more)', (a, r, interp) => {
    const its = [a.iterable, ...(a.__varargs ?? [])].map((v) => P.iterate(interp, v, r));
    return lazyMap(interp, its, (vals) => interp.call(a.function, vals, null, r));
  }, pure),
  filter: native('filter(function, iterable, /)', (a, r, interp) => {
    const it = P.iterate(interp, a.iterable, r);
    return new PyIter(() => {
      for (let v = it.next(); v !== undefined; v = it.next()) {
        const keep = a.function === null ? v : interp.call(a.function, [v], null, r);
        if (interp.truthy(keep, r)) return v;
      }
      return undefined;
    });
  }, pure),
  any: native('any(iterable, /)', (a, r, interp) => {
    const it = P.iterate(interp, a.iterable, r);
    for (let v = it.next(); v !== undefined; v = it.next()) if (v instanceof PyOpaque || interp.truthy(v, r)) return v instanceof PyOpaque ? v : true;
    return false;
  }, pure),
  all: native('all(iterable, /)', (a, r, interp) => {
    const it = P.iterate(interp, a.iterable, r);
    for (let v = it.next(); v !== undefined; v = it.next()) if (v instanceof PyOpaque || !interp.truthy(v, r)) return v instanceof PyOpaque ? v : false;
    return true;
  }, pure),
  iter: native('iter(obj, /)', (a, r, interp) => P.iterate(interp, a.obj, r), pure),
  next: native('next(iterator, *default)', (a, r, interp) => {
    if (a.iterator instanceof PyOpaque) return a.iterator;
    if (!(a.iterator instanceof PyIter)) {
      const own = P.userMethod(a.iterator, '__next__');
      if (own) return interp.call(own, [a.iterator], null, r);
      return interp.raise('TypeError', `'${typeName(a.iterator)}' object is not an iterator`, r);
    }
    const v = a.iterator.next();
    if (v !== undefined) return v;
    if (a.__varargs?.length) return a.__varargs[0];
    return interp.raise('StopIteration', '', r);
  }),
  repr: native('repr(obj, /)', (a, r, interp) => P.repr(interp, a.obj, r), pure),
  ascii: native('ascii(obj, /)', (a, r, interp) => P.repr(interp, a.obj, r), pure),
  format: native("format(value, format_spec='', /)", (a, r, interp) => P.format(interp, a.value, strArg(interp, a.format_spec, 'format spec', r), r), pure),
  divmod: native('divmod(a, b, /)', (a, r, interp) => new PyTuple([P.binop(interp, '//', a.a, a.b, r), P.binop(interp, '%', a.a, a.b, r)]), pure),
  pow: native('pow(base, exp, mod=None)', (a, r, interp) => {
    if (a.mod === null) return P.binop(interp, '**', a.base, a.exp, r);
    const [b, e, m] = [requireInt(interp, a.base, r), requireInt(interp, a.exp, r), requireInt(interp, a.mod, r)];
    if (m === 0n) interp.raise('ValueError', 'pow() 3rd argument cannot be 0', r);
    let result = 1n;
    let base = ((b % m) + m) % m;
    for (let x = e; x > 0n; x >>= 1n) {
      if (x & 1n) result = (result * base) % m;
      base = (base * base) % m;
    }
    return result;
  }, pure),
  chr: native('chr(i, /)', (a, r, interp) => String.fromCodePoint(Number(requireInt(interp, a.i, r))), pure),
  ord: native('ord(c, /)', (a, r, interp) => {
    const s = strArg(interp, a.c, 'ord() argument', r);
    if ([...s].length !== 1) interp.raise('TypeError', `ord() expected a character, but string of length ${[...s].length} found`, r);
    return BigInt(s.codePointAt(0)!);
  }, pure),
  hex: native('hex(x, /)', (a, r, interp) => {
    const v = requireInt(interp, a.x, r);
    return (v < 0n ? '-0x' : '0x') + (v < 0n ? -v : v).toString(16);
  }, pure),
  oct: native('oct(x, /)', (a, r, interp) => {
    const v = requireInt(interp, a.x, r);
    return (v < 0n ? '-0o' : '0o') + (v < 0n ? -v : v).toString(8);
  }, pure),
  bin: native('bin(x, /)', (a, r, interp) => {
    const v = requireInt(interp, a.x, r);
    return (v < 0n ? '-0b' : '0b') + (v < 0n ? -v : v).toString(2);
  }, pure),
  id: native('id(obj, /)', (a) => BigInt(typeof a.obj === 'object' && a.obj !== null ? 0x7f0000000000 + idOf(a.obj) * 16 : 0)),
  hash: native('hash(obj, /)', (a, r, interp) => {
    const k = interp.hashKeyOf(P.hashable(interp, a.obj, r));
    if (typeof k !== 'string') return BigInt(idOf(k));
    let h = 0;
    for (let i = 0; i < k.length; i++) h = (Math.imul(h, 31) + k.charCodeAt(i)) | 0;
    return BigInt(h);
  }, pure),
  callable: native('callable(obj, /)', (a) => {
    const v = a.obj;
    return v instanceof PyFunction || v instanceof PyBuiltin || v instanceof PyBoundMethod || v instanceof PyClass || !!P.userMethod(v, '__call__') || !!typeOf(v).native?.call;
  }, pure),
  exit: new PyBuiltin('exit', (_a, _k, site) => {
    throw new ScriptExit(site.r);
  }),
  quit: new PyBuiltin('quit', (_a, _k, site) => {
    throw new ScriptExit(site.r);
  }),
  open: opaqueBuiltin('open', 'open() (file I/O)'),
  input: opaqueBuiltin('input', 'input() (reading the keyboard)'),
  eval: opaqueBuiltin('eval', 'eval()', true),
  exec: opaqueBuiltin('exec', 'exec()', true),
  compile: opaqueBuiltin('compile', 'compile()'),
  globals: opaqueBuiltin('globals', 'globals()'),
  locals: opaqueBuiltin('locals', 'locals()'),
  vars: opaqueBuiltin('vars', 'vars()'),
  dir: opaqueBuiltin('dir', 'dir()'),
  __import__: opaqueBuiltin('__import__', '__import__()'),
  breakpoint: new PyBuiltin('breakpoint', () => null),
  memoryview: opaqueBuiltin('memoryview', 'memoryview'),
  bytes: opaqueBuiltin('bytes', 'bytes'),
  bytearray: opaqueBuiltin('bytearray', 'bytearray'),
  complex: opaqueBuiltin('complex', 'complex numbers'),
  object: OBJECT,
  type: T.type,
  int: T.int,
  float: T.float,
  bool: T.bool,
  str: T.str,
  list: T.list,
  tuple: T.tuple,
  dict: T.dict,
  set: T.set,
  frozenset: T.frozenset,
  range: T.range,
  slice: T.slice,
  property: T.property,
  staticmethod: T.staticmethod,
  classmethod: T.classmethod,
  super: T.super,
  NotImplemented: NOT_IMPLEMENTED,
  Ellipsis: ELLIPSIS,
};

/** Every built-in name for a new interpreter. */
export function installBuiltins(interp: Interpreter): void {
  for (const [k, v] of Object.entries(BUILTIN_FUNCTIONS)) interp.builtins.set(k, v);
  for (const [k, v] of EXCEPTIONS) interp.builtins.set(k, v);
}

export { PyRaise };
