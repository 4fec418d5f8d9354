/**
 * Python values as the interpreter holds them. Primitives are JavaScript's own: None is null, bool
 * a boolean, int a bigint (Python ints do not overflow), float a number, str a string. Everything
 * else is a PyObj whose `type` is its Python class.
 */
import type { FunctionDef, Expr, Param, Range } from './ast';
import type { Interpreter } from './interpreter';

export type Value = null | boolean | bigint | number | string | PyObj;

/** Keyword arguments in call order. */
export type Kwargs = Map<string, Value>;

export abstract class PyObj {
  abstract get type(): PyClass;
}

// ── classes ─────────────────────────────────────────────────────────────────

/**
 * What a class implemented in TypeScript (int, list, nn.Module, torch.Tensor, Exception) adds to the
 * Python protocol. Every hook is optional; a user class deriving a native one inherits its hooks,
 * and its own dunder methods come first.
 */
export interface NativeClass {
  /** Calling the class makes the value directly (int('3'), list(x)); no __init__ protocol. */
  construct?: (cls: PyClass, args: Value[], kwargs: Kwargs | null, site: Range, interp: Interpreter) => Value;
  /** A fresh instance for `cls` (a user subclass, maybe) before __init__ runs. */
  alloc?: (cls: PyClass, site: Range) => PyInstance;
  /** Attribute lookup after the instance dict and the class (nn.Module's parameters, a tensor's shape). */
  getattr?: (obj: Value, name: string, site: Range) => Value | undefined;
  /** Attribute assignment (nn.Module registers modules and parameters); false to store it normally. */
  setattr?: (obj: Value, name: string, value: Value, site: Range) => boolean;
  delattr?: (obj: Value, name: string, site: Range) => boolean;
  call?: (obj: Value, args: Value[], kwargs: Kwargs | null, site: Range) => Value;
  /** `a op b`; `reflected` when `self` was the right operand. NOT_IMPLEMENTED to decline. */
  binop?: (op: string, self: Value, other: Value, reflected: boolean, site: Range) => Value;
  /** `a op= b` in place; NOT_IMPLEMENTED for `a = a op b`. */
  inplace?: (op: string, self: Value, other: Value, site: Range) => Value;
  unary?: (op: '-' | '+' | '~', self: Value, site: Range) => Value;
  compare?: (op: string, self: Value, other: Value, reflected: boolean, site: Range) => Value;
  bool?: (self: Value, site: Range) => boolean;
  len?: (self: Value, site: Range) => number;
  iter?: (self: Value, site: Range) => PyIter;
  contains?: (self: Value, item: Value, site: Range) => boolean;
  getitem?: (self: Value, key: Value, site: Range) => Value;
  setitem?: (self: Value, key: Value, value: Value, site: Range) => void;
  delitem?: (self: Value, key: Value, site: Range) => void;
  repr?: (self: Value, site: Range, interp: Interpreter) => string;
  str?: (self: Value, site: Range, interp: Interpreter) => string;
  format?: (self: Value, spec: string, site: Range) => string;
  /** `with x:` for native context managers (torch.no_grad()). */
  enter?: (self: Value, site: Range) => Value;
  exit?: (self: Value, site: Range) => void;
}

export class PyClass extends PyObj {
  mro: PyClass[] = [];
  readonly dict = new Map<string, Value>();
  /** The first native class in the MRO, whose hooks instances use. */
  native: NativeClass | null;
  /** Where a user class is written (its name); null for built-in classes. */
  nameRange: Range | null = null;
  /** Built-in classes cannot be changed (Python raises TypeError; here it also keeps runs apart). */
  frozen = true;
  /** Names annotated in the class body, in order (ClassVar ones marked): what @dataclass reads. */
  annotations: { name: string; classVar: boolean }[] = [];
  /** Set by @dataclass: the fields in order. */
  dataclassFields: { name: string; default: Value | undefined; factory: Value | undefined; init: boolean }[] | null = null;

  constructor(
    readonly name: string,
    readonly bases: PyClass[],
    native: NativeClass | null = null,
    readonly module = 'builtins',
  ) {
    super();
    this.mro = linearize(this);
    // A native class deriving another (nn.Sequential from nn.Module) adds hooks to its base's.
    const inherited = this.mro.find((c) => c !== this && c.native)?.native ?? null;
    this.native = native && inherited ? { ...inherited, ...native } : (native ?? inherited);
  }

  get type(): PyClass {
    return TYPE;
  }

  /** The attribute as the class defines it, walking the MRO. */
  lookup(name: string): Value | undefined {
    for (const c of this.mro) {
      const v = c.dict.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  isSubclassOf(other: PyClass): boolean {
    return this === other || this.mro.includes(other);
  }

  /** `torch.nn.modules.linear.Linear` style for messages: the module-qualified name. */
  get qualifiedName(): string {
    return this.module === 'builtins' ? this.name : `${this.module}.${this.name}`;
  }
}

/** C3 linearisation, Python's MRO; an inconsistent hierarchy raises (as CPython's TypeError). */
function linearize(cls: PyClass): PyClass[] {
  const seqs = [...cls.bases.map((b) => [...b.mro]), [...cls.bases]].filter((s) => s.length);
  const out: PyClass[] = [cls];
  while (seqs.some((s) => s.length)) {
    let head: PyClass | null = null;
    for (const s of seqs) {
      if (!s.length) continue;
      const candidate = s[0];
      if (!seqs.some((t) => t.indexOf(candidate) > 0)) {
        head = candidate;
        break;
      }
    }
    if (!head) throw new MroError(`Cannot create a consistent method resolution order (MRO) for bases ${cls.bases.map((b) => b.name).join(', ')}`);
    out.push(head);
    for (const s of seqs) if (s[0] === head) s.shift();
  }
  return out;
}

export class MroError extends Error {}

// The root classes, made by hand: `type` is its own type, `object` has no bases.
export const OBJECT: PyClass = Object.create(PyClass.prototype);
Object.assign(OBJECT, { name: 'object', bases: [], module: 'builtins', dict: new Map(), native: null, nameRange: null, frozen: true, dataclassFields: null });
OBJECT.mro = [OBJECT];
export const TYPE = new PyClass('type', [OBJECT]);

// ── instances of user classes ──────────────────────────────────────────────

export class PyInstance extends PyObj {
  readonly dict = new Map<string, Value>();
  constructor(readonly cls: PyClass) {
    super();
  }
  get type(): PyClass {
    return this.cls;
  }
}

// ── containers ──────────────────────────────────────────────────────────────

export class PyList extends PyObj {
  constructor(public items: Value[]) {
    super();
  }
  get type(): PyClass {
    return T.list;
  }
}

export class PyTuple extends PyObj {
  constructor(readonly items: readonly Value[]) {
    super();
  }
  get type(): PyClass {
    return T.tuple;
  }
}

/** A tuple of a special kind (torch.Size, a namedtuple): still a tuple to isinstance and indexing. */
export class PyTupleOf extends PyTuple {
  constructor(
    items: readonly Value[],
    private readonly cls: PyClass,
  ) {
    super(items);
  }
  override get type(): PyClass {
    return this.cls;
  }
}

/** The key a dict or set files a value under: equal Python values (1, 1.0, True) share one. */
export type HashKey = string | object;

export class PyDict extends PyObj {
  readonly map = new Map<HashKey, [Value, Value]>();
  constructor(private readonly cls: PyClass | null = null) {
    super();
  }
  get type(): PyClass {
    return this.cls ?? T.dict;
  }
  get size(): number {
    return this.map.size;
  }
  get(k: Value): Value | undefined {
    return this.map.get(hashKey(k))?.[1];
  }
  set(k: Value, v: Value): void {
    const h = hashKey(k);
    const old = this.map.get(h);
    if (old) old[1] = v;
    else this.map.set(h, [k, v]);
  }
  delete(k: Value): boolean {
    return this.map.delete(hashKey(k));
  }
  has(k: Value): boolean {
    return this.map.has(hashKey(k));
  }
  keys(): Value[] {
    return [...this.map.values()].map((e) => e[0]);
  }
  entries(): [Value, Value][] {
    return [...this.map.values()];
  }
  static of(entries: [string, Value][]): PyDict {
    const d = new PyDict();
    for (const [k, v] of entries) d.set(k, v);
    return d;
  }
}

export class PySet extends PyObj {
  readonly map = new Map<HashKey, Value>();
  constructor(readonly frozen = false) {
    super();
  }
  get type(): PyClass {
    return this.frozen ? T.frozenset : T.set;
  }
  add(v: Value): void {
    const h = hashKey(v);
    if (!this.map.has(h)) this.map.set(h, v);
  }
  has(v: Value): boolean {
    return this.map.has(hashKey(v));
  }
  values(): Value[] {
    return [...this.map.values()];
  }
}

export class PyRange extends PyObj {
  constructor(
    readonly start: bigint,
    readonly stop: bigint,
    readonly step: bigint,
  ) {
    super();
  }
  get type(): PyClass {
    return T.range;
  }
  get length(): bigint {
    const { start, stop, step } = this;
    if (step > 0n) return stop > start ? (stop - start + step - 1n) / step : 0n;
    return start > stop ? (start - stop - step - 1n) / -step : 0n;
  }
  at(i: bigint): bigint {
    return this.start + i * this.step;
  }
}

export class PySlice extends PyObj {
  constructor(
    readonly lo: Value,
    readonly hi: Value,
    readonly step: Value,
  ) {
    super();
  }
  get type(): PyClass {
    return T.slice;
  }
}

/** An iterator: `next()` gives the next value, undefined when exhausted. */
export class PyIter extends PyObj {
  /** `cls`: the iterator's own class where Python names one (a DataLoader's, in its errors). */
  constructor(
    readonly next: () => Value | undefined,
    private readonly cls: PyClass | null = null,
  ) {
    super();
  }
  get type(): PyClass {
    return this.cls ?? T.iterator;
  }
  static over(values: readonly Value[]): PyIter {
    let i = 0;
    return new PyIter(() => (i < values.length ? values[i++] : undefined));
  }
}

// ── callables ──────────────────────────────────────────────────────────────

export interface CallSite {
  /** The call expression (a module built here keeps this range). */
  r: Range;
  interp: Interpreter;
}

export type NativeFn = (args: Value[], kwargs: Kwargs | null, site: CallSite) => Value;

/** A function written in TypeScript: builtins, methods of built-in types, the torch API. */
export class PyBuiltin extends PyObj {
  constructor(
    readonly name: string,
    readonly fn: NativeFn,
    /** Bound to its instance when read through an instance (a method), as Python's method descriptors. */
    readonly method = false,
  ) {
    super();
  }
  get type(): PyClass {
    return T.builtin_function;
  }
}

/** A `def` or `lambda` with its closure and evaluated defaults. */
export class PyFunction extends PyObj {
  /** The class whose body defined it: zero-argument super() reads it (CPython's __class__ cell). */
  owner: PyClass | null = null;
  readonly attrs = new Map<string, Value>();
  constructor(
    readonly name: string,
    readonly params: Param[],
    readonly defaults: (Value | undefined)[],
    readonly body: FunctionDef | Expr,
    readonly closure: unknown,
    readonly locals: Set<string>,
    readonly r: Range,
  ) {
    super();
  }
  get type(): PyClass {
    return T.function;
  }
}

export class PyBoundMethod extends PyObj {
  constructor(
    readonly self: Value,
    readonly fn: PyObj,
  ) {
    super();
  }
  get type(): PyClass {
    return T.method;
  }
}

export class PyStaticMethod extends PyObj {
  constructor(readonly fn: Value) {
    super();
  }
  get type(): PyClass {
    return T.staticmethod;
  }
}

export class PyClassMethod extends PyObj {
  constructor(readonly fn: Value) {
    super();
  }
  get type(): PyClass {
    return T.classmethod;
  }
}

export class PyProperty extends PyObj {
  constructor(
    readonly fget: Value,
    readonly fset: Value = null,
  ) {
    super();
  }
  get type(): PyClass {
    return T.property;
  }
}

export class PySuper extends PyObj {
  constructor(
    readonly start: PyClass,
    readonly self: Value,
  ) {
    super();
  }
  get type(): PyClass {
    return T.super;
  }
}

// ── modules and what the interpreter cannot follow ──────────────────────────

export class PyModule extends PyObj {
  /**
   * A library mirrored in part (torch, torchvision): a name it lacks is something Gradient Lens
   * does not model (an opaque value, followed until the model needs it), not a missing attribute.
   * hasattr still answers False for it, so a check for a newer API takes the older path.
   */
  partial = false;
  /** The user's file it was read from (a module of their own project), else undefined. */
  file?: string;
  constructor(
    readonly name: string,
    /** Its namespace: a user module's is the scope its statements run in. */
    readonly dict = new Map<string, Value>(),
  ) {
    super();
  }

  /**
   * A partial mirror's stand-in for a name it lacks, when it should behave as the member of a module
   * not mirrored at all (numpy's: `np.load(...)` can't be followed at the call, as before numpy had
   * a mirror); unset: an opaque value at the name.
   */
  missing?: (name: string, r: Range) => Value;
  /** A member as Python reads it: its value, an opaque one for a name a partial mirror lacks, or undefined. */
  member(name: string, r: Range): Value | undefined {
    const v = this.dict.get(name);
    if (v !== undefined || !this.partial || name.startsWith('__')) return v;
    if (this.missing) return this.missing(name, r);
    return new PyOpaque(`${this.name}.${name}`, r);
  }
  get type(): PyClass {
    return T.module;
  }
}

/**
 * A value Gradient Lens does not model (argparse's result, a file's contents, a DataLoader it
 * cannot iterate): operations on it give more opaque values, each remembering the construct it
 * comes from and the expression that made it. It becomes a diagnostic only if the model needs it.
 */
export class PyOpaque extends PyObj {
  constructor(
    /** In the user's words: "argparse", "open() (file I/O)", "a generator function (yield)". */
    readonly construct: string,
    /** The expression that made this value. */
    readonly origin: Range,
  ) {
    super();
  }
  get type(): PyClass {
    return T.opaque;
  }
}

/** The origin of an opaque value made before any code ran (sys.argv): it takes the place where it is read. */
export const NOWHERE: { start: number; end: number } = Object.freeze({ start: -1, end: -1 });

// ── the built-in classes ────────────────────────────────────────────────────

function builtinClass(name: string, base: PyClass = OBJECT, native: NativeClass | null = null): PyClass {
  return new PyClass(name, [base], native);
}

const int = builtinClass('int');

/** The built-in classes; builtins.ts gives them their methods and constructors. */
export const T = {
  object: OBJECT,
  type: TYPE,
  NoneType: builtinClass('NoneType'),
  int,
  bool: builtinClass('bool', int),
  float: builtinClass('float'),
  str: builtinClass('str'),
  list: builtinClass('list'),
  tuple: builtinClass('tuple'),
  dict: builtinClass('dict'),
  set: builtinClass('set'),
  frozenset: builtinClass('frozenset'),
  range: builtinClass('range'),
  slice: builtinClass('slice'),
  iterator: builtinClass('iterator'),
  generator: builtinClass('generator'),
  function: builtinClass('function'),
  builtin_function: builtinClass('builtin_function_or_method'),
  method: builtinClass('method'),
  staticmethod: builtinClass('staticmethod'),
  classmethod: builtinClass('classmethod'),
  property: builtinClass('property'),
  super: builtinClass('super'),
  module: builtinClass('module'),
  ellipsis: builtinClass('ellipsis'),
  opaque: builtinClass('<unknown>'),
};

export const ELLIPSIS = new (class extends PyObj {
  get type(): PyClass {
    return T.ellipsis;
  }
})();

export const NOT_IMPLEMENTED = new (class extends PyObj {
  get type(): PyClass {
    return T.object;
  }
})();

export function typeOf(v: Value): PyClass {
  switch (typeof v) {
    case 'boolean':
      return T.bool;
    case 'bigint':
      return T.int;
    case 'number':
      return T.float;
    case 'string':
      return T.str;
    case 'object':
      return v === null ? T.NoneType : v.type;
  }
  return T.object;
}

export function typeName(v: Value): string {
  return typeOf(v).name;
}

export function isInt(v: Value): v is bigint | boolean {
  return typeof v === 'bigint' || typeof v === 'boolean';
}

export function isNumber(v: Value): v is bigint | boolean | number {
  return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}

export function toNumber(v: bigint | boolean | number): number {
  return typeof v === 'number' ? v : Number(v);
}

export function toBigInt(v: bigint | boolean): bigint {
  return typeof v === 'bigint' ? v : v ? 1n : 0n;
}

// ── hashing ────────────────────────────────────────────────────────────────

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A stable identity number for an object (Python's id()). */
export function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

export class UnhashableError extends Error {
  constructor(readonly typeName: string) {
    super(`unhashable type: '${typeName}'`);
  }
}

/** Hashable objects that define equality by value (a torch.dtype, torch.device) give their own key. */
export interface ValueKeyed {
  hashKey(): string;
}

/** Equal values get equal keys, as Python's hash and == agree: 1, 1.0 and True are one key. */
export function hashKey(v: Value): HashKey {
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'bigint':
      return 'i' + v;
    case 'boolean':
      return v ? 'i1' : 'i0';
    case 'number':
      if (Number.isInteger(v)) return 'i' + BigInt(v);
      return v !== v ? 'nan' : 'f' + v;
  }
  if (v === null) return 'None';
  if (v instanceof PyTuple) {
    return 't(' + v.items.map((x) => keyText(hashKey(x))).join(',') + ')';
  }
  if (v instanceof PyList || v instanceof PyDict || (v instanceof PySet && !v.frozen)) throw new UnhashableError(v.type.name);
  if (v instanceof PySet) return 'fs{' + v.values().map((x) => keyText(hashKey(x))).sort().join(',') + '}';
  const keyed = v as unknown as Partial<ValueKeyed>;
  if (typeof keyed.hashKey === 'function') return 'k' + keyed.hashKey();
  return v;
}

function keyText(k: HashKey): string {
  return typeof k === 'string' ? k : 'o' + idOf(k);
}
