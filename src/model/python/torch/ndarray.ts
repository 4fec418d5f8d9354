/**
 * numpy.ndarray for the interpreter: scripts that build their data with NumPy (a toy regression's
 * `np.array([[3.3], ...], dtype=np.float32)`, Morvan's `np.linspace` and `np.sin`) and hand it to
 * torch. An array holds an engine tensor that never requires a gradient; what makes it NumPy's is
 * the dtype rules, which differ from torch's: float64 by default, int / int and np.sin(int) give
 * float64, int64 with float32 gives float64, and a Python number or NumPy scalar beside an array
 * only widens it across kinds (NumPy 1.x value-based casting). The functions of the numpy module
 * are in numpy.ts; what is not here is not followed at the call (an opaque value).
 */
import type { TensorDType } from '../../../engine/dtype';
import { promoteTypes } from '../../../engine/dtype';
import * as F from '../../../engine/functional';
import { ShapeError } from '../../../engine/shape';
import { Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { floatRepr } from '../format';
import { Bound, native } from '../native';
import * as P from '../protocol';
import { NOT_IMPLEMENTED, OBJECT, PyBuiltin, PyClass, PyIter, PyList, PyOpaque, PyTuple, T, typeName, Value } from '../values';
import { ArrayObj, NativeObj, TensorObj, type Torch } from './runtime';
import { indexItems, outOfBounds, pyScalar, toList } from './tensor';

const KIND: Record<TensorDType, number> = { bool: 0, int64: 1, float32: 2, float64: 2 };

/** np.result_type of two arrays (or two scalars): as torch's, except int64 with float32 is float64. */
export function promoteNumpy(a: TensorDType, b: TensorDType): TensorDType {
  if ((a === 'int64' && b === 'float32') || (a === 'float32' && b === 'int64')) return 'float64';
  return promoteTypes(a, b);
}

/** A value in NumPy arithmetic: an array's tensor or a Python number; `weak` for a scalar (a Python number, a NumPy scalar, a 0-d array). */
interface NpOperand {
  t: Tensor | null;
  num: number;
  dtype: TensorDType;
  weak: boolean;
}

/** The dtype of `a op b` under NumPy 1.x's rules: a scalar widens an array only when its kind is higher (int array + 2.5 is float64; float32 array + 2.5 stays float32). */
function resultDtype(a: NpOperand, b: NpOperand): TensorDType {
  if (a.weak === b.weak) return promoteNumpy(a.dtype, b.dtype);
  const [arr, sc] = a.weak ? [b, a] : [a, b];
  if (KIND[sc.dtype] <= KIND[arr.dtype]) return arr.dtype;
  return KIND[sc.dtype] === 2 ? 'float64' : 'int64';
}

/** A float dtype for math that NumPy computes in floating point (np.sin of ints, int / int). */
const floatOf = (d: TensorDType): TensorDType => (KIND[d] === 2 ? d : 'float64');

function pythonDtype(v: bigint | number | boolean): TensorDType {
  return typeof v === 'boolean' ? 'bool' : typeof v === 'bigint' ? 'int64' : 'float64';
}

/** A torch tensor where NumPy needs its values: NumPy reads it through Tensor.numpy(), which refuses one that requires a gradient. */
export function tensorForNumpy(torch: Torch, t: Tensor, r: Range): Tensor {
  if (t.requiresGrad) torch.interp.raise('RuntimeError', "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.", r);
  return t;
}

/** Nested Python lists and tuples, arrays and numbers (np.array's data) as nested arrays, with the dtype NumPy infers for them. */
function nestedOf(torch: Torch, v: Value, r: Range): { values: F.Nested; dtype: TensorDType | null } {
  let dtype: TensorDType | null = null;
  const note = (d: TensorDType) => (dtype = dtype === null ? d : promoteNumpy(dtype, d));
  const walk = (x: Value): F.Nested => {
    if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') {
      note(pythonDtype(x));
      return typeof x === 'bigint' ? Number(x) : x;
    }
    if (x instanceof PyList || x instanceof PyTuple) return x.items.map(walk);
    if (x instanceof ArrayObj || x instanceof TensorObj) {
      const t = x instanceof TensorObj ? tensorForNumpy(torch, x.t, r) : x.t;
      note(t.dtype);
      return tensorNested(t);
    }
    if (x instanceof PyOpaque) throw new CantFollow(x, r);
    throw new CantFollow(new PyOpaque(`a NumPy array of ${typeName(x)} objects`, r), r);
  };
  const values = walk(v);
  return { values, dtype };
}

function tensorNested(t: Tensor): F.Nested {
  const d = F.contiguous(t).data;
  const build = (dim: number, offset: number, stride: number): F.Nested => {
    if (dim === t.rank) return t.dtype === 'bool' ? d[offset] !== 0 : d[offset];
    const n = t.shape[dim];
    const inner = stride / n;
    return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * inner, inner));
  };
  return build(0, 0, t.size);
}

/**
 * An array_like as a tensor (np.array, np.sin, np.vstack read their arguments so): an array, a
 * number, nested lists, a torch tensor (as its .numpy()). `dtype` casts; `copy` makes new storage.
 */
export function arrayTensor(torch: Torch, v: Value, r: Range, dtype: TensorDType | null = null, copy = false): Tensor {
  let t: Tensor;
  if (v instanceof ArrayObj) t = copy ? F.clone(v.t) : v.t;
  else if (v instanceof TensorObj) t = copy ? F.clone(F.detach(tensorForNumpy(torch, v.t, r))) : F.detach(tensorForNumpy(torch, v.t, r));
  else {
    const { values, dtype: inferred } = nestedOf(torch, v, r);
    t = F.fromNested(values, dtype ?? inferred ?? 'float64');
  }
  return dtype && dtype !== t.dtype ? F.to(t, dtype) : t;
}

function operandOf(torch: Torch, v: Value, r: Range): NpOperand | null {
  if (v instanceof ArrayObj) return { t: v.t, num: 0, dtype: v.t.dtype, weak: v.scalar || v.t.rank === 0 };
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return { t: null, num: Number(v), dtype: pythonDtype(v), weak: true };
  if (v instanceof PyList || v instanceof PyTuple) {
    const t = arrayTensor(torch, v, r);
    return { t, num: 0, dtype: t.dtype, weak: t.rank === 0 };
  }
  // A torch tensor beside an array: torch's own operator would take it (its __array_priority__); not modelled.
  if (v instanceof TensorObj) throw new CantFollow(new PyOpaque('arithmetic between a NumPy array and a torch tensor', r), r);
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  return null;
}

const cast = (o: NpOperand, d: TensorDType): Tensor | number => (o.t ? F.to(o.t, d) : o.num);

const ARITH: Record<string, (a: F.Operand, b: F.Operand) => Tensor> = {
  '+': F.add,
  '-': F.sub,
  '*': F.mul,
  '/': F.div,
  '//': F.floorDivide,
  '%': F.remainder,
  '**': F.pow,
};
const COMPARE: Record<string, (a: F.Operand, b: F.Operand) => Tensor> = { '==': F.eq, '!=': F.ne, '<': F.lt, '<=': F.le, '>': F.gt, '>=': F.ge };
const REFLECT: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

/** A number operand as a 0-d tensor (the engine's ops take a tensor first). */
const asTensor = (x: Tensor | number, d: TensorDType): Tensor => (x instanceof Tensor ? x : F.full([], x, d));

/** `a op b` for a NumPy operator or a ufunc of two arguments (np.power, np.maximum): NumPy's result dtype, a scalar when both are 0-d. */
export function npBinary(torch: Torch, op: string, a: Value, b: Value, r: Range): Value {
  try {
    return binary(torch, op, a, b, r);
  } catch (e) {
    // Shapes that do not broadcast: NumPy's ValueError, which a script may catch as such.
    if (e instanceof ShapeError && a instanceof ArrayObj && b instanceof ArrayObj) {
      return torch.interp.raise('ValueError', `operands could not be broadcast together with shapes ${shapeText(a.t.shape)} ${shapeText(b.t.shape)} `, r);
    }
    throw e;
  }
}

const shapeText = (s: readonly number[]) => `(${s.join(',')}${s.length === 1 ? ',' : ''})`;

function binary(torch: Torch, op: string, a: Value, b: Value, r: Range): Value {
  const x = operandOf(torch, a, r);
  const y = operandOf(torch, b, r);
  if (!x || !y) return NOT_IMPLEMENTED;
  let d = resultDtype(x, y);
  let out: Tensor;
  if (op in COMPARE) out = COMPARE[op](asTensor(cast(x, d), d), cast(y, d));
  else if (op === '&' || op === '|' || op === '^') {
    if (d !== 'bool') throw new CantFollow(new PyOpaque(`bitwise ${op} of integer NumPy arrays`, r), r);
    out = (op === '&' ? F.logicalAnd : op === '|' ? F.logicalOr : F.logicalXor)(asTensor(cast(x, d), d), asTensor(cast(y, d), d));
  } else if (op === 'maximum' || op === 'minimum') {
    const [p, q] = [asTensor(cast(x, d), d), asTensor(cast(y, d), d)];
    out = op === 'maximum' ? F.maximum(p, q) : F.minimum(p, q);
  } else if (op === '@') {
    if (x.weak || y.weak) return torch.interp.raise('ValueError', 'matmul: Input operand does not have enough dimensions', r);
    if (KIND[d] !== 2) throw new CantFollow(new PyOpaque('an integer NumPy matrix product', r), r);
    out = F.matmul(F.to(x.t!, d), F.to(y.t!, d));
  } else {
    const fn = ARITH[op];
    if (!fn) return NOT_IMPLEMENTED;
    if (op === '/') d = floatOf(d);
    if (op === '**' && d === 'int64' && (y.t ? F.min(y.t).item() < 0 : y.num < 0)) return torch.interp.raise('ValueError', 'Integers to negative integer powers are not allowed.', r);
    if (d === 'bool' && op !== '*') throw new CantFollow(new PyOpaque(`${op} of boolean NumPy arrays`, r), r);
    out = fn(asTensor(cast(x, d), d), cast(y, d));
    if (out.dtype !== d && !(d === 'bool')) out = F.to(out, d);
  }
  return torch.npValue(out);
}

/** Makes numpy.ndarray, numpy.dtype and NumPy's scalar types for a set of bindings (once). */
export function makeArrayClasses(torch: Torch): void {
  if (torch.ndarray) return;
  const interp = () => torch.interp;
  // NumPy's dtype object (`a.dtype`): prints as `float32`, equals np.float32, 'float32' and another of its kind.
  const dtypeClass = new PyClass(
    'dtype',
    [OBJECT],
    {
      repr: (v) => `dtype('${(v as NativeObj<TensorDType>).state}')`,
      str: (v) => (v as NativeObj<TensorDType>).state,
      compare: (op, a, b, _reflected, r) => {
        if (op !== '==' && op !== '!=') return NOT_IMPLEMENTED;
        let other: TensorDType | null = null;
        try {
          other = b instanceof PyOpaque ? null : npDtypeArg(torch, b, r);
        } catch {
          other = null;
        }
        const same = other === (a as NativeObj<TensorDType>).state;
        return op === '==' ? same : !same;
      },
      getattr: (v, name) => {
        const d = (v as NativeObj<TensorDType>).state;
        if (name === 'name') return d;
        if (name === 'type') return torch.npScalarTypes.get(d)!;
        if (name === 'itemsize') return BigInt(d === 'bool' ? 1 : d === 'float32' ? 4 : 8);
        if (name === 'kind') return d === 'bool' ? 'b' : d === 'int64' ? 'i' : 'f';
        return undefined;
      },
    },
    'numpy',
  );
  const dtypeObjs = new Map<TensorDType, NativeObj<TensorDType>>();
  const dtypeOf = (d: TensorDType) => {
    let o = dtypeObjs.get(d);
    if (!o) dtypeObjs.set(d, (o = new NativeObj(dtypeClass, d)));
    return o;
  };
  // The scalar types: np.float32(2.0) a NumPy scalar, np.float64(x) a float, np.int64(x) an int, np.bool_(x) a bool.
  for (const [name, d] of [['float32', 'float32'], ['float64', 'float64'], ['int64', 'int64'], ['bool_', 'bool']] as const) {
    const cls = new PyClass(
      name,
      [OBJECT],
      {
        construct: (_c, args, _k, r) => torch.npValue(arrayTensor(torch, args[0] ?? 0n, r, d, true)),
        ...scalarHooks(torch, dtypeOf),
      },
      'numpy',
    );
    torch.npScalarTypes.set(d, cls);
  }
  const self = (a: Bound): Tensor => (a.self as ArrayObj).t;
  const ndarray = new PyClass(
    'ndarray',
    [OBJECT],
    {
      getattr: (v, name, r) => arrayAttr(torch, (v as ArrayObj).t, name, r, dtypeOf),
      binop: (op, a, b, reflected, r) => (reflected ? npBinary(torch, op, b, a, r) : npBinary(torch, op, a, b, r)),
      inplace: (op, a, b, r) => {
        const res = npBinary(torch, op, a, b, r);
        if (res === NOT_IMPLEMENTED) return res;
        const t = (a as ArrayObj).t;
        const out = arrayTensor(torch, res, r);
        if (KIND[out.dtype] > KIND[t.dtype]) return torch.interp.raise('TypeError', `Cannot cast ufunc '${op}' output from dtype('${out.dtype}') to dtype('${t.dtype}') with casting rule 'same_kind'`, r);
        F.copy_(t, F.to(F.expand(out, t.shape), t.dtype));
        return a;
      },
      unary: (op, a, r) => {
        const t = (a as ArrayObj).t;
        if (op === '+') return a;
        if (op === '-') {
          if (t.dtype === 'bool') return torch.interp.raise('TypeError', 'The numpy boolean negative, the `-` operator, is not supported, use the `~` operator or the logical_not function instead.', r);
          return torch.npValue(F.neg(t));
        }
        if (t.dtype !== 'bool') throw new CantFollow(new PyOpaque('~ of an integer NumPy array', r), r);
        return torch.npValue(F.logicalNot(t));
      },
      compare: (op, a, b, reflected, r) => npBinary(torch, reflected ? REFLECT[op] : op, a, b, r),
      bool: (v, r) => {
        const t = (v as ArrayObj).t;
        if (t.size !== 1) return torch.interp.raise('ValueError', 'The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()', r);
        return t.item() !== 0;
      },
      len: (v, r) => {
        const t = (v as ArrayObj).t;
        if (t.rank === 0) return torch.interp.raise('TypeError', 'len() of unsized object', r);
        return t.shape[0];
      },
      iter: (v, r) => {
        const t = (v as ArrayObj).t;
        if (t.rank === 0) return torch.interp.raise('TypeError', 'iteration over a 0-d array', r);
        return PyIter.over(F.unbind(t, 0).map((x) => torch.npValue(x)));
      },
      contains: (v, item, r) => F.sum(F.eq((v as ArrayObj).t, asTensor(cast(operandOf(torch, item, r)!, (v as ArrayObj).t.dtype), (v as ArrayObj).t.dtype))).item() > 0,
      getitem: (v, key, r) => {
        const t = (v as ArrayObj).t;
        if (t.rank === 0) return torch.interp.raise('IndexError', 'too many indices for array: array is 0-dimensional, but 1 were indexed', r);
        return torch.npValue(outOfBounds(torch, r, true, () => F.getItem(t, indexItems(torch, indexKey(torch, key), r))));
      },
      setitem: (v, key, value, r) => {
        const t = (v as ArrayObj).t;
        const src = value instanceof ArrayObj || value instanceof PyList || value instanceof PyTuple || value instanceof TensorObj ? F.to(arrayTensor(torch, value, r), t.dtype) : torch.number(value, r);
        outOfBounds(torch, r, true, () => F.setItem(t, indexItems(torch, indexKey(torch, key), r), src));
      },
      repr: (v) => arrayRepr((v as ArrayObj).t, true),
      str: (v) => arrayRepr((v as ArrayObj).t, false),
      format: (v, spec, r) => {
        const t = (v as ArrayObj).t;
        if (t.rank === 0 && spec) return P.format(interp(), torch.npValue(t) instanceof ArrayObj ? t.item() : (torch.npValue(t) as Value), spec, r);
        return arrayRepr(t, false);
      },
    },
    'numpy',
  );
  torch.ndarray = ndarray;
  const method = (sig: string, fn: (a: Bound, r: Range, t: Tensor) => Value) => {
    const b = native(sig, (a, r) => fn(a, r, self(a)), { method: true });
    ndarray.dict.set(b.name, b);
  };
  const shapeArgs = (a: Bound, r: Range) => torch.shapeArgs(a.__varargs ?? [], r);
  method('reshape(self, *shape, order="C")', (a, r, t) => torch.npValue(F.reshape(t, shapeArgs(a, r))));
  method('astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True)', (a, r, t) => torch.npValue(F.clone(F.to(t, npDtypeArg(torch, a.dtype, r) ?? 'float64'))));
  method('copy(self, order="C")', (_a, _r, t) => torch.npValue(F.clone(t)));
  method('flatten(self, order="C")', (_a, _r, t) => torch.npValue(F.clone(F.reshape(t, [t.size]))));
  method('ravel(self, order="C")', (_a, _r, t) => torch.npValue(F.reshape(t, [t.size])));
  method('squeeze(self, axis=None)', (a, r, t) => torch.npValue(a.axis === null ? F.squeeze(t) : F.squeeze(t, axisArg(torch, a.axis, r) as number | number[])));
  method('transpose(self, *axes)', (a, r, t) => torch.npValue(F.permute(t, (a.__varargs ?? []).length ? shapeArgs(a, r) : t.shape.map((_, i) => t.rank - 1 - i))));
  method('tolist(self)', (_a, _r, t) => toList(F.contiguous(t)));
  method('item(self)', (_a, r, t) => {
    if (t.size !== 1) return torch.interp.raise('ValueError', 'can only convert an array of size 1 to a Python scalar', r);
    return pyScalar(t, F.contiguous(t).data[0]);
  });
  method('fill(self, value)', (a, r, t) => {
    F.fill_(t, torch.number(a.value, r));
    return null;
  });
  for (const name of REDUCTIONS) method(`${name}(self, axis=None, dtype=None, out=None, keepdims=False)`, (a, r, t) => reduce(torch, name, t, a.axis, a.keepdims, r, npDtypeArg(torch, a.dtype, r)));
  method('argmax(self, axis=None)', (a, r, t) => torch.npValue(F.argmax(t, torch.intOrNull(a.axis, r))));
  method('argmin(self, axis=None)', (a, r, t) => torch.npValue(F.argmin(t, torch.intOrNull(a.axis, r))));
  method('clip(self, min=None, max=None)', (a, r, t) => torch.npValue(F.clamp(t, a.min === null ? null : torch.number(a.min, r), a.max === null ? null : torch.number(a.max, r))));
  method('dot(self, b)', (a, r) => npBinary(torch, '@', a.self, a.b, r));
  // In place, as NumPy does it on an array that owns its data: the flat values kept, cut or padded with zeros.
  method('resize(self, *new_shape, refcheck=True)', (a, r, t) => {
    const shape = shapeArgs(a, r);
    if (shape.some((d) => d < 0)) return torch.interp.raise('ValueError', 'negative dimensions not allowed', r);
    const n = shape.reduce((p, d) => p * d, 1);
    const flat = F.reshape(F.contiguous(t), [t.size]);
    const values = n <= t.size ? F.narrow(flat, 0, 0, n) : F.cat([flat, F.zeros([n - t.size], t.dtype)]);
    (a.self as ArrayObj).t = F.clone(F.reshape(values, shape));
    return null;
  });
  // Methods that change the array in place and are not modelled: going on would use the old values.
  for (const name of IN_PLACE_UNMODELLED) {
    const b = native(`${name}(self, *args, **kwargs)`, (a, r) => {
      const lost = new CantFollow(new PyOpaque(`ndarray.${name} (changes the array in place)`, r), r);
      (a.self as ArrayObj).lost = lost;
      throw lost;
    }, { method: true });
    ndarray.dict.set(name, b);
  }
  torch.npScalarTypes.forEach((c) => c.dict.set('item', ndarray.dict.get('item')!));
}

/** ndarray methods that change the array in place, which the subset does not model. */
const IN_PLACE_UNMODELLED = ['sort', 'partition', 'put', 'itemset', 'setfield', 'setflags', 'byteswap'];

/** What a NumPy scalar (np.float32) answers as a number: arithmetic as a 0-d array, float() and formatting as its value. */
function scalarHooks(torch: Torch, dtypeOf: (d: TensorDType) => Value) {
  return {
    binop: (op: string, a: Value, b: Value, reflected: boolean, r: Range) => (reflected ? npBinary(torch, op, b, a, r) : npBinary(torch, op, a, b, r)),
    compare: (op: string, a: Value, b: Value, reflected: boolean, r: Range) => npBinary(torch, reflected ? REFLECT[op] : op, a, b, r),
    unary: (op: '-' | '+' | '~', a: Value) => (op === '+' ? a : torch.npValue(F.neg((a as ArrayObj).t))),
    bool: (v: Value) => (v as ArrayObj).t.item() !== 0,
    repr: (v: Value) => scalarText((v as ArrayObj).t),
    format: (v: Value, spec: string, r: Range) => (spec ? P.format(torch.interp, (v as ArrayObj).t.item(), spec, r) : scalarText((v as ArrayObj).t)),
    getattr: (v: Value, name: string) => {
      const t = (v as ArrayObj).t;
      if (name === '__float__') return new PyBuiltin(name, () => t.item());
      if (name === '__int__') return new PyBuiltin(name, () => BigInt(Math.trunc(t.item())));
      if (name === 'dtype' || name === 'shape' || name === 'ndim') return arrayAttr(torch, t, name, { start: 0, end: 0 }, dtypeOf);
      return undefined;
    },
  };
}

/** np.float32's print form: the shortest text that reads back as the same float32. */
function scalarText(t: Tensor): string {
  const v = t.item();
  if (!Number.isFinite(v)) return floatRepr(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return floatRepr(s);
  }
  return floatRepr(v);
}

const REDUCTIONS = ['sum', 'mean', 'max', 'min', 'std', 'var', 'prod', 'any', 'all'] as const;
type Reduction = (typeof REDUCTIONS)[number];

function axisArg(torch: Torch, v: Value, r: Range): number | number[] | null {
  if (v === null) return null;
  if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => torch.int(x, r, 'axis'));
  return torch.int(v, r, 'axis');
}

/** a.sum(axis=...) and np.sum(a, axis=...): NumPy's dtypes (sum of ints int64, of bools int64; mean of ints float64), a scalar without an axis. */
export function reduce(torch: Torch, name: Reduction, t: Tensor, axis: Value, keepdims: Value, r: Range, dtype: TensorDType | null = null): Value {
  const dims = axisArg(torch, axis, r);
  const keep = torch.bool(keepdims ?? false, r);
  const all = dims === null ? t.shape.map((_, i) => i) : dims;
  const x = dtype ? F.to(t, dtype) : t;
  if ((name === 'max' || name === 'min') && (Array.isArray(all) ? all : [all]).some((d) => t.shape[d < 0 ? d + t.rank : d] === 0)) {
    return torch.interp.raise('ValueError', `zero-size array to reduction operation ${name === 'max' ? 'maximum' : 'minimum'} which has no identity`, r);
  }
  let out: Tensor;
  switch (name) {
    case 'sum':
      out = F.sum(x.dtype === 'bool' ? F.to(x, 'int64') : x, all, keep);
      break;
    case 'prod':
      throw new CantFollow(new PyOpaque('a NumPy product over an axis', r), r);
    case 'mean':
      out = F.mean(F.to(x, floatOf(x.dtype)), all, keep);
      break;
    case 'std':
    case 'var':
      out = (name === 'var' ? F.variance : F.std)(F.to(x, floatOf(x.dtype)), all, 0, keep);
      break;
    case 'max':
      out = F.amax(x, all, keep);
      break;
    case 'min':
      out = F.amin(x, all, keep);
      break;
    case 'any':
      out = F.bool(F.amax(F.to(F.bool(x), 'int64'), all, keep));
      break;
    case 'all':
      out = F.bool(F.amin(F.to(F.bool(x), 'int64'), all, keep));
      break;
  }
  return torch.npValue(out);
}

/** An index of an array: arrays among it read as torch's tensor indices (an int array picks, a bool array masks). */
function indexKey(torch: Torch, key: Value): Value {
  const one = (k: Value): Value => (k instanceof ArrayObj ? torch.wrap(k.t) : k);
  if (key instanceof PyTuple && key.type === T.tuple) return new PyTuple(key.items.map(one));
  return one(key);
}

/** Attributes of an array: shape, ndim, size, dtype, T, ... */
function arrayAttr(torch: Torch, t: Tensor, name: string, r: Range, dtypeOf: (d: TensorDType) => Value): Value | undefined {
  switch (name) {
    case 'shape':
      return new PyTuple(t.shape.map((d) => BigInt(d)));
    case 'ndim':
      return BigInt(t.rank);
    case 'size':
      return BigInt(t.size);
    case 'dtype':
      return dtypeOf(t.dtype);
    case 'itemsize':
      return BigInt(t.dtype === 'bool' ? 1 : t.dtype === 'float32' ? 4 : 8);
    case 'nbytes':
      return BigInt(t.size * (t.dtype === 'bool' ? 1 : t.dtype === 'float32' ? 4 : 8));
    case 'T':
      return torch.npValue(F.permute(t, t.shape.map((_, i) => t.rank - 1 - i)));
    case '__float__':
    case '__int__':
    case '__index__':
      return new PyBuiltin(name, (_a, _k, site) => {
        if (t.size !== 1) return site.interp.raise('TypeError', 'only size-1 arrays can be converted to Python scalars', site.r);
        if (name === '__index__' && t.dtype !== 'int64') return site.interp.raise('TypeError', 'only integer scalar arrays can be converted to a scalar index', site.r);
        const v = F.contiguous(t).data[0];
        return name === '__float__' ? v : BigInt(Math.trunc(v));
      });
  }
  // The rest of ndarray's API is not modelled: an opaque value where the script reads it.
  if (name.startsWith('__')) return undefined;
  return new PyOpaque(`ndarray.${name}`, r);
}

/** The element type a `dtype=` argument names for NumPy (None: null). np.int32, np.uint8, np.float16 are not modelled. */
export function npDtypeArg(torch: Torch, v: Value, r: Range): TensorDType | null {
  if (v === null || v === undefined) return null;
  if (v instanceof PyClass) {
    for (const [d, cls] of torch.npScalarTypes) if (cls === v) return d;
    if (v === T.float) return 'float64';
    if (v === T.int) return 'int64';
    if (v === T.bool) return 'bool';
  }
  if (v instanceof NativeObj && typeof v.state === 'string' && v.type.name === 'dtype' && v.type.module === 'numpy') return v.state as TensorDType;
  if (typeof v === 'string') {
    const named = STRING_DTYPES[v];
    if (named) return named;
    throw new CantFollow(new PyOpaque(`the NumPy dtype '${v}'`, r), r);
  }
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  return torch.interp.raise('TypeError', `Cannot interpret '${P.repr(torch.interp, v, r)}' as a data type`, r);
}

const STRING_DTYPES: Record<string, TensorDType> = { float32: 'float32', f4: 'float32', single: 'float32', float64: 'float64', f8: 'float64', float: 'float64', double: 'float64', int64: 'int64', i8: 'int64', int: 'int64', bool: 'bool' };

/** NumPy's print form, abbreviated: whole floats as `1.`, others with up to 8 digits; `array(..., dtype=float32)` for repr. */
function arrayRepr(t: Tensor, asRepr: boolean): string {
  const values = F.contiguous(t).data;
  const whole = t.dtype !== 'bool' && t.dtype !== 'int64' && Array.from(values).every((v) => Number.isInteger(v));
  const fmt = (v: number) => (t.dtype === 'bool' ? (v ? 'True' : 'False') : t.dtype === 'int64' ? String(v) : !Number.isFinite(v) ? (v !== v ? 'nan' : v > 0 ? 'inf' : '-inf') : whole ? `${v}.` : String(Number(v.toFixed(8))));
  const texts = Array.from(values, fmt);
  const width = Math.max(0, ...texts.map((s) => s.length));
  const sep = asRepr ? ', ' : ' ';
  let at = 0;
  const build = (dim: number, indent: string): string => {
    if (dim === t.rank) return texts[at++].padStart(width);
    const parts = Array.from({ length: t.shape[dim] }, () => build(dim + 1, indent + ' '));
    return '[' + parts.join(dim === t.rank - 1 ? sep : (asRepr ? ',' : '') + '\n'.repeat(t.rank - 1 - dim) + indent + ' ') + ']';
  };
  if (t.rank === 0) return asRepr ? `array(${texts[0]}${t.dtype === 'float32' ? ', dtype=float32' : ''})` : texts[0];
  const body = build(0, asRepr ? '      ' : '');
  if (!asRepr) return body;
  return `array(${body}${t.dtype === 'float32' ? ', dtype=float32' : ''})`;
}
