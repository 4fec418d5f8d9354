/**
 * A static interpreter for a subset of Python: it evaluates the user's file over our own values
 * (and, through the torch bindings, our engine), never running Python. Scoping, classes and
 * inheritance (C3 MRO, both super() forms), calls with defaults/keywords/*args/**kwargs, control
 * flow, comprehensions, exceptions and context managers follow CPython. What it cannot model is an
 * opaque value; a statement that needs one is skipped, binding its names to that opaque value, so
 * the rest of the file still evaluates and the model reports the construct only if it needs it.
 */
import type { ClassDef, Expr, FString, FunctionDef, ModuleAst, Param, Range, Stmt, Target } from './ast';
import { installBuiltins } from './builtins';
import { STANDARD_MODULES } from './stdlib';
import { absoluteName, type ImportedFile, type ImportLimits, isMirrored, moduleCandidates, type ModuleFile, namespacePackage, packageFolder, parseImported, type PythonSources } from './imports';
import { CantFollow, LimitExceeded, PyRaise, Signal } from './errors';
import type { Limits } from './limits';
import { DEFAULT_LIMITS } from './limits';
import { Unfilled } from './unfilled';
import * as P from './protocol';
import { expressionsIn, ownExprs, ownTargets, statementsIn, targetExprs, targetNames } from './walk';
import {
  ELLIPSIS,
  hashKey,
  HashKey,
  isInt,
  isNumber,
  Kwargs,
  MroError,
  NOT_IMPLEMENTED,
  NOWHERE,
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
  PySet,
  PySlice,
  PyStaticMethod,
  PySuper,
  PyTuple,
  T,
  toBigInt,
  typeName,
  typeOf,
  Value,
} from './values';

export const NORMAL = 0;
const BREAK = 1;
export const CONTINUE = 2;
const RETURN = 3;
type Flow = typeof NORMAL | typeof BREAK | typeof CONTINUE | typeof RETURN;

export class Scope {
  readonly vars = new Map<string, Value>();
  /** Names annotated in a class body, in order (dataclass fields). */
  annotations: { name: string; classVar: boolean }[] | null = null;
  readonly module: Scope;
  constructor(
    readonly kind: 'module' | 'function' | 'class' | 'comp',
    readonly parent: Scope | null,
    /** A function's or comprehension's local names; null for module and class scopes. */
    readonly locals: Set<string> | null = null,
    readonly globalNames: Set<string> | null = null,
    readonly nonlocalNames: Set<string> | null = null,
  ) {
    this.module = parent ? parent.module : this;
  }
}

export interface Frame {
  fn: PyFunction;
  scope: Scope;
  /** A generator's body running: what its yields gave so far. */
  yields?: Yields;
}

/** A generator's buffered items, and the mutable objects among them (one yielded again is not followed). */
interface Yields {
  items: Value[];
  seen: Set<object>;
}

/** A `for` loop running now: its statement, its iterator part way through, the scope it binds in. */
export interface RunningLoop {
  stmt: Extract<Stmt, { k: 'for' }>;
  it: PyIter;
  scope: Scope;
}

/**
 * What stops a generator's buffered run itself (its items so far are not the script's): not a
 * statement's can't-follow, which would skip the yield and run an endless body on; the consumer's next()
 * gets the can't-follow.
 */
class BufferedRunStops extends Signal {
  constructor(override readonly cause: CantFollow) {
    super(cause.message);
  }
}

/** Most items a generator may yield: it runs to its end at its first next(), so an endless one stops here. */
const MAX_GENERATOR_ITEMS = 10_000;

/** A module the file may import, made for each run (so a file's changes to it stay in its run). */
export type ModuleFactory = (interp: Interpreter, name: string) => PyModule;

export interface Hooks {
  /** Before a loop runs; true skips it (the script front end takes over training loops). */
  beforeLoop?(stmt: Extract<Stmt, { k: 'for' | 'while' }>, scope: Scope): boolean;
  /** A value met an operation on something opaque (a skipped statement named it, an unknown call got it). */
  taint?(v: Value, cause: CantFollow): void;
}

export interface InterpreterOptions {
  limits?: Partial<Limits>;
  /** Importable modules by dotted name. */
  modules?: Record<string, ModuleFactory>;
  hooks?: Hooks;
  /** The module's __name__ ('__main__' for a script). */
  name?: string;
  fileName?: string;
  /**
   * The command-line arguments the script is run with (sys.argv[1:]), from the sidecar's `args` or
   * the CLI's words after `--`. Unset: not known, so sys.argv cannot be followed and argparse gives
   * its defaults, as for a script run with none.
   */
  argv?: readonly string[];
  /** Reads the user's other files for their imports; without it, only the modules above import. */
  sources?: PythonSources;
  /** The folder the script's own imports are found in (Python's sys.path[0], the script's folder). */
  folder?: string;
  importLimits?: ImportLimits;
}

/** A statement skipped because it needed a value Gradient Lens cannot follow. */
export interface Skipped {
  r: Range;
  cause: CantFollow;
}

export class Interpreter {
  readonly limits: Limits;
  readonly T = T;
  steps = 0;
  private depth = 0;
  private retval: Value = null;
  private readonly frames: Frame[] = [];
  /** The can't-follow of the last statement skipped (a generator's body that skipped one has items unknown). */
  private lastSkip: CantFollow | null = null;
  /** The `for` loops running now, innermost last (the epoch loop around a training loop). */
  readonly running: RunningLoop[] = [];
  /** Exceptions being handled (for a bare `raise`). */
  private readonly handling: PyRaise[] = [];
  readonly globals: Scope;
  readonly builtins = new Map<string, Value>();
  /** sys.modules: every module imported so far. */
  readonly modules = new Map<string, PyModule | PyOpaque>();
  private factories: Record<string, ModuleFactory>;
  /** The user's files read for imports, by path, in the order they were read. */
  readonly imported = new Map<string, ImportedFile>();
  private readonly sources: PythonSources | null;
  private readonly folder: string | null;
  private readonly importLimits: ImportLimits | null;
  /** sys.argv when the script's arguments are known: the script's name, then its arguments. */
  readonly argv: readonly string[] | null;
  /** User modules whose statements are running (an import of one of them meets it partly initialised). */
  private readonly loadingNow = new Set<PyModule>();
  /** Bytes of Python read so far: the script's (counted by the caller) and its imports'. */
  importedBytes = 0;
  readonly hooks: Hooks;
  readonly skipped: Skipped[] = [];
  /** Values that a skipped statement named or an unknown call received: they may hold what we could not follow. */
  readonly taints = new WeakMap<object, CantFollow>();
  /** Containers a skipped loop may have filled: their len() is that loop's can't-follow. */
  readonly unfilled = new Unfilled();
  /** What print() wrote (bounded), for tests and the output channel. */
  output = '';
  /** The call expression being evaluated (its callee `nn.Sigmoid` is where a built layer's type is written, its arguments where `lr=` is). */
  callNode: Extract<Expr, { k: 'call' }> | null = null;

  /**
   * The innermost call being evaluated in the user's code, never one in a mirrored library
   * (`models.resnet18()` while torchvision's ResNet builds its layers): where what the library does is shown.
   */
  userCall: Extract<Expr, { k: 'call' }> | null = null;

  get callee(): Range | null {
    return this.callNode ? this.callNode.fn.r : null;
  }

  constructor(opts: InterpreterOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.factories = { ...STANDARD_MODULES, ...opts.modules };
    this.hooks = opts.hooks ?? {};
    this.sources = opts.sources ?? null;
    this.folder = opts.folder ?? null;
    this.importLimits = opts.importLimits ?? null;
    this.argv = opts.argv ? [opts.fileName ?? '<file>', ...opts.argv] : null;
    this.globals = new Scope('module', null);
    this.globals.vars.set('__name__', opts.name ?? '__main__');
    this.globals.vars.set('__file__', opts.fileName ?? '<file>');
    this.globals.vars.set('__doc__', null);
    installBuiltins(this);
  }

  /** Makes more modules importable (the torch bindings of a run). */
  addModules(factories: Record<string, ModuleFactory>): void {
    this.factories = { ...this.factories, ...factories };
  }

  // ── running ──────────────────────────────────────────────────────────────

  /** Executes a module's (or a notebook cell's) statements in the module scope. */
  run(ast: ModuleAst | Stmt[]): void {
    const body = Array.isArray(ast) ? ast : ast.body;
    try {
      this.execBlock(body, this.globals);
    } catch (e) {
      throw this.normalise(e, body[0]?.r ?? { start: 0, end: 0 });
    }
  }

  /** JavaScript's own stack overflow becomes a depth limit at the innermost statement. */
  normalise(e: unknown, r: Range): unknown {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      return new LimitExceeded('depth', 'the file nests calls too deeply to evaluate', this.frames.length ? this.frames[this.frames.length - 1].fn.r : r);
    }
    return e;
  }

  tick(r: Range): void {
    if (++this.steps > this.limits.maxSteps) {
      throw new LimitExceeded('steps', `evaluation stopped after ${this.limits.maxSteps.toLocaleString('en-US')} steps (a loop that does not end?)`, r);
    }
  }

  // ── errors ───────────────────────────────────────────────────────────────

  /** Raises the built-in exception `type` with `message`, as CPython would at `r`. */
  raise(type: string, message: string, r: Range | null = null): never {
    const cls = this.builtins.get(type);
    if (!(cls instanceof PyClass)) throw new Error(`unknown exception class ${type}`);
    throw this.makeRaise(this.newException(cls, [message]), r);
  }

  /** Raises `type` with these exception arguments (KeyError carries the key itself). */
  raiseArgs(type: string, args: Value[], r: Range | null = null): never {
    const cls = this.builtins.get(type);
    if (!(cls instanceof PyClass)) throw new Error(`unknown exception class ${type}`);
    throw this.makeRaise(this.newException(cls, args), r);
  }

  newException(cls: PyClass, args: Value[]): PyInstance {
    const exc = cls.native?.alloc ? cls.native.alloc(cls, { start: 0, end: 0 }) : new PyInstance(cls);
    exc.dict.set('args', new PyTuple(args));
    return exc;
  }

  makeRaise(exc: PyInstance, r: Range | null): PyRaise {
    let message = exc.cls.name;
    try {
      const text = P.str(this, exc, r ?? { start: 0, end: 0 });
      if (text) message += `: ${text}`;
    } catch (e) {
      // The message is for people; an argument we cannot print does not stop the raise.
      if (!(e instanceof CantFollow) && !(e instanceof PyRaise)) throw e;
    }
    return new PyRaise(exc, r, message);
  }

  isException(e: unknown, type: string): e is PyRaise {
    const cls = this.builtins.get(type);
    return e instanceof PyRaise && cls instanceof PyClass && e.exc.cls.isSubclassOf(cls);
  }

  // ── statements ───────────────────────────────────────────────────────────

  execBlock(stmts: readonly Stmt[], scope: Scope): Flow {
    for (const s of stmts) {
      const f = this.exec(s, scope);
      if (f !== NORMAL) return f;
    }
    return NORMAL;
  }

  exec(s: Stmt, scope: Scope): Flow {
    this.tick(s.r);
    try {
      return this.execInner(s, scope);
    } catch (e) {
      if (e instanceof CantFollow) return this.skip(s, scope, e);
      if (e instanceof PyRaise && e.r === null) e.r = s.r;
      throw e;
    }
  }

  private execInner(s: Stmt, scope: Scope): Flow {
    switch (s.k) {
      case 'expr':
        this.eval(s.e, scope);
        return NORMAL;
      case 'assign': {
        const v = this.eval(s.value, scope);
        for (const t of s.targets) this.assign(t, v, scope);
        return NORMAL;
      }
      case 'annassign':
        if (scope.kind === 'class' && s.target.k === 'name') (scope.annotations ??= []).push({ name: s.target.id, classVar: isClassVar(s.annotation) });
        if (s.value) this.assign(s.target, this.eval(s.value, scope), scope);
        return NORMAL;
      case 'augassign':
        this.augassign(s.target, s.op, s.value, scope);
        return NORMAL;
      case 'return':
        this.retval = s.value ? this.eval(s.value, scope) : null;
        return RETURN;
      case 'pass':
        return NORMAL;
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
      case 'if':
        return this.truthy(this.eval(s.test, scope), s.test.r) ? this.execBlock(s.body, scope) : this.execBlock(s.orelse, scope);
      case 'for':
        return this.forLoop(s, scope);
      case 'while':
        return this.whileLoop(s, scope);
      case 'def':
        this.store(s.name, this.defineFunction(s, scope), scope);
        return NORMAL;
      case 'class':
        this.store(s.name, this.defineClass(s, scope), scope);
        return NORMAL;
      case 'import':
        for (const n of s.names) {
          const mod = this.importModule(n.module, n.r);
          if (n.alias) this.store(n.alias, mod, scope);
          else {
            const top = n.module.split('.')[0];
            this.store(top, this.modules.get(top) ?? mod, scope);
          }
        }
        return NORMAL;
      case 'from':
        this.importFrom(s, scope);
        return NORMAL;
      case 'raise':
        return this.raiseStmt(s, scope);
      case 'try':
        return this.tryStmt(s, scope);
      case 'with':
        return this.withStmt(s, 0, scope);
      case 'assert': {
        if (!this.truthy(this.eval(s.test, scope), s.test.r)) {
          const cls = this.builtins.get('AssertionError') as PyClass;
          throw this.makeRaise(this.newException(cls, s.msg ? [this.eval(s.msg, scope)] : []), s.r);
        }
        return NORMAL;
      }
      case 'global':
      case 'nonlocal':
        return NORMAL;
      case 'del':
        for (const t of s.targets) this.del(t, scope);
        return NORMAL;
      case 'unsupported':
        throw new CantFollow(new PyOpaque(s.construct, s.r), s.r);
    }
  }

  private forLoop(s: Extract<Stmt, { k: 'for' }>, scope: Scope): Flow {
    if (this.hooks.beforeLoop?.(s, scope)) return NORMAL;
    const it = P.iterate(this, this.eval(s.iter, scope), s.iter.r);
    this.running.push({ stmt: s, it, scope });
    try {
      for (let v = it.next(); v !== undefined; v = it.next()) {
        this.tick(s.r);
        this.assign(s.target, v, scope);
        const f = this.execBlock(s.body, scope);
        if (f === BREAK) return NORMAL;
        if (f === RETURN) return f;
      }
    } finally {
      this.running.pop();
    }
    return this.execBlock(s.orelse, scope);
  }

  private whileLoop(s: Extract<Stmt, { k: 'while' }>, scope: Scope): Flow {
    if (this.hooks.beforeLoop?.(s, scope)) return NORMAL;
    while (this.truthy(this.eval(s.test, scope), s.test.r)) {
      this.tick(s.r);
      const f = this.execBlock(s.body, scope);
      if (f === BREAK) return NORMAL;
      if (f === RETURN) return f;
    }
    return this.execBlock(s.orelse, scope);
  }

  private raiseStmt(s: Extract<Stmt, { k: 'raise' }>, scope: Scope): never {
    if (!s.exc) {
      const current = this.handling[this.handling.length - 1];
      if (!current) this.raise('RuntimeError', 'No active exception to reraise', s.r);
      throw current;
    }
    const v = this.eval(s.exc, scope);
    if (s.cause) this.eval(s.cause, scope);
    let exc: Value = v;
    if (v instanceof PyClass) exc = this.call(v, [], null, s.exc.r);
    if (exc instanceof PyOpaque) throw new CantFollow(exc, s.exc.r);
    const base = this.builtins.get('BaseException') as PyClass;
    if (!(exc instanceof PyInstance) || !exc.cls.isSubclassOf(base)) this.raise('TypeError', 'exceptions must derive from BaseException', s.r);
    throw this.makeRaise(exc as PyInstance, s.r);
  }

  private tryStmt(s: Extract<Stmt, { k: 'try' }>, scope: Scope): Flow {
    let flow: Flow = NORMAL;
    let pending: unknown = null;
    try {
      flow = this.execBlock(s.body, scope);
      if (flow === NORMAL) flow = this.execBlock(s.orelse, scope);
    } catch (e) {
      if (!(e instanceof PyRaise)) throw e;
      const handler = s.handlers.find((h) => this.matches(e, h.type, scope));
      if (!handler) pending = e;
      else {
        if (handler.name) this.store(handler.name, e.exc, scope);
        this.handling.push(e);
        try {
          flow = this.execBlock(handler.body, scope);
        } catch (inner) {
          pending = inner;
        } finally {
          this.handling.pop();
          if (handler.name) scope.vars.delete(handler.name);
        }
      }
    } finally {
      if (s.final.length) {
        const saved = this.retval;
        const f = this.execBlock(s.final, scope);
        if (f !== NORMAL) return f;
        this.retval = saved;
      }
    }
    if (pending) throw pending;
    return flow;
  }

  private matches(e: PyRaise, type: Expr | null, scope: Scope): boolean {
    if (!type) return true;
    const t = this.eval(type, scope);
    const classes = t instanceof PyTuple ? t.items : [t];
    return classes.some((c) => {
      if (c instanceof PyOpaque) throw new CantFollow(c, type.r);
      if (!(c instanceof PyClass)) this.raise('TypeError', 'catching classes that do not inherit from BaseException is not allowed', type.r);
      return e.exc.cls.isSubclassOf(c as PyClass);
    });
  }

  private withStmt(s: Extract<Stmt, { k: 'with' }>, i: number, scope: Scope): Flow {
    if (i >= s.items.length) return this.execBlock(s.body, scope);
    const item = s.items[i];
    const ctx = this.eval(item.ctx, scope);
    const r = item.ctx.r;
    let entered: Value;
    let exit: (() => void) | null = null;
    if (ctx instanceof PyOpaque) entered = ctx;
    else {
      const enter = P.userMethod(ctx, '__enter__');
      const native = typeOf(ctx).native;
      if (enter) {
        entered = this.call(enter, [ctx], null, r);
        const ex = P.userMethod(ctx, '__exit__');
        exit = () => ex && this.call(ex, [ctx, null, null, null], null, r);
      } else if (native?.enter) {
        entered = native.enter(ctx, r);
        exit = () => native.exit?.(ctx, r);
      } else this.raise('TypeError', `'${typeName(ctx)}' object does not support the context manager protocol`, r);
    }
    if (item.target) this.assign(item.target, entered!, scope);
    try {
      return this.withStmt(s, i + 1, scope);
    } finally {
      exit?.();
    }
  }

  /**
   * The statement needed a value we cannot follow: bind what it would have bound to that opaque
   * value, mark what it names as possibly changed by it, and go on with the next statement.
   */
  private skip(s: Stmt, scope: Scope, cause: CantFollow): Flow {
    this.lastSkip = cause;
    if (this.skipped.length < 1000) this.skipped.push({ r: s.r, cause });
    const opaque = cause.opaque;
    for (const t of boundTargets(s)) {
      try {
        this.assign(t, opaque, scope);
      } catch (e) {
        if (!(e instanceof CantFollow) && !(e instanceof PyRaise)) throw e;
      }
    }
    const named: Value[] = [];
    for (const name of namesIn(s)) {
      const v = this.peek(name, scope);
      if (v !== undefined && typeof v === 'object' && v !== null && !(v instanceof PyModule) && !(v instanceof PyOpaque)) {
        this.taint(v, cause);
        named.push(v);
      }
    }
    if (s.k === 'for' || s.k === 'while') this.unfilled.mark(named, cause);
    if (s.k === 'return' || containsReturn(s)) {
      this.retval = opaque;
      return RETURN;
    }
    return NORMAL;
  }

  /**
   * A missing key, index or attribute of a value something not followed may have changed
   * (`exec(code, cfg)` then `cfg["w"]`) is that thing's doing as far as we know: not the error the
   * real script would raise.
   */
  private doubted(err: unknown, obj: Value): unknown {
    if (!(err instanceof PyRaise) || typeof obj !== 'object' || obj === null) return err;
    const cause = this.taints.get(obj);
    if (!cause) return err;
    return this.isException(err, 'KeyError') || this.isException(err, 'IndexError') || this.isException(err, 'AttributeError') ? cause : err;
  }

  taint(v: PyObj, cause: CantFollow): void {
    if (!this.taints.has(v)) this.taints.set(v, cause);
    this.hooks.taint?.(v, cause);
  }

  // ── names and assignment ─────────────────────────────────────────────────

  /** A name's value, or undefined (no error) when it is not bound. */
  peek(name: string, scope: Scope): Value | undefined {
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (s.kind !== 'class' || s === scope) {
        const v = s.vars.get(name);
        if (v !== undefined) return v;
      }
    }
    return this.builtins.get(name);
  }

  lookup(name: string, scope: Scope, r: Range): Value {
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (s.globalNames?.has(name)) {
        const v = s.module.vars.get(name);
        if (v !== undefined) return v;
        break;
      }
      if (s.kind === 'class') {
        if (s === scope) {
          const v = s.vars.get(name);
          if (v !== undefined) return v;
        }
        continue;
      }
      if (s.kind === 'module') {
        const v = s.vars.get(name);
        if (v !== undefined) return v;
        break;
      }
      if (s.locals!.has(name)) {
        const v = s.vars.get(name);
        if (v !== undefined) return v;
        if (s === scope) this.raise('UnboundLocalError', `cannot access local variable '${name}' where it is not associated with a value`, r);
        this.raise('NameError', `cannot access free variable '${name}' where it is not associated with a value in enclosing scope`, r);
      }
    }
    const b = this.builtins.get(name);
    if (b !== undefined) return b;
    return this.raise('NameError', `name '${name}' is not defined`, r);
  }

  store(name: string, v: Value, scope: Scope): void {
    if (scope.globalNames?.has(name)) {
      scope.module.vars.set(name, v);
      return;
    }
    if (scope.nonlocalNames?.has(name)) {
      for (let s = scope.parent; s; s = s.parent) {
        if (s.kind === 'function' && s.locals!.has(name)) {
          s.vars.set(name, v);
          return;
        }
      }
    }
    scope.vars.set(name, v);
  }

  assign(t: Target, v: Value, scope: Scope): void {
    switch (t.k) {
      case 'name':
        this.store(t.id, v, scope);
        return;
      case 'attr':
        this.setAttr(this.eval(t.obj, scope), t.name, v, t.r);
        return;
      case 'sub':
        P.setItem(this, this.eval(t.obj, scope), this.eval(t.index, scope), v, t.r);
        return;
      case 'tuple':
        this.unpack(t.items, v, scope, t.r);
        return;
      case 'starred':
        this.raise('SyntaxError', 'starred assignment target must be in a list or tuple', t.r);
    }
  }

  private unpack(targets: Target[], v: Value, scope: Scope, r: Range): void {
    if (v instanceof PyOpaque) {
      for (const t of targets) this.assign(t.k === 'starred' ? t.target : t, v, scope);
      return;
    }
    const items = this.toArray(v, r);
    const star = targets.findIndex((t) => t.k === 'starred');
    if (star < 0) {
      if (items.length !== targets.length) {
        if (items.length > targets.length) this.raise('ValueError', `too many values to unpack (expected ${targets.length})`, r);
        this.raise('ValueError', `not enough values to unpack (expected ${targets.length}, got ${items.length})`, r);
      }
      targets.forEach((t, i) => this.assign(t, items[i], scope));
      return;
    }
    const after = targets.length - star - 1;
    if (items.length < targets.length - 1) this.raise('ValueError', `not enough values to unpack (expected at least ${targets.length - 1}, got ${items.length})`, r);
    for (let i = 0; i < star; i++) this.assign(targets[i], items[i], scope);
    this.assign((targets[star] as Extract<Target, { k: 'starred' }>).target, new PyList(items.slice(star, items.length - after)), scope);
    for (let i = 0; i < after; i++) this.assign(targets[star + 1 + i], items[items.length - after + i], scope);
  }

  private augassign(t: Target, op: string, valueExpr: Expr, scope: Scope): void {
    switch (t.k) {
      case 'name': {
        const cur = this.lookup(t.id, scope, t.r);
        this.store(t.id, P.inplace(this, op, cur, this.eval(valueExpr, scope), t.r), scope);
        return;
      }
      case 'attr': {
        const obj = this.eval(t.obj, scope);
        const cur = this.getAttr(obj, t.name, t.r);
        this.setAttr(obj, t.name, P.inplace(this, op, cur, this.eval(valueExpr, scope), t.r), t.r);
        return;
      }
      case 'sub': {
        const obj = this.eval(t.obj, scope);
        const key = this.eval(t.index, scope);
        const cur = P.getItem(this, obj, key, t.r);
        P.setItem(this, obj, key, P.inplace(this, op, cur, this.eval(valueExpr, scope), t.r), t.r);
        return;
      }
      default:
        this.raise('SyntaxError', `'${t.k}' is an illegal expression for augmented assignment`, t.r);
    }
  }

  private del(t: Target, scope: Scope): void {
    switch (t.k) {
      case 'name': {
        const s = scope.globalNames?.has(t.id) ? scope.module : scope;
        if (!s.vars.delete(t.id)) this.raise('NameError', `name '${t.id}' is not defined`, t.r);
        return;
      }
      case 'attr':
        this.delAttr(this.eval(t.obj, scope), t.name, t.r);
        return;
      case 'sub':
        P.delItem(this, this.eval(t.obj, scope), this.eval(t.index, scope), t.r);
        return;
      case 'tuple':
        t.items.forEach((x) => this.del(x, scope));
        return;
      default:
        this.raise('SyntaxError', 'cannot delete starred', t.r);
    }
  }

  // ── imports ──────────────────────────────────────────────────────────────

  /** sys.modules[name], importing it (and its parents) first; an unknown module is opaque. */
  importModule(name: string, r: Range): PyModule | PyOpaque {
    const have = this.modules.get(name);
    if (have) return have;
    const parts = name.split('.');
    let mod: PyModule | PyOpaque | undefined;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('.');
      mod = this.modules.get(prefix);
      if (mod) continue;
      const factory = Object.prototype.hasOwnProperty.call(this.factories, prefix) ? this.factories[prefix] : undefined;
      const parent = i > 1 ? this.modules.get(parts.slice(0, i - 1).join('.')) : undefined;
      const own = factory ? null : this.findUserModule(prefix, parent, r);
      if (factory) mod = factory(this, prefix);
      else if (own) {
        mod = this.loadUserModule(prefix, own, parent, r);
        continue;
      } else if (parent instanceof PyModule && parent.dict.get(parts[i - 1]) instanceof PyModule) mod = parent.dict.get(parts[i - 1]) as PyModule;
      else if (parent instanceof PyOpaque) mod = moduleMember(parent, parts[i - 1], r);
      else mod = opaqueModule(prefix, r);
      this.modules.set(prefix, mod);
      // A submodule the user's package lacks is its opaque member (`models.missing.Net` can't be followed), not an AttributeError.
      if (parent instanceof PyModule && (mod instanceof PyModule || parent.file !== undefined) && !parent.dict.has(parts[i - 1])) parent.dict.set(parts[i - 1], mod);
    }
    return mod!;
  }

  /**
   * The user's file for module `name` (its parent imported first): in the script's folder for a
   * top-level name, in the parent package's folder for a submodule. Null: not the user's.
   */
  private findUserModule(name: string, parent: PyModule | PyOpaque | undefined, r: Range): ModuleFile | null {
    if (!this.sources || this.folder === null) return null;
    const last = name.slice(name.lastIndexOf('.') + 1);
    let folder: string | null = this.folder;
    if (name.includes('.')) {
      const path = parent instanceof PyModule ? parent.dict.get('__path__') : undefined;
      folder = path instanceof PyList && typeof path.items[0] === 'string' ? path.items[0] : null;
    }
    if (folder === null) return null;
    for (const c of moduleCandidates(folder, last)) {
      if (this.imported.has(c.path) || this.readSource(c.path, r) !== null) return c;
    }
    const ns = namespacePackage(folder, last);
    return this.sources.isFolder?.(ns.path) ? ns : null;
  }

  /** A file's text through the caller's reader, counted against the import limits the first time. */
  private readSource(path: string, r: Range): string | null {
    const have = this.imported.get(path);
    if (have) return have.text;
    try {
      return this.sources!.read(path);
    } catch (e) {
      // Too large, not a regular file, no permission: the reader's words, at the import.
      return this.raise('ImportError', `cannot read ${path}: ${(e as Error).message}`, r);
    }
  }

  private loading(mod: PyModule): boolean {
    return this.loadingNow.has(mod);
  }

  /**
   * Runs a user module's file in a namespace of its own, as Python's import does: in sys.modules
   * before its first statement (a circular import sees it partly initialised), `__name__` its
   * dotted name (so its `if __name__ == '__main__':` block is skipped), gone again if it raises.
   */
  private loadUserModule(name: string, file: ModuleFile, parent: PyModule | PyOpaque | undefined, r: Range): PyModule {
    if (file.namespace) return this.namespaceModule(name, file, parent);
    const text = this.readSource(file.path, r)!;
    const limits = this.importLimits;
    if (limits && !this.imported.has(file.path)) {
      if (this.imported.size + 1 > limits.maxFiles) throw new LimitExceeded('size', `the script imports more than ${limits.maxFiles} of your own files: Gradient Lens stopped reading them at ${file.path}`, r);
      this.importedBytes += new TextEncoder().encode(text).length;
      if (this.importedBytes > limits.maxBytes) {
        throw new LimitExceeded('size', `the script and the files it imports are over the ${limits.maxBytes.toLocaleString('en-US')}-byte limit of Python code read (${limits.bytesLimitName}): Gradient Lens stopped reading them at ${file.path}`, r);
      }
    }
    // The import in the script this file was reached from: an import inside an imported file leads back to the script's.
    const site = r.file !== undefined ? (this.imported.get(r.file)?.site ?? r) : r;
    if (!this.imported.has(file.path)) this.imported.set(file.path, { path: file.path, text, site });
    return this.execModule(name, file, parseImported(file.path, text), parent, r);
  }

  /**
   * Runs a module whose Python source Gradient Lens ships (a library it mirrors in Python, such as
   * torchvision.models) as an import runs a user's module, so every layer it builds is a real one.
   * `path` names it in its ranges; it is not one of the user's files (no import limit, no `imported` entry).
   * Its tree is parsed once per process (mirrored.ts): nothing writes into a tree while it runs.
   */
  runMirrored(name: string, path: string, ast: ModuleAst, r: Range): PyModule {
    const parent = name.includes('.') ? this.modules.get(name.slice(0, name.lastIndexOf('.'))) : undefined;
    const mod = this.execModule(name, { path, isPackage: false }, { ast }, parent, r);
    mod.partial = true;
    return mod;
  }

  /** A module file's statements run in a namespace of their own: see loadUserModule. */
  private execModule(name: string, file: ModuleFile, parsed: ReturnType<typeof parseImported>, parent: PyModule | PyOpaque | undefined, r: Range): PyModule {
    // The user's file keeps its tree (its fixes are rendered over it); a mirrored library's is not the user's.
    const own = this.imported.get(file.path);
    if (own && 'ast' in parsed) own.ast = parsed.ast;
    if ('error' in parsed) {
      const err = this.makeRaise(this.newException(this.builtins.get('SyntaxError') as PyClass, [parsed.error.message]), parsed.error.range);
      err.traceback.push(r);
      throw err;
    }
    const scope = new Scope('module', null);
    const mod = new PyModule(name, scope.vars);
    mod.file = file.path;
    const dot = name.lastIndexOf('.');
    scope.vars.set('__name__', name);
    scope.vars.set('__file__', file.path);
    scope.vars.set('__doc__', null);
    scope.vars.set('__package__', file.isPackage ? name : dot >= 0 ? name.slice(0, dot) : '');
    const folder = packageFolder(file);
    if (folder !== null) scope.vars.set('__path__', new PyList([folder]));
    this.modules.set(name, mod);
    this.loadingNow.add(mod);
    try {
      this.execBlock(parsed.ast.body, scope);
    } catch (e) {
      this.modules.delete(name);
      if (e instanceof PyRaise) e.traceback.push(r);
      throw e;
    } finally {
      this.loadingNow.delete(mod);
    }
    // Bound in its parent package once it ran, as Python does (`import a.b` then `a.b`).
    if (parent instanceof PyModule) parent.dict.set(name.slice(dot + 1), mod);
    return mod;
  }

  /** A namespace package: no code, `__path__` its folder, `__file__` None, bound in its parent as a module is. */
  private namespaceModule(name: string, file: ModuleFile, parent: PyModule | PyOpaque | undefined): PyModule {
    const vars = new Map<string, Value>([
      ['__name__', name],
      ['__file__', null],
      ['__doc__', null],
      ['__package__', name],
      ['__path__', new PyList([file.path])],
    ]);
    const mod = new PyModule(name, vars);
    mod.file = file.path;
    this.modules.set(name, mod);
    if (parent instanceof PyModule) parent.dict.set(name.slice(name.lastIndexOf('.') + 1), mod);
    return mod;
  }

  /** Whether `name` can be imported as a module (a submodule named in `from pkg import sub`). */
  private isModule(name: string, r: Range): boolean {
    if (Object.prototype.hasOwnProperty.call(this.factories, name)) return true;
    const dot = name.lastIndexOf('.');
    const parent = dot >= 0 ? this.modules.get(name.slice(0, dot)) : undefined;
    return parent instanceof PyModule && parent.file !== undefined && this.findUserModule(name, parent, r) !== null;
  }

  private importFrom(s: Extract<Stmt, { k: 'from' }>, scope: Scope): void {
    let target = s.module;
    if (s.level > 0) {
      const pkg = scope.module.vars.get('__package__');
      const name = typeof pkg === 'string' && pkg ? absoluteName(pkg, s.level, s.module) : null;
      if (name === null) {
        // The script itself (no package), or a level past the top package: not followed, as before.
        const opaque = new PyOpaque(`the relative import from ${'.'.repeat(s.level)}${s.module}`, s.r);
        if (s.names === '*') throw new CantFollow(opaque, s.r);
        for (const n of s.names) this.store(n.alias ?? n.name, opaque, scope);
        return;
      }
      target = name;
    }
    const mod = this.importModule(target, s.r);
    if (s.names === '*') {
      if (mod instanceof PyOpaque) throw new CantFollow(mod, s.r);
      const all = mod.dict.get('__all__');
      const names: string[] = all instanceof PyList || all instanceof PyTuple ? all.items.filter((x) => typeof x === 'string').map(String) : [...mod.dict.keys()].filter((k) => !k.startsWith('_'));
      for (const k of names) {
        const v = mod.dict.get(k);
        if (v !== undefined) this.store(k, v, scope);
      }
      return;
    }
    for (const n of s.names) {
      let v: Value | undefined;
      if (mod instanceof PyOpaque) v = moduleMember(mod, n.name, n.r);
      else {
        v = mod.dict.get(n.name);
        if (v === undefined) {
          if (this.isModule(`${target}.${n.name}`, n.r)) v = this.importModule(`${target}.${n.name}`, n.r);
          else v = mod.member(n.name, n.r);
        }
        if (v === undefined) {
          const partly = mod.file !== undefined && this.loading(mod) ? ' (partially initialized: most likely a circular import)' : '';
          this.raise('ImportError', `cannot import name '${n.name}' from '${target}'${partly}`, n.r);
        }
      }
      this.store(n.alias ?? n.name, v as Value, scope);
    }
  }

  // ── definitions ──────────────────────────────────────────────────────────

  private evalDefaults(params: Param[], scope: Scope): (Value | undefined)[] {
    return params.map((p) => (p.default ? this.eval(p.default, scope) : undefined));
  }

  /** Functions defined in a class body close over the scope around the class, not the class body. */
  private closureOf(scope: Scope): Scope {
    let s = scope;
    while (s.kind === 'class' && s.parent) s = s.parent;
    return s;
  }

  private defineFunction(s: FunctionDef, scope: Scope): Value {
    const fn = new PyFunction(s.name, s.params, this.evalDefaults(s.params, scope), s, this.closureOf(scope), s.locals, s.nameR);
    let v: Value = fn;
    for (let i = s.decorators.length - 1; i >= 0; i--) {
      const d = this.eval(s.decorators[i], scope);
      v = this.call(d, [v], null, s.decorators[i].r);
    }
    return v;
  }

  private defineClass(s: ClassDef, scope: Scope): Value {
    const bases: PyClass[] = [];
    for (const a of s.bases) {
      if (a.kind === 'kw') {
        if (a.name === 'metaclass') return new PyOpaque('a metaclass', a.r);
        continue;
      }
      const b = this.eval(a.value, scope);
      if (b instanceof PyOpaque) throw new CantFollow(new PyOpaque(`a class deriving ${b.construct}`, b.origin), a.r);
      if (!(b instanceof PyClass)) this.raise('TypeError', `a class can only derive from classes, not ${typeName(b)}`, a.r);
      bases.push(b as PyClass);
    }
    const body = new Scope('class', scope);
    body.vars.set('__module__', scope.module.vars.get('__name__') ?? '__main__');
    body.vars.set('__qualname__', s.name);
    this.execBlock(s.body, body);
    let cls: PyClass;
    try {
      cls = new PyClass(s.name, bases.length ? bases : [T.object], null, String(scope.module.vars.get('__name__') ?? '__main__'));
    } catch (e) {
      if (e instanceof MroError) this.raise('TypeError', e.message, s.nameR);
      throw e;
    }
    cls.frozen = false;
    cls.nameRange = s.nameR;
    for (const [k, v] of body.vars) cls.dict.set(k, v);
    cls.annotations = body.annotations ?? [];
    cls.dict.set('__annotations__', PyDict.of(cls.annotations.map((a) => [a.name, null])));
    for (const v of cls.dict.values()) {
      const fns = v instanceof PyFunction ? [v] : v instanceof PyStaticMethod || v instanceof PyClassMethod ? [v.fn] : v instanceof PyProperty ? [v.fget, v.fset] : [];
      for (const f of fns) if (f instanceof PyFunction && !f.owner) f.owner = cls;
    }
    const hook = cls.lookup('__init_subclass__');
    if (hook instanceof PyFunction && !cls.dict.has('__init_subclass__')) this.call(hook, [cls], null, s.nameR);
    let v: Value = cls;
    for (let i = s.decorators.length - 1; i >= 0; i--) {
      const d = this.eval(s.decorators[i], scope);
      v = this.call(d, [v], null, s.decorators[i].r);
    }
    return v;
  }

  // ── expressions ──────────────────────────────────────────────────────────

  /**
   * Values given for particular expressions of the file (the batch `--batch` hands the training
   * step: the model's input and the loss's target where the loop computes them); null for none.
   */
  overrides: Map<Expr, Value> | null = null;

  eval(e: Expr, scope: Scope): Value {
    if (this.overrides !== null) {
      const given = this.overrides.get(e);
      if (given !== undefined) return given;
    }
    switch (e.k) {
      case 'const':
        return e.v;
      case 'name':
        return this.lookup(e.id, scope, e.r);
      case 'attr': {
        const obj = this.eval(e.obj, scope);
        try {
          return this.getAttr(obj, e.name, e.r);
        } catch (err) {
          throw this.doubted(err, obj);
        }
      }
      case 'sub': {
        const obj = this.eval(e.obj, scope);
        const index = this.eval(e.index, scope);
        try {
          return P.getItem(this, obj, index, e.r);
        } catch (err) {
          throw this.doubted(err, obj);
        }
      }
      case 'slice':
        return new PySlice(e.lo ? this.eval(e.lo, scope) : null, e.hi ? this.eval(e.hi, scope) : null, e.step ? this.eval(e.step, scope) : null);
      case 'call':
        return this.evalCall(e, scope);
      case 'bin': {
        const a = this.eval(e.a, scope);
        return P.binop(this, e.op, a, this.eval(e.b, scope), e.r);
      }
      case 'unary': {
        const a = this.eval(e.a, scope);
        if (e.op === 'not') return a instanceof PyOpaque ? a : !this.truthy(a, e.r);
        return P.unary(this, e.op, a, e.r);
      }
      case 'bool': {
        const a = this.eval(e.a, scope);
        if (a instanceof PyOpaque) return a;
        const t = this.truthy(a, e.a.r);
        if (e.op === 'and' ? !t : t) return a;
        return this.eval(e.b, scope);
      }
      case 'cmp': {
        let left = this.eval(e.first, scope);
        let result: Value = true;
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.rest[i], scope);
          result = P.compare(this, e.ops[i], left, right, e.r);
          if (i < e.ops.length - 1) {
            if (result instanceof PyOpaque) return result;
            if (!this.truthy(result, e.r)) return result;
          }
          left = right;
        }
        return result;
      }
      case 'ifexp': {
        const t = this.eval(e.test, scope);
        if (t instanceof PyOpaque) return t;
        return this.truthy(t, e.test.r) ? this.eval(e.body, scope) : this.eval(e.orelse, scope);
      }
      case 'lambda':
        return new PyFunction('<lambda>', e.params, this.evalDefaults(e.params, scope), e, this.closureOf(scope), e.locals, e.r);
      case 'list':
        return new PyList(this.evalItems(e.items, scope));
      case 'tuple':
        return new PyTuple(this.evalItems(e.items, scope));
      case 'set': {
        const s = new PySet();
        for (const v of this.evalItems(e.items, scope)) s.add(P.hashable(this, v, e.r));
        return s;
      }
      case 'dict': {
        const d = new PyDict();
        for (const it of e.items) {
          if ('spread' in it) {
            const src = this.eval(it.spread, scope);
            if (src instanceof PyOpaque) return src;
            if (!(src instanceof PyDict)) this.raise('TypeError', `'${typeName(src)}' object is not a mapping`, it.spread.r);
            for (const [k, v] of (src as PyDict).entries()) d.set(k, v);
          } else {
            const k = this.eval(it.key, scope);
            d.set(P.hashable(this, k, it.key.r), this.eval(it.value, scope));
          }
        }
        return d;
      }
      case 'comp':
        return this.comprehension(e, scope);
      case 'walrus': {
        const v = this.eval(e.value, scope);
        let s = scope;
        while (s.kind === 'comp' && s.parent) s = s.parent;
        this.store(e.name, v, s);
        return v;
      }
      case 'fstring':
        return this.fstring(e, scope);
      case 'ellipsis':
        return ELLIPSIS;
      case 'starred':
        return this.raise('SyntaxError', "can't use starred expression here", e.r);
      case 'yield':
        return this.yieldExpr(e, scope);
      case 'unsupported':
        return new PyOpaque(e.construct, e.r);
    }
  }

  /** `yield v` / `yield from it`: buffered for the generator's consumer; its value is None, what next() sends. */
  private yieldExpr(e: Extract<Expr, { k: 'yield' }>, scope: Scope): Value {
    const out = this.frames[this.frames.length - 1]?.yields;
    if (!out) return this.raise('SyntaxError', "'yield' outside function", e.r);
    const v = e.value ? this.eval(e.value, scope) : null;
    const give = (x: Value) => {
      if (out.items.length >= MAX_GENERATOR_ITEMS) throw new BufferedRunStops(new CantFollow(new PyOpaque(`a generator of more than ${MAX_GENERATOR_ITEMS} items (run to its end at its first next())`, e.r), e.r));
      // An object yielded again may have changed in between, which a buffered run would not show.
      for (const o of x instanceof PyTuple ? x.items : [x]) {
        if (typeof o !== 'object' || o === null || o instanceof PyTuple || o instanceof PyOpaque) continue;
        if (out.seen.has(o)) throw new BufferedRunStops(new CantFollow(new PyOpaque('a generator that yields the same object again (it may change between its yields)', e.r), e.r));
        out.seen.add(o);
      }
      out.items.push(x);
    };
    if (!e.from) give(v);
    else for (let it = P.iterate(this, v, e.r), x = it.next(); x !== undefined; x = it.next()) give(x);
    return null;
  }

  /**
   * A generator function's call: its arguments are bound now (a TypeError here, as in Python) and its
   * body runs to its end at the first next(), every yield buffered (send() is not modelled). What the
   * body raises reaches the consumer after the items yielded before it, where Python raises it.
   */
  private generator(fn: PyFunction, def: FunctionDef, scope: Scope, r: Range): PyIter {
    let items: Value[] | null = null;
    let failure: Signal | null = null;
    let i = 0;
    const run = (): Value[] => {
      const yields: Yields = { items: [], seen: new Set() };
      const outerSkip = this.lastSkip;
      this.lastSkip = null;
      this.depth++;
      this.frames.push({ fn, scope, yields });
      try {
        this.execBlock(def.body, scope);
      } catch (e) {
        if (e instanceof BufferedRunStops) throw e.cause;
        if (!(e instanceof PyRaise || e instanceof CantFollow)) throw e;
        if (e instanceof PyRaise) e.traceback.push(r);
        failure = e;
      } finally {
        this.retval = null;
        this.depth--;
        this.frames.pop();
      }
      // A statement the body skipped (a loop over a file's text) may have yielded more: its end is not known.
      failure ??= this.lastSkip;
      this.lastSkip = outerSkip ?? this.lastSkip;
      return yields.items;
    };
    return new PyIter(() => {
      items ??= run();
      if (i < items.length) return items[i++];
      const f = failure;
      failure = null;
      if (f) throw f;
      return undefined;
    }, T.generator);
  }

  private evalItems(items: Expr[], scope: Scope): Value[] {
    const out: Value[] = [];
    for (const it of items) {
      if (it.k === 'starred') {
        const v = this.eval(it.value, scope);
        if (v instanceof PyOpaque) throw new CantFollow(v, it.r);
        out.push(...this.toArray(v, it.r));
      } else out.push(this.eval(it, scope));
    }
    if (out.length > this.limits.maxLength) throw new LimitExceeded('size', `a sequence longer than ${this.limits.maxLength} elements`, items[0]?.r ?? { start: 0, end: 0 });
    return out;
  }

  private fstring(e: FString, scope: Scope): Value {
    let out = '';
    for (const p of e.parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      let v = this.eval(p.expr, scope);
      if (v instanceof PyOpaque) return v;
      if (p.conversion === 'r' || p.conversion === 'a') v = P.repr(this, v, p.r);
      else if (p.conversion === 's') v = P.str(this, v, p.r);
      let spec = '';
      if (p.spec) {
        const s = this.fstring(p.spec, scope);
        if (s instanceof PyOpaque) return s;
        spec = s as string;
      }
      if (p.selfDoc !== null) out += p.selfDoc + (p.conversion === null && !p.spec ? P.repr(this, v, p.r) : P.format(this, v, spec, p.r));
      else out += P.format(this, v, spec, p.r);
      if (out.length > this.limits.maxLength) throw new LimitExceeded('size', `a string longer than ${this.limits.maxLength} characters`, e.r);
    }
    return out;
  }

  private comprehension(e: Extract<Expr, { k: 'comp' }>, scope: Scope): Value {
    const locals = new Set<string>();
    for (const c of e.clauses) for (const n of targetNames(c.target)) locals.add(n);
    const inner = new Scope('comp', scope, locals);
    const list: Value[] = [];
    const dict = e.kind === 'dict' ? new PyDict() : null;
    const set = e.kind === 'set' ? new PySet() : null;
    const loop = (i: number): void => {
      const c = e.clauses[i];
      // The first iterable is evaluated in the enclosing scope, as in CPython.
      const src = this.eval(c.iter, i === 0 ? scope : inner);
      if (src instanceof PyOpaque) throw new CantFollow(src, c.iter.r);
      const it = P.iterate(this, src, c.iter.r);
      for (let v = it.next(); v !== undefined; v = it.next()) {
        this.tick(c.iter.r);
        this.assign(c.target, v, inner);
        if (!c.ifs.every((f) => this.truthy(this.eval(f, inner), f.r))) continue;
        if (i + 1 < e.clauses.length) loop(i + 1);
        else if (dict) dict.set(P.hashable(this, this.eval(e.elt, inner), e.elt.r), this.eval(e.value!, inner));
        else if (set) set.add(P.hashable(this, this.eval(e.elt, inner), e.elt.r));
        else {
          list.push(this.eval(e.elt, inner));
          if (list.length > this.limits.maxLength) throw new LimitExceeded('size', `a list longer than ${this.limits.maxLength} elements`, e.r);
        }
      }
    };
    loop(0);
    if (dict) return dict;
    if (set) return set;
    // A generator expression is consumed at once: the subset has no lazy generators.
    return e.kind === 'gen' ? PyIter.over(list) : new PyList(list);
  }

  private evalCall(e: Extract<Expr, { k: 'call' }>, scope: Scope): Value {
    const fn = this.eval(e.fn, scope);
    const args: Value[] = [];
    let kwargs: Kwargs | null = null;
    for (const a of e.args) {
      switch (a.kind) {
        case 'pos':
          args.push(this.eval(a.value, scope));
          break;
        case 'star': {
          const v = this.eval(a.value, scope);
          if (v instanceof PyOpaque) {
            if (fn instanceof PyOpaque) continue;
            throw new CantFollow(v, a.r);
          }
          args.push(...this.toArray(v, a.r));
          break;
        }
        case 'kw':
          kwargs ??= new Map();
          if (kwargs.has(a.name!)) this.raise('SyntaxError', `keyword argument repeated: ${a.name}`, a.r);
          kwargs.set(a.name!, this.eval(a.value, scope));
          break;
        case 'dstar': {
          kwargs ??= new Map();
          const v = this.eval(a.value, scope);
          if (v instanceof PyOpaque && fn instanceof PyOpaque) continue;
          P.kwargsFrom(this, v, kwargs, a.r, fn);
          break;
        }
      }
    }
    const outer = this.callNode;
    const outerUser = this.userCall;
    this.callNode = e;
    if (!isMirrored(e.r)) this.userCall = e;
    try {
      return this.call(fn, args, kwargs, e.r);
    } finally {
      this.callNode = outer;
      this.userCall = outerUser;
    }
  }

  // ── calls ────────────────────────────────────────────────────────────────

  call(fn: Value, args: Value[], kwargs: Kwargs | null, r: Range): Value {
    if (fn instanceof PyFunction) return this.callFunction(fn, args, kwargs, r);
    if (fn instanceof PyBoundMethod) return this.call(fn.fn, [fn.self, ...args], kwargs, r);
    if (fn instanceof PyBuiltin) return this.callBuiltin(fn, args, kwargs, r);
    if (fn instanceof PyClass) return this.instantiate(fn, args, kwargs, r);
    if (fn instanceof PyOpaque) return this.callOpaque(fn, args, kwargs, r);
    const own = P.userMethod(fn, '__call__');
    if (own) return this.call(own, [fn, ...args], kwargs, r);
    const native = typeOf(fn).native?.call;
    if (native) return native(fn, args, kwargs, r);
    return this.raise('TypeError', `'${typeName(fn)}' object is not callable`, r);
  }

  /** An unknown function may change what it is given: its arguments are marked, its result is opaque. */
  private callOpaque(fn: PyOpaque, args: Value[], kwargs: Kwargs | null, r: Range): Value {
    const result = isOpaqueModuleMember(fn) ? new PyOpaque(fn.construct, r) : fn;
    if (!isObserver(fn)) {
      const cause = new CantFollow(fn, r);
      for (const a of [...args, ...(kwargs?.values() ?? [])]) {
        if (typeof a === 'object' && a !== null && !(a instanceof PyOpaque) && !(a instanceof PyModule)) this.taint(a, cause);
      }
    }
    return result;
  }

  private callBuiltin(fn: PyBuiltin, args: Value[], kwargs: Kwargs | null, r: Range): Value {
    try {
      return this.builtinResult(fn, args, kwargs, r);
    } catch (e) {
      // What a built-in raises on a value something not followed may have changed (a list a loop
      // over an opaque range never filled: torch.stack([])) is that thing's doing, not the script's error.
      const cause = e instanceof PyRaise ? this.taintOfArgs(args, kwargs) : undefined;
      throw cause ?? e;
    }
  }

  private taintOfArgs(args: Value[], kwargs: Kwargs | null): CantFollow | undefined {
    for (const a of [...args, ...(kwargs?.values() ?? [])]) {
      const cause = typeof a === 'object' && a !== null ? this.taints.get(a) : undefined;
      if (cause) return cause;
    }
    return undefined;
  }

  private builtinResult(fn: PyBuiltin, args: Value[], kwargs: Kwargs | null, r: Range): Value {
    try {
      return fn.fn(args, kwargs, { r, interp: this });
    } catch (e) {
      // Python's own control flow, and the front end's (the training loop found inside a function a built-in calls: mp.spawn).
      if (e instanceof Signal) throw e;
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw e;
      // Gradient Lens's own time or memory limit stopping the run: no exception of the script's, which it could catch.
      if ((e as { name?: string } | null)?.name === 'LimitError') throw e;
      // The engine's errors (a shape mismatch) are the RuntimeError PyTorch would raise here.
      const err = e instanceof Error ? e : new Error(String(e));
      if ((err as { name?: string }).name === 'TensorMemoryError') throw new LimitExceeded('size', err.message, r);
      // A dim out of range is PyTorch's IndexError ("Dimension out of range ..."), which a script may catch as such.
      if ((err as { name?: string }).name === 'DimError') return this.raise('IndexError', err.message, r);
      return this.raise('RuntimeError', err.message, r);
    }
  }

  callFunction(fn: PyFunction, args: Value[], kwargs: Kwargs | null, r: Range): Value {
    const def = fn.body;
    if (def.k === 'def' && def.unsupported) return new PyOpaque(def.unsupported.construct, def.unsupported.r);
    if (this.depth >= this.limits.maxDepth) this.raise('RecursionError', 'maximum recursion depth exceeded', r);
    const scope = new Scope('function', fn.closure as Scope, fn.locals, def.k === 'def' ? def.globals : null, def.k === 'def' ? def.nonlocals : null);
    this.bind(fn, args, kwargs, scope, r);
    if (def.k === 'def' && def.generator) return this.generator(fn, def, scope, r);
    this.depth++;
    this.frames.push({ fn, scope });
    try {
      if (def.k === 'lambda') return this.eval(def.body, scope);
      const flow = this.execBlock((def as FunctionDef).body, scope);
      const v = flow === RETURN ? this.retval : null;
      this.retval = null;
      return v;
    } catch (e) {
      if (e instanceof PyRaise) e.traceback.push(r);
      throw e;
    } finally {
      this.depth--;
      this.frames.pop();
    }
  }

  /** Binds arguments to parameters with CPython's rules and messages. */
  private bind(fn: PyFunction, args: Value[], kwargs: Kwargs | null, scope: Scope, r: Range): void {
    const vars = scope.vars;
    const params = fn.params;
    const positional = params.filter((p) => p.kind === 'posonly' || p.kind === 'pos');
    const varargs = params.find((p) => p.kind === 'varargs');
    const varkw = params.find((p) => p.kind === 'varkw');
    const name = fn.name;
    if (args.length > positional.length && !varargs) {
      const required = positional.filter((p) => !p.default).length;
      const takes = required === positional.length ? `${positional.length}` : `from ${required} to ${positional.length}`;
      this.raise('TypeError', `${name}() takes ${takes} positional argument${positional.length === 1 ? '' : 's'} but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`, r);
    }
    for (let i = 0; i < Math.min(args.length, positional.length); i++) vars.set(positional[i].name, args[i]);
    if (varargs) vars.set(varargs.name, new PyTuple(args.slice(positional.length)));
    const extra = varkw ? new PyDict() : null;
    if (kwargs) {
      for (const [k, v] of kwargs) {
        const p = params.find((q) => q.name === k && (q.kind === 'pos' || q.kind === 'kwonly'));
        if (p) {
          if (vars.has(k)) this.raise('TypeError', `${name}() got multiple values for argument '${k}'`, r);
          vars.set(k, v);
        } else if (extra) extra.set(k, v);
        else this.raise('TypeError', `${name}() got an unexpected keyword argument '${k}'`, r);
      }
    }
    if (varkw) vars.set(varkw.name, extra);
    const missing: Param[] = [];
    params.forEach((p, i) => {
      if (p.kind === 'varargs' || p.kind === 'varkw' || vars.has(p.name)) return;
      const d = fn.defaults[i];
      if (d !== undefined) vars.set(p.name, d);
      else missing.push(p);
    });
    // CPython names the missing positional arguments first, then the keyword-only ones.
    for (const kw of [false, true]) {
      const list = missing.filter((p) => (p.kind === 'kwonly') === kw).map((p) => `'${p.name}'`);
      if (!list.length) continue;
      const text = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
      this.raise('TypeError', `${name}() missing ${list.length} required ${kw ? 'keyword-only' : 'positional'} argument${list.length === 1 ? '' : 's'}: ${text}`, r);
    }
  }

  /** The function running now and its scope (zero-argument super() reads them). */
  currentFrame(): Frame | null {
    return this.frames[this.frames.length - 1] ?? null;
  }

  /** The function that called the one running now (Lightning's save_hyperparameters reads its caller's arguments). */
  callerFrame(): Frame | null {
    return this.frames[this.frames.length - 2] ?? null;
  }

  instantiate(cls: PyClass, args: Value[], kwargs: Kwargs | null, r: Range): Value {
    const native = cls.native;
    const init = cls.lookup('__init__');
    const userInit = init instanceof PyFunction;
    if (native?.construct && !userInit && !cls.lookup('__new__')) return native.construct(cls, args, kwargs, r, this);
    const newFn = cls.lookup('__new__');
    if (newFn instanceof PyFunction || newFn instanceof PyStaticMethod) return new PyOpaque('a class with its own __new__', cls.nameRange ?? r);
    const obj = native?.alloc ? native.alloc(cls, r) : new PyInstance(cls);
    if (init !== undefined && init !== null) {
      const res = this.call(init instanceof PyFunction || (init instanceof PyBuiltin && init.method) ? new PyBoundMethod(obj, init as PyObj) : init, args, kwargs, r);
      if (res !== null && !(res instanceof PyOpaque)) this.raise('TypeError', `__init__() should return None, not '${typeName(res)}'`, r);
    } else if (args.length || kwargs?.size) {
      this.raise('TypeError', `${cls.name}() takes no arguments`, r);
    }
    return obj;
  }

  // ── attributes ───────────────────────────────────────────────────────────

  getAttr(obj: Value, name: string, r: Range): Value {
    if (obj instanceof PyOpaque) return isOpaqueModule(obj) ? moduleMember(obj, name, r) : obj;
    if (obj instanceof PyInstance) {
      const cls = obj.cls;
      const ca = cls.lookup(name);
      if (ca instanceof PyProperty) return this.call(ca.fget, [obj], null, r);
      const own = obj.dict.get(name);
      if (own !== undefined) return own;
      if (ca !== undefined) return bindAttr(ca, obj, cls);
      const native = cls.native?.getattr?.(obj, name, r);
      if (native !== undefined) return native;
      if (name === '__class__') return cls;
      if (name === '__dict__') return PyDict.of([...obj.dict]);
      const ga = cls.lookup('__getattr__');
      if (ga instanceof PyFunction) return this.call(ga, [obj, name], null, r);
      return this.raise('AttributeError', `'${cls.name}' object has no attribute '${name}'`, r);
    }
    if (obj instanceof PyClass) {
      switch (name) {
        case '__name__':
        case '__qualname__':
          return obj.name;
        case '__module__':
          return obj.module;
        case '__mro__':
          return new PyTuple(obj.mro);
        case '__bases__':
          return new PyTuple(obj.bases);
        case '__dict__':
          return PyDict.of([...obj.dict]);
        case '__class__':
          return T.type;
      }
      const ca = obj.lookup(name);
      if (ca !== undefined) {
        if (ca instanceof PyStaticMethod) return ca.fn;
        if (ca instanceof PyClassMethod) return new PyBoundMethod(obj, ca.fn as PyObj);
        return ca;
      }
      return this.raise('AttributeError', `type object '${obj.name}' has no attribute '${name}'`, r);
    }
    if (obj instanceof PyModule) {
      const v = obj.dict.get(name);
      if (v instanceof PyOpaque && v.origin === NOWHERE) return new PyOpaque(v.construct, r);
      if (v !== undefined) return v;
      if (name === '__name__') return obj.name;
      const missing = obj.member(name, r);
      if (missing !== undefined) return missing;
      return this.raise('AttributeError', `module '${obj.name}' has no attribute '${name}'`, r);
    }
    if (obj instanceof PySuper) return this.superAttr(obj, name, r);
    if (obj instanceof PyFunction) {
      if (name === '__name__' || name === '__qualname__') return obj.name;
      if (name === '__doc__') return null;
      const v = obj.attrs.get(name);
      if (v !== undefined) return v;
    }
    if (obj instanceof PyBoundMethod) {
      if (name === '__self__') return obj.self;
      if (name === '__func__') return obj.fn;
      if (name === '__name__') return obj.fn instanceof PyFunction || obj.fn instanceof PyBuiltin ? obj.fn.name : null;
    }
    if (obj instanceof PyBuiltin && name === '__name__') return obj.name;
    const t = typeOf(obj);
    const ca = t.lookup(name);
    if (ca !== undefined) return bindAttr(ca, obj, t);
    const native = t.native?.getattr?.(obj, name, r);
    if (native !== undefined) return native;
    if (name === '__class__') return t;
    return this.raise('AttributeError', `'${t.name}' object has no attribute '${name}'`, r);
  }

  private superAttr(sup: PySuper, name: string, r: Range): Value {
    const self = sup.self;
    const mro = self instanceof PyClass && self.isSubclassOf(sup.start) ? self.mro : typeOf(self).mro;
    const at = mro.indexOf(sup.start);
    for (const c of mro.slice(at + 1)) {
      const v = c.dict.get(name);
      if (v === undefined) continue;
      if (v instanceof PyProperty) return this.call(v.fget, [self], null, r);
      if (self instanceof PyClass) return v instanceof PyClassMethod ? new PyBoundMethod(self, v.fn as PyObj) : v instanceof PyStaticMethod ? v.fn : v;
      return bindAttr(v, self, typeOf(self));
    }
    return this.raise('AttributeError', `'super' object has no attribute '${name}'`, r);
  }

  setAttr(obj: Value, name: string, v: Value, r: Range): void {
    if (obj instanceof PyOpaque) return;
    if (obj instanceof PyInstance) {
      const sa = obj.cls.lookup('__setattr__');
      if (sa instanceof PyFunction) {
        this.call(sa, [obj, name, v], null, r);
        return;
      }
      this.setOwnAttr(obj, name, v, r);
      return;
    }
    if (obj instanceof PyClass) {
      if (obj.frozen) this.raise('TypeError', `cannot set '${name}' attribute of immutable type '${obj.name}'`, r);
      obj.dict.set(name, v);
      return;
    }
    if (obj instanceof PyModule) {
      obj.dict.set(name, v);
      return;
    }
    if (obj instanceof PyFunction) {
      obj.attrs.set(name, v);
      return;
    }
    const native = typeOf(obj).native?.setattr;
    if (native && native(obj, name, v, r)) return;
    this.raise('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`, r);
  }

  /** `object.__setattr__`: the assignment without the class's own `__setattr__` (which calls this through `super()`). */
  setOwnAttr(obj: PyInstance, name: string, v: Value, r: Range): void {
    const prop = obj.cls.lookup(name);
    if (prop instanceof PyProperty) {
      if (prop.fset === null) this.raise('AttributeError', `can't set attribute '${name}'`, r);
      this.call(prop.fset, [obj, v], null, r);
      return;
    }
    if (obj.cls.native?.setattr?.(obj, name, v, r)) return;
    obj.dict.set(name, v);
  }

  delAttr(obj: Value, name: string, r: Range): void {
    if (obj instanceof PyOpaque) return;
    if (obj instanceof PyInstance) {
      if (obj.cls.native?.delattr?.(obj, name, r)) return;
      if (!obj.dict.delete(name)) this.raise('AttributeError', name, r);
      return;
    }
    if (obj instanceof PyClass && !obj.frozen) {
      if (!obj.dict.delete(name)) this.raise('AttributeError', name, r);
      return;
    }
    this.raise('AttributeError', `'${typeName(obj)}' object attribute '${name}' is read-only`, r);
  }

  // ── conversions the built-ins share ─────────────────────────────────────

  truthy(v: Value, r: Range): boolean {
    return P.truthy(this, v, r);
  }

  getItem(obj: Value, key: Value, r: Range): Value {
    return P.getItem(this, obj, key, r);
  }

  /** Every element of an iterable (bounded by the size limit). */
  toArray(v: Value, r: Range): Value[] {
    const unknown = this.unfilled.causeOf(v);
    if (unknown) throw unknown;
    if (v instanceof PyList || v instanceof PyTuple) return [...v.items];
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    const it = P.iterate(this, v, r);
    const out: Value[] = [];
    for (let x = it.next(); x !== undefined; x = it.next()) {
      out.push(x);
      if (out.length > this.limits.maxLength) throw new LimitExceeded('size', `a sequence longer than ${this.limits.maxLength} elements`, r);
      this.tick(r);
    }
    return out;
  }

  /** An int as a JavaScript number for indexing (bool counts, as in Python; __index__ of user classes too). */
  toIndex(v: Value, r: Range, message: string): number {
    if (isInt(v)) return Number(toBigInt(v));
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    const own = P.userMethod(v, '__index__');
    if (own) return this.toIndex(this.call(own, [v], null, r), r, message);
    const native = typeOf(v).native?.getattr?.(v, '__index__', r);
    if (native instanceof PyObj) return this.toIndex(this.call(native, [], null, r), r, message);
    return this.raise('TypeError', message, r);
  }

  /** An int or float for arithmetic in built-ins; null when `v` is neither (nor has __index__/__float__). */
  toNumberLike(v: Value, r: Range): bigint | number | boolean | null {
    if (isNumber(v)) return v;
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    for (const name of ['__index__', '__float__', '__int__']) {
      const own = P.userMethod(v, name);
      if (own) return this.toNumberLike(this.call(own, [v], null, r), r);
      const native = typeOf(v).native?.getattr?.(v, name, r);
      if (native instanceof PyObj) return this.toNumberLike(this.call(native, [], null, r), r);
    }
    return null;
  }

  hashKeyOf(v: Value): HashKey {
    return hashKey(v);
  }

  write(text: string): void {
    if (this.output.length < 100_000) this.output += text;
  }
}

// ── helpers over the syntax tree ─────────────────────────────────────────────

/** `ClassVar`, `ClassVar[int]`, `typing.ClassVar[...]`: not a dataclass field. */
function isClassVar(e: Expr): boolean {
  const base = e.k === 'sub' ? e.obj : e;
  return (base.k === 'name' && base.id === 'ClassVar') || (base.k === 'attr' && base.name === 'ClassVar');
}

function bindAttr(ca: Value, obj: Value, cls: PyClass): Value {
  if (ca instanceof PyFunction) return new PyBoundMethod(obj, ca);
  if (ca instanceof PyBuiltin && ca.method) return new PyBoundMethod(obj, ca);
  if (ca instanceof PyStaticMethod) return ca.fn;
  if (ca instanceof PyClassMethod) return new PyBoundMethod(cls, ca.fn as PyObj);
  return ca;
}

/** Opaque modules: a module Gradient Lens does not model; each of its members is its own construct. */
const OPAQUE_MODULES = new WeakSet<PyOpaque>();
const MODULE_MEMBERS = new WeakSet<PyOpaque>();
/** Modules whose calls only observe (logging, plotting, progress bars): they never change what they are given. */
const OBSERVER_MODULES = /^(?:matplotlib|seaborn|plotly|logging|warnings|time|datetime|tqdm|wandb|tensorboard|tensorboardX|torch\.utils\.tensorboard|torchsummary|torchinfo|pprint|rich|IPython|mlflow|neptune|comet_ml)(?:\.|$)/;
const OBSERVERS = new WeakSet<PyOpaque>();

export function opaqueModule(name: string, r: Range): PyOpaque {
  const o = new PyOpaque(`the module ${name}`, r);
  OPAQUE_MODULES.add(o);
  if (OBSERVER_MODULES.test(name)) OBSERVERS.add(o);
  (o as PyOpaque & { moduleName?: string }).moduleName = name;
  return o;
}

function isOpaqueModule(o: PyOpaque): boolean {
  return OPAQUE_MODULES.has(o);
}

function isOpaqueModuleMember(o: PyOpaque): boolean {
  return MODULE_MEMBERS.has(o);
}

function isObserver(o: PyOpaque): boolean {
  return OBSERVERS.has(o);
}

/** `np.load` from an opaque module: a construct of its own, where it is written. */
export function moduleMember(mod: PyOpaque, name: string, r: Range): PyOpaque {
  const modName = (mod as PyOpaque & { moduleName?: string }).moduleName ?? '?';
  const o = new PyOpaque(`${modName}.${name}`, r);
  MODULE_MEMBERS.add(o);
  OPAQUE_MODULES.add(o);
  (o as PyOpaque & { moduleName?: string }).moduleName = `${modName}.${name}`;
  if (isObserver(mod)) OBSERVERS.add(o);
  return o;
}

/** Every target a statement (and the blocks inside it) binds. */
function boundTargets(s: Stmt): Target[] {
  return statementsIn(s).flatMap(ownTargets);
}

function containsReturn(s: Stmt): boolean {
  return statementsIn(s).some((x) => x.k === 'return');
}

/** Names a statement reads or writes. */
export function namesIn(s: Stmt): Set<string> {
  const out = new Set<string>();
  for (const x of statementsIn(s)) {
    const exprs = ownExprs(x);
    for (const t of ownTargets(x)) {
      targetNames(t).forEach((n) => out.add(n));
      exprs.push(...targetExprs(t));
    }
    for (const e of exprs) {
      for (const y of expressionsIn(e)) {
        if (y.k === 'name') out.add(y.id);
        else if (y.k === 'walrus') out.add(y.name);
      }
    }
  }
  return out;
}

export { NOT_IMPLEMENTED, PyRaise };
