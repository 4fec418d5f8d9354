/**
 * torch.nn.Module for the interpreter. A user's class deriving nn.Module is a Python class whose
 * instances hold an engine module; assigning a layer or an nn.Parameter to `self.x` registers it
 * as PyTorch's __setattr__ does, so named_parameters(), the state_dict and the trace see PyTorch's
 * names. Calling a module runs its Python forward (or the engine layer) under its layer path, and
 * records where it was built and first applied: findings land on those lines.
 */
import * as enn from '../../../engine/nn';
import { popLayer, pushLayer } from '../../../engine/context';
import * as F from '../../../engine/functional';
import { markWritten, Tensor } from '../../../engine/tensor';
import { LAYERS, layerDef, LayerType } from '../../catalogue';
import type { ArgDef, ArgType } from '../../catalogue/args';
import { withDefaults } from '../../catalogue/args';
import type { ArgValue } from '../../graph';
import type { Expr, Range } from '../ast';
import { CantFollow } from '../errors';
import { isMirrored } from '../imports';
import { Bound, native } from '../native';
import * as P from '../protocol';
import {
  isInt,
  NOWHERE,
  Kwargs,
  PyBuiltin,
  PyClass,
  PyDict,
  PyFunction,
  PyIter,
  PyList,
  PyOpaque,
  PySlice,
  PyTuple,
  T,
  toBigInt,
  typeName,
  Value,
} from '../values';
import { ENGINE_LAYERS, engineForward } from './engine-layers';
import { keptAsTorch, torchExtraRepr } from './module-repr';
import { extraArgsProblem, TORCH_EXTRA_ARGS, TORCH_POSITIONAL } from './layer-args';
import { inOtherDtype, ModuleObj, TensorObj, Torch } from './runtime';

/** The engine side of a module written in Python: its forward is the Python one. */
export class PyEngineModule extends enn.Module {
  constructor(
    private readonly torch: Torch,
    public obj: ModuleObj | null,
  ) {
    super();
  }

  /** An engine container (a Sequential) applying this module: run the Python forward on one tensor. */
  forward(x: Tensor): Tensor {
    const obj = this.obj;
    if (!obj) throw new Error('module without a Python object');
    const r = this.torch.sites.get(this)?.created ?? { start: 0, end: 0 };
    const out = runForward(this.torch, obj, [this.torch.wrap(x)], null, r);
    return this.torch.tensorOf(out, r, `${obj.cls.name}.forward's result`);
  }

  register(kind: 'parameter' | 'buffer', name: string, t: Tensor | null): void {
    if (kind === 'parameter') this.setParameter(name, t);
    else this.setBuffer(name, t);
  }
}

/** The Python forward (or the engine layer's) of a module, without the layer push (the caller does it). */
function runForward(torch: Torch, obj: ModuleObj, args: Value[], kwargs: Kwargs | null, r: Range): Value {
  const interp = torch.interp;
  const fwd = obj.cls.lookup('forward');
  if (fwd instanceof PyFunction || (fwd instanceof PyBuiltin && fwd !== BASE_FORWARD.get(torch))) return interp.call(fwd, [obj, ...args], kwargs, r);
  if (!(obj.engine instanceof PyEngineModule)) {
    if (args.length !== 1 || kwargs?.size) interp.raise('TypeError', `${obj.cls.name}.forward() takes 1 input tensor, got ${args.length}`, r);
    return torch.wrap(obj.engine.forward(torch.tensorOf(args[0], r, 'input')));
  }
  return interp.raise('NotImplementedError', `Module [${obj.cls.name}] is missing the required "forward" function`, r);
}

/**
 * Layers whose PyTorch 1.13 kernel is a matrix product: a float type mismatch is its "mat1 and mat2"
 * error. RNN, LSTM and GRU too, except with batch_first=True: their transposed input takes the
 * kernel that says "expected scalar type".
 */
const MATMUL_LAYERS = new Set(['Linear', 'Bilinear', 'RNN', 'LSTM', 'GRU', 'RNNCell', 'LSTMCell', 'GRUCell']);

/** Convolutions, whose PyTorch 1.13 kernels also refuse an integer input (Conv2d with a bias in its own words). */
const CONV_LAYERS = new Set(['Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d']);

/**
 * PyTorch's layers refuse an input of another type than their float weights (float64 NumPy data,
 * `torch.from_numpy(np.linspace(...))`, into a float32 model; or integer data, `torch.full((8, 4),
 * 2)`, into a Linear): the RuntimeError it raises, not a silent promotion the real script never gets.
 */
function refuseOtherType(torch: Torch, obj: ModuleObj, x: Tensor, r: Range): void {
  const layer = obj.engine.constructor.name;
  const integer = x.dtype === 'int64';
  if (!x.isFloatingPoint && !(integer && (MATMUL_LAYERS.has(layer) || CONV_LAYERS.has(layer)))) return;
  const params = obj.engine.ownState().params;
  const w = params.find(([, t]) => t.isFloatingPoint)?.[1];
  if (!w || w.dtype === x.dtype) return;
  const name = (d: string) => (d === 'float64' ? 'Double' : d === 'int64' ? 'Long' : 'Float');
  const expected = `expected scalar type ${name(x.dtype)} but found ${name(w.dtype)}`;
  if (!integer) {
    const matmul = MATMUL_LAYERS.has(layer) && !(obj.engine as { batchFirst?: boolean }).batchFirst;
    return torch.interp.raise('RuntimeError', matmul ? 'mat1 and mat2 must have the same dtype' : expected, r);
  }
  // torch 1.13 on a Long input (batch_first or not): addmm (a bias) checks both operands' types
  // first, mm alone the input's; Conv2d with a bias names both types in its own words (each checked in torch 1.13)
  const bias = params.some(([n]) => n.startsWith('bias'));
  if (MATMUL_LAYERS.has(layer)) return torch.interp.raise('RuntimeError', bias ? 'mat1 and mat2 must have the same dtype' : expected, r);
  if (layer === 'Conv2d' && bias) return torch.interp.raise('RuntimeError', `Input type (long int) and bias type (${w.dtype === 'float64' ? 'double' : 'float'}) should be the same`, r);
  torch.interp.raise('RuntimeError', expected, r);
}

const BASE_FORWARD = new WeakMap<Torch, PyBuiltin>();

/** `module(*args)`: the forward under the module's layer path, its first application recorded. */
export function callModule(torch: Torch, obj: ModuleObj, args: Value[], kwargs: Kwargs | null, r: Range): Value {
  const engine = obj.engine;
  const site = torch.sites.get(engine);
  // Applied inside a mirrored library's forward: at the user's call that ran it (`model(x)`).
  if (site && !site.applied) site.applied = isMirrored(r) ? (torch.interp.userCall?.r ?? r) : r;
  // A layer PyTorch computes (not a forward written in Python) checks its input's float type against its weights.
  if (args[0] instanceof TensorObj && !(obj.cls.lookup('forward') instanceof PyFunction)) refuseOtherType(torch, obj, args[0].t, r);
  pushLayer(engine.path);
  torch.callers.push(engine);
  try {
    const out = runForward(torch, obj, args, kwargs, r);
    if (args[0] instanceof TensorObj) {
      const y = out instanceof TensorObj ? out.t : out instanceof PyTuple && out.items[0] instanceof TensorObj ? out.items[0].t : null;
      if (y) torch.noteApplied(engine, args[0].t, y);
    }
    return out;
  } finally {
    torch.callers.pop();
    popLayer();
  }
}

/** A Python value as a catalogue argument of the given type; null when it is not of that type. */
function argValue(torch: Torch, v: Value, type: ArgType, r: Range): ArgValue | undefined {
  const ints = (x: Value): number[] | null => {
    if (x instanceof PyTuple || x instanceof PyList) return x.items.every((i) => isInt(i)) ? x.items.map((i) => Number(toBigInt(i as bigint))) : null;
    return null;
  };
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  switch (type.kind) {
    case 'int':
      return isInt(v) ? Number(toBigInt(v)) : undefined;
    case 'int-or-null':
      return v === null ? null : isInt(v) ? Number(toBigInt(v)) : undefined;
    case 'int-or-pair': {
      if (isInt(v)) return Number(toBigInt(v));
      const l = ints(v);
      return l && l.length === 2 ? l : undefined;
    }
    case 'int-or-list': {
      if (isInt(v)) return Number(toBigInt(v));
      return ints(v) ?? undefined;
    }
    case 'number':
      return typeof v === 'number' || isInt(v) ? Number(v) : undefined;
    case 'number-pair': {
      if (!(v instanceof PyTuple || v instanceof PyList) || v.items.length !== 2) return undefined;
      const [a, b] = v.items;
      return typeof a === 'number' || isInt(a) ? (typeof b === 'number' || isInt(b) ? [Number(a), Number(b)] : undefined) : undefined;
    }
    case 'bool':
      return typeof v === 'boolean' ? v : isInt(v) ? toBigInt(v) !== 0n : undefined;
    case 'enum':
      return typeof v === 'string' && type.values.includes(v) ? v : undefined;
  }
  void torch;
  return undefined;
}

/** A catalogue argument as the Python value PyTorch keeps on the module (kernel_size as a tuple). */
function pyArg(v: ArgValue, def: ArgDef | undefined): Value {
  if (Array.isArray(v)) return new PyTuple(v.map((x) => BigInt(x)));
  if (typeof v === 'number') return def && (def.type.kind === 'number' || def.type.kind === 'number-pair') ? v : BigInt(v);
  return v as Value;
}

function typeDescription(t: ArgType): string {
  switch (t.kind) {
    case 'int':
      return 'int';
    case 'int-or-pair':
      return 'int or tuple of two ints';
    case 'int-or-list':
      return 'int or tuple of ints';
    case 'int-or-null':
      return 'int or None';
    case 'number':
      return 'float';
    case 'number-pair':
      return 'tuple of two floats';
    case 'bool':
      return 'bool';
    case 'enum':
      return t.values.map((x) => `'${x}'`).join(' or ');
  }
}

/** Binds a catalogue layer's constructor call as PyTorch's signature does, with PyTorch's extra keywords. */
export function catalogueArgs(torch: Torch, type: LayerType, args: Value[], kwargs: Kwargs | null, r: Range, given = new Map<string, Value>()): Record<string, ArgValue> {
  const def = LAYERS[type];
  const interp = torch.interp;
  const extras = TORCH_EXTRA_ARGS[type] ?? [];
  const names = [...def.args.map((a) => a.name), ...extras.map((e) => e.name)];
  const positional = TORCH_POSITIONAL[type] ?? names;
  if (args.length > positional.length) interp.raise('TypeError', `${type}.__init__() takes ${positional.length + 1} positional arguments but ${args.length + 1} were given`, r);
  args.forEach((v, i) => given.set(positional[i], v));
  for (const [k, v] of kwargs ?? []) {
    if (!names.includes(k)) interp.raise('TypeError', `${type}.__init__() got an unexpected keyword argument '${k}'`, r);
    if (given.has(k)) interp.raise('TypeError', `${type}.__init__() got multiple values for argument '${k}'`, r);
    given.set(k, v);
  }
  const problem = extraArgsProblem(type, given);
  if (problem?.kind === 'cant-follow') throw new CantFollow(new PyOpaque(problem.message, r), r);
  const written: Record<string, ArgValue> = {};
  // PyTorch arguments that spell a catalogue value another way ('valid' padding) are rewritten.
  if (problem?.kind === 'rewrite') {
    Object.assign(written, problem.rewrite);
    for (const k of Object.keys(problem.rewrite)) given.delete(k);
  }
  for (const a of def.args) {
    if (!given.has(a.name)) continue;
    const v = given.get(a.name)!;
    if (v === null && a.default === null) {
      written[a.name] = null;
      continue;
    }
    if (v === null && a.defaultFrom) continue;
    const converted = argValue(torch, v, a.type, r);
    if (converted === undefined) interp.raise('TypeError', `${type}(): argument '${a.name}' must be ${typeDescription(a.type)}, not ${typeName(v)}`, r);
    written[a.name] = converted as ArgValue;
  }
  const missing = def.args.filter((a) => a.default === undefined && !a.defaultFrom && !(a.name in written));
  if (missing.length) {
    interp.raise('TypeError', `${type}.__init__() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${missing.map((m) => `'${m.name}'`).join(' and ')}`, r);
  }
  const full = withDefaults(def.args, written);
  const bad = def.check?.(full);
  if (bad) interp.raise('ValueError', bad.error, r);
  for (const a of def.args) {
    const v = full[a.name];
    if (a.type.kind === 'int' && typeof v === 'number' && a.type.min !== undefined && v < a.type.min) {
      interp.raise('ValueError', `${type}: ${a.name} must be at least ${a.type.min}, got ${v}`, r);
    }
  }
  return full;
}

/** The callee expression of a call, for "replace nn.Sigmoid" fixes. */
export function calleeOf(call: Expr | null): Range | null {
  return call && call.k === 'call' ? call.fn.r : null;
}

/** Makes nn.Module, the containers and a class per catalogue layer, for a run. */
export function makeModuleClasses(torch: Torch): void {
  const Module = new PyClass(
    'Module',
    [T.object],
    {
      alloc: (cls, r) => {
        const engine = new PyEngineModule(torch, null);
        const obj = new ModuleObj(cls, engine);
        engine.obj = obj;
        torch.adopt(obj, r);
        return obj;
      },
      getattr: (v, name) => moduleAttr(torch, v as ModuleObj, name),
      setattr: (v, name, value, r) => setModuleAttr(torch, v as ModuleObj, name, value, r),
      delattr: (v, name) => {
        const m = v as ModuleObj;
        const reg = m.engine.registered(name);
        if (!reg) return false;
        if (reg.kind === 'module') m.engine.setChild(name, null);
        else if (reg.kind === 'parameter') m.engine.setParameter(name, null);
        else m.engine.setBuffer(name, null);
        return true;
      },
      repr: (v) => moduleRepr(torch, v as ModuleObj),
    },
    'torch.nn',
  );
  torch.Module = Module;
  const method = (cls: PyClass, sig: string, fn: (a: Bound, r: Range, m: ModuleObj) => Value) => {
    const b = native(sig, (a, r) => fn(a, r, a.self as ModuleObj), { method: true });
    cls.dict.set(b.name, b);
  };
  method(Module, '__init__(self, *args, **kwargs)', (_a, _r, m) => {
    m.initialised = true;
    return null;
  });
  // Called by name (`self.__setattr__('level_%d' % i, subtree)`, `super().__getattr__(name)` in a
  // class that overrides it): what the attribute syntax does without a class's own override.
  // PyTorch's __getattr__ only finds what is registered: parameters, buffers and child modules.
  method(Module, '__setattr__(self, name, value)', (a, r, m) => {
    torch.interp.setOwnAttr(m, attrName(torch, a.name, r), a.value, r);
    return null;
  });
  method(Module, '__getattr__(self, name)', (a, r, m) => {
    const name = attrName(torch, a.name, r);
    const reg = m.engine.registered(name);
    if (!reg) return torch.interp.raise('AttributeError', `'${m.cls.name}' object has no attribute '${name}'`, r);
    return reg.kind === 'module' ? torch.objOf(reg.module) : torch.wrap(reg.tensor);
  });
  method(Module, '__delattr__(self, name)', (a, r, m) => {
    torch.interp.delAttr(m, attrName(torch, a.name, r), r);
    return null;
  });
  Module.dict.set('__call__', new PyBuiltin('__call__', (args, kwargs, site) => callModule(torch, args[0] as ModuleObj, args.slice(1), kwargs, site.r), true));
  const baseForward = native('forward(self, *args, **kwargs)', (_a, r, ip) => ip.raise('NotImplementedError', 'Module is missing the required "forward" function', r), { method: true });
  BASE_FORWARD.set(torch, baseForward);
  Module.dict.set('forward', baseForward);
  const iterOf = (items: Value[]) => PyIter.over(items);
  // A module a skipped statement touched may lack parameters: what lists them carries the doubt (an optimiser over none).
  const paramsOf = (m: ModuleObj, it: PyIter) => {
    const cause = torch.taintOfModel(m);
    if (cause) torch.interp.taint(it, cause);
    return it;
  };
  method(Module, 'parameters(self, recurse=True)', (a, r, m) => paramsOf(m, iterOf(m.engine.parameters(torch.bool(a.recurse, r)).map((t) => torch.wrap(t)))));
  method(Module, "named_parameters(self, prefix='', recurse=True, remove_duplicate=True)", (a, r, m) =>
    paramsOf(m, iterOf(m.engine.namedParameters(torch.bool(a.recurse, r)).map(([k, t]) => new PyTuple([prefixed(a.prefix, k), torch.wrap(t)])))),
  );
  method(Module, 'buffers(self, recurse=True)', (a, r, m) => iterOf(m.engine.namedBufferTensors(torch.bool(a.recurse, r)).map(([, t]) => torch.wrap(t))));
  method(Module, "named_buffers(self, prefix='', recurse=True)", (a, r, m) =>
    iterOf(m.engine.namedBufferTensors(torch.bool(a.recurse, r)).map(([k, t]) => new PyTuple([prefixed(a.prefix, k), torch.wrap(t)]))),
  );
  method(Module, 'children(self)', (_a, _r, m) => iterOf(m.engine.namedChildren().map(([, c]) => torch.objOf(c))));
  method(Module, 'named_children(self)', (_a, _r, m) => iterOf(m.engine.namedChildren().map(([k, c]) => new PyTuple([k, torch.objOf(c)]))));
  method(Module, 'modules(self)', (_a, _r, m) => iterOf(m.engine.namedModules().map(([, c]) => torch.objOf(c))));
  method(Module, "named_modules(self, memo=None, prefix='', remove_duplicate=True)", (a, _r, m) =>
    iterOf(m.engine.namedModules().map(([k, c]) => new PyTuple([prefixed(a.prefix, k), torch.objOf(c)]))),
  );
  method(Module, 'apply(self, fn)', (a, r, m) => {
    // PyTorch applies fn to every child's subtree first, then to the module itself.
    const visit = (e: enn.Module) => {
      for (const [, c] of e.namedChildren()) visit(c);
      torch.interp.call(a.fn, [torch.objOf(e)], null, r);
    };
    visit(m.engine);
    return m;
  });
  method(Module, 'train(self, mode=True)', (a, r, m) => {
    m.engine.train(torch.bool(a.mode, r));
    return m;
  });
  method(Module, 'eval(self)', (_a, _r, m) => {
    m.engine.eval();
    return m;
  });
  method(Module, 'requires_grad_(self, requires_grad=True)', (a, r, m) => {
    for (const p of m.engine.parameters()) p.requiresGrad = torch.bool(a.requires_grad, r);
    return m;
  });
  method(Module, 'zero_grad(self, set_to_none=True)', (_a, _r, m) => {
    for (const p of m.engine.parameters()) p.grad = null;
    return null;
  });
  for (const name of ['to', 'cuda', 'cpu', 'share_memory']) {
    method(Module, `${name}(self, *args, **kwargs)`, (a, r, m) => {
      for (const v of [...(a.__varargs ?? []), ...(a.__varkw?.values() ?? [])]) {
        const d = v !== null && !(v instanceof PyOpaque) && typeof v === 'object' && 'dtype' in (v as object) ? torch.dtypeArg(v, r) : null;
        if (d && d !== torch.dtype) throw castTo(torch, d, r);
      }
      return m;
    });
  }
  for (const [name, dtype] of [['float', 'float32'], ['double', 'float64']] as const) {
    method(Module, `${name}(self)`, (_a, r, m) => {
      if (dtype !== torch.dtype) throw castTo(torch, dtype, r);
      return m;
    });
  }
  method(Module, 'half(self)', (_a, r) => new PyOpaque('half precision (float16)', r));
  method(Module, 'register_buffer(self, name, tensor, persistent=True)', (a, r, m) => {
    const name = nameArg(torch, a.name, r);
    requireInit(torch, m, r);
    if (a.tensor !== null && !(a.tensor instanceof TensorObj)) torch.interp.raise('TypeError', `cannot assign '${typeName(a.tensor)}' object to buffer '${name}' (torch Tensor or None required)`, r);
    (m.engine as PyEngineModule).register?.('buffer', name, a.tensor === null ? null : (a.tensor as TensorObj).t);
    m.dict.delete(name);
    return null;
  });
  method(Module, 'register_parameter(self, name, param)', (a, r, m) => {
    const name = nameArg(torch, a.name, r);
    requireInit(torch, m, r);
    if (a.param === null) {
      m.engine.setParameter(name, null);
      m.dict.set(name, null);
      return null;
    }
    if (!(a.param instanceof TensorObj) || !torch.parameters.has(a.param.t)) torch.interp.raise('TypeError', `cannot assign '${typeName(a.param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`, r);
    m.engine.setParameter(name, (a.param as TensorObj).t);
    m.dict.delete(name);
    return null;
  });
  const addModule = (a: Bound, r: Range, m: ModuleObj) => {
    const name = nameArg(torch, a.name, r);
    if (a.module !== null && !(a.module instanceof ModuleObj)) torch.interp.raise('TypeError', `${typeName(a.module)} is not a Module subclass`, r);
    m.engine.setChild(name, a.module === null ? null : (a.module as ModuleObj).engine);
    m.dict.delete(name);
    return null;
  };
  method(Module, 'add_module(self, name, module)', addModule);
  method(Module, 'register_module(self, name, module)', addModule);
  method(Module, 'get_submodule(self, target)', (a, r, m) => {
    let e = m.engine;
    for (const part of String(a.target).split('.').filter(Boolean)) {
      const next = e.registered(part);
      if (!next || next.kind !== 'module') return torch.interp.raise('AttributeError', `${typeName(torch.objOf(e))} has no attribute \`${part}\``, r);
      e = next.module;
    }
    return torch.objOf(e);
  });
  method(Module, 'state_dict(self)', (_a, _r, m) => stateDictOf(torch, m));
  method(Module, 'load_state_dict(self, state_dict, strict=True)', (a, r, m) => {
    const sd = a.state_dict;
    if (!(sd instanceof PyDict)) throw new CantFollow(sd instanceof PyOpaque ? sd : new PyOpaque('a state_dict Gradient Lens did not build', r), r);
    const own = new Map([...m.engine.namedParameters(), ...m.engine.namedBufferTensors()]);
    for (const [k, v] of sd.entries()) {
      const t = own.get(String(k));
      if (!t || !(v instanceof TensorObj)) continue;
      if (t.size !== v.t.size) torch.interp.raise('RuntimeError', `size mismatch for ${String(k)}: copying a param with shape [${v.t.shape}], the shape in current model is [${t.shape}]`, r);
      t.data.set(F.to(v.t, t.dtype).data);
      markWritten(t);
    }
    return null;
  });
  // A torch.nn layer's own text (what super().extra_repr() gives a class deriving one), else nothing.
  method(Module, 'extra_repr(self)', (_a, _r, m) => layerExtraRepr(torch, m) ?? '');
  for (const hook of ['register_forward_hook', 'register_forward_pre_hook', 'register_backward_hook', 'register_full_backward_hook']) {
    method(Module, `${hook}(self, hook, *args, **kwargs)`, (_a, r) => {
      throw new CantFollow(new PyOpaque(`module hooks (${hook})`, r), r);
    });
  }
  torch.nnClasses.set('Module', Module);

  makeContainers(torch, Module, method);
  for (const type of Object.keys(LAYERS) as LayerType[]) {
    if (type === 'Sequential') continue;
    torch.nnClasses.set(type, catalogueClass(torch, Module, type));
  }
  // These are catalogue layers too (a spec writes them), but a script calls PyTorch's constructors
  // (TransformerEncoder(encoder_layer, num_layers), LSTM(..., proj_size=0)) and forwards (tuples, masks).
  for (const [name, def] of Object.entries(ENGINE_LAYERS)) {
    const cls = engineClass(torch, Module, name);
    const forward = engineForward(torch, def, (self) => (self as ModuleObj).engine);
    if (forward) cls.dict.set('forward', forward);
    for (const [k, f] of Object.entries(def.statics?.(torch) ?? {})) cls.dict.set(k, f);
    torch.nnClasses.set(name, cls);
  }
}

/** A layer the engine computes outside the catalogue: PyTorch's constructor builds the engine module. */
function engineClass(torch: Torch, Module: PyClass, name: string): PyClass {
  const def = ENGINE_LAYERS[name];
  const cls = new PyClass(name, [Module], null, 'torch.nn');
  cls.dict.set(
    '__init__',
    native(
      def.init,
      (a, r) => {
        const obj = a.self as ModuleObj;
        torch.replaceEngine(obj, def.build(a, torch, r));
        obj.given = new Map(Object.entries(a).filter(([k, v]) => k !== 'self' && !Array.isArray(v)) as [string, Value][]);
        obj.initialised = true;
        return null;
      },
      { method: true },
    ),
  );
  return cls;
}

/** The engine-layer entry of a module object (its class, or a user class deriving it). */
function engineLayerOfObj(m: ModuleObj): (typeof ENGINE_LAYERS)[string] | undefined {
  for (const c of m.cls.mro) if (c.module === 'torch.nn' && Object.hasOwn(ENGINE_LAYERS, c.name)) return ENGINE_LAYERS[c.name];
  return undefined;
}

/** A model cast to another floating-point type than the run's: a run whose dtype nobody chose is read again in it. */
function castTo(torch: Torch, dtype: string, r: Range): CantFollow {
  return inOtherDtype(dtype, `a model cast to ${dtype} in a ${torch.dtype} run (trace with --dtype ${dtype})`, r);
}

function prefixed(prefix: Value, k: string): string {
  const p = typeof prefix === 'string' ? prefix : '';
  return p && k ? `${p}.${k}` : p || k;
}

/** The name given to `__setattr__`/`__getattr__`/`__delattr__` called by name: CPython's TypeError for a non-string. */
function attrName(torch: Torch, v: Value, r: Range): string {
  if (typeof v !== 'string') return torch.interp.raise('TypeError', `attribute name must be string, not '${typeName(v)}'`, r);
  return v;
}

function nameArg(torch: Torch, v: Value, r: Range): string {
  if (typeof v !== 'string') return torch.interp.raise('TypeError', `module name should be a string. Got ${typeName(v)}`, r);
  if (v.includes('.')) return torch.interp.raise('KeyError', `module name can't contain ".", got: ${v}`, r);
  if (v === '') return torch.interp.raise('KeyError', 'module name can\'t be empty string ""', r);
  return v;
}

function requireInit(torch: Torch, m: ModuleObj, r: Range): void {
  if (!m.initialised) torch.interp.raise('AttributeError', 'cannot assign module before Module.__init__() call', r);
}

/** A catalogue layer's Python class: PyTorch's constructor (catalogue arguments + PyTorch's extras) builds the engine layer. */
function catalogueClass(torch: Torch, Module: PyClass, type: LayerType): PyClass {
  const def = LAYERS[type];
  const cls = new PyClass(type, [Module], null, 'torch.nn');
  cls.dict.set(
    '__init__',
    new PyBuiltin(
      '__init__',
      (args, kwargs, site) => {
        const obj = args[0] as ModuleObj;
        const given = new Map<string, Value>();
        const full = catalogueArgs(torch, type, args.slice(1), kwargs, site.r, given);
        // `trace: {dropout: false}`: built as written, applied as p = 0 (exact comparisons).
        if (torch.dropoutOff && type === 'Dropout') full.p = 0;
        const engine = def.build(full, { dtype: torch.dtype, rng: torch.rng, dropoutRng: torch.dropoutRng }, []);
        torch.replaceEngine(obj, engine);
        obj.given = given;
        obj.initialised = true;
        return null;
      },
      true,
    ),
  );
  return cls;
}

/** nn.Sequential, nn.ModuleList and nn.ModuleDict. */
function makeContainers(torch: Torch, Module: PyClass, method: (cls: PyClass, sig: string, fn: (a: Bound, r: Range, m: ModuleObj) => Value) => void): void {
  const childAt = (m: ModuleObj, key: Value, r: Range, what: string): ModuleObj => {
    const kids = m.engine.namedChildren();
    let i = torch.int(key, r, 'index');
    if (i < 0) i += kids.length;
    if (i < 0 || i >= kids.length) torch.interp.raise('IndexError', `index ${torch.int(key, r)} is out of range`, r);
    void what;
    return torch.objOf(kids[i][1]);
  };
  const adding = (m: ModuleObj, name: string, v: Value, r: Range) => {
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (!(v instanceof ModuleObj)) torch.interp.raise('TypeError', `${typeName(v)} is not a Module subclass`, r);
    m.engine.setChild(name, (v as ModuleObj).engine);
    torch.inheritTaint(m, v);
  };
  const sliced = (cls: PyClass, m: ModuleObj, key: PySlice, r: Range, keepNames: boolean) => {
    const kids = P.sliceOf(torch.interp, m.engine.namedChildren(), key, r);
    const out = torch.interp.instantiate(cls, [], null, r) as ModuleObj;
    kids.forEach(([k, c], i) => out.engine.setChild(keepNames ? k : String(i), c));
    return out;
  };

  // nn.Sequential: children in order; its forward applies them one after the other.
  const Sequential: PyClass = new PyClass(
    'Sequential',
    [Module],
    {
      getitem: (v, key, r): Value => (key instanceof PySlice ? sliced(Sequential, v as ModuleObj, key, r, true) : childAt(v as ModuleObj, key, r, 'Sequential')),
      len: (v) => (v as ModuleObj).engine.namedChildren().length,
      iter: (v) => PyIter.over((v as ModuleObj).engine.namedChildren().map(([, c]) => torch.objOf(c))),
      setitem: (v, key, value, r) => {
        const kids = (v as ModuleObj).engine.namedChildren();
        let i = torch.int(key, r, 'index');
        if (i < 0) i += kids.length;
        if (i < 0 || i >= kids.length) torch.interp.raise('IndexError', `index ${i} is out of range`, r);
        adding(v as ModuleObj, kids[i][0], value, r);
      },
    },
    'torch.nn',
  );
  method(Sequential, '__init__(self, *args)', (a, r, m) => {
    m.initialised = true;
    const items = a.__varargs ?? [];
    if (items.length === 1 && items[0] instanceof PyDict) {
      for (const [k, v] of (items[0] as PyDict).entries()) adding(m, nameArg(torch, k, r), v, r);
      torch.inheritTaint(m, items[0]);
    } else items.forEach((v, i) => adding(m, String(i), v, r));
    return null;
  });
  method(Sequential, 'forward(self, input)', (a, r, m) => {
    let x = a.input;
    for (const [, c] of m.engine.namedChildren()) x = callModule(torch, torch.objOf(c), [x], null, r);
    return x;
  });
  method(Sequential, 'append(self, module)', (a, r, m) => {
    adding(m, String(m.engine.namedChildren().length), a.module, r);
    return m;
  });
  method(Sequential, 'extend(self, sequential)', (a, r, m) => {
    for (const v of torch.interp.toArray(a.sequential, r)) adding(m, String(m.engine.namedChildren().length), v, r);
    return m;
  });
  method(Sequential, 'insert(self, index, module)', (a, r, m) => {
    const kids = m.engine.namedChildren().map(([, c]) => c);
    let i = torch.int(a.index, r);
    if (i < 0) i += kids.length;
    kids.splice(Math.max(0, Math.min(i, kids.length)), 0, (a.module as ModuleObj).engine);
    for (const [k] of m.engine.namedChildren()) m.engine.setChild(k, null);
    kids.forEach((c, j) => m.engine.setChild(String(j), c));
    return m;
  });
  torch.nnClasses.set('Sequential', Sequential);

  // nn.ModuleList: holds modules under "0", "1", … and has no forward.
  const ModuleList: PyClass = new PyClass(
    'ModuleList',
    [Module],
    {
      getitem: (v, key, r): Value => (key instanceof PySlice ? sliced(ModuleList, v as ModuleObj, key, r, false) : childAt(v as ModuleObj, key, r, 'ModuleList')),
      len: (v) => (v as ModuleObj).engine.namedChildren().length,
      iter: (v) => PyIter.over((v as ModuleObj).engine.namedChildren().map(([, c]) => torch.objOf(c))),
      setitem: (v, key, value, r) => {
        const n = (v as ModuleObj).engine.namedChildren().length;
        let i = torch.int(key, r, 'index');
        if (i < 0) i += n;
        if (i < 0 || i >= n) torch.interp.raise('IndexError', `index ${i} is out of range`, r);
        adding(v as ModuleObj, String(i), value, r);
      },
    },
    'torch.nn',
  );
  method(ModuleList, '__init__(self, modules=None)', (a, r, m) => {
    m.initialised = true;
    if (a.modules !== null) torch.interp.toArray(a.modules, r).forEach((v, i) => adding(m, String(i), v, r));
    if (a.modules !== null) torch.inheritTaint(m, a.modules);
    return null;
  });
  method(ModuleList, 'append(self, module)', (a, r, m) => {
    adding(m, String(m.engine.namedChildren().length), a.module, r);
    return m;
  });
  method(ModuleList, 'extend(self, modules)', (a, r, m) => {
    for (const v of torch.interp.toArray(a.modules, r)) adding(m, String(m.engine.namedChildren().length), v, r);
    return m;
  });
  method(ModuleList, 'insert(self, index, module)', (a, r, m) => {
    const kids = m.engine.namedChildren().map(([, c]) => c);
    kids.splice(torch.int(a.index, r), 0, (a.module as ModuleObj).engine);
    kids.forEach((c, j) => m.engine.setChild(String(j), c));
    return null;
  });
  torch.nnClasses.set('ModuleList', ModuleList);

  // nn.ModuleDict: modules by name, in insertion order.
  const ModuleDict = new PyClass(
    'ModuleDict',
    [Module],
    {
      getitem: (v, key, r) => {
        const reg = (v as ModuleObj).engine.registered(String(key));
        if (!reg || reg.kind !== 'module') return torch.interp.raiseArgs('KeyError', [key], r);
        return torch.objOf(reg.module);
      },
      setitem: (v, key, value, r) => adding(v as ModuleObj, nameArg(torch, key, r), value, r),
      len: (v) => (v as ModuleObj).engine.namedChildren().length,
      iter: (v) => PyIter.over((v as ModuleObj).engine.namedChildren().map(([k]) => k)),
      contains: (v, key) => (v as ModuleObj).engine.registered(String(key))?.kind === 'module',
    },
    'torch.nn',
  );
  method(ModuleDict, '__init__(self, modules=None)', (a, r, m) => {
    m.initialised = true;
    if (a.modules instanceof PyDict) for (const [k, v] of a.modules.entries()) adding(m, nameArg(torch, k, r), v, r);
    else if (a.modules !== null) for (const pair of torch.interp.toArray(a.modules, r)) {
      const [k, v] = torch.interp.toArray(pair, r);
      adding(m, nameArg(torch, k, r), v, r);
    }
    return null;
  });
  method(ModuleDict, 'keys(self)', (_a, _r, m) => new PyList(m.engine.namedChildren().map(([k]) => k)));
  method(ModuleDict, 'values(self)', (_a, _r, m) => new PyList(m.engine.namedChildren().map(([, c]) => torch.objOf(c))));
  method(ModuleDict, 'items(self)', (_a, _r, m) => new PyList(m.engine.namedChildren().map(([k, c]) => new PyTuple([k, torch.objOf(c)]))));
  method(ModuleDict, 'update(self, modules)', (a, r, m) => {
    if (a.modules instanceof PyDict) for (const [k, v] of a.modules.entries()) adding(m, nameArg(torch, k, r), v, r);
    return null;
  });
  torch.nnClasses.set('ModuleDict', ModuleDict);

  // nn.ParameterList: parameters under "0", "1", …
  const ParameterList = new PyClass(
    'ParameterList',
    [Module],
    {
      getitem: (v, key, r) => {
        const params = (v as ModuleObj).engine.ownState().params;
        let i = torch.int(key, r, 'index');
        if (i < 0) i += params.length;
        if (i < 0 || i >= params.length) torch.interp.raise('IndexError', `index ${i} is out of range`, r);
        return torch.wrap(params[i][1]);
      },
      len: (v) => (v as ModuleObj).engine.ownState().params.length,
      iter: (v) => PyIter.over((v as ModuleObj).engine.ownState().params.map(([, t]) => torch.wrap(t))),
    },
    'torch.nn',
  );
  method(ParameterList, '__init__(self, values=None)', (a, r, m) => {
    m.initialised = true;
    if (a.values !== null) torch.interp.toArray(a.values, r).forEach((v, i) => m.engine.setParameter(String(i), torch.tensorOf(v, r)));
    return null;
  });
  method(ParameterList, 'append(self, value)', (a, r, m) => {
    m.engine.setParameter(String(m.engine.ownState().params.length), torch.tensorOf(a.value, r));
    return m;
  });
  torch.nnClasses.set('ParameterList', ParameterList);
}

/** Python's view of a module's registered state and, for a catalogue layer, PyTorch's constructor arguments. */
function moduleAttr(torch: Torch, m: ModuleObj, name: string): Value | undefined {
  const reg = m.engine.registered(name);
  if (reg) return reg.kind === 'module' ? torch.objOf(reg.module) : torch.wrap(reg.tensor);
  if (name === 'training') return m.engine.training;
  if (name === 'module' && m.wrappedBy) return m;
  if (name === '_modules') return PyDict.of(m.engine.namedChildren().map(([k, c]) => [k, torch.objOf(c)]));
  if (name === '_parameters') return PyDict.of(m.engine.ownState().params.map(([k, t]) => [k, torch.wrap(t)]));
  if (name === '_buffers') return PyDict.of(m.engine.ownState().buffers.map(([k, t]) => [k, torch.wrap(t)]));
  const type = layerTypeOfObj(m);
  if (type) {
    const def = layerDef(type)!;
    // A parameter the layer was built without (Linear(bias=False)) is None, as in PyTorch; the argument of that name is not it.
    if (def.paramNames.includes(name)) return null;
    const args = def.argsOf(m.engine);
    const kept = keptAsTorch(type, name, args[name], m.given);
    if (kept !== undefined) return kept;
    if (Object.hasOwn(args, name)) return pyArg(args[name], def.args.find((a) => a.name === name));
    if (name === 'inplace') return m.given?.get('inplace') ?? false;
  }
  const attrs = engineLayerOfObj(m)?.attrs?.(m.engine);
  if (attrs && Object.hasOwn(attrs, name)) return attrs[name];
  return undefined;
}

function setModuleAttr(torch: Torch, m: ModuleObj, name: string, value: Value, r: Range): boolean {
  const interp = torch.interp;
  if (name === 'training') {
    m.engine.training = torch.bool(value, r);
    return true;
  }
  const reg = m.engine.registered(name);
  if (value instanceof TensorObj && torch.parameters.has(value.t)) {
    requireInit(torch, m, r);
    m.engine.setParameter(name, value.t);
    m.dict.delete(name);
    return true;
  }
  if (value instanceof ModuleObj) {
    requireInit(torch, m, r);
    m.engine.setChild(name, value.engine);
    m.dict.delete(name);
    torch.inheritTaint(m, value);
    return true;
  }
  if (!reg) return false;
  if (value instanceof PyOpaque) {
    // What replaces a registered layer or weight is unknown: the forward meets it there.
    if (reg.kind === 'module') m.engine.setChild(name, null);
    else if (reg.kind === 'parameter') m.engine.setParameter(name, null);
    else m.engine.setBuffer(name, null);
    return false;
  }
  if (reg.kind === 'parameter') {
    if (value !== null) interp.raise('TypeError', `cannot assign '${typeName(value)}' as parameter '${name}' (torch.nn.Parameter or None expected)`, r);
    m.engine.setParameter(name, null);
    return false;
  }
  if (reg.kind === 'buffer') {
    if (value !== null && !(value instanceof TensorObj)) interp.raise('TypeError', `cannot assign '${typeName(value)}' as buffer '${name}' (torch.Tensor or None expected)`, r);
    m.engine.setBuffer(name, value === null ? null : (value as TensorObj).t);
    if (value === null) return false;
    return true;
  }
  if (value !== null) interp.raise('TypeError', `cannot assign '${typeName(value)}' as child module '${name}' (torch.nn.Module or None expected)`, r);
  m.engine.setChild(name, null);
  return false;
}

/** The catalogue type of a module object (a catalogue layer's class, or a user class deriving one). */
export function layerTypeOfObj(m: ModuleObj): LayerType | undefined {
  for (const c of m.cls.mro) if (c.module === 'torch.nn' && Object.hasOwn(LAYERS, c.name)) return c.name as LayerType;
  return undefined;
}

function stateDictOf(torch: Torch, m: ModuleObj): PyDict {
  const d = new PyDict();
  // PyTorch's state_dict repeats a tied weight under every name it is registered as.
  const walk = (e: enn.Module, prefix: string) => {
    const { params, buffers } = e.ownState();
    for (const [k, t] of [...params, ...buffers]) d.set(prefix + k, torch.wrap(F.detach(t)));
    for (const [k, c] of e.namedChildren()) walk(c, `${prefix}${k}.`);
  };
  walk(m.engine, '');
  return d;
}

function moduleRepr(torch: Torch, m: ModuleObj): string {
  const kids = m.engine.namedChildren();
  const own = userExtraRepr(torch, m);
  if (own !== null) {
    // PyTorch's Module.__repr__: the extra lines, then each child's; one extra line alone stays inside the parentheses.
    const extraLines = own ? own.split('\n') : [];
    const childLines = kids.map(([k, c]) => `(${k}): ${moduleRepr(torch, torch.objOf(c)).replace(/\n/g, '\n  ')}`);
    const lines = [...extraLines, ...childLines];
    if (!lines.length) return `${m.cls.name}()`;
    if (extraLines.length === 1 && !childLines.length) return `${m.cls.name}(${extraLines[0]})`;
    return `${m.cls.name}(\n  ${lines.join('\n  ')}\n)`;
  }
  if (!kids.length) {
    const extra = layerExtraRepr(torch, m);
    return `${m.cls.name}(${extra ?? ''})`;
  }
  const inner = kids.map(([k, c]) => `  (${k}): ${moduleRepr(torch, torch.objOf(c)).replace(/\n/g, '\n  ')}`).join('\n');
  return `${m.cls.name}(\n${inner}\n)`;
}

/**
 * A torch.nn layer's extra_repr as PyTorch's class writes it (a user's class deriving a layer,
 * class Layer(nn.Linear), shows as PyTorch's own), else its catalogue arguments; undefined for a
 * module that is no layer.
 */
function layerExtraRepr(torch: Torch, m: ModuleObj): string | undefined {
  const torchClass = m.cls.mro.find((c) => c.module === 'torch.nn');
  const attr = (name: string) => {
    const v = moduleAttr(torch, m, name);
    return v === undefined ? undefined : P.repr(torch.interp, v, NOWHERE);
  };
  const extra = torchClass ? torchExtraRepr(torchClass.name, attr) : undefined;
  if (extra !== undefined) return extra;
  const type = layerTypeOfObj(m);
  if (!type || m.engine.namedChildren().length) return undefined;
  const args = layerDef(type)!.argsOf(m.engine);
  return Object.entries(args)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `(${v.join(', ')})` : v}`)
    .join(', ');
}

/** The string a user's own `extra_repr` returns (a class of the script's, before torch.nn's in the MRO), else null. */
function userExtraRepr(torch: Torch, m: ModuleObj): string | null {
  for (const c of m.cls.mro) {
    if (c.module?.startsWith('torch')) return null;
    const f = c.dict.get('extra_repr');
    if (f === undefined) continue;
    const v = torch.interp.call(f, [m], null, NOWHERE);
    if (typeof v === 'string') return v;
    // PyTorch splits what it returns when it is truthy: anything else but a str has no split.
    if (!torch.interp.truthy(v, NOWHERE)) return '';
    return torch.interp.raise('AttributeError', `'${typeName(v)}' object has no attribute 'split'`, NOWHERE);
  }
  return null;
}

export { enn };
