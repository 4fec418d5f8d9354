/**
 * torch.Tensor for the interpreter: the Python class whose instances wrap engine tensors, with
 * PyTorch's method names, argument forms (`x.view(2, -1)` and `x.view((2, -1))`, `dim=`/`keepdim=`),
 * operators, indexing and properties; torch.Size, torch.dtype and torch.device beside it.
 */
import { backward, NO_GRAD_FN } from '../../../engine/autograd';
import { isGradEnabled } from '../../../engine/context';
import { getDefaultDtype, promoteTypes, type TensorDType } from '../../../engine/dtype';
import * as F from '../../../engine/functional';
import type { IndexItem, Slice } from '../../../engine/functional';
import { markWritten, Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import { BackwardReached, CantFollow } from '../errors';
import { floatRepr } from '../format';
import { Bound, native } from '../native';
import * as P from '../protocol';
import {
  ELLIPSIS,
  isInt,
  NOT_IMPLEMENTED,
  OBJECT,
  PyBuiltin,
  PyClass,
  PyIter,
  PyList,
  PyOpaque,
  PyRange,
  PySlice,
  PyTuple,
  PyTupleOf,
  T,
  toBigInt,
  typeName,
  Value,
} from '../values';
import { ArrayObj, DeviceObj, DTypeObj, TensorObj, Torch } from './runtime';
import { tensorForNumpy } from './ndarray';
import { UNARY_MATH } from './elementwise';
import { legacyTypeName, typeArgDtype } from './legacy-types';
import { resize_ } from './resize';
import { backwardKeepingGraph, backwardWithGraph, graphGradOf } from './graph-grads';
import { topk } from './topk';

const TORCH_DTYPES: [string[], TensorDType][] = [
  [['float32', 'float'], 'float32'],
  [['float64', 'double'], 'float64'],
  [['int64', 'long', 'int32', 'int', 'int16', 'short', 'int8', 'uint8'], 'int64'],
  [['bool'], 'bool'],
];

/** Half precision is outside what the engine computes: such a dtype is opaque where it is written. */
export const UNSUPPORTED_DTYPES = ['float16', 'half', 'bfloat16', 'complex64', 'cfloat', 'complex128', 'cdouble'];

function sliceItem(torch: Torch, s: PySlice, r: Range): Slice {
  const part = (v: Value) => (v === null ? null : torch.int(v, r, 'slice index'));
  return { start: part(s.lo), stop: part(s.hi), step: s.step === null ? null : part(s.step) };
}

/** Longer ranges than any tensor's dimension here would be: indexing with one is not followed. */
const MAX_RANGE_INDEX = 1n << 24n;

/**
 * An index past an axis's end: the IndexError PyTorch raises ("... for dimension 1 with size 350"),
 * or NumPy's for an array ("... for axis 1 ..."), which a script may catch (char-rnn's get_batches).
 */
export function outOfBounds<V>(torch: Torch, r: Range, numpy: boolean, index: () => V): V {
  try {
    return index();
  } catch (e) {
    if (!(e instanceof RangeError) || !/is out of bounds for dimension/.test(e.message)) throw e;
    return torch.interp.raise('IndexError', numpy ? e.message.replace('for dimension', 'for axis') : e.message, r);
  }
}

/** A Python index (x[0, :, None, ..., idx]) as the engine's index items. */
export function indexItems(torch: Torch, key: Value, r: Range): IndexItem[] {
  const one = (k: Value): IndexItem => {
    if (k === null) return null;
    if (k === ELLIPSIS) return '...';
    if (isInt(k)) return Number(toBigInt(k));
    if (k instanceof PySlice) return sliceItem(torch, k, r);
    if (k instanceof TensorObj) {
      if (k.t.isFloatingPoint) return torch.interp.raise('IndexError', 'tensors used as indices must be long, byte or bool tensors', r);
      return k.t;
    }
    if (k instanceof PyList) {
      if (k.items.every((x) => isInt(x))) return k.items.map((x) => Number(toBigInt(x as bigint)));
      return fromPython(torch, k, r);
    }
    // PyTorch reads a range as the list of its integers (x_[range(n), y] = ..., pytorch/examples' forward-forward).
    if (k instanceof PyRange) {
      if (k.length > MAX_RANGE_INDEX) throw new CantFollow(new PyOpaque(`a range of more than ${MAX_RANGE_INDEX} indices`, r), r);
      return Array.from({ length: Number(k.length) }, (_, i) => Number(k.at(BigInt(i))));
    }
    if (k instanceof PyOpaque) throw new CantFollow(k, r);
    return torch.interp.raise('IndexError', `only integers, slices (\`:\`), ellipsis (\`...\`), None and long or byte Variables are valid indices (got ${typeName(k)})`, r);
  };
  if (k_isTupleIndex(key)) return (key as PyTuple).items.map(one);
  return [one(key)];
}

function k_isTupleIndex(key: Value): boolean {
  return key instanceof PyTuple && !(key instanceof PyTupleOf);
}

/**
 * The tensor torch.tensor(data) makes of nested Python lists and tuples: its dtype read from the
 * Python values as PyTorch reads them (a float anywhere is the default float dtype, even 1. or 2.0,
 * which the nested numbers no longer tell from ints; all ints int64; all bools bool), unless given.
 */
export function fromPython(torch: Torch, v: Value, r: Range, dtype?: TensorDType | null): Tensor {
  const nested = toNested(torch, v, r);
  return F.fromNested(nested, dtype ?? arraysDtype(v) ?? (pythonHasFloat(v) ? getDefaultDtype() : undefined));
}

/** NumPy arrays among torch.tensor's data give their dtype, as PyTorch reads them (a list of float64 arrays is float64). */
function arraysDtype(v: Value): TensorDType | null {
  if (v instanceof ArrayObj) return v.t.dtype;
  if (!(v instanceof PyList || v instanceof PyTuple)) return null;
  return v.items.map(arraysDtype).reduce<TensorDType | null>((a, b) => (a === null ? b : b === null ? a : promoteTypes(a, b)), null);
}

/** Whether a float (a Python float or a floating 0-d tensor) is among torch.tensor's data. */
function pythonHasFloat(v: Value): boolean {
  if (typeof v === 'number') return true;
  if (v instanceof PyList || v instanceof PyTuple) return v.items.some(pythonHasFloat);
  return v instanceof TensorObj && v.t.isFloatingPoint;
}

/** Nested Python lists and tuples of numbers (torch.tensor's data) as nested arrays. */
export function toNested(torch: Torch, v: Value, r: Range): F.Nested {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  // A list a skipped loop may have filled (X.append(context) over a file's words) has unknown items: that loop's can't-follow.
  const unknown = torch.interp.unfilled.causeOf(v);
  if (unknown) throw unknown;
  if (v instanceof PyList || v instanceof PyTuple) return v.items.map((x) => toNested(torch, x, r));
  if (v instanceof TensorObj || v instanceof ArrayObj) {
    if (v.t.rank === 0) return v.t.item();
    return F.unbind(v.t, 0).map((x) => toNested(torch, torch.wrap(x), r));
  }
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  return torch.interp.raise('TypeError', `new(): invalid data type '${typeName(v)}'`, r);
}

/** Python's number for element i of a tensor: float, int or bool by dtype. */
export function pyScalar(t: Tensor, v: number): Value {
  if (t.dtype === 'bool') return v !== 0;
  if (t.dtype === 'int64') return BigInt(Math.trunc(v));
  return v;
}

/** tolist(): nested Python lists of Python numbers (torch's and NumPy's alike). */
export function toList(t: Tensor): Value {
  if (t.rank === 0) return pyScalar(t, t.item());
  const d = t.data;
  const build = (dim: number, offset: number, stride: number): Value => {
    const n = t.shape[dim];
    const inner = stride / n;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(dim === t.rank - 1 ? pyScalar(t, d[offset + i]) : build(dim + 1, offset + i * inner, inner));
    return new PyList(out);
  };
  return build(0, 0, t.size);
}

/** torch's print form, abbreviated: `tensor([0.1234, ...], requires_grad=True)`. */
export function tensorRepr(t: Tensor): string {
  const d = t.data;
  // Floats that are all whole print as PyTorch's `tensor(2.)`, `tensor([1., 2.])`; each shown value padded to the widest, as PyTorch does.
  const whole = t.isFloatingPoint && Array.from(d.slice(0, 6)).every((v) => !Number.isFinite(v) || Number.isInteger(v));
  const fmt = (v: number) => (t.dtype === 'bool' ? (v ? 'True' : 'False') : t.dtype === 'int64' ? String(v) : !Number.isFinite(v) ? floatRepr(v) : whole ? `${Object.is(v, -0) ? '-0' : v}.` : v.toFixed(4));
  const texts = Array.from(d.slice(0, 6), fmt);
  // PyTorch's width is the widest value, of a float tensor the widest nonzero finite one (a -0. is not counted).
  const width = Math.max(1, ...texts.filter((_, i) => !t.isFloatingPoint || (d[i] !== 0 && Number.isFinite(d[i]))).map((x) => x.length));
  const shown = texts.map((x) => x.padStart(width)).join(', ') + (d.length > 6 ? ', ...' : '');
  const body = t.rank === 0 ? fmt(d[0]) : `[${shown}]`;
  const extras = [t.rank > 1 ? `size=(${t.shape.join(', ')})` : '', t.dtype === 'float64' ? 'dtype=torch.float64' : '', t.requiresGrad ? 'requires_grad=True' : ''].filter(Boolean);
  return `tensor(${[body, ...extras].join(', ')})`;
}

const OPS: Record<string, (a: F.Operand, b: F.Operand) => Tensor> = {
  '+': (a, b) => F.add(a, b),
  '-': (a, b) => F.sub(a, b),
  '*': (a, b) => F.mul(a, b),
  '/': (a, b) => F.div(a, b),
  '//': (a, b) => F.floorDivide(a, b),
  '%': (a, b) => F.remainder(a, b),
  '**': (a, b) => F.pow(a, b),
  '&': (a, b) => F.logicalAnd(a, b),
  '|': (a, b) => F.logicalOr(a, b),
  '^': (a, b) => F.logicalXor(a, b),
};

const COMPARE: Record<string, (a: F.Operand, b: F.Operand) => Tensor> = { '==': F.eq, '!=': F.ne, '<': F.lt, '<=': F.le, '>': F.gt, '>=': F.ge };
const REFLECT: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

const INPLACE: Record<string, (x: Tensor, o: F.Operand) => Tensor> = {
  '+': (x, o) => F.add_(x, o),
  '-': (x, o) => F.sub_(x, o),
  '*': (x, o) => F.mul_(x, o),
  '/': (x, o) => F.div_(x, o),
};

/** dim=None (all), an int, or a tuple/list of ints. */
function dims(torch: Torch, v: Value, r: Range): number | number[] | null {
  if (v === null || v === undefined) return null;
  if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => torch.int(x, r, 'dim'));
  return torch.int(v, r, 'dim');
}

/** Makes torch.Tensor, nn.Parameter, torch.Size, torch.dtype and torch.device for a run. */
export function makeTensorClasses(torch: Torch): void {
  const self = (a: Bound): Tensor => (a.self as TensorObj).t;
  const wrap = (t: Tensor | Tensor[] | number | boolean) => torch.wrapAny(t);

  torch.dtypeClass = new PyClass('dtype', [OBJECT], { repr: (v) => `torch.${(v as DTypeObj).dtype}` }, 'torch');
  for (const [, d] of TORCH_DTYPES) if (!torch.dtypeObjs.has(d)) torch.dtypeObjs.set(d, new DTypeObj(d, torch.dtypeClass));
  torch.dtypeClass.dict.set('is_floating_point', new PyBuiltin('is_floating_point', () => true, true));

  torch.deviceClass = new PyClass(
    'device',
    [OBJECT],
    {
      construct: (_c, args, kwargs, r) => {
        const name = args[0] ?? kwargs?.get('type') ?? 'cpu';
        if (name instanceof PyOpaque) return new DeviceObj('cpu', torch.deviceClass);
        if (name instanceof DeviceObj) return name;
        return new DeviceObj(typeof name === 'string' ? name : P.str(torch.interp, name, r), torch.deviceClass);
      },
      repr: (v) => `device(type='${(v as DeviceObj).name.split(':')[0]}')`,
      str: (v) => (v as DeviceObj).name,
      getattr: (v, name) => (name === 'type' ? (v as DeviceObj).name.split(':')[0] : name === 'index' ? null : undefined),
    },
    'torch',
  );

  torch.Size = new PyClass(
    'Size',
    [T.tuple],
    {
      construct: (_c, args, _k, r) => torch.size(args.length ? torch.ints(args[0], r) : []),
      repr: (v) => `torch.Size([${(v as PyTuple).items.join(', ')}])`,
      getitem: (v, key, r) => {
        const items = (v as PyTuple).items;
        if (key instanceof PySlice) return torch.size(P.sliceOf(torch.interp, items, key, r).map((x) => Number(x)));
        return P.getItem(torch.interp, new PyTuple(items), key, r);
      },
    },
    'torch',
  );
  torch.Size.dict.set('numel', native('numel(self)', (a) => (a.self as PyTuple).items.reduce<bigint>((p, d) => p * toBigInt(d as bigint), 1n), { method: true }));

  const TensorClass = new PyClass(
    'Tensor',
    [OBJECT],
    {
      construct: (_c, args, _k, r) => {
        if (args.length === 1 && (args[0] instanceof PyList || args[0] instanceof PyTuple)) return torch.wrap(fromPython(torch, args[0], r, torch.dtype));
        // torch.Tensor(ndarray): a copy in the default float type, whatever the array's dtype.
        if (args.length === 1 && args[0] instanceof ArrayObj) return torch.wrap(F.clone(F.to(args[0].t, torch.dtype)));
        return torch.wrap(F.zeros(torch.shapeArgs(args, r), torch.dtype));
      },
      getattr: (v, name, r) => tensorAttr(torch, (v as TensorObj).t, name, r),
      setattr: (v, name, value, r) => setTensorAttr(torch, (v as TensorObj).t, name, value, r),
      binop: (op, a, b, reflected, r) => {
        if (op === '@') {
          const o = b instanceof TensorObj ? b.t : null;
          if (!o) return NOT_IMPLEMENTED;
          return wrap(reflected ? F.matmul(o, (a as TensorObj).t) : F.matmul((a as TensorObj).t, o));
        }
        const fn = OPS[op];
        if (!fn) return NOT_IMPLEMENTED;
        if (!(b instanceof TensorObj) && !(typeof b === 'number' || typeof b === 'bigint' || typeof b === 'boolean')) return NOT_IMPLEMENTED;
        const x = (a as TensorObj).t;
        const o = torch.operand(b, r);
        return wrap(reflected ? fn(o, x) : fn(x, o));
      },
      inplace: (op, a, b, r) => {
        const fn = INPLACE[op];
        if (!fn || !(b instanceof TensorObj || typeof b === 'number' || typeof b === 'bigint' || typeof b === 'boolean')) return NOT_IMPLEMENTED;
        fn((a as TensorObj).t, torch.operand(b, r));
        return a;
      },
      unary: (op, a) => {
        const x = (a as TensorObj).t;
        if (op === '-') return wrap(F.neg(x));
        if (op === '+') return a;
        return wrap(x.dtype === 'bool' ? F.logicalNot(x) : F.bitwiseNot(x));
      },
      compare: (op, a, b, reflected, r) => {
        const fn = COMPARE[reflected ? REFLECT[op] : op];
        if (!fn) return NOT_IMPLEMENTED;
        if (!(b instanceof TensorObj || typeof b === 'number' || typeof b === 'bigint' || typeof b === 'boolean')) return op === '==' ? false : op === '!=' ? true : NOT_IMPLEMENTED;
        return wrap(fn((a as TensorObj).t, torch.operand(b, r)));
      },
      bool: (v, r) => {
        const t = (v as TensorObj).t;
        if (t.size !== 1) return torch.interp.raise('RuntimeError', `Boolean value of Tensor with more than one value is ambiguous`, r);
        return t.item() !== 0;
      },
      len: (v, r) => {
        const t = (v as TensorObj).t;
        if (t.rank === 0) return torch.interp.raise('TypeError', 'len() of a 0-d tensor', r);
        return t.shape[0];
      },
      iter: (v, r) => {
        const t = (v as TensorObj).t;
        if (t.rank === 0) return torch.interp.raise('TypeError', 'iteration over a 0-d tensor', r);
        return PyIter.over(F.unbind(t, 0).map((x) => torch.wrap(x)));
      },
      contains: (v, item, r) => {
        const t = (v as TensorObj).t;
        return F.sum(F.eq(t, torch.operand(item, r))).item() > 0;
      },
      getitem: (v, key, r) => {
        const t = (v as TensorObj).t;
        // PyTorch's IndexError (BEGAN's `.data[0]` of a loss, written for PyTorch 0.3), not an engine failure.
        if (t.rank === 0 && isInt(key) && typeof key !== 'boolean') return torch.interp.raise('IndexError', 'invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number', r);
        return wrap(outOfBounds(torch, r, false, () => F.getItem(t, indexItems(torch, key, r))));
      },
      setitem: (v, key, value, r) => {
        outOfBounds(torch, r, false, () => F.setItem((v as TensorObj).t, indexItems(torch, key, r), torch.operand(value, r)));
      },
      repr: (v) => tensorRepr((v as TensorObj).t),
      format: (v, spec, r) => {
        const t = (v as TensorObj).t;
        if (t.rank === 0 || (t.size === 1 && spec)) return P.format(torch.interp, pyScalar(t, t.item()), spec, r);
        return tensorRepr(t);
      },
    },
    'torch',
  );
  torch.Tensor = TensorClass;
  torch.Parameter = new PyClass(
    'Parameter',
    [TensorClass],
    {
      ...TensorClass.native,
      construct: (_c, args, kwargs, r) => {
        const data = args[0] ?? kwargs?.get('data') ?? null;
        const grad = args[1] ?? kwargs?.get('requires_grad') ?? true;
        const src = data === null ? F.zeros([0], torch.dtype) : torch.tensorOf(data, r, 'data');
        // A Parameter shares its data's storage, as PyTorch's does, but is a new leaf.
        const p = new Tensor(src.data, [...src.shape], false, src.dtype);
        if (torch.bool(grad, r)) p.requiresGrad = true;
        torch.parameters.add(p);
        return torch.wrap(p);
      },
      repr: (v) => `Parameter containing:\n${tensorRepr((v as TensorObj).t)}`,
    },
    'torch.nn.parameter',
  );

  const method = (sig: string, fn: (a: Bound, r: Range, t: Tensor) => Value) => {
    // Tensor.norm is written in Python in PyTorch 1.13: only the native methods take keepdims=/axis=.
    const b = native(sig, (a, r) => fn(a, r, self(a)), { method: true, numpyNames: !sig.startsWith('Tensor.norm(') });
    TensorClass.dict.set(b.name, b);
  };
  const alias = (name: string, of: string) => TensorClass.dict.set(name, TensorClass.dict.get(of)!);
  const shapeFrom = (a: Bound, r: Range) => torch.shapeArgs(a.__varargs ?? [], r);
  const unaryOps: Record<string, (x: Tensor) => Tensor> = {
    ...UNARY_MATH,
    sigmoid: F.sigmoid,
    tanh: F.tanh,
    relu: F.relu,
    reciprocal: F.reciprocal,
    contiguous: F.contiguous,
    clone: F.clone,
    detach: F.detach,
    t: F.t,
    float: F.float,
    double: F.double,
    long: F.long,
    int: F.long,
    bool: F.bool,
  };
  for (const [name, fn] of Object.entries(unaryOps)) method(`${name}(self)`, (_a, _r, t) => wrap(fn(t)));
  // The device does not change a gradient: these return the tensor itself.
  for (const name of ['cpu', 'cuda', 'pin_memory', 'share_memory_']) method(`${name}(self, *args, **kwargs)`, (a) => a.self);
  method('requires_grad_(self, requires_grad=True)', (a, r, t) => {
    if (torch.bool(a.requires_grad, r)) {
      if (!t.isFloatingPoint) torch.interp.raise('RuntimeError', 'only Tensors of floating point dtype can require gradients', r);
      if (t.node) torch.interp.raise('RuntimeError', 'you can only change requires_grad flags of leaf variables.', r);
      t.requiresGrad = true;
    } else t.requiresGrad = false;
    return a.self;
  });
  // The array shares the tensor's memory, as PyTorch's does; PyTorch refuses a tensor that requires a gradient.
  method('numpy(self)', (_a, r, t) => torch.array(F.detach(tensorForNumpy(torch, t, r))));
  method('half(self)', (_a, r) => new PyOpaque('half precision (float16)', r));
  method('bfloat16(self)', (_a, r) => new PyOpaque('bfloat16', r));
  method('size(self, dim=None)', (a, r, t) => {
    if (a.dim === null) return torch.size(t.shape);
    const d = torch.int(a.dim, r, 'dim');
    const k = d < 0 ? d + t.rank : d;
    if (k < 0 || k >= t.rank) torch.interp.raise('IndexError', `Dimension out of range (expected to be in range of [${-t.rank}, ${t.rank - 1}], but got ${d})`, r);
    return BigInt(t.shape[k]);
  });
  method('dim(self)', (_a, _r, t) => BigInt(t.rank));
  alias('ndimension', 'dim');
  method('numel(self)', (_a, _r, t) => BigInt(t.size));
  alias('nelement', 'numel');
  method('element_size(self)', (_a, _r, t) => BigInt(t.dtype === 'bool' ? 1 : t.dtype === 'float32' ? 4 : 8));
  method('item(self)', (_a, r, t) => {
    if (t.size !== 1) torch.interp.raise('RuntimeError', `a Tensor with ${t.size} elements cannot be converted to Scalar`, r);
    return pyScalar(t, t.item());
  });
  method('tolist(self)', (_a, _r, t) => toList(t));
  method('is_floating_point(self)', (_a, _r, t) => t.isFloatingPoint);
  method('get_device(self)', () => -1n);
  method('view(self, *shape)', (a, r, t) => {
    const args = a.__varargs ?? [];
    if (args.length === 1 && args[0] instanceof DTypeObj) return new PyOpaque('Tensor.view(dtype) (reinterpreting bits)', r);
    return wrap(F.view(t, shapeFrom(a, r)));
  });
  method('reshape(self, *shape)', (a, r, t) => wrap(F.reshape(t, shapeFrom(a, r))));
  method('view_as(self, other)', (a, r, t) => wrap(F.view(t, torch.tensorOf(a.other, r).shape)));
  method('reshape_as(self, other)', (a, r, t) => wrap(F.reshape(t, torch.tensorOf(a.other, r).shape)));
  method('expand(self, *sizes)', (a, r, t) => wrap(F.expand(t, shapeFrom(a, r))));
  method('expand_as(self, other)', (a, r, t) => wrap(F.expandAs(t, torch.tensorOf(a.other, r))));
  method('repeat(self, *sizes)', (a, r, t) => wrap(F.repeat(t, shapeFrom(a, r))));
  method('permute(self, *dims)', (a, r, t) => wrap(F.permute(t, shapeFrom(a, r))));
  method('transpose(self, dim0, dim1)', (a, r, t) => wrap(F.transpose(t, torch.int(a.dim0, r), torch.int(a.dim1, r))));
  alias('swapaxes', 'transpose');
  method('unsqueeze(self, dim)', (a, r, t) => wrap(F.unsqueeze(t, torch.int(a.dim, r))));
  method('squeeze(self, dim=None)', (a, r, t) => wrap(F.squeeze(t, (dims(torch, a.dim, r) ?? undefined) as number | number[] | undefined)));
  method('flatten(self, start_dim=0, end_dim=-1)', (a, r, t) => wrap(F.flatten(t, torch.int(a.start_dim, r), torch.int(a.end_dim, r))));
  method('unflatten(self, dim, sizes)', (a, r, t) => wrap(F.unflatten(t, torch.int(a.dim, r), torch.ints(a.sizes, r))));
  method('narrow(self, dim, start, length)', (a, r, t) => wrap(F.narrow(t, torch.int(a.dim, r), torch.int(a.start, r), torch.int(a.length, r))));
  method('select(self, dim, index)', (a, r, t) => wrap(F.select(t, torch.int(a.dim, r), torch.int(a.index, r))));
  method('index_select(self, dim, index)', (a, r, t) => wrap(F.indexSelect(t, torch.int(a.dim, r), torch.tensorOf(a.index, r))));
  method('gather(self, dim, index)', (a, r, t) => wrap(F.gather(t, torch.int(a.dim, r), torch.tensorOf(a.index, r))));
  method('split(self, split_size, dim=0)', (a, r, t) => wrap(F.split(t, isInt(a.split_size) ? torch.int(a.split_size, r) : torch.ints(a.split_size, r), torch.int(a.dim, r))));
  method('chunk(self, chunks, dim=0)', (a, r, t) => wrap(F.chunk(t, torch.int(a.chunks, r), torch.int(a.dim, r))));
  method('unbind(self, dim=0)', (a, r, t) => wrap(F.unbind(t, torch.int(a.dim, r))));
  method('flip(self, *dims)', (a, r, t) => wrap(F.flip(t, shapeFrom(a, r))));
  method('roll(self, shifts, dims=None)', (a, r, t) => wrap(F.roll(t, torch.ints(a.shifts, r), a.dims === null ? undefined : torch.ints(a.dims, r))));
  method('tril(self, diagonal=0)', (a, r, t) => wrap(F.tril(t, torch.int(a.diagonal, r))));
  method('triu(self, diagonal=0)', (a, r, t) => wrap(F.triu(t, torch.int(a.diagonal, r))));
  method('cumsum(self, dim)', (a, r, t) => wrap(F.cumsum(t, torch.int(a.dim, r))));
  method('sum(self, dim=None, keepdim=False, *, dtype=None)', (a, r, t) => wrap(F.sum(castIf(torch, t, a.dtype, r), dims(torch, a.dim, r), torch.bool(a.keepdim, r))));
  method('mean(self, dim=None, keepdim=False, *, dtype=None)', (a, r, t) => wrap(F.mean(castIf(torch, t, a.dtype, r), dims(torch, a.dim, r), torch.bool(a.keepdim, r))));
  method('prod(self, dim=None, keepdim=False)', (_a, r) => new PyOpaque('Tensor.prod', r));
  const extreme = (which: 'max' | 'min') =>
    method(`${which}(self, dim=None, keepdim=False)`, (a, r, t) => {
      if (a.dim instanceof TensorObj) return wrap(which === 'max' ? F.maximum(t, a.dim.t) : F.minimum(t, a.dim.t));
      if (a.dim === null) return wrap(which === 'max' ? F.max(t) : F.min(t));
      const [values, indices] = (which === 'max' ? F.maxDim : F.minDim)(t, torch.int(a.dim, r), torch.bool(a.keepdim, r));
      return namedPair(torch, which, values, indices);
    });
  extreme('max');
  extreme('min');
  method('topk(self, k, dim=-1, largest=True, sorted=True)', (a, r, t) => {
    const [values, indices] = topk(torch, t, torch.int(a.k, r, 'k'), torch.int(a.dim, r, 'dim'), torch.bool(a.largest, r), r);
    return namedPair(torch, 'topk', values, indices);
  });
  method('amax(self, dim=(), keepdim=False)', (a, r, t) => wrap(F.amax(t, emptyAll(dims(torch, a.dim, r)), torch.bool(a.keepdim, r))));
  method('amin(self, dim=(), keepdim=False)', (a, r, t) => wrap(F.amin(t, emptyAll(dims(torch, a.dim, r)), torch.bool(a.keepdim, r))));
  method('argmax(self, dim=None, keepdim=False)', (a, r, t) => wrap(F.argmax(t, torch.intOrNull(a.dim, r), torch.bool(a.keepdim, r))));
  method('argmin(self, dim=None, keepdim=False)', (a, r, t) => wrap(F.argmin(t, torch.intOrNull(a.dim, r), torch.bool(a.keepdim, r))));
  const spread = (which: 'var' | 'std') =>
    method(`${which}(self, dim=None, unbiased=True, keepdim=False, *, correction=None)`, (a, r, t) => {
      const correction = a.correction !== null ? torch.int(a.correction, r) : torch.bool(a.unbiased, r) ? 1 : 0;
      return wrap((which === 'var' ? F.variance : F.std)(t, dims(torch, a.dim, r), correction, torch.bool(a.keepdim, r)));
    });
  spread('var');
  spread('std');
  method('logsumexp(self, dim, keepdim=False)', (a, r, t) => wrap(F.logsumexp(t, dims(torch, a.dim, r), torch.bool(a.keepdim, r))));
  method('Tensor.norm(self, p=2, dim=None, keepdim=False)', (a, r, t) => wrap(norm(torch, t, a.p, dims(torch, a.dim, r), torch.bool(a.keepdim, r), r)));
  method('all(self, dim=None, keepdim=False)', (a, r, t) => wrap(F.bool(F.min(F.bool(t), dims(torch, a.dim, r), torch.bool(a.keepdim, r)))));
  method('any(self, dim=None, keepdim=False)', (a, r, t) => wrap(F.bool(F.max(F.bool(t), dims(torch, a.dim, r), torch.bool(a.keepdim, r)))));
  method('softmax(self, dim)', (a, r, t) => wrap(F.softmax(t, torch.int(a.dim, r))));
  method('log_softmax(self, dim)', (a, r, t) => wrap(F.logSoftmax(t, torch.int(a.dim, r))));
  method('pow(self, exponent)', (a, r, t) => wrap(F.pow(t, torch.operand(a.exponent, r))));
  method('clamp(self, min=None, max=None)', (a, r, t) => wrap(F.clamp(t, a.min === null ? null : torch.number(a.min, r), a.max === null ? null : torch.number(a.max, r))));
  alias('clip', 'clamp');
  method('clamp_min(self, min)', (a, r, t) => wrap(F.clamp(t, torch.number(a.min, r), null)));
  method('clamp_max(self, max)', (a, r, t) => wrap(F.clamp(t, null, torch.number(a.max, r))));
  for (const [name, op] of [['add', '+'], ['sub', '-'], ['mul', '*'], ['div', '/'], ['remainder', '%'], ['floor_divide', '//']] as const) {
    method(`${name}(self, other, *, alpha=1)`, (a, r, t) => {
      const o = torch.operand(a.other, r);
      const n = torch.number(a.alpha, r);
      if ((name === 'add' || name === 'sub') && n !== 1) return wrap(name === 'add' ? F.add(t, o, n) : F.sub(t, o, n));
      return wrap(OPS[op](t, o));
    });
  }
  alias('multiply', 'mul');
  alias('divide', 'div');
  alias('subtract', 'sub');
  for (const [name, fn] of Object.entries(COMPARE)) {
    const pyName = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' }[name]!;
    method(`${pyName}(self, other)`, (a, r, t) => wrap(fn(t, torch.operand(a.other, r))));
  }
  method('maximum(self, other)', (a, r, t) => wrap(F.maximum(t, torch.tensorOf(a.other, r))));
  method('minimum(self, other)', (a, r, t) => wrap(F.minimum(t, torch.tensorOf(a.other, r))));
  method('matmul(self, other)', (a, r, t) => wrap(F.matmul(t, torch.tensorOf(a.other, r))));
  alias('mm', 'matmul');
  method('bmm(self, other)', (a, r, t) => wrap(F.bmm(t, torch.tensorOf(a.other, r))));
  method('masked_fill(self, mask, value)', (a, r, t) => wrap(F.maskedFill(t, torch.tensorOf(a.mask, r), torch.operand(a.value, r))));
  method('where(self, condition, other)', (a, r, t) => wrap(F.where(torch.tensorOf(a.condition, r), t, torch.operand(a.other, r))));
  method('type_as(self, other)', (a, r, t) => wrap(F.to(t, torch.tensorOf(a.other, r).dtype)));
  method('to(self, *args, **kwargs)', (a, r, t) => {
    let dtype: TensorDType | null = null;
    for (const v of [...(a.__varargs ?? []), a.__varkw?.get('dtype') ?? null]) {
      if (v instanceof DTypeObj) dtype = v.dtype;
      else if (v instanceof TensorObj) dtype = v.t.dtype;
      else if (v instanceof PyOpaque && (a.__varargs ?? []).length === 1 && !a.__varkw?.size) return a.self; // .to(device), device unknown
    }
    return dtype && dtype !== t.dtype ? wrap(F.to(t, dtype)) : a.self;
  });
  method('type(self, dtype=None)', (a, r, t) => {
    if (a.dtype === null) return legacyTypeName(t.dtype);
    const dtype = typeArgDtype(torch, a.dtype, r);
    return dtype === t.dtype ? a.self : wrap(F.to(t, dtype));
  });
  const factory = (name: string, make: (shape: number[], dtype: TensorDType, fill: number) => Tensor) =>
    method(`${name}(self, *size, dtype=None, device=None, requires_grad=False)`, (a, r, t) => {
      const out = make(shapeFrom(a, r), torch.dtypeArg(a.dtype, r) ?? t.dtype, 0);
      if (torch.bool(a.requires_grad, r)) out.requiresGrad = true;
      return wrap(out);
    });
  factory('new_zeros', (s, d) => F.zeros(s, d));
  factory('new_ones', (s, d) => F.ones(s, d));
  factory('new_empty', (s, d) => F.zeros(s, d));
  method('new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False)', (a, r, t) =>
    wrap(F.full(torch.ints(a.size, r), torch.number(a.fill_value, r), torch.dtypeArg(a.dtype, r) ?? t.dtype)),
  );
  method('new_tensor(self, data, dtype=None, device=None, requires_grad=False)', (a, r, t) => wrap(fromPython(torch, a.data, r, torch.dtypeArg(a.dtype, r) ?? t.dtype)));
  // The legacy constructor (the Udacity course's `weight.new(n_layers, batch, hidden).zero_()`), in self's
  // dtype as torch 1.13: sizes (ints or a torch.Size) an uninitialised tensor, zeros here as new_empty;
  // a list or plain tuple is data (`w.new((3, 4))` is tensor([3., 4.])); nothing an empty one.
  method('new(self, *args, device=None)', (a, r, t) => {
    const args = a.__varargs ?? [];
    const one = args.length === 1 ? args[0] : undefined;
    if (one instanceof PyList || (one instanceof PyTuple && one.type !== torch.Size)) return wrap(fromPython(torch, one, r, t.dtype));
    if (one instanceof TensorObj) throw new CantFollow(new PyOpaque('Tensor.new(tensor) (a view of another tensor)', r), r);
    return wrap(F.zeros(args.length ? torch.shapeArgs(args, r) : [0], t.dtype));
  });
  // In-place ops: PyTorch refuses them on a leaf that requires a gradient unless gradients are off.
  const guardLeaf = (t: Tensor, r: Range) => {
    if (t.requiresGrad && t.isLeaf && isGradEnabled()) torch.interp.raise('RuntimeError', 'a leaf Variable that requires grad is being used in an in-place operation.', r);
  };
  const inplaceOf = (name: string, fn: (t: Tensor, a: Bound, r: Range) => void, sig = `${name}(self)`) =>
    method(sig, (a, r, t) => {
      guardLeaf(t, r);
      fn(t, a, r);
      return a.self;
    });
  method('resize_(self, *sizes, memory_format=None)', (a, r) => {
    resize_(torch, a.self as TensorObj, shapeFrom(a, r), r);
    return a.self;
  });
  inplaceOf('zero_', (t) => F.zero_(t));
  inplaceOf('fill_', (t, a, r) => F.fill_(t, torch.operand(a.value, r)), 'fill_(self, value)');
  inplaceOf('copy_', (t, a, r) => F.copy_(t, torch.tensorOf(a.src, r)), 'copy_(self, src, non_blocking=False)');
  inplaceOf('add_', (t, a, r) => F.add_(t, torch.operand(a.other, r), torch.number(a.alpha, r)), 'add_(self, other, *, alpha=1)');
  inplaceOf('sub_', (t, a, r) => F.sub_(t, torch.operand(a.other, r), torch.number(a.alpha, r)), 'sub_(self, other, *, alpha=1)');
  inplaceOf('mul_', (t, a, r) => F.mul_(t, torch.operand(a.other, r)), 'mul_(self, other)');
  inplaceOf('div_', (t, a, r) => F.div_(t, torch.operand(a.other, r)), 'div_(self, other)');
  inplaceOf('clamp_', (t, a, r) => F.clamp_(t, a.min === null ? null : torch.number(a.min, r), a.max === null ? null : torch.number(a.max, r)), 'clamp_(self, min=None, max=None)');
  inplaceOf('masked_fill_', (t, a, r) => F.maskedFill_(t, torch.tensorOf(a.mask, r), torch.operand(a.value, r)), 'masked_fill_(self, mask, value)');
  inplaceOf('relu_', (t) => F.relu_(t));
  inplaceOf('sigmoid_', (t) => F.sigmoid_(t));
  inplaceOf('tanh_', (t) => F.tanh_(t));
  inplaceOf('floor_', (t) => F.floor_(t));
  inplaceOf('ceil_', (t) => F.ceil_(t));
  inplaceOf('round_', (t) => F.round_(t));
  inplaceOf('trunc_', (t) => F.trunc_(t));
  // Random fills write values, not ops: what nn.init and `w.data.normal_()` do.
  const randomFill = (name: string, sig: string, draw: (a: Bound, r: Range) => () => number) =>
    method(sig, (a, r, t) => {
      guardLeaf(t, r);
      const next = draw(a, r);
      torch.fill(t, (values) => {
        for (let i = 0; i < values.length; i++) values[i] = next();
      });
      void name;
      return a.self;
    });
  randomFill('normal_', 'normal_(self, mean=0, std=1, *, generator=None)', (a, r) => {
    const [mean, std] = [torch.number(a.mean, r), torch.number(a.std, r)];
    return () => mean + std * torch.rng.normal();
  });
  randomFill('uniform_', 'uniform_(self, a=0, b=1, *, generator=None)', (a, r) => {
    const [lo, hi] = [torch.number(a.a, r), torch.number(a.b, r)];
    return () => torch.rng.between(lo, hi);
  });
  // Bernoulli draws (EfficientNet's drop-connect mask, `mask.bernoulli_(keep_ratio)`): 1 with probability p,
  // from the run's generator, so a trace draws other masks than PyTorch's generator does.
  method('bernoulli_(self, p=0.5, *, generator=None)', (a, r, t) => {
    guardLeaf(t, r);
    const chance = bernoulliChances(torch, a.p, t.size, r);
    torch.fill(t, (values) => drawBernoulli(torch, values, chance));
    return a.self;
  });
  method('bernoulli(self, p=None, *, generator=None)', (a, r, t) => wrap(bernoulliDraw(torch, t, a.p, r)));
  method('backward(self, gradient=None, retain_graph=None, create_graph=False)', (a, r, t) => {
    const refused = torch.refusedBackward.get(t);
    if (refused) torch.interp.raise('RuntimeError', refused, r);
    // a loss computed off the graph (detached, under no_grad, from integer data): PyTorch checks this before the gradient's shape
    if (!t.requiresGrad) torch.interp.raise('RuntimeError', NO_GRAD_FN, r);
    if (torch.stopAtBackward) throw new BackwardReached(a.self);
    torch.onBackward?.(t, r);
    if (a.gradient === null && t.size !== 1) torch.interp.raise('RuntimeError', 'grad can be implicitly created only for scalar outputs', r);
    const seed = a.gradient === null ? undefined : torch.tensorOf(a.gradient, r);
    const create = torch.interp.truthy(a.create_graph, r);
    // PyTorch's retain_graph=None is create_graph: without either, the graph's saved tensors are freed.
    const retain = a.retain_graph === null ? create : torch.interp.truthy(a.retain_graph, r);
    if (create) {
      backwardWithGraph(t, seed ?? F.onesLike(t), r, retain, () => backward(t, seed?.data, retain));
    } else {
      backwardKeepingGraph(t, () => backward(t, seed?.data, retain));
    }
    return null;
  });
  method('retain_grad(self)', () => null);
  // A gradient hook may change every gradient behind it, and apply_ runs Python on each entry: neither is guessed.
  method('register_hook(self, hook)', (_a, r) => {
    throw new CantFollow(new PyOpaque('Tensor.register_hook (a hook that can change the gradient)', r), r);
  });
  method('apply_(self, callable)', (_a, r) => {
    throw new CantFollow(new PyOpaque('Tensor.apply_', r), r);
  });
}

/** The probability of entry i for a Bernoulli draw: one number, or a tensor of probabilities the size of the result. */
function bernoulliChances(torch: Torch, p: Value, size: number, r: Range): (i: number) => number {
  if (!(p instanceof TensorObj)) {
    const q = torch.number(p, r, 'p');
    if (!(q >= 0 && q <= 1)) torch.interp.raise('RuntimeError', `bernoulli_ expects p to be in [0, 1], but got p=${q}`, r);
    return () => q;
  }
  const probs = F.contiguous(p.t).data;
  if (probs.length === 1) return () => probs[0];
  if (probs.length !== size) torch.interp.raise('RuntimeError', `bernoulli: the probability tensor has ${probs.length} entries for ${size} draws`, r);
  return (i) => probs[i];
}

/** torch.bernoulli(input) / input.bernoulli(): a new tensor of draws, input's entries the probabilities (or one p for all). */
export function bernoulliDraw(torch: Torch, input: Tensor, p: Value, r: Range): Tensor {
  const chance = bernoulliChances(torch, p === null ? torch.wrap(input) : p, input.size, r);
  const out = F.zeros(input.shape, input.dtype);
  drawBernoulli(torch, out.data, chance);
  return out;
}

/** Each entry 1 with its probability, else 0, drawn in order from the run's generator. */
function drawBernoulli(torch: Torch, values: { length: number; [i: number]: number }, chance: (i: number) => number): void {
  for (let i = 0; i < values.length; i++) values[i] = torch.rng.uniform() < chance(i) ? 1 : 0;
}

function emptyAll(d: number | number[] | null): number | number[] | null {
  return Array.isArray(d) && d.length === 0 ? null : d;
}

function castIf(torch: Torch, t: Tensor, dtype: Value, r: Range): Tensor {
  const d = torch.dtypeArg(dtype, r);
  return d && d !== t.dtype ? F.to(t, d) : t;
}

/** torch.norm / Tensor.norm for p = 2, 1, inf and 'fro': composed of engine ops, so the gradient follows. */
export function norm(torch: Torch, t: Tensor, p: Value, dim: number | number[] | null, keepdim: boolean, r: Range): Tensor {
  if (p === 'fro' || p === null || p === 2n || p === 2) return F.sqrt(F.sum(F.mul(t, t), dim, keepdim));
  if (p === 1n || p === 1) return F.sum(F.abs(t), dim, keepdim);
  if (p === Infinity) return F.max(F.abs(t), dim, keepdim);
  const q = torch.number(p, r, 'p');
  return F.pow(F.sum(F.pow(F.abs(t), q), dim, keepdim), 1 / q);
}

const RETURN_TYPES = new Map<string, PyClass>();

/** torch.return_types.max: a (values, indices) tuple also readable as .values and .indices. */
export function namedPair(torch: Torch, name: string, values: Tensor, indices: Tensor): Value {
  let cls = RETURN_TYPES.get(name);
  if (!cls) {
    cls = new PyClass(name, [T.tuple], { getattr: (v, attr) => (attr === 'values' ? (v as PyTuple).items[0] : attr === 'indices' ? (v as PyTuple).items[1] : undefined) }, 'torch.return_types');
    RETURN_TYPES.set(name, cls);
  }
  return new PyTupleOf([torch.wrap(values), torch.wrap(indices)], cls);
}

/** Properties of a tensor: shape, dtype, grad, data, requires_grad, T, ... */
function tensorAttr(torch: Torch, t: Tensor, name: string, r: Range): Value | undefined {
  switch (name) {
    case 'shape':
      return torch.size(t.shape);
    case 'dtype':
      return torch.dtypeObj(t.dtype);
    case 'device':
      return new DeviceObj('cpu', torch.deviceClass);
    case 'is_cuda':
      return false;
    case 'requires_grad':
      return t.requiresGrad;
    case 'is_leaf':
      return t.isLeaf;
    case 'grad':
      return t.grad ? torch.wrap(graphGradOf(t, r) ?? new Tensor(t.grad, [...t.shape], false, t.dtype)) : null;
    case 'grad_fn':
      return t.node ? new PyOpaque('grad_fn (the autograd graph)', r) : null;
    case 'data': {
      const alias = F.detach(t);
      torch.dataAliases.set(alias, torch.dataAliases.get(t) ?? t);
      return torch.wrap(alias);
    }
    case 'ndim':
      return BigInt(t.rank);
    case 'T':
      return torch.wrap(F.permute(t, t.shape.map((_, i) => t.rank - 1 - i)));
    case 'mT':
      return torch.wrap(F.transpose(t, -2, -1));
    case 'real':
      return torch.wrap(t);
    case '__index__':
    case '__int__':
      return new PyBuiltin(name, (_a, _k, site) => {
        if (t.size !== 1 || (name === '__index__' && t.isFloatingPoint)) return site.interp.raise('TypeError', 'only integer tensors of a single element can be converted to an index', site.r);
        return BigInt(Math.trunc(t.item()));
      });
    case '__float__':
      return new PyBuiltin(name, (_a, _k, site) => (t.size === 1 ? t.item() : site.interp.raise('TypeError', 'only one element tensors can be converted to Python scalars', site.r)));
    case '__abs__':
      return new PyBuiltin(name, () => torch.wrap(F.abs(t)));
  }
  return undefined;
}

function setTensorAttr(torch: Torch, t: Tensor, name: string, value: Value, r: Range): boolean {
  const interp = torch.interp;
  switch (name) {
    case 'requires_grad':
      if (torch.bool(value, r) && !t.isFloatingPoint) interp.raise('RuntimeError', 'only Tensors of floating point dtype can require gradients', r);
      t.requiresGrad = torch.bool(value, r);
      return true;
    case 'grad':
      if (value === null) t.grad = null;
      else {
        const g = torch.tensorOf(value, r);
        t.grad = g.data.slice();
      }
      return true;
    case 'data': {
      // `w.data = other`: new values without autograd, as PyTorch's set_data.
      const src = torch.tensorOf(value, r);
      if (src.size !== t.size || src.dtype !== t.dtype) throw new CantFollow(new PyOpaque('assigning .data of another shape or dtype', r), r);
      t.data.set(src.data);
      markWritten(t);
      return true;
    }
  }
  return false;
}

export { TORCH_DTYPES, CantFollow };
