/**
 * The torch bindings of a run: the seeded generator and element type, the Python classes
 * (torch.Tensor, nn.Parameter, nn.Module, ...), the wrappers that give engine tensors and modules
 * their Python identity, and the record of where each module was built and applied. The classes
 * outlive a run (a finished run hands them to the next, see `begin`); everything a run records
 * starts afresh, so nothing a file does to torch reaches another file's run.
 */
import { currentLayer, noGrad } from '../../../engine/context';
import * as F from '../../../engine/functional';
import type { DType, FloatArray, TensorDType } from '../../../engine/dtype';
import type * as enn from '../../../engine/nn';
import { Rng } from '../../../engine/rng';
import { markWritten, Tensor } from '../../../engine/tensor';
import type { Optimizer } from '../../../engine/optim';
import type { Expr, ModuleAst, Range } from '../ast';
import { requireInt } from '../builtins';
import { CantFollow, DtypeCast } from '../errors';
import { isMirrored } from '../imports';
import type { Interpreter } from '../interpreter';
import { Applications } from './applications';
import type { FunctionalSite, LossUse } from './functions';
import type { ImageRead } from './image-files';
import type { InitUse } from './init';
import type { ClipUse, OptimizerUse } from './training';
import { isInt, isNumber, PyClass, PyInstance, PyList, PyModule, PyObj, PyOpaque, PyTuple, PyTupleOf, toBigInt, toNumber, typeName, Value, ValueKeyed } from '../values';


/** What the script does in another dtype than the run's: a DtypeCast for a float type, else not followed. */
export function inOtherDtype(dtype: string, what: string, r: Range): CantFollow {
  const o = new PyOpaque(what, r);
  return dtype === 'float32' || dtype === 'float64' ? new DtypeCast(dtype, o, r) : new CantFollow(o, r);
}

/** A module of a library Gradient Lens mirrors in part (torch.nn, torchvision.transforms): a name it lacks reads as not followed. */
export function mirrorModule(name: string, members: Record<string, Value>): PyModule {
  const m = new PyModule(name);
  m.partial = true;
  for (const [k, v] of Object.entries(members)) m.dict.set(k, v);
  return m;
}

/** Where a module came from in the user's text. */
export interface ModuleSite {
  /** The call that built it: `nn.Sigmoid()`, `Net()`. */
  created: Range;
  /** The expression naming what was called: `nn.Sigmoid` (a fix replaces it). */
  callee: Range;
  /** The first call that applied it from Python (`self.act(x)`), null while none has. */
  applied: Range | null;
  /** Per-sample shapes of its first application (batch axis dropped). */
  inShape: number[] | null;
  outShape: number[] | null;
  /** The modules whose outputs reached its input in its first application: the real data flow. */
  inputsFrom: Set<enn.Module> | null;
}

/** A torch.dtype: torch.float32, torch.long, ... */
export class DTypeObj extends PyObj implements ValueKeyed {
  constructor(
    readonly dtype: TensorDType,
    private readonly cls: PyClass,
  ) {
    super();
  }
  get type(): PyClass {
    return this.cls;
  }
  hashKey(): string {
    return `dtype:${this.dtype}`;
  }
}

/** A torch.device: always the CPU here, whatever it was asked for (the gradients are the same). */
export class DeviceObj extends PyObj implements ValueKeyed {
  constructor(
    readonly name: string,
    private readonly cls: PyClass,
  ) {
    super();
  }
  get type(): PyClass {
    return this.cls;
  }
  hashKey(): string {
    return `device:${this.name}`;
  }
}

/** A Python torch.Tensor (or nn.Parameter) over an engine tensor; one per tensor, for `is` and dict keys. */
export class TensorObj extends PyObj {
  constructor(
    /** Replaced only by resize_ (an engine tensor's shape is fixed; the Python object's is not). */
    public t: Tensor,
    private readonly cls: PyClass,
  ) {
    super();
  }
  get type(): PyClass {
    return this.cls;
  }
}

/**
 * A numpy.ndarray over an engine tensor that never requires a gradient (NumPy has none), its dtype
 * NumPy's: float64 by default, int64, bool or float32. `scalar`: a NumPy scalar of a type Python has
 * no number for (np.float32(2.0), `a.mean()` of a float32 array), 0-d and of that type's class.
 */
export class ArrayObj extends PyObj {
  private values: Tensor;
  /**
   * Set when a method Gradient Lens does not model changed the array in place (`a.sort()`): every
   * later use of it is that can't-follow, never its old values.
   */
  lost: CantFollow | null = null;

  constructor(
    t: Tensor,
    private readonly cls: PyClass,
    readonly scalar = false,
  ) {
    super();
    this.values = t;
  }
  get type(): PyClass {
    return this.cls;
  }
  get t(): Tensor {
    if (this.lost) throw this.lost;
    return this.values;
  }
  /** ndarray.resize: a new shape for every name bound to the array. */
  set t(t: Tensor) {
    this.values = t;
  }
}

/** An object of a native class that keeps some state of its own (a `with torch.no_grad():` block's earlier mode). */
export class NativeObj<S = unknown> extends PyObj {
  constructor(
    private readonly cls: PyClass,
    public state: S,
  ) {
    super();
  }
  get type(): PyClass {
    return this.cls;
  }
}

/** An nn.Module instance: Python attributes in `dict`, parameters, buffers and children in the engine module. */
export class ModuleObj extends PyInstance {
  /** Set by nn.Module.__init__: before it, assigning a module or parameter is an error, as in PyTorch. */
  initialised = false;
  /** A torch.nn layer's constructor arguments as the call gave them, by PyTorch's names (what PyTorch keeps as written). */
  given: Map<string, Value> | null = null;
  /** The wrapper the script put around it (`DistributedDataParallel`), which it stands for: `.module` is itself. */
  wrappedBy: string | null = null;
  constructor(
    cls: PyClass,
    public engine: enn.Module,
  ) {
    super(cls);
  }
}

export class Torch {
  // ── the run's state (see `begin`) ───────────────────────────────────────
  interp!: Interpreter;
  seed!: number;
  rng!: Rng;
  dropoutRng!: Rng;
  /** Synthetic data (a torchvision dataset's images, a loader's shuffling): a stream of its own, so data never shifts the weights. */
  dataRng!: Rng;
  dtype!: DType;
  /** The file's text (a functional layer is named by its line) and its tree (fixes edit it). */
  text = '';
  ast: ModuleAst = { body: [], r: { start: 0, end: 0 } };
  /** Dropout off everywhere (a spec's `trace: {dropout: false}`), for exact comparisons. */
  dropoutOff = false;
  /** The trace is running a closure handed to `optimizer.step(closure)`: backward() hands its loss over instead (BackwardReached). */
  stopAtBackward = false;
  /** Given values for the script's randn/rand calls, in call order (PythonOptions.noise); taken as drawn. */
  noise: FloatArray[] | null = null;
  /** The traced optimiser while a step's tail runs (step-tail.ts): its step() there was the trace's, and is skipped once. */
  skipStep: Optimizer | null = null;
  /** The process group the script joined (init_process_group, its backend, not yet destroyed): the trace is rank 0 of 1 (distributed.ts). */
  processGroup: { at: Range; backend: string; open: boolean } | null = null;
  /** Where the script read torch.cuda.device_count() (0 here): a script stopping for want of a GPU is told so. */
  gpuCountRead: Range | null = null;
  /** The folders of images the script lists (glob.glob, os.listdir, ImageFolder): synthetic images stand for their files (image-files.ts). */
  imageReads: ImageRead[] = [];
  /** Told of each optimizer.step() the script runs itself, before it steps (a GAN's other model's step). */
  onOptimizerStep: ((opt: Optimizer) => void) | null = null;
  /** Told of each backward() the script runs itself (a GAN's step runs all but its last): the loss and the call's range. */
  onBackward: ((loss: Tensor, r: Range) => void) | null = null;
  /** Functional activations' layers by call site. */
  functionals!: Map<string, FunctionalSite>;
  /** The modules whose forward is running, called as `module(x)`: innermost last. */
  readonly callers: enn.Module[] = [];
  /** Every loss computed, in order: the last one is the loss the training step minimises. */
  losses!: LossUse[];
  /** Losses PyTorch computes but refuses to differentiate (MSELoss on an integer target): the error backward() raises. */
  refusedBackward!: WeakMap<Tensor, string>;
  sites!: WeakMap<enn.Module, ModuleSite>;
  /** The Python object of each engine module (a child found through the engine tree keeps its identity). */
  moduleObjs!: WeakMap<enn.Module, ModuleObj>;
  parameters!: WeakSet<Tensor>;
  private wrappers!: WeakMap<Tensor, TensorObj>;
  /** Optimisers and clipping the script sets up, in order. */
  optimizers!: OptimizerUse[];
  clips!: ClipUse[];
  /** nn.init calls by the tensor they set. */
  inits!: WeakMap<Tensor, InitUse>;
  /** `p.data` by the tensor it aliases: it shares p's values without being a view, so an init through it belongs to p. */
  dataAliases!: WeakMap<Tensor, Tensor>;
  /** The call expression that built each module object (fixes edit it). */
  calls!: WeakMap<ModuleObj, Extract<Expr, { k: 'call' }>>;
  /** Every module object made, in order (to find the one an optimiser trains). */
  allModules!: ModuleObj[];
  /** The first application of each module: its shapes and the layers before it (no tensor kept). */
  applications!: Applications;

  // ── the bindings: made once, for the first run, and kept by later runs (src/model/python/torch/index.ts) ──
  readonly dtypeObjs = new Map<TensorDType, DTypeObj>();
  /** Set by the classes' makers. */
  Tensor!: PyClass;
  /** The legacy typed constructors (torch.FloatTensor, LongTensor, ...) and their dtype (null: the run's float type); typed-tensors.ts. */
  readonly typedTensors = new Map<PyClass, TensorDType | null>();
  Parameter!: PyClass;
  Size!: PyClass;
  Module!: PyClass;
  dtypeClass!: PyClass;
  deviceClass!: PyClass;
  /** numpy.ndarray and NumPy's scalar types by dtype (np.float32, ...); ndarray.ts. */
  ndarray!: PyClass;
  readonly npScalarTypes = new Map<TensorDType, PyClass>();
  /** Each torch.nn class by name (Linear, Sequential, ModuleList, ...). */
  readonly nnClasses = new Map<string, PyClass>();

  constructor(interp: Interpreter, seed: number, dtype: DType) {
    this.begin(interp, seed, dtype);
  }

  /**
   * Starts a run on these bindings: its interpreter, generators and element type, and nothing
   * recorded yet. The classes and functions stay: Python cannot change them (torch's classes are
   * immutable types here, as built-in types are in CPython), and each run gets its own module
   * objects, so nothing one file does reaches another file's run.
   */
  begin(interp: Interpreter, seed: number, dtype: DType): void {
    this.interp = interp;
    this.seed = seed;
    this.rng = new Rng(seed);
    this.dropoutRng = new Rng(seed + 7919);
    this.dataRng = new Rng(seed + 1);
    this.dtype = dtype;
    this.text = '';
    this.ast = { body: [], r: { start: 0, end: 0 } };
    this.dropoutOff = false;
    this.stopAtBackward = false;
    this.noise = null;
    this.onOptimizerStep = null;
    this.skipStep = null;
    this.processGroup = null;
    this.gpuCountRead = null;
    this.imageReads = [];
    this.functionals = new Map();
    this.losses = [];
    this.refusedBackward = new WeakMap();
    this.sites = new WeakMap();
    this.moduleObjs = new WeakMap();
    this.parameters = new WeakSet();
    this.wrappers = new WeakMap();
    this.optimizers = [];
    this.clips = [];
    this.inits = new WeakMap();
    this.dataAliases = new WeakMap();
    this.calls = new WeakMap();
    this.allModules = [];
    this.applications = new Applications();
  }

  /** torch.manual_seed: the run's generators start again from `seed`. */
  reseed(seed: number): void {
    this.rng = new Rng(seed);
    this.dropoutRng = new Rng(seed + 7919);
  }

  // ── tensors ─────────────────────────────────────────────────────────────

  wrap(t: Tensor): TensorObj {
    let w = this.wrappers.get(t);
    if (!w) {
      w = new TensorObj(t, this.parameters.has(t) ? this.Parameter : this.Tensor);
      this.wrappers.set(t, w);
    }
    return w;
  }

  /** Wraps a result that may be a tensor, a list of tensors or a plain value. */
  wrapAny(v: Tensor | Tensor[] | number | boolean): Value {
    if (v instanceof Tensor) return this.wrap(v);
    if (Array.isArray(v)) return new PyTuple(v.map((t) => this.wrap(t)));
    return v;
  }

  /**
   * A NumPy value of an engine tensor: an array, or for a 0-d result NumPy's scalar as Python sees
   * it (np.float64 is a float, np.int64 reads as an int, np.bool_ as a bool; np.float32 its own).
   */
  array(t: Tensor): ArrayObj {
    return new ArrayObj(t, this.ndarray);
  }

  npValue(t: Tensor): Value {
    if (t.rank !== 0) return this.array(t);
    if (t.dtype === 'float32') return new ArrayObj(t, this.npScalarTypes.get('float32')!, true);
    const v = t.item();
    return t.dtype === 'bool' ? v !== 0 : t.dtype === 'int64' ? BigInt(v) : v;
  }

  isTensor(v: Value): v is TensorObj {
    return v instanceof TensorObj;
  }

  /** The engine tensor of a Python value that must be one. */
  tensorOf(v: Value, r: Range, what = 'argument'): Tensor {
    if (v instanceof TensorObj) return v.t;
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    return this.interp.raise('TypeError', `${what} must be Tensor, not ${typeName(v)}`, r);
  }

  /** A tensor or a Python number, as the engine's ops take them. */
  operand(v: Value, r: Range, what = 'other'): Tensor | number | boolean {
    if (v instanceof TensorObj) return v.t;
    if (typeof v === 'boolean' || typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    return this.interp.raise('TypeError', `${what} must be a Tensor or a number, not ${typeName(v)}`, r);
  }

  // ── Python values to engine arguments ───────────────────────────────────

  int(v: Value, r: Range, what = 'argument'): number {
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (v instanceof TensorObj && v.t.size === 1 && !v.t.isFloatingPoint) return v.t.item();
    if (!isInt(v)) return this.interp.raise('TypeError', `${what} must be int, not ${typeName(v)}`, r);
    return Number(toBigInt(v));
  }

  number(v: Value, r: Range, what = 'argument'): number {
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (v instanceof TensorObj && v.t.size === 1) return v.t.item();
    if (!isNumber(v)) return this.interp.raise('TypeError', `${what} must be a number, not ${typeName(v)}`, r);
    return toNumber(v);
  }

  intOrNull(v: Value, r: Range, what = 'argument'): number | null {
    return v === null ? null : this.int(v, r, what);
  }

  bool(v: Value, r: Range): boolean {
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    return this.interp.truthy(v, r);
  }

  /** A list of ints: a tuple, list or torch.Size (or a single int). */
  ints(v: Value, r: Range, what = 'size'): number[] {
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (isInt(v)) return [Number(toBigInt(v))];
    if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => this.int(x, r, what));
    if (v instanceof TensorObj && v.t.rank <= 1 && !v.t.isFloatingPoint) return v.t.toArray();
    return this.interp.raise('TypeError', `${what} must be tuple of ints, not ${typeName(v)}`, r);
  }

  /** torch.zeros(2, 3) and torch.zeros((2, 3)) alike: varargs of ints, or one sequence. */
  shapeArgs(args: readonly Value[], r: Range): number[] {
    if (args.length === 1 && (args[0] instanceof PyTuple || args[0] instanceof PyList)) return this.ints(args[0], r);
    return args.map((a) => this.int(a, r, 'size'));
  }

  /** A torch.Size: a tuple (torch.Size is a tuple subclass) of its dims. */
  size(shape: readonly number[]): PyTupleOf {
    return new PyTupleOf(
      shape.map((d) => BigInt(d)),
      this.Size,
    );
  }

  /** The element type a `dtype=` argument names (None: the default). */
  dtypeArg(v: Value, r: Range): TensorDType | null {
    if (v === null || v === undefined) return null;
    if (v instanceof DTypeObj) return v.dtype;
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (v instanceof PyClass) {
      // `imgs.type(Tensor)` with `Tensor = torch.FloatTensor`.
      if (this.typedTensors.has(v)) return this.typedTensors.get(v) ?? this.dtype;
      if (v.name === 'float') return 'float64';
      if (v.name === 'int') return 'int64';
      if (v.name === 'bool') return 'bool';
    }
    return this.interp.raise('TypeError', `dtype must be torch.dtype, not ${typeName(v)}`, r);
  }

  dtypeObj(d: TensorDType): DTypeObj {
    return this.dtypeObjs.get(d)!;
  }

  /**
   * Fills a tensor's values in place without the tape (an init, `w.data.normal_()`): a view writes
   * through to its base; a parameter or its `.data` alias shares the array and sees it directly.
   */
  fill(t: Tensor, write: (values: Float32Array | Float64Array) => void): void {
    if (!t.view) {
      write(t.data);
      markWritten(t);
      return;
    }
    const tmp = F.zeros(t.shape, t.dtype);
    write(tmp.data);
    noGrad(() => F.setItem(t, [], tmp));
  }

  /** The path of the module whose forward is running ('' outside any). */
  currentPath(): string {
    return currentLayer() ?? '';
  }

  noteLoss(use: LossUse): void {
    if (this.losses.length < 1000) this.losses.push(use);
  }

  // ── modules ─────────────────────────────────────────────────────────────

  /** Records a new module object: where it is built (the call being evaluated) and its engine side. */
  adopt(obj: ModuleObj, r: Range): void {
    this.moduleObjs.set(obj.engine, obj);
    if (this.interp.callNode) this.calls.set(obj, this.interp.callNode);
    if (this.allModules.length < 100_000) this.allModules.push(obj);
    // Built inside a mirrored library (torchvision's ResNet): shown at the user's call that led there (`models.resnet18()`).
    const user = isMirrored(r) ? this.interp.userCall : null;
    const created = user ? user.r : r;
    const callee = user ? user.fn.r : (this.interp.callee ?? r);
    this.sites.set(obj.engine, { created, callee, applied: null, inShape: null, outShape: null, inputsFrom: null });
  }

  /** A catalogue layer's __init__ built its engine layer: the object now stands for it. */
  replaceEngine(obj: ModuleObj, engine: enn.Module): void {
    const site = this.sites.get(obj.engine);
    obj.engine = engine;
    this.moduleObjs.set(engine, obj);
    if (site) this.sites.set(engine, site);
    for (const [, t] of engine.ownState().params) this.parameters.add(t);
  }

  /**
   * The Python object of an engine module. A module an engine layer made inside itself (the
   * encoder of nn.Transformer, the copies TransformerEncoder makes of its layer) gets one when the
   * file first reaches it (`self.encoder` of a class deriving nn.Transformer, `modules()`), of
   * PyTorch's class of that name; its findings fall to the line that built the outer layer.
   */
  objOf(m: enn.Module): ModuleObj {
    const known = this.moduleObjs.get(m);
    if (known) return known;
    const cls = this.nnClasses.get(m.constructor.name);
    if (!cls) throw new Error(`an engine module without its Python object (${m.constructor.name})`);
    const obj = new ModuleObj(cls, m);
    obj.initialised = true;
    this.moduleObjs.set(m, obj);
    return obj;
  }

  /** Why the model may differ from what was read: a skipped statement or an unknown call touched it or a part of it. */
  taintOfModel(root: ModuleObj): CantFollow | null {
    const taints = this.interp.taints;
    for (const [, m] of root.engine.namedModules()) {
      const obj = this.moduleObjs.get(m);
      const c = obj && taints.get(obj);
      if (c) return c;
      for (const [, t] of m.ownState().params) {
        const w = this.wrappers.get(t);
        const ct = w && taints.get(w);
        if (ct) return ct;
      }
    }
    return null;
  }

  /** A container built from a value a skipped statement touched is as uncertain as that value. */
  inheritTaint(into: ModuleObj, from: Value): void {
    if (typeof from !== 'object' || from === null) return;
    const cause = this.interp.taints.get(from);
    if (cause) this.interp.taint(into, cause);
  }

  noteApplied(m: enn.Module, input: Tensor, output: Tensor): void {
    const first = this.applications.note(m, input, output);
    if (!first) return;
    const site = this.sites.get(m);
    if (site && !site.inShape) {
      site.inShape = first.inShape.slice();
      site.outShape = first.outShape.slice();
    }
  }

  /** Integer argument through __index__ (range(), sizes) as builtins read it. */
  index(v: Value, r: Range): number {
    return Number(requireInt(this.interp, v, r));
  }

  isModule(v: Value): v is ModuleObj {
    return v instanceof ModuleObj;
  }

  isModuleClass(c: PyClass): boolean {
    return c.isSubclassOf(this.Module);
  }
}

export { PyInstance };
