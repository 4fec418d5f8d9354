/**
 * Python's object protocol over the interpreter's values: operators, comparison, truthiness,
 * length, iteration, indexing, str/repr and format. Built-in types are handled here directly;
 * user classes through their dunder methods; native classes (tensors, modules) through the hooks
 * their class declares.
 */
import type { Range } from './ast';
import { CantFollow, LimitExceeded } from './errors';
import { floatRepr, formatFloat, formatInt, FormatError, formatStr, parseSpec, PercentArgs, percentFormat, strRepr } from './format';
import type { Interpreter } from './interpreter';
import {
  Kwargs,
  NativeClass,
  NOT_IMPLEMENTED,
  PyBoundMethod,
  PyBuiltin,
  PyClass,
  PyDict,
  PyFunction,
  PyInstance,
  PyIter,
  PyList,
  PyModule,
  PyOpaque,
  PyRange,
  PySet,
  PySlice,
  PyTuple,
  idOf,
  isInt,
  isNumber,
  toBigInt,
  toNumber,
  typeName,
  typeOf,
  Value,
  ELLIPSIS,
  UnhashableError,
} from './values';

export const DUNDER: Record<string, string> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'truediv',
  '//': 'floordiv',
  '%': 'mod',
  '**': 'pow',
  '@': 'matmul',
  '&': 'and',
  '|': 'or',
  '^': 'xor',
  '<<': 'lshift',
  '>>': 'rshift',
};

const COMPARE_DUNDER: Record<string, [string, string]> = {
  '<': ['__lt__', '__gt__'],
  '<=': ['__le__', '__ge__'],
  '>': ['__gt__', '__lt__'],
  '>=': ['__ge__', '__le__'],
  '==': ['__eq__', '__eq__'],
  '!=': ['__ne__', '__ne__'],
};

/**
 * A dunder method an instance's class defines: the user's `def`, or a method a native base class
 * (nn.Module's __call__) or @dataclass put in the class.
 */
export function userMethod(v: Value, name: string): PyFunction | PyBuiltin | null {
  if (!(v instanceof PyInstance)) return null;
  const m = v.cls.lookup(name);
  return m instanceof PyFunction || (m instanceof PyBuiltin && m.method) ? m : null;
}

/** A dict subclass's own method (Counter's __missing__ and __delitem__, OrderedDict's); null for dict itself. */
function dictMethod(interp: Interpreter, d: PyDict, name: string): PyFunction | PyBuiltin | null {
  if (d.type === interp.T.dict) return null;
  const m = d.type.lookup(name);
  return m instanceof PyFunction || (m instanceof PyBuiltin && m.method) ? m : null;
}

function nativeOf(v: Value): NativeClass | null {
  return typeOf(v).native;
}

/** Bits of a bigint's magnitude, cheaply for small ones. */
function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x < 9007199254740992n) return x === 0n ? 0 : Math.floor(Math.log2(Number(x))) + 1;
  return x.toString(16).length * 4;
}

function checkInt(interp: Interpreter, x: bigint, r: Range): bigint {
  if (bitLength(x) > interp.limits.maxIntBits) {
    throw new LimitExceeded('size', `an int larger than ${interp.limits.maxIntBits} bits`, r);
  }
  return x;
}

function floorDiv(x: bigint, y: bigint): bigint {
  const q = x / y;
  return (x % y !== 0n && (x < 0n) !== (y < 0n)) ? q - 1n : q;
}

function intMod(x: bigint, y: bigint): bigint {
  const m = x % y;
  return m !== 0n && (m < 0n) !== (y < 0n) ? m + y : m;
}

function floatMod(x: number, y: number): number {
  const m = x % y;
  return m !== 0 && (m < 0) !== (y < 0) ? m + y : m === 0 ? (y < 0 ? -0 : 0) : m;
}

function numeric(interp: Interpreter, op: string, a: bigint | boolean | number, b: bigint | boolean | number, r: Range): Value {
  if (isInt(a) && isInt(b)) {
    if (typeof a === 'boolean' && typeof b === 'boolean' && (op === '&' || op === '|' || op === '^')) {
      return op === '&' ? a && b : op === '|' ? a || b : a !== b;
    }
    const x = toBigInt(a);
    const y = toBigInt(b);
    switch (op) {
      case '+':
        return checkInt(interp, x + y, r);
      case '-':
        return checkInt(interp, x - y, r);
      case '*':
        if (bitLength(x) + bitLength(y) > interp.limits.maxIntBits + 1) checkInt(interp, 1n << BigInt(interp.limits.maxIntBits + 1), r);
        return x * y;
      case '/':
        if (y === 0n) interp.raise('ZeroDivisionError', 'division by zero', r);
        return Number(x) / Number(y);
      case '//':
        if (y === 0n) interp.raise('ZeroDivisionError', 'integer division or modulo by zero', r);
        return floorDiv(x, y);
      case '%':
        if (y === 0n) interp.raise('ZeroDivisionError', 'integer modulo by zero', r);
        return intMod(x, y);
      case '**':
        if (y < 0n) {
          if (x === 0n) interp.raise('ZeroDivisionError', '0.0 cannot be raised to a negative power', r);
          return Math.pow(Number(x), Number(y));
        }
        if (x === 0n || x === 1n || x === -1n) return x ** y;
        if (BigInt(bitLength(x)) * y > BigInt(interp.limits.maxIntBits)) checkInt(interp, 1n << BigInt(interp.limits.maxIntBits + 1), r);
        return x ** y;
      case '&':
        return x & y;
      case '|':
        return x | y;
      case '^':
        return x ^ y;
      case '<<':
        if (y < 0n) interp.raise('ValueError', 'negative shift count', r);
        if (y > BigInt(interp.limits.maxIntBits)) checkInt(interp, 1n << BigInt(interp.limits.maxIntBits + 1), r);
        return checkInt(interp, x << y, r);
      case '>>':
        if (y < 0n) interp.raise('ValueError', 'negative shift count', r);
        return x >> y;
    }
  }
  const x = toNumber(a);
  const y = toNumber(b);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) interp.raise('ZeroDivisionError', 'float division by zero', r);
      return x / y;
    case '//':
      if (y === 0) interp.raise('ZeroDivisionError', 'float floor division by zero', r);
      return Math.floor(x / y);
    case '%':
      if (y === 0) interp.raise('ZeroDivisionError', 'float modulo', r);
      return floatMod(x, y);
    case '**': {
      if (x === 0 && y < 0) interp.raise('ZeroDivisionError', '0.0 cannot be raised to a negative power', r);
      const p = Math.pow(x, y);
      if (p !== p && x === x && y === y) return new PyOpaque('complex numbers (a negative number to a fractional power)', r);
      if (!Number.isFinite(p) && Number.isFinite(x) && Number.isFinite(y)) interp.raise('OverflowError', 'Numerical result out of range', r);
      return p;
    }
  }
  return NOT_IMPLEMENTED;
}

function repeat(interp: Interpreter, items: readonly Value[], n: bigint | boolean, r: Range): Value[] {
  const times = Number(toBigInt(n));
  if (times <= 0 || !items.length) return [];
  if (items.length * times > interp.limits.maxLength) throw new LimitExceeded('size', `a sequence longer than ${interp.limits.maxLength} elements`, r);
  const out: Value[] = [];
  for (let i = 0; i < times; i++) out.push(...items);
  return out;
}

function checkLength(interp: Interpreter, n: number, r: Range): void {
  if (n > interp.limits.maxLength) throw new LimitExceeded('size', `a value longer than ${interp.limits.maxLength} elements`, r);
}

/** Built-in types' operators; NOT_IMPLEMENTED when neither operand is one of them. */
function builtinBinop(interp: Interpreter, op: string, a: Value, b: Value, r: Range): Value {
  if (isNumber(a) && isNumber(b)) return numeric(interp, op, a, b, r);
  if (typeof a === 'string') {
    if (op === '+' && typeof b === 'string') {
      checkLength(interp, a.length + b.length, r);
      return a + b;
    }
    if (op === '*' && isInt(b)) {
      const n = Number(toBigInt(b));
      if (n <= 0) return '';
      checkLength(interp, a.length * n, r);
      return a.repeat(n);
    }
    if (op === '%') return percent(interp, a, b, r);
  }
  if (op === '*' && isInt(a) && (typeof b === 'string' || b instanceof PyList || (b instanceof PyTuple && b.type === interp.T.tuple))) return builtinBinop(interp, op, b, a, r);
  if (a instanceof PyList) {
    if (op === '+' && b instanceof PyList) {
      checkLength(interp, a.items.length + b.items.length, r);
      return new PyList([...a.items, ...b.items]);
    }
    if (op === '*' && isInt(b)) return new PyList(repeat(interp, a.items, b, r));
  }
  if (a instanceof PyTuple) {
    if (op === '+' && b instanceof PyTuple) {
      checkLength(interp, a.items.length + b.items.length, r);
      return new PyTuple([...a.items, ...b.items]);
    }
    if (op === '*' && isInt(b)) return new PyTuple(repeat(interp, a.items, b, r));
  }
  if (a instanceof PySet && b instanceof PySet) {
    const out = new PySet(a.frozen);
    switch (op) {
      case '|':
        a.values().forEach((v) => out.add(v));
        b.values().forEach((v) => out.add(v));
        return out;
      case '&':
        a.values().forEach((v) => b.has(v) && out.add(v));
        return out;
      case '-':
        a.values().forEach((v) => !b.has(v) && out.add(v));
        return out;
      case '^':
        a.values().forEach((v) => !b.has(v) && out.add(v));
        b.values().forEach((v) => !a.has(v) && out.add(v));
        return out;
    }
  }
  // dict's merge; a subclass with its own | (Counter's largest count) answers in dispatch.
  if (a instanceof PyDict && b instanceof PyDict && op === '|' && !nativeOf(a)?.binop && !nativeOf(b)?.binop) {
    const out = new PyDict();
    for (const [k, v] of a.entries()) out.set(k, v);
    for (const [k, v] of b.entries()) out.set(k, v);
    return out;
  }
  return NOT_IMPLEMENTED;
}

/** `a op b` with Python's dispatch: built-ins, then a.__op__(b), then b.__rop__(a). */
export function binop(interp: Interpreter, op: string, a: Value, b: Value, r: Range): Value {
  if (a instanceof PyOpaque) return a;
  if (b instanceof PyOpaque) return b;
  const v = builtinBinop(interp, op, a, b, r);
  if (v !== NOT_IMPLEMENTED) return v;
  const name = DUNDER[op];
  const res = dispatch(interp, op, a, b, `__${name}__`, `__r${name}__`, (n) => n?.binop, r);
  if (res !== NOT_IMPLEMENTED) return res;
  return interp.raise('TypeError', `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`, r);
}

/** `a op= b`: in place for lists (and whatever a native class does in place), else `a = a op b`. */
export function inplace(interp: Interpreter, op: string, a: Value, b: Value, r: Range): Value {
  if (a instanceof PyList && op === '+' && !(b instanceof PyOpaque)) {
    const more = interp.toArray(b, r);
    checkLength(interp, a.items.length + more.length, r);
    a.items.push(...more);
    return a;
  }
  if (a instanceof PyList && op === '*' && isInt(b)) {
    a.items = repeat(interp, a.items, b, r);
    return a;
  }
  const own = userMethod(a, `__i${DUNDER[op]}__`);
  if (own) {
    const res = interp.call(own, [a, b], null, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  const native = nativeOf(a)?.inplace;
  if (native) {
    const res = native(op, a, b, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  return binop(interp, op, a, b, r);
}

export function unary(interp: Interpreter, op: '-' | '+' | '~', a: Value, r: Range): Value {
  if (a instanceof PyOpaque) return a;
  if (typeof a === 'number') return op === '-' ? -a : op === '+' ? a : interp.raise('TypeError', "bad operand type for unary ~: 'float'", r);
  if (isInt(a)) {
    const x = toBigInt(a);
    return op === '-' ? -x : op === '+' ? x : ~x;
  }
  const own = userMethod(a, op === '-' ? '__neg__' : op === '+' ? '__pos__' : '__invert__');
  if (own) return interp.call(own, [a], null, r);
  const native = nativeOf(a)?.unary;
  if (native) {
    const res = native(op, a, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  return interp.raise('TypeError', `bad operand type for unary ${op}: '${typeName(a)}'`, r);
}

function percent(interp: Interpreter, fmt: string, args: Value, r: Range): Value {
  const positional = args instanceof PyTuple ? [...args.items] : [args];
  let i = 0;
  const reader: PercentArgs = {
    next: () => {
      if (i >= positional.length) interp.raise('TypeError', 'not enough arguments for format string', r);
      const v = positional[i++];
      if (v instanceof PyOpaque) throw new CantFollow(v, r);
      return v;
    },
    byKey: (k) => {
      if (!(args instanceof PyDict)) return interp.raise('TypeError', 'format requires a mapping', r);
      const v = args.get(k);
      if (v === undefined) return interp.raiseArgs('KeyError', [k], r);
      return v;
    },
    str: (v) => str(interp, v as Value, r),
    repr: (v) => repr(interp, v as Value, r),
    toNumber: (v, _kind, code) => {
      const x = interp.toNumberLike(v as Value, r);
      if (x === null) return interp.raise('TypeError', `%${code} format: a real number is required, not ${typeName(v as Value)}`, r);
      if (_kind === 'int') return typeof x === 'number' ? BigInt(Math.trunc(x)) : toBigInt(x);
      return toNumber(x);
    },
    toInt: (v) => {
      if (!isInt(v as Value)) return interp.raise('TypeError', '* wants int', r);
      return Number(toBigInt(v as bigint));
    },
  };
  let out: string;
  try {
    out = percentFormat(fmt, reader);
  } catch (e) {
    if (e instanceof FormatError) return interp.raise('ValueError', e.message, r);
    throw e;
  }
  if (args instanceof PyTuple && i < positional.length) {
    interp.raise('TypeError', 'not all arguments converted during string formatting', r);
  }
  return out;
}

// ── comparison ──────────────────────────────────────────────────────────────

/** Python's == between two values, as a boolean (element-wise results reduced by truthiness). */
export function eq(interp: Interpreter, a: Value, b: Value, r: Range): boolean {
  interp.tick(r);
  if (a === b) return !(typeof a === 'number' && a !== a);
  if (isNumber(a) && isNumber(b)) return typeof a === 'boolean' || typeof b === 'boolean' ? toNumber(a) === toNumber(b) : a == b;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return false;
  if ((a instanceof PyTuple && b instanceof PyTuple) || (a instanceof PyList && b instanceof PyList)) {
    const x = (a as PyTuple | PyList).items;
    const y = (b as PyTuple | PyList).items;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!eq(interp, x[i], y[i], r)) return false;
    return true;
  }
  if (a instanceof PyDict && b instanceof PyDict) {
    // A dict subclass with its own comparison (Counter's multiset equality) answers first.
    if (nativeOf(a)?.compare || nativeOf(b)?.compare) {
      const res = hooks(interp, '==', a, b, r);
      if (res !== NOT_IMPLEMENTED) return truthy(interp, res, r);
    }
    if (a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const w = b.get(k);
      if (w === undefined || !eq(interp, v, w, r)) return false;
    }
    return true;
  }
  if (a instanceof PySet && b instanceof PySet) return a.map.size === b.map.size && a.values().every((v) => b.has(v));
  if (a instanceof PyRange && b instanceof PyRange) {
    const n = a.length;
    return n === b.length && (n === 0n || (a.start === b.start && (n === 1n || a.step === b.step)));
  }
  const res = hooks(interp, '==', a, b, r);
  return res === NOT_IMPLEMENTED ? false : interp.truthy(res, r);
}

type PairHook = (op: string, self: Value, other: Value, reflected: boolean, site: Range) => Value;

/**
 * Python's dispatch of a binary operation: the left operand's dunder or native hook, then the
 * right operand's reflected one; NOT_IMPLEMENTED when none answers.
 */
function dispatch(interp: Interpreter, op: string, a: Value, b: Value, own: string, reflected: string, hookOf: (n: NativeClass | null) => PairHook | undefined, r: Range): Value {
  const left = userMethod(a, own);
  if (left) {
    const res = interp.call(left, [a, b], null, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  const na = hookOf(nativeOf(a));
  if (na) {
    const res = na(op, a, b, false, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  const right = userMethod(b, reflected);
  if (right) {
    const res = interp.call(right, [b, a], null, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  const nb = hookOf(nativeOf(b));
  if (nb && nb !== na) {
    const res = nb(op, b, a, true, r);
    if (res !== NOT_IMPLEMENTED) return res;
  }
  return NOT_IMPLEMENTED;
}

/** A comparison through the user's dunders or the native hooks. */
function hooks(interp: Interpreter, op: string, a: Value, b: Value, r: Range): Value {
  const [own, reflected] = COMPARE_DUNDER[op];
  return dispatch(interp, op, a, b, own, reflected, (n) => n?.compare, r);
}

function lexicographic(interp: Interpreter, op: string, x: readonly Value[], y: readonly Value[], r: Range): boolean {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (!eq(interp, x[i], y[i], r)) return interp.truthy(compare(interp, op, x[i], y[i], r), r);
  }
  return order(op, x.length, y.length);
}

function order(op: string, x: number | bigint | string, y: number | bigint | string): boolean {
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
  return false;
}

/** A comparison operator's value: a bool, or what a user or native class returns (a tensor for x > 0). */
export function compare(interp: Interpreter, op: string, a: Value, b: Value, r: Range): Value {
  if (a instanceof PyOpaque) return a;
  if (b instanceof PyOpaque) return b;
  switch (op) {
    case 'is':
      return identical(a, b);
    case 'is not':
      return !identical(a, b);
    case 'in':
      return contains(interp, b, a, r);
    case 'not in':
      return !contains(interp, b, a, r);
  }
  if (isNumber(a) && isNumber(b)) {
    const x = typeof a === 'boolean' ? Number(a) : a;
    const y = typeof b === 'boolean' ? Number(b) : b;
    switch (op) {
      case '==':
        return x == y;
      case '!=':
        return x != y;
      default:
        return order(op, x, y);
    }
  }
  if (typeof a === 'string' && typeof b === 'string') return op === '==' ? a === b : op === '!=' ? a !== b : order(op, a, b);
  const res = hooks(interp, op, a, b, r);
  if (res !== NOT_IMPLEMENTED) return res;
  if (op === '==') return eq(interp, a, b, r);
  if (op === '!=') return !eq(interp, a, b, r);
  if ((a instanceof PyList && b instanceof PyList) || (a instanceof PyTuple && b instanceof PyTuple)) return lexicographic(interp, op, a.items, b.items, r);
  if (a instanceof PySet && b instanceof PySet) {
    const sub = (x: PySet, y: PySet) => x.values().every((v) => y.has(v));
    switch (op) {
      case '<=':
        return sub(a, b);
      case '<':
        return sub(a, b) && a.map.size < b.map.size;
      case '>=':
        return sub(b, a);
      case '>':
        return sub(b, a) && b.map.size < a.map.size;
    }
  }
  return interp.raise('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`, r);
}

/** `a is b`: the same object; equal primitives of the same type count as the same (CPython caches them). */
export function identical(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  return a === b;
}

export function contains(interp: Interpreter, container: Value, v: Value, r: Range): boolean {
  if (container instanceof PyOpaque) throw new CantFollow(container, r);
  if (typeof container === 'string') {
    if (typeof v !== 'string') return interp.raise('TypeError', `'in <string>' requires string as left operand, not ${typeName(v)}`, r);
    return container.includes(v);
  }
  if (container instanceof PyDict) return container.has(hashable(interp, v, r) as Value);
  if (container instanceof PySet) return container.has(hashable(interp, v, r) as Value);
  if (container instanceof PyList || container instanceof PyTuple) {
    return container.items.some((x) => identical(x, v) || eq(interp, x, v, r));
  }
  if (container instanceof PyRange) {
    if (!isInt(v) && !(typeof v === 'number' && Number.isInteger(v))) return false;
    const x = typeof v === 'number' ? BigInt(v) : toBigInt(v);
    const { start, step } = container;
    const n = container.length;
    if (n === 0n) return false;
    const last = container.at(n - 1n);
    const inside = step > 0n ? x >= start && x <= last : x <= start && x >= last;
    return inside && (x - start) % step === 0n;
  }
  const own = userMethod(container, '__contains__');
  if (own) return interp.truthy(interp.call(own, [container, v], null, r), r);
  const native = nativeOf(container)?.contains;
  if (native) return native(container, v, r);
  const it = iterate(interp, container, r);
  for (let x = it.next(); x !== undefined; x = it.next()) if (identical(x, v) || eq(interp, x, v, r)) return true;
  return false;
}

/** Checks a dict key or set member can be hashed (raises TypeError as Python does). */
export function hashable(interp: Interpreter, v: Value, r: Range): Value {
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  try {
    typeof v === 'object' && v !== null && interp.hashKeyOf(v);
  } catch (e) {
    if (e instanceof UnhashableError) interp.raise('TypeError', e.message, r);
    throw e;
  }
  return v;
}

// ── truthiness, length, iteration, items ─────────────────────────────────────

export function truthy(interp: Interpreter, v: Value, r: Range): boolean {
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
    case 'string':
      return v.length > 0;
  }
  if (v === null) return false;
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  if (v instanceof PyList || v instanceof PyTuple) return v.items.length > 0;
  if (v instanceof PyDict) return v.size > 0;
  if (v instanceof PySet) return v.map.size > 0;
  if (v instanceof PyRange) return v.length > 0n;
  const b = userMethod(v, '__bool__');
  if (b) return interp.truthy(interp.call(b, [v], null, r), r);
  const native = nativeOf(v);
  if (native?.bool) return native.bool(v, r);
  const l = userMethod(v, '__len__');
  if (l) return interp.truthy(interp.call(l, [v], null, r), r);
  if (native?.len) return native.len(v, r) > 0;
  return true;
}

export function len(interp: Interpreter, v: Value, r: Range): number {
  if (typeof v === 'string') return countCodePoints(v);
  const unknown = interp.unfilled.causeOf(v);
  if (unknown) throw unknown;
  if (v instanceof PyList || v instanceof PyTuple) return v.items.length;
  if (v instanceof PyDict) return v.size;
  if (v instanceof PySet) return v.map.size;
  if (v instanceof PyRange) return Number(v.length);
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  const own = userMethod(v, '__len__');
  if (own) {
    const n = interp.call(own, [v], null, r);
    if (n instanceof PyOpaque) throw new CantFollow(n, r);
    if (!isInt(n)) return interp.raise('TypeError', `'${typeName(n)}' object cannot be interpreted as an integer`, r);
    return Number(toBigInt(n));
  }
  const native = nativeOf(v)?.len;
  if (native) return native(v, r);
  return interp.raise('TypeError', `object of type '${typeName(v)}' has no len()`, r);
}

function countCodePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

export function iterate(interp: Interpreter, v: Value, r: Range): PyIter {
  if (v instanceof PyIter) return v;
  const unknown = interp.unfilled.causeOf(v);
  if (unknown) throw unknown;
  if (v instanceof PyList) {
    let i = 0;
    return new PyIter(() => (i < v.items.length ? v.items[i++] : undefined));
  }
  if (v instanceof PyTuple) return PyIter.over(v.items);
  if (typeof v === 'string') return PyIter.over([...v]);
  if (v instanceof PyDict) return PyIter.over(v.keys());
  if (v instanceof PySet) return PyIter.over(v.values());
  if (v instanceof PyRange) {
    let i = 0n;
    const n = v.length;
    return new PyIter(() => (i < n ? v.at(i++) : undefined));
  }
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  const own = userMethod(v, '__iter__');
  if (own) {
    const it = interp.call(own, [v], null, r);
    if (it instanceof PyIter) return it;
    const next = userMethod(it, '__next__');
    if (!next) return interp.raise('TypeError', `iter() returned non-iterator of type '${typeName(it)}'`, r);
    let done = false;
    return new PyIter(() => {
      if (done) return undefined;
      try {
        return interp.call(next, [it], null, r);
      } catch (e) {
        if (interp.isException(e, 'StopIteration')) {
          done = true;
          return undefined;
        }
        throw e;
      }
    });
  }
  const native = nativeOf(v)?.iter;
  if (native) return native(v, r);
  // Python's older protocol: an object with __getitem__ (a map-style Dataset) iterates by index until IndexError.
  if (userMethod(v, '__getitem__') || nativeOf(v)?.getitem) {
    let i = 0n;
    let done = false;
    return new PyIter(() => {
      if (done) return undefined;
      try {
        return interp.getItem(v, i++, r);
      } catch (e) {
        if (interp.isException(e, 'IndexError') || interp.isException(e, 'StopIteration')) {
          done = true;
          return undefined;
        }
        throw e;
      }
    });
  }
  return interp.raise('TypeError', `'${typeName(v)}' object is not iterable`, r);
}

/** A sequence index as Python normalises it; IndexError past the end. */
function index(interp: Interpreter, key: Value, n: number, what: string, r: Range): number {
  const i0 = interp.toIndex(key, r, `${what} indices must be integers or slices, not ${typeName(key)}`);
  const i = i0 < 0 ? i0 + n : i0;
  if (i < 0 || i >= n) interp.raise('IndexError', `${what} index out of range`, r);
  return i;
}

/** slice.indices(n): start, stop, step clamped as CPython does. */
export function sliceIndices(interp: Interpreter, s: PySlice, n: number, r: Range): [number, number, number] {
  const get = (v: Value, dflt: number) => (v === null ? dflt : interp.toIndex(v, r, 'slice indices must be integers or None or have an __index__ method'));
  const step = get(s.step, 1);
  if (step === 0) interp.raise('ValueError', 'slice step cannot be zero', r);
  const clamp = (v: Value, dflt: number) => {
    if (v === null) return dflt;
    let i = get(v, 0);
    if (i < 0) i += n;
    if (step > 0) return Math.max(0, Math.min(i, n));
    return Math.max(-1, Math.min(i, n - 1));
  };
  return [clamp(s.lo, step > 0 ? 0 : n - 1), clamp(s.hi, step > 0 ? n : -1), step];
}

export function sliceOf<T>(interp: Interpreter, items: readonly T[], s: PySlice, r: Range): T[] {
  const [start, stop, step] = sliceIndices(interp, s, items.length, r);
  const out: T[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(items[i]);
  else for (let i = start; i > stop; i += step) out.push(items[i]);
  return out;
}

export function getItem(interp: Interpreter, obj: Value, key: Value, r: Range): Value {
  if (obj instanceof PyOpaque) return obj;
  if (key instanceof PyOpaque && !(obj instanceof PyDict)) throw new CantFollow(key, r);
  if (obj instanceof PyList || (obj instanceof PyTuple && !nativeOf(obj)?.getitem)) {
    const what = obj instanceof PyList ? 'list' : 'tuple';
    if (key instanceof PySlice) {
      const items = sliceOf(interp, obj.items, key, r);
      return obj instanceof PyList ? new PyList(items) : new PyTuple(items);
    }
    return obj.items[index(interp, key, obj.items.length, what, r)];
  }
  if (typeof obj === 'string') {
    const chars = [...obj];
    if (key instanceof PySlice) return sliceOf(interp, chars, key, r).join('');
    return chars[index(interp, key, chars.length, 'string', r)];
  }
  if (obj instanceof PyDict) {
    if (key instanceof PyOpaque) throw new CantFollow(key, r);
    hashable(interp, key, r);
    const v = obj.get(key);
    if (v !== undefined) return v;
    const missing = dictMethod(interp, obj, '__missing__');
    if (missing) return interp.call(missing, [obj, key], null, r);
    return interp.raiseArgs('KeyError', [key], r);
  }
  if (obj instanceof PyRange) {
    if (key instanceof PySlice) {
      const n = Number(obj.length);
      const [start, stop, step] = sliceIndices(interp, key, n, r);
      const s = BigInt(step);
      return new PyRange(obj.at(BigInt(start)), obj.at(BigInt(stop)), obj.step * s);
    }
    return obj.at(BigInt(index(interp, key, Number(obj.length), 'range object', r)));
  }
  const own = userMethod(obj, '__getitem__');
  if (own) return interp.call(own, [obj, key], null, r);
  const native = nativeOf(obj)?.getitem;
  if (native) return native(obj, key, r);
  if (obj instanceof PyClass) {
    const generic = obj.lookup('__class_getitem__');
    if (generic) return interp.call(generic, [key], null, r);
    // list[int], Dict[str, int]: a generic alias stands for its class wherever it is used at run time.
    return obj;
  }
  return interp.raise('TypeError', `'${typeName(obj)}' object is not subscriptable`, r);
}

export function setItem(interp: Interpreter, obj: Value, key: Value, v: Value, r: Range): void {
  if (obj instanceof PyOpaque) return;
  if (obj instanceof PyList) {
    if (key instanceof PySlice) {
      const [start, stop, step] = sliceIndices(interp, key, obj.items.length, r);
      const values = interp.toArray(v, r);
      if (step === 1) {
        obj.items.splice(start, Math.max(0, stop - start), ...values);
        return;
      }
      const idx: number[] = [];
      if (step > 0) for (let i = start; i < stop; i += step) idx.push(i);
      else for (let i = start; i > stop; i += step) idx.push(i);
      if (idx.length !== values.length) interp.raise('ValueError', `attempt to assign sequence of size ${values.length} to extended slice of size ${idx.length}`, r);
      idx.forEach((i, j) => (obj.items[i] = values[j]));
      return;
    }
    obj.items[index(interp, key, obj.items.length, 'list assignment', r)] = v;
    return;
  }
  if (obj instanceof PyDict) {
    obj.set(hashable(interp, key, r), v);
    return;
  }
  const own = userMethod(obj, '__setitem__');
  if (own) {
    interp.call(own, [obj, key, v], null, r);
    return;
  }
  const native = nativeOf(obj)?.setitem;
  if (native) {
    native(obj, key, v, r);
    return;
  }
  interp.raise('TypeError', `'${typeName(obj)}' object does not support item assignment`, r);
}

export function delItem(interp: Interpreter, obj: Value, key: Value, r: Range): void {
  if (obj instanceof PyOpaque) return;
  if (obj instanceof PyList) {
    if (key instanceof PySlice) {
      const keep = new Set(sliceIndicesList(interp, key, obj.items.length, r));
      obj.items = obj.items.filter((_, i) => !keep.has(i));
      return;
    }
    obj.items.splice(index(interp, key, obj.items.length, 'list assignment', r), 1);
    return;
  }
  if (obj instanceof PyDict) {
    const own = dictMethod(interp, obj, '__delitem__');
    if (own) interp.call(own, [obj, key], null, r);
    else if (!obj.delete(hashable(interp, key, r))) interp.raiseArgs('KeyError', [key], r);
    return;
  }
  const own = userMethod(obj, '__delitem__');
  if (own) {
    interp.call(own, [obj, key], null, r);
    return;
  }
  const native = nativeOf(obj)?.delitem;
  if (native) {
    native(obj, key, r);
    return;
  }
  interp.raise('TypeError', `'${typeName(obj)}' object doesn't support item deletion`, r);
}

function sliceIndicesList(interp: Interpreter, s: PySlice, n: number, r: Range): number[] {
  const [start, stop, step] = sliceIndices(interp, s, n, r);
  const out: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

// ── text ───────────────────────────────────────────────────────────────────

const active = new Set<object>();

/** Guards repr of a container that contains itself ([...] as CPython prints it). */
function guarded(v: object, open: string, close: string, body: () => string): string {
  if (active.has(v)) return `${open}...${close}`;
  active.add(v);
  try {
    return body();
  } finally {
    active.delete(v);
  }
}

function address(o: object): string {
  return `0x${(0x7f0000000000 + idOf(o) * 16).toString(16)}`;
}

export function repr(interp: Interpreter, v: Value, r: Range): string {
  // Shared sub-containers can make a repr exponentially long: every element costs a step.
  interp.tick(r);
  switch (typeof v) {
    case 'boolean':
      return v ? 'True' : 'False';
    case 'bigint':
      return v.toString();
    case 'number':
      return floatRepr(v);
    case 'string':
      return strRepr(v);
  }
  if (v === null) return 'None';
  if (v === ELLIPSIS) return 'Ellipsis';
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  if (v instanceof PyList) return guarded(v, '[', ']', () => `[${v.items.map((x) => repr(interp, x, r)).join(', ')}]`);
  if (v instanceof PyTuple && !nativeOf(v)?.repr) {
    return guarded(v, '(', ')', () => (v.items.length === 1 ? `(${repr(interp, v.items[0], r)},)` : `(${v.items.map((x) => repr(interp, x, r)).join(', ')})`));
  }
  if (v instanceof PyDict && v.type === interp.T.dict) {
    return guarded(v, '{', '}', () => `{${v.entries().map(([k, x]) => `${repr(interp, k, r)}: ${repr(interp, x, r)}`).join(', ')}}`);
  }
  if (v instanceof PySet) {
    const items = v.values().map((x) => repr(interp, x, r));
    if (v.frozen) return items.length ? `frozenset({${items.join(', ')}})` : 'frozenset()';
    return items.length ? `{${items.join(', ')}}` : 'set()';
  }
  if (v instanceof PyRange) return v.step === 1n ? `range(${v.start}, ${v.stop})` : `range(${v.start}, ${v.stop}, ${v.step})`;
  if (v instanceof PySlice) return `slice(${repr(interp, v.lo, r)}, ${repr(interp, v.hi, r)}, ${repr(interp, v.step, r)})`;
  if (v instanceof PyClass) return `<class '${v.module === 'builtins' ? v.name : `${v.module}.${v.name}`}'>`;
  if (v instanceof PyFunction) return `<function ${v.name} at ${address(v)}>`;
  if (v instanceof PyBuiltin) return `<built-in function ${v.name}>`;
  if (v instanceof PyBoundMethod) return `<bound method of ${repr(interp, v.self, r)}>`;
  if (v instanceof PyModule) return `<module '${v.name}'>`;
  const own = userMethod(v, '__repr__');
  if (own) {
    const s = interp.call(own, [v], null, r);
    if (typeof s !== 'string') return interp.raise('TypeError', `__repr__ returned non-string (type ${typeName(s)})`, r);
    return s;
  }
  const native = nativeOf(v)?.repr;
  if (native) return native(v, r, interp);
  const t = typeOf(v);
  return `<${t.module === 'builtins' ? '' : t.module + '.'}${t.name} object at ${address(v)}>`;
}

export function str(interp: Interpreter, v: Value, r: Range): string {
  if (typeof v === 'string') return v;
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  const own = userMethod(v, '__str__');
  if (own) {
    const s = interp.call(own, [v], null, r);
    if (typeof s !== 'string') return interp.raise('TypeError', `__str__ returned non-string (type ${typeName(s)})`, r);
    return s;
  }
  const native = nativeOf(v)?.str;
  if (native) return native(v, r, interp);
  return repr(interp, v, r);
}

/** format(v, spec): the format-spec mini-language for numbers and strings, __format__ for the rest. */
export function format(interp: Interpreter, v: Value, spec: string, r: Range): string {
  try {
    if (typeof v === 'boolean') return spec === '' ? str(interp, v, r) : formatInt(v ? 1n : 0n, parseSpec(spec));
    if (typeof v === 'bigint') return formatInt(v, parseSpec(spec));
    if (typeof v === 'number') return formatFloat(v, parseSpec(spec));
    if (typeof v === 'string') return formatStr(v, parseSpec(spec));
    const own = userMethod(v, '__format__');
    if (own) {
      const s = interp.call(own, [v, spec], null, r);
      if (typeof s !== 'string') return interp.raise('TypeError', `__format__ must return a str, not ${typeName(s)}`, r);
      return s;
    }
    const native = nativeOf(v)?.format;
    if (native) return native(v, spec, r);
    if (spec === '') return str(interp, v, r);
    return interp.raise('TypeError', `unsupported format string passed to ${typeName(v)}.__format__`, r);
  } catch (e) {
    if (e instanceof FormatError) return interp.raise('ValueError', e.message, r);
    throw e;
  }
}

/** Calls `fn(...)` for its effect on keyword arguments: builds the Kwargs map from a dict (for **kw). */
export function kwargsFrom(interp: Interpreter, d: Value, into: Kwargs, r: Range, fn: Value): void {
  const label = fn instanceof PyFunction ? `${fn.owner ? '' : '__main__.'}${fn.name}()` : fn instanceof PyBuiltin ? `${fn.name}()` : typeName(fn) + '()';
  if (!(d instanceof PyDict)) {
    if (d instanceof PyOpaque) throw new CantFollow(d, r);
    interp.raise('TypeError', `argument after ** must be a mapping, not ${typeName(d)}`, r);
  }
  for (const [k, v] of (d as PyDict).entries()) {
    if (typeof k !== 'string') interp.raise('TypeError', 'keywords must be strings', r);
    if (into.has(k as string)) interp.raise('TypeError', `${label} got multiple values for keyword argument '${k}'`, r);
    into.set(k as string, v);
  }
}
