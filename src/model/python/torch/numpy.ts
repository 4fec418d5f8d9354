/**
 * The part of NumPy training scripts lean on beside torch: making arrays (np.array, zeros, arange,
 * linspace, numpy.random's draws), their elementwise math, reductions and stacking, np.prod of a
 * shape. Arrays are numpy.ndarray values (ndarray.ts) with NumPy's dtypes; every other name of
 * numpy is opaque as before (a partial mirror), not followed at the call.
 */
import * as F from '../../../engine/functional';
import type { TensorDType } from '../../../engine/dtype';
import type { Tensor } from '../../../engine/tensor';
import type { Range } from '../ast';
import { moduleMember, opaqueModule } from '../interpreter';
import { CantFollow } from '../errors';
import { native, need } from '../native';
import { isInt, PyList, PyModule, PyOpaque, PyTuple, toBigInt, Value } from '../values';
import { given } from './draws';
import { arrayTensor, makeArrayClasses, npBinary, npDtypeArg, promoteNumpy, reduce } from './ndarray';
import { ArrayObj, TensorObj, type Torch } from './runtime';

/** numpy's default float and integer types. */
const FLOAT: TensorDType = 'float64';
const INT: TensorDType = 'int64';

export function numpyModule(torch: Torch): PyModule {
  const np = new PyModule('numpy');
  const random = new PyModule('numpy.random');
  // The rest of numpy is as opaque as an unmirrored module's members (can't follow at the call).
  for (const m of [np, random]) {
    m.partial = true;
    m.missing = (name, r) => moduleMember(opaqueModule(m.name, r), name, r);
  }
  const set = (m: PyModule, sig: string, fn: Parameters<typeof native>[1]) => m.dict.set(sig.slice(0, sig.indexOf('(')), native(sig, fn));
  // size=None draws one Python float; else an array of that shape (an int or a tuple).
  const shapeOf = (size: Value, r: Range): number[] | null => (size === null ? null : torch.ints(size, r));
  const draw = (size: Value, r: Range, d: TensorDType, make: (shape: number[]) => Tensor): Value => {
    const shape = shapeOf(size, r) ?? [];
    const t = given(torch, shape, d) ?? make(shape);
    return size === null ? (d === INT ? BigInt(t.item()) : t.item()) : torch.array(t);
  };
  const scaled = (t: Tensor, scale: number, shift: number) => F.add(F.mul(t, scale), shift);
  set(random, 'normal(loc=0.0, scale=1.0, size=None)', (a, r) =>
    draw(a.size, r, FLOAT, (s) => scaled(F.randn(s, torch.rng, FLOAT), torch.number(a.scale, r), torch.number(a.loc, r))),
  );
  set(random, 'uniform(low=0.0, high=1.0, size=None)', (a, r) => {
    const low = torch.number(a.low, r);
    return draw(a.size, r, FLOAT, (s) => scaled(F.rand(s, torch.rng, FLOAT), torch.number(a.high, r) - low, low));
  });
  set(random, 'random(size=None)', (a, r) => draw(a.size, r, FLOAT, (s) => F.rand(s, torch.rng, FLOAT)));
  set(random, 'randint(low, high=None, size=None, dtype=None)', (a, r) => {
    const [low, high] = a.high === null ? [0, torch.int(a.low, r)] : [torch.int(a.low, r), torch.int(a.high, r)];
    if (!(high > low)) return torch.interp.raise('ValueError', 'low >= high', r);
    return draw(a.size, r, INT, (s) => F.randint(low, high, s, torch.rng, INT));
  });
  // rand(2, 3) and randn(2, 3): the shape as arguments (none: one Python float).
  const dimsOf = (a: Parameters<Parameters<typeof native>[1]>[0]) => ((a.__varargs ?? []).length ? new PyTuple(a.__varargs!) : null);
  set(random, 'rand(*dims)', (a, r) => draw(dimsOf(a), r, FLOAT, (s) => F.rand(s, torch.rng, FLOAT)));
  set(random, 'randn(*dims)', (a, r) => draw(dimsOf(a), r, FLOAT, (s) => F.randn(s, torch.rng, FLOAT)));
  // Orders drawn from the run's generator (Fisher-Yates), so a trace shuffles otherwise than NumPy's generator.
  const order = (n: number): number[] => {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = torch.rng.integer(0, i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx;
  };
  const rows = (t: Tensor, idx: number[]) => F.getItem(t, [idx]);
  set(random, 'permutation(x)', (a, r) => {
    if (isInt(a.x)) return torch.array(F.tensor(order(torch.int(a.x, r)), [torch.int(a.x, r)], INT));
    const t = arrayTensor(torch, a.x, r);
    return torch.array(rows(t, order(t.shape[0] ?? 0)));
  });
  set(random, 'shuffle(x)', (a, r) => {
    if (a.x instanceof PyList) {
      const items = a.x.items.slice();
      a.x.items = order(items.length).map((i) => items[i]);
    } else if (a.x instanceof ArrayObj) F.copy_(a.x.t, rows(F.clone(a.x.t), order(a.x.t.shape[0] ?? 0)));
    else throw new CantFollow(new PyOpaque('numpy.random.shuffle of this value', r), r);
    return null;
  });
  set(random, 'choice(a, size=None, replace=True, p=None)', (a, r) => {
    if (a.p !== null) throw new CantFollow(new PyOpaque('numpy.random.choice with probabilities p=', r), r);
    const pool = isInt(a.a) ? F.arange(0, torch.int(a.a, r), 1, INT) : arrayTensor(torch, a.a, r);
    const n = pool.shape[0] ?? 0;
    const shape = shapeOf(a.size, r) ?? [];
    const count = shape.reduce((p, d) => p * d, 1);
    if (!torch.bool(a.replace, r) && count > n) return torch.interp.raise('ValueError', "Cannot take a larger sample than population when 'replace=False'", r);
    const idx = torch.bool(a.replace, r) ? Array.from({ length: count }, () => torch.rng.integer(0, n)) : order(n).slice(0, count);
    const picked = F.reshape(rows(pool, idx), [...shape, ...pool.shape.slice(1)]);
    return torch.npValue(picked);
  });
  // The script's own seeding: the trace draws from its run's generator (or PyTorch's given draws) either way.
  set(random, 'seed(seed=None)', () => null);
  np.dict.set('random', random);
  arrays(torch, np, set);
  set(np, 'prod(a, axis=None, dtype=None)', (a, r) => {
    if (a.a instanceof ArrayObj) {
      if (a.axis !== null) return reduce(torch, 'prod', a.a.t, a.axis, false, r);
      const p = Array.from(F.contiguous(a.a.t).data).reduce((q, x) => q * x, 1);
      return torch.npValue(F.full([], p, a.a.t.dtype === 'bool' ? INT : a.a.t.dtype));
    }
    const items = a.a instanceof PyTuple || a.a instanceof PyList ? a.a.items : [a.a];
    if (items.every((x) => isInt(x))) return items.reduce<bigint>((p, x) => p * toBigInt(x as bigint), 1n);
    return items.reduce<number>((p, x) => p * torch.number(x, r), 1);
  });
  return np;
}

type Setter = (m: PyModule, sig: string, fn: Parameters<typeof native>[1]) => void;

/** Elementwise math NumPy computes in floating point (ints give float64); the rest keep the input's dtype. */
const FLOAT_MATH: Record<string, (x: Tensor) => Tensor> = { sin: F.sin, cos: F.cos, exp: F.exp, log: F.log, sqrt: F.sqrt, tanh: F.tanh, log1p: F.log1p, expm1: F.expm1, floor: F.floor, ceil: F.ceil };
const SAME_MATH: Record<string, (x: Tensor) => Tensor> = { abs: F.abs, absolute: F.abs, square: F.square, sign: F.sign, negative: F.neg };
const BINARY: Record<string, string> = { add: '+', subtract: '-', multiply: '*', divide: '/', true_divide: '/', power: '**', maximum: 'maximum', minimum: 'minimum', matmul: '@', dot: '@' };

/** numpy's arrays: creation, dtypes, elementwise math, reductions, stacking. */
function arrays(torch: Torch, np: PyModule, set: Setter): void {
  makeArrayClasses(torch);
  const out = (t: Tensor) => torch.npValue(t);
  // A torch tensor given to a ufunc or to a function NumPy forwards to the array's method (clip, round,
  // reshape, ...) comes back a tensor: torch's __array_wrap__ (torch 1.13) turns the result back.
  // Udacity's denoising autoencoder feeds np.clip(noisy_imgs, 0., 1.) to its model.
  const like = (input: Value, t: Tensor) => (input instanceof TensorObj ? torch.wrap(t) : out(t));
  const dtypeOr = (v: Value, r: Range, d: TensorDType | null = null) => npDtypeArg(torch, v, r) ?? d;
  for (const [name, d] of [['float32', 'float32'], ['float64', 'float64'], ['int64', 'int64'], ['bool_', 'bool']] as const) np.dict.set(name, torch.npScalarTypes.get(d)!);
  np.dict.set('float_', torch.npScalarTypes.get('float64')!);
  np.dict.set('double', torch.npScalarTypes.get('float64')!);
  np.dict.set('single', torch.npScalarTypes.get('float32')!);
  np.dict.set('int_', torch.npScalarTypes.get('int64')!);
  np.dict.set('ndarray', torch.ndarray);
  for (const [name, v] of [['newaxis', null], ['pi', Math.PI], ['e', Math.E], ['inf', Infinity], ['nan', NaN]] as const) np.dict.set(name, v);

  // ── creation ─────────────────────────────────────────────────────────────
  set(np, 'array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0)', (a, r) => {
    const t = arrayTensor(torch, a.object, r, dtypeOr(a.dtype, r), true);
    const ndmin = torch.int(a.ndmin, r);
    return torch.array(t.rank < ndmin ? F.reshape(t, [...Array(ndmin - t.rank).fill(1), ...t.shape]) : t);
  });
  set(np, 'asarray(a, dtype=None, order=None)', (a, r) => {
    const d = dtypeOr(a.dtype, r);
    if (a.a instanceof ArrayObj && !a.a.scalar && (d === null || d === a.a.t.dtype)) return a.a;
    return torch.array(arrayTensor(torch, a.a, r, d));
  });
  for (const [name, fill] of [['zeros', 0], ['ones', 1], ['empty', 0]] as const) {
    set(np, `${name}(shape, dtype=None, order="C")`, (a, r) => torch.array(F.full(torch.ints(a.shape, r), fill, dtypeOr(a.dtype, r) ?? FLOAT)));
    set(np, `${name}_like(a, dtype=None, order="K", subok=True, shape=None)`, (a, r) => {
      const t = arrayTensor(torch, a.a, r);
      return torch.array(F.full(a.shape === null ? t.shape : torch.ints(a.shape, r), fill, dtypeOr(a.dtype, r) ?? t.dtype));
    });
  }
  set(np, 'full(shape, fill_value, dtype=None, order="C")', (a, r) => {
    const v = a.fill_value;
    const d = dtypeOr(a.dtype, r) ?? (typeof v === 'boolean' ? 'bool' : isInt(v) ? INT : FLOAT);
    return torch.array(F.full(torch.ints(a.shape, r), torch.number(v, r), d));
  });
  // np.arange: int64 for ints, else float64, `start + i*step` as NumPy fills it.
  set(np, 'arange(start, stop=None, step=None, dtype=None)', (a, r) => {
    const parts = [a.start, a.stop, a.step];
    const [start, stop, step] = a.stop === null ? [0, torch.number(a.start, r), 1] : [torch.number(a.start, r), torch.number(a.stop, r), a.step === null ? 1 : torch.number(a.step, r)];
    if (step === 0) return torch.interp.raise('ZeroDivisionError', 'division by zero', r);
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const d = dtypeOr(a.dtype, r) ?? (parts.every((p) => p === null || isInt(p)) ? INT : FLOAT);
    return torch.array(filled([n], d, (i) => start + i * step));
  });
  // np.linspace: in float64 (`i*step + start`, the last value `stop` itself), then cast, as NumPy computes it.
  set(np, 'linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0)', (a, r) => {
    const [start, stop, num] = [torch.number(a.start, r), torch.number(a.stop, r), torch.int(a.num, r)];
    if (num < 0) return torch.interp.raise('ValueError', `Number of samples, ${num}, must be non-negative.`, r);
    const endpoint = torch.bool(a.endpoint, r);
    const div = endpoint ? num - 1 : num;
    const step = div > 0 ? (stop - start) / div : NaN;
    const t = filled([num], FLOAT, (i) => (endpoint && num > 1 && i === num - 1 ? stop : div > 0 ? i * step + start : start));
    const d = dtypeOr(a.dtype, r);
    const arr = torch.array(d && d !== FLOAT ? F.to(t, d) : t);
    return torch.bool(a.retstep, r) ? new PyTuple([arr, step]) : arr;
  });

  set(np, 'eye(N, M=None, k=0, dtype=None)', (a, r) => {
    const n = torch.int(a.N, r);
    const m = a.M === null ? n : torch.int(a.M, r);
    const k = torch.int(a.k, r);
    return torch.array(filled([n, m], dtypeOr(a.dtype, r) ?? FLOAT, (i) => (i % m === Math.floor(i / m) + k ? 1 : 0)));
  });

  // ── elementwise math (ufuncs): a scalar in, a scalar out ───────────────────
  for (const [name, fn] of Object.entries(FLOAT_MATH)) {
    set(np, `${name}(x, /, out=None, *, dtype=None)`, (a, r) => {
      const t = arrayTensor(torch, a.x, r);
      if (t.dtype === 'bool') throw new CantFollow(new PyOpaque(`np.${name} of a boolean array (float16)`, r), r);
      return like(a.x, fn(t.dtype === INT ? F.to(t, FLOAT) : t));
    });
  }
  for (const [name, fn] of Object.entries(SAME_MATH)) set(np, `${name}(x, /, out=None, *, dtype=None)`, (a, r) => like(a.x, fn(arrayTensor(torch, a.x, r))));
  for (const [name, op] of Object.entries(BINARY)) {
    set(np, `${name}(x1, x2, /, out=None, *, dtype=None)`, (a, r) => {
      // Lists and scalars are arrays to a ufunc: read them as NumPy does before the operator's rules.
      const arr = (v: Value) => (v instanceof ArrayObj || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? v : torch.array(arrayTensor(torch, v, r)));
      return npBinary(torch, op, arr(a.x1), arr(a.x2), r);
    });
  }

  set(np, 'where(condition, x=None, y=None)', (a, r) => {
    if (a.x === null || a.y === null) throw new CantFollow(new PyOpaque('np.where with one argument (the indices)', r), r);
    const [x, y] = [arrayTensor(torch, a.x, r), arrayTensor(torch, a.y, r)];
    const d = promoteNumpy(x.dtype, y.dtype);
    return out(F.where(F.bool(arrayTensor(torch, a.condition, r)), F.to(x, d), F.to(y, d)));
  });
  for (const name of ['round', 'around']) {
    set(np, `${name}(a, decimals=0, out=None)`, (a, r) => {
      const t = arrayTensor(torch, a.a, r);
      if (torch.int(a.decimals, r) !== 0) throw new CantFollow(new PyOpaque(`np.${name} to decimals`, r), r);
      return like(a.a, t.isFloatingPoint ? F.round(t) : t);
    });
  }

  // ── reductions ───────────────────────────────────────────────────────────
  for (const [name, as] of [['sum', 'sum'], ['mean', 'mean'], ['max', 'max'], ['amax', 'max'], ['min', 'min'], ['amin', 'min'], ['std', 'std'], ['var', 'var'], ['any', 'any'], ['all', 'all']] as const) {
    set(np, `${name}(a, axis=None, dtype=None, out=None, keepdims=False)`, (a, r) => reduce(torch, as, arrayTensor(torch, a.a, r), a.axis, a.keepdims, r, npDtypeArg(torch, a.dtype, r)));
  }
  set(np, 'argmax(a, axis=None)', (a, r) => like(a.a, F.argmax(arrayTensor(torch, a.a, r), torch.intOrNull(a.axis, r))));
  set(np, 'argmin(a, axis=None)', (a, r) => like(a.a, F.argmin(arrayTensor(torch, a.a, r), torch.intOrNull(a.axis, r))));

  // ── shapes and stacking ──────────────────────────────────────────────────
  set(np, 'reshape(a, newshape, order="C")', (a, r) => like(a.a, F.reshape(arrayTensor(torch, a.a, r), torch.ints(a.newshape, r))));
  set(np, 'transpose(a, axes=None)', (a, r) => {
    const t = arrayTensor(torch, a.a, r);
    return like(a.a, F.permute(t, a.axes === null ? t.shape.map((_, i) => t.rank - 1 - i) : torch.ints(a.axes, r)));
  });
  set(np, 'expand_dims(a, axis)', (a, r) => out(F.unsqueeze(arrayTensor(torch, a.a, r), torch.int(a.axis, r))));
  // np.squeeze calls a tensor's own squeeze (its graph kept, a tensor that requires grad allowed).
  set(np, 'squeeze(a, axis=None)', (a, r) => {
    const t = a.a instanceof TensorObj ? a.a.t : arrayTensor(torch, a.a, r);
    return like(a.a, a.axis === null ? F.squeeze(t) : F.squeeze(t, torch.ints(a.axis, r)));
  });
  set(np, 'clip(a, a_min, a_max)', (a, r) => like(a.a, F.clamp(arrayTensor(torch, a.a, r), a.a_min === null ? null : torch.number(a.a_min, r), a.a_max === null ? null : torch.number(a.a_max, r))));
  const many = (v: Value, r: Range): Tensor[] => {
    const items = need(v, r);
    if (!(items instanceof PyList || items instanceof PyTuple) && !(items instanceof ArrayObj)) return torch.interp.raise('TypeError', 'arrays to stack must be passed as a "sequence" type such as list or tuple.', r);
    const ts = items instanceof ArrayObj ? F.unbind(items.t, 0) : items.items.map((x) => arrayTensor(torch, x, r));
    if (!ts.length) return torch.interp.raise('ValueError', 'need at least one array to concatenate', r);
    const d = ts.map((t) => t.dtype).reduce(promoteNumpy);
    return ts.map((t) => F.to(t, d));
  };
  const atLeast = (t: Tensor, rank: number) => (t.rank >= rank ? t : F.reshape(t, rank === 2 && t.rank === 1 ? [1, t.shape[0]] : [...Array(rank - t.rank).fill(1), ...t.shape]));
  set(np, 'concatenate(arrays, axis=0, out=None, dtype=None)', (a, r) => {
    const ts = many(a.arrays, r);
    if (a.axis === null) return out(F.cat(ts.map((t) => F.reshape(t, [t.size])), 0));
    return out(F.cat(ts, torch.int(a.axis, r)));
  });
  set(np, 'stack(arrays, axis=0, out=None)', (a, r) => out(F.stack(many(a.arrays, r), torch.int(a.axis, r))));
  set(np, 'vstack(tup)', (a, r) => out(F.cat(many(a.tup, r).map((t) => atLeast(t, 2)), 0)));
  set(np, 'hstack(tup)', (a, r) => {
    const ts = many(a.tup, r).map((t) => atLeast(t, 1));
    return out(F.cat(ts, ts[0].rank === 1 ? 0 : 1));
  });
}

/** A new array of `shape` whose element i is fill(i). */
function filled(shape: number[], d: TensorDType, fill: (i: number) => number): Tensor {
  const t = F.zeros(shape, d);
  const data = t.data;
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return t;
}
