/**
 * torch.* and torch.nn.functional.* for the interpreter, with PyTorch's signatures. Activations
 * called as functions inside a forward (`F.relu(self.fc1(x))`) run through a layer of their own
 * per call site, so the trace measures them and a finding lands on that line. Losses record which
 * loss the model trains with and where it is written.
 */
import { isGradEnabled, setGradEnabled } from '../../../engine/context';
import type { TensorDType } from '../../../engine/dtype';
import * as F from '../../../engine/functional';
import * as enn from '../../../engine/nn';
import { broadcastShape } from '../../../engine/shape';
import { Tensor } from '../../../engine/tensor';
import { LAYERS, LayerType } from '../../catalogue';
import { LOSSES, LossType } from '../../catalogue/losses';
import type { ArgValue } from '../../graph';
import type { Expr, Range } from '../ast';
import { CantFollow } from '../errors';
import { Bound, native } from '../native';
import { isInt, OBJECT, PyBoundMethod, PyBuiltin, PyClass, PyFunction, PyList, PyOpaque, PyTuple, typeName, Value } from '../values';
import { ArrayObj, inOtherDtype, NativeObj, TensorObj, Torch } from './runtime';
import { lossReduction, lossWeight } from './training';
import { UNARY_MATH } from './elementwise';
import { adaptiveSize, nearestOnly, noIndices, upsampleArgs } from './engine-layers';
import { paddingOfString } from './layer-args';
import { given } from './draws';
import { bernoulliDraw, fromPython, namedPair, norm } from './tensor';
import { topk } from './topk';

/** Where a loss was computed and with what: the loss the model trains with, for the rules and the fixes. */
export interface LossUse {
  type: LossType;
  args: Record<string, ArgValue>;
  /** The call a fix of the loss edits: the loss object's construction, or the F.* call. */
  call: Extract<Expr, { k: 'call' }> | null;
  functional: boolean;
  /** The loss object's construction (`nn.CrossEntropyLoss()`) or the F.* call. */
  created: Range;
  callee: Range;
  /** Where it was applied. */
  applied: Range;
  /** Weights outside any layer act between the last layer and the loss (see weightsAfterLayers). */
  weightsAfterLayers?: true;
}

/**
 * Whether the loss's input was computed from a weight outside any layer after the last layer ran:
 * makemore's `logits = h @ W2 + b2` after `h = torch.tanh(...)`. The last layer (the Tanh) then
 * does not feed the loss, and what the rules say of a last activation before a loss does not hold.
 * Walks the input's history back through ops no layer ran, stopping at each layer's output.
 */
export function weightsAfterLayers(input: Tensor): boolean {
  const seen = new Set<Tensor>();
  const stack = [input];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || seen.size > 10000) continue;
    seen.add(t);
    if (!t.node) {
      if (t.requiresGrad && t !== input) return true;
      continue;
    }
    if (t.node.layer !== null) continue;
    stack.push(...t.node.inputs);
  }
  return false;
}

/** A functional activation's layer, one per call site (and arguments). */
export interface FunctionalSite {
  module: enn.Module;
  type: LayerType;
  node: Extract<Expr, { k: 'call' }> | null;
  /** The enclosing module's path ('' at the top level). */
  parent: string;
  /**
   * The module instance whose forward made the call, when it was called as `module(x)`: two models
   * of one class each have their own site, so a model run once before another is trained (a
   * notebook's untrained look at a batch) does not hold the trained one's log_softmax.
   */
  owner?: enn.Module;
  call: Range;
  callee: Range;
}

const ACTIVATIONS: Record<string, LayerType> = {
  relu: 'ReLU',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  leaky_relu: 'LeakyReLU',
  elu: 'ELU',
  gelu: 'GELU',
  softplus: 'Softplus',
  softmax: 'Softmax',
  log_softmax: 'LogSoftmax',
};

/** 1-based line of an offset, for a functional layer's name. */
function moduleStem(path: string): string {
  return (path.split(/[\\/]/).pop() ?? '').replace(/\.py$/, '');
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const OWNER_IDS = new WeakMap<enn.Module, number>();
let nextOwnerId = 0;
function ownerId(m: enn.Module): number {
  let id = OWNER_IDS.get(m);
  if (id === undefined) OWNER_IDS.set(m, (id = nextOwnerId++));
  return id;
}

/**
 * Applies a catalogue activation as a function at call site `r`: through an engine layer kept per
 * site, named `<fn>@<line>` under the module whose forward calls it.
 */
export function functionalActivation(torch: Torch, fn: string, x: Tensor, args: Record<string, ArgValue>, r: Range): Tensor {
  const type = ACTIVATIONS[fn];
  const parent = torch.currentPath();
  const owner = torch.callers.length ? torch.callers[torch.callers.length - 1] : undefined;
  const key = `${r.file ?? ''}:${r.start}:${r.end}:${parent}:${JSON.stringify(args)}:${owner ? ownerId(owner) : ''}`;
  let site = torch.functionals.get(key);
  if (!site) {
    const module = LAYERS[type].build({ ...defaultsOf(type), ...args }, { dtype: torch.dtype, rng: torch.rng, dropoutRng: torch.dropoutRng }, []);
    // Written in an imported file: its name and line (`relu@net:12`), the script's lines alone being ambiguous.
    const imported = r.file !== undefined ? torch.interp.imported.get(r.file) : undefined;
    const name = imported ? `${fn}@${moduleStem(imported.path)}:${lineOf(imported.text, r.start)}` : `${fn}@${lineOf(torch.text, r.start)}`;
    module.path = parent ? `${parent}.${name}` : name;
    site = { module, type, node: torch.interp.callNode, parent, call: r, callee: torch.interp.callee ?? r, ...(owner ? { owner } : {}) };
    torch.functionals.set(key, site);
  }
  site.module.training = true;
  return site.module.call(x);
}

function defaultsOf(type: LayerType): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const a of LAYERS[type].args) if (a.default !== undefined) out[a.name] = a.default as ArgValue;
  return out;
}

/** The dim argument of softmax: PyTorch's implicit choice when None (0 for 0-, 1- and 3-d input, else 1). */
function softmaxDim(torch: Torch, dim: Value, x: Tensor, r: Range): number {
  if (dim !== null) return torch.int(dim, r, 'dim');
  return x.rank === 0 || x.rank === 1 || x.rank === 3 ? 0 : 1;
}

export function makeFunctions(torch: Torch): { torchFns: Record<string, Value>; functional: Record<string, Value> } {
  const wrap = (t: Tensor | Tensor[]) => torch.wrapAny(t);
  const T_ = (v: Value, r: Range, what = 'input') => torch.tensorOf(v, r, what);
  const fns: Record<string, Value> = {};
  const fn = (into: Record<string, Value>, sig: string, impl: (a: Bound, r: Range) => Value) => {
    // torch.* native functions take NumPy's keepdims=/axis=; F.* and torch.norm are Python in PyTorch.
    const b = native(sig, impl, { numpyNames: into === fns && !sig.startsWith('norm(') });
    into[b.name] = b;
    return b;
  };
  const functional: Record<string, Value> = {};
  const dtypeOr = (v: Value, r: Range, d: TensorDType) => torch.dtypeArg(v, r) ?? d;
  const finish = (t: Tensor, a: Bound, r: Range) => {
    if (a.requires_grad !== undefined && torch.bool(a.requires_grad, r)) t.requiresGrad = true;
    return wrap(t);
  };

  // ── creation ─────────────────────────────────────────────────────────────
  fn(fns, 'tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False)', (a, r) => {
    // An array's values are copied in its own dtype (float64 stays double), unless dtype= says otherwise.
    const t = a.data instanceof ArrayObj ? F.clone(F.to(a.data.t, torch.dtypeArg(a.dtype, r) ?? a.data.t.dtype)) : fromPython(torch, a.data, r, torch.dtypeArg(a.dtype, r));
    return finish(t, a, r);
  });
  fn(fns, 'as_tensor(data, dtype=None, device=None)', (a, r) => {
    if (a.data instanceof TensorObj) return a.data;
    // An array of the asked dtype is shared, as torch.as_tensor does; else copied.
    if (a.data instanceof ArrayObj) return wrap(F.to(F.detach(a.data.t), torch.dtypeArg(a.dtype, r) ?? a.data.t.dtype));
    return wrap(fromPython(torch, a.data, r, torch.dtypeArg(a.dtype, r)));
  });
  for (const [name, make] of [
    ['zeros', (s: number[], d: TensorDType) => F.zeros(s, d)],
    ['ones', (s: number[], d: TensorDType) => F.ones(s, d)],
    ['empty', (s: number[], d: TensorDType) => F.zeros(s, d)],
    ['rand', (s: number[], d: TensorDType) => given(torch, s, d) ?? F.rand(s, torch.rng, d)],
    ['randn', (s: number[], d: TensorDType) => given(torch, s, d) ?? F.randn(s, torch.rng, d)],
  ] as const) {
    // The shape as arguments, one sequence, or by keyword (torch.empty(size=(n, m)), as the GAT example writes it).
    fn(fns, `${name}(*dims, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, generator=None, pin_memory=False, memory_format=None)`, (a, r) => {
      const dims = a.__varargs ?? [];
      if (a.size !== null && dims.length) return torch.interp.raise('TypeError', `${name}() got multiple values for argument 'size'`, r);
      return finish(make(torch.shapeArgs(a.size !== null ? [a.size] : dims, r), dtypeOr(a.dtype, r, torch.dtype) as 'float32'), a, r);
    });
  }
  // normal(mean, std): tensors or numbers, the draw in their broadcast shape; with numbers only, size gives it.
  // A draw: mean + std × a standard normal, which the parity harness can feed as it feeds randn.
  fn(fns, 'normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) => {
    const mean = a.mean instanceof TensorObj ? F.detach(a.mean.t) : torch.number(a.mean, r);
    const std = a.std instanceof TensorObj ? F.detach(a.std.t) : torch.number(a.std, r);
    const tensorIn = [mean, std].filter((v): v is Tensor => v instanceof Tensor);
    if (!tensorIn.length && a.size === null) return torch.interp.raise('TypeError', 'normal() received an invalid combination of arguments: with a float mean and std, size is required', r);
    const stds = typeof std === 'number' ? [std] : std.data;
    for (const s of stds) if (!(s >= 0)) return torch.interp.raise('RuntimeError', `normal expects std >= 0.0, but found std ${s}`, r);
    const shape = tensorIn.length ? tensorIn.map((t) => t.shape).reduce((x, y) => broadcastShape(x, y), [] as number[]) : torch.ints(a.size, r);
    const dtype = tensorIn[0]?.dtype ?? dtypeOr(a.dtype, r, torch.dtype);
    const z = given(torch, shape, dtype) ?? F.randn(shape, torch.rng, dtype as 'float32');
    let out = F.add(F.mul(z, std), mean);
    // PyTorch's draw stays on the graph of a mean or std that requires grad, passing them zeros.
    for (const v of [a.mean, a.std]) if (v instanceof TensorObj && v.t.requiresGrad) out = F.add(out, F.mul(F.sub(v.t, F.detach(v.t)), 0));
    return finish(out, a, r);
  });
  fn(fns, 'bernoulli(input, p=None, *, generator=None, out=None)', (a, r) => wrap(bernoulliDraw(torch, T_(a.input, r), a.p, r)));
  for (const [name, make] of [
    ['zeros_like', (x: Tensor, d: TensorDType) => F.zeros(x.shape, d)],
    ['ones_like', (x: Tensor, d: TensorDType) => F.ones(x.shape, d)],
    ['empty_like', (x: Tensor, d: TensorDType) => F.zeros(x.shape, d)],
    ['rand_like', (x: Tensor, d: TensorDType) => given(torch, x.shape, d) ?? F.rand(x.shape, torch.rng, d as 'float32')],
    ['randn_like', (x: Tensor, d: TensorDType) => given(torch, x.shape, d) ?? F.randn(x.shape, torch.rng, d as 'float32')],
  ] as const) {
    fn(fns, `${name}(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)`, (a, r) => {
      const x = T_(a.input, r);
      return finish(make(x, dtypeOr(a.dtype, r, x.dtype)), a, r);
    });
  }
  fn(fns, 'full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) =>
    finish(F.full(torch.ints(a.size, r), typeof a.fill_value === 'boolean' ? a.fill_value : torch.number(a.fill_value, r), torch.dtypeArg(a.dtype, r) ?? fullDtype(torch, a.fill_value)), a, r),
  );
  fn(fns, 'full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)', (a, r) => {
    const x = T_(a.input, r);
    return finish(F.full(x.shape, torch.number(a.fill_value, r), dtypeOr(a.dtype, r, x.dtype)), a, r);
  });
  fn(fns, 'arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) => {
    const allInt = [a.start, a.end ?? 0n, a.step].every((v) => isInt(v));
    const d = torch.dtypeArg(a.dtype, r) ?? (allInt ? 'int64' : torch.dtype);
    const t = a.end === null ? F.arange(torch.number(a.start, r), undefined, 1, d) : F.arange(torch.number(a.start, r), torch.number(a.end, r), torch.number(a.step, r), d);
    return finish(t, a, r);
  });
  fn(fns, 'linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) =>
    finish(F.linspace(torch.number(a.start, r), torch.number(a.end, r), torch.int(a.steps, r), dtypeOr(a.dtype, r, torch.dtype) as 'float32'), a, r),
  );
  fn(fns, 'eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) =>
    finish(F.eye(torch.int(a.n, r), a.m === null ? undefined : torch.int(a.m, r), dtypeOr(a.dtype, r, torch.dtype) as 'float32'), a, r),
  );
  // randint(high, size) or randint(low, high, size), each also by keyword (torch.randint(10, size=(1,))).
  fn(fns, 'randint(*args, low=None, high=None, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) => {
    const pos = [...(a.__varargs ?? [])];
    const size = a.size ?? pos.pop();
    const high = a.high ?? pos.pop();
    const low = a.low ?? pos.pop() ?? 0n;
    if (size === undefined || high === undefined || pos.length) return torch.interp.raise('TypeError', 'randint() takes (low=0, high, size) as arguments', r);
    return wrap(F.randint(torch.int(low, r), torch.int(high, r), torch.ints(size, r), torch.rng, dtypeOr(a.dtype, r, 'int64')));
  });
  fn(fns, 'randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False)', (a, r) => {
    const n = torch.int(a.n, r);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(torch.rng.uniform() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return wrap(F.tensor(idx, [n], dtypeOr(a.dtype, r, 'int64')));
  });

  // ── joining and views ────────────────────────────────────────────────────
  const tensors = (v: Value, r: Range) => torch.interp.toArray(v, r).map((t) => T_(t, r, 'tensors'));
  fn(fns, 'cat(tensors, dim=0, *, out=None)', (a, r) => wrap(F.cat(tensors(a.tensors, r), torch.int(a.dim, r))));
  fns.concat = fns.cat;
  fns.concatenate = fns.cat;
  fn(fns, 'stack(tensors, dim=0, *, out=None)', (a, r) => wrap(F.stack(tensors(a.tensors, r), torch.int(a.dim, r))));
  // meshgrid(*tensors, indexing): each 1-D input repeated along the others' axes ('xy' swaps the
  // first two, as NumPy); views of the inputs, so a gradient flows back as in PyTorch.
  fn(fns, 'meshgrid(*tensors, indexing=None)', (a, r) => {
    const given = a.__varargs ?? [];
    const xs = given.length === 1 && !(given[0] instanceof TensorObj) ? tensors(given[0], r) : given.map((t) => T_(t, r, 'tensors'));
    const indexing = a.indexing ?? 'ij';
    if (indexing !== 'ij' && indexing !== 'xy') return torch.interp.raise('RuntimeError', `torch.meshgrid: indexing must be one of "xy" or "ij", but received: ${String(indexing)}`, r);
    for (const x of xs) if (x.shape.length > 1) torch.interp.raise('RuntimeError', `torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ${x.shape.length}D`, r);
    const axis = (i: number) => (indexing === 'xy' && xs.length > 1 && i < 2 ? 1 - i : i);
    const shape = xs.map((_, i) => xs[xs.findIndex((__, j) => axis(j) === i)].size);
    return wrap(
      xs.map((x, i) => {
        const along = shape.map((_, d) => (d === axis(i) ? x.size : 1));
        return F.expand(F.reshape(x, along), shape);
      }),
    );
  });
  fn(fns, 'split(tensor, split_size_or_sections, dim=0)', (a, r) => {
    const s = a.split_size_or_sections;
    return wrap(F.split(T_(a.tensor, r), isInt(s) ? torch.int(s, r) : torch.ints(s, r), torch.int(a.dim, r)));
  });
  fn(fns, 'chunk(input, chunks, dim=0)', (a, r) => wrap(F.chunk(T_(a.input, r), torch.int(a.chunks, r), torch.int(a.dim, r))));
  fn(fns, 'unbind(input, dim=0)', (a, r) => wrap(F.unbind(T_(a.input, r), torch.int(a.dim, r))));
  fn(fns, 'flatten(input, start_dim=0, end_dim=-1)', (a, r) => wrap(F.flatten(T_(a.input, r), torch.int(a.start_dim, r), torch.int(a.end_dim, r))));
  fn(fns, 'reshape(input, shape)', (a, r) => wrap(F.reshape(T_(a.input, r), torch.ints(a.shape, r))));
  fn(fns, 'transpose(input, dim0, dim1)', (a, r) => wrap(F.transpose(T_(a.input, r), torch.int(a.dim0, r), torch.int(a.dim1, r))));
  fn(fns, 'permute(input, dims)', (a, r) => wrap(F.permute(T_(a.input, r), torch.ints(a.dims, r))));
  fn(fns, 'squeeze(input, dim=None)', (a, r) => wrap(F.squeeze(T_(a.input, r), a.dim === null ? undefined : torch.int(a.dim, r))));
  fn(fns, 'unsqueeze(input, dim)', (a, r) => wrap(F.unsqueeze(T_(a.input, r), torch.int(a.dim, r))));
  fn(fns, 'gather(input, dim, index, *, sparse_grad=False, out=None)', (a, r) => wrap(F.gather(T_(a.input, r), torch.int(a.dim, r), T_(a.index, r, 'index'))));
  fn(fns, 'index_select(input, dim, index, *, out=None)', (a, r) => wrap(F.indexSelect(T_(a.input, r), torch.int(a.dim, r), T_(a.index, r, 'index'))));
  fn(fns, 'masked_fill(input, mask, value)', (a, r) => wrap(F.maskedFill(T_(a.input, r), T_(a.mask, r, 'mask'), torch.operand(a.value, r))));
  fn(fns, 'where(condition, input=None, other=None, *, out=None)', (a, r) => {
    if (a.input === null) return new PyOpaque('torch.where(condition) (indices)', r);
    return wrap(F.where(T_(a.condition, r, 'condition'), torch.operand(a.input, r), torch.operand(a.other, r)));
  });
  fn(fns, 'tril(input, diagonal=0, *, out=None)', (a, r) => wrap(F.tril(T_(a.input, r), torch.int(a.diagonal, r))));
  fn(fns, 'triu(input, diagonal=0, *, out=None)', (a, r) => wrap(F.triu(T_(a.input, r), torch.int(a.diagonal, r))));
  fn(fns, 'cumsum(input, dim, *, dtype=None, out=None)', (a, r) => wrap(F.cumsum(T_(a.input, r), torch.int(a.dim, r))));
  fn(fns, 'flip(input, dims)', (a, r) => wrap(F.flip(T_(a.input, r), torch.ints(a.dims, r))));
  fn(fns, 'roll(input, shifts, dims=None)', (a, r) => wrap(F.roll(T_(a.input, r), torch.ints(a.shifts, r), a.dims === null ? undefined : torch.ints(a.dims, r))));
  fn(fns, 'matmul(input, other, *, out=None)', (a, r) => wrap(F.matmul(T_(a.input, r), T_(a.other, r, 'other'))));
  fns.mm = fns.matmul;
  fn(fns, 'bmm(input, mat2, *, out=None)', (a, r) => wrap(F.bmm(T_(a.input, r), T_(a.mat2, r, 'mat2'))));
  fn(fns, 'einsum(equation, *operands)', (_a, r) => {
    throw new CantFollow(new PyOpaque('torch.einsum', r), r);
  });

  // ── elementwise and reductions ───────────────────────────────────────────
  for (const [name, op] of Object.entries(UNARY_MATH)) fn(fns, `${name}(input, *, out=None)`, (a, r) => wrap(op(T_(a.input, r))));
  const binary: Record<string, (x: F.Operand, y: F.Operand) => Tensor> = {
    add: F.add,
    sub: F.sub,
    mul: F.mul,
    div: F.div,
    pow: F.pow,
    remainder: F.remainder,
    floor_divide: F.floorDivide,
    eq: F.eq,
    ne: F.ne,
    lt: F.lt,
    le: F.le,
    gt: F.gt,
    ge: F.ge,
    logical_and: F.logicalAnd,
    logical_or: F.logicalOr,
  };
  for (const [name, op] of Object.entries(binary)) fn(fns, `${name}(input, other, *, out=None)`, (a, r) => wrap(op(torch.operand(a.input, r, 'input'), torch.operand(a.other, r))));
  fns.multiply = fns.mul;
  fns.divide = fns.div;
  fns.subtract = fns.sub;
  fn(fns, 'maximum(input, other, *, out=None)', (a, r) => wrap(F.maximum(T_(a.input, r), T_(a.other, r, 'other'))));
  fn(fns, 'minimum(input, other, *, out=None)', (a, r) => wrap(F.minimum(T_(a.input, r), T_(a.other, r, 'other'))));
  fn(fns, 'clamp(input, min=None, max=None, *, out=None)', (a, r) =>
    wrap(F.clamp(T_(a.input, r), a.min === null ? null : torch.number(a.min, r), a.max === null ? null : torch.number(a.max, r))),
  );
  fns.clip = fns.clamp;
  const dims = (v: Value, r: Range): number | number[] | null => (v === null ? null : v instanceof PyTuple || v instanceof PyList ? torch.ints(v, r) : torch.int(v, r, 'dim'));
  fn(fns, 'sum(input, dim=None, keepdim=False, *, dtype=None)', (a, r) => wrap(F.sum(T_(a.input, r), dims(a.dim, r), torch.bool(a.keepdim, r))));
  fn(fns, 'mean(input, dim=None, keepdim=False, *, dtype=None)', (a, r) => wrap(F.mean(T_(a.input, r), dims(a.dim, r), torch.bool(a.keepdim, r))));
  for (const which of ['max', 'min'] as const) {
    fn(fns, `${which}(input, dim=None, keepdim=False, *, out=None)`, (a, r) => {
      const x = T_(a.input, r);
      if (a.dim instanceof TensorObj) return wrap(which === 'max' ? F.maximum(x, a.dim.t) : F.minimum(x, a.dim.t));
      if (a.dim === null) return wrap(which === 'max' ? F.max(x) : F.min(x));
      const [v, i] = (which === 'max' ? F.maxDim : F.minDim)(x, torch.int(a.dim, r), torch.bool(a.keepdim, r));
      return namedPair(torch, which, v, i);
    });
  }
  fn(fns, 'topk(input, k, dim=-1, largest=True, sorted=True, *, out=None)', (a, r) => {
    const [v, i] = topk(torch, T_(a.input, r), torch.int(a.k, r, 'k'), torch.int(a.dim, r, 'dim'), torch.bool(a.largest, r), r);
    return namedPair(torch, 'topk', v, i);
  });
  fn(fns, 'argmax(input, dim=None, keepdim=False)', (a, r) => wrap(F.argmax(T_(a.input, r), torch.intOrNull(a.dim, r), torch.bool(a.keepdim, r))));
  fn(fns, 'argmin(input, dim=None, keepdim=False)', (a, r) => wrap(F.argmin(T_(a.input, r), torch.intOrNull(a.dim, r), torch.bool(a.keepdim, r))));
  fn(fns, 'std(input, dim=None, unbiased=True, keepdim=False, *, correction=None)', (a, r) =>
    wrap(F.std(T_(a.input, r), dims(a.dim, r), a.correction !== null ? torch.int(a.correction, r) : torch.bool(a.unbiased, r) ? 1 : 0, torch.bool(a.keepdim, r))),
  );
  fn(fns, 'var(input, dim=None, unbiased=True, keepdim=False, *, correction=None)', (a, r) =>
    wrap(F.variance(T_(a.input, r), dims(a.dim, r), a.correction !== null ? torch.int(a.correction, r) : torch.bool(a.unbiased, r) ? 1 : 0, torch.bool(a.keepdim, r))),
  );
  fn(fns, 'logsumexp(input, dim, keepdim=False, *, out=None)', (a, r) => wrap(F.logsumexp(T_(a.input, r), dims(a.dim, r), torch.bool(a.keepdim, r))));
  fn(fns, 'norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None)', (a, r) => wrap(norm(torch, T_(a.input, r), a.p, dims(a.dim, r), torch.bool(a.keepdim, r), r)));
  fn(fns, 'all(input, dim=None, keepdim=False)', (a, r) => wrap(F.bool(F.min(F.bool(T_(a.input, r)), dims(a.dim, r), torch.bool(a.keepdim, r)))));
  fn(fns, 'any(input, dim=None, keepdim=False)', (a, r) => wrap(F.bool(F.max(F.bool(T_(a.input, r)), dims(a.dim, r), torch.bool(a.keepdim, r)))));
  fn(fns, 'numel(input)', (a, r) => BigInt(T_(a.input, r).size));
  fn(fns, 'is_tensor(obj)', (a) => a.obj instanceof TensorObj);
  fn(fns, 'is_floating_point(input)', (a, r) => T_(a.input, r).isFloatingPoint);

  // ── activations (functional: a layer per call site inside a model) ───────
  const act = (name: string, sig: string, args: (a: Bound, r: Range, x: Tensor) => Record<string, ArgValue>) => {
    const impl = (a: Bound, r: Range) => {
      const x = T_(a.input, r);
      return wrap(functionalActivation(torch, name, x, args(a, r, x), r));
    };
    fn(functional, sig, impl);
    if (name === 'relu' || name === 'sigmoid' || name === 'tanh' || name === 'softmax' || name === 'log_softmax') fn(fns, sig, impl);
  };
  act('relu', 'relu(input, inplace=False)', () => ({}));
  act('sigmoid', 'sigmoid(input)', () => ({}));
  act('tanh', 'tanh(input)', () => ({}));
  act('leaky_relu', 'leaky_relu(input, negative_slope=0.01, inplace=False)', (a, r) => ({ negative_slope: torch.number(a.negative_slope, r) }));
  act('elu', 'elu(input, alpha=1.0, inplace=False)', (a, r) => ({ alpha: torch.number(a.alpha, r) }));
  act('gelu', "gelu(input, approximate='none')", (a) => ({ approximate: String(a.approximate) }));
  act('softplus', 'softplus(input, beta=1, threshold=20)', (a, r) => ({ beta: torch.number(a.beta, r), threshold: torch.number(a.threshold, r) }));
  act('softmax', 'softmax(input, dim=None, _stacklevel=3, dtype=None)', (a, r, x) => ({ dim: softmaxDim(torch, a.dim, x, r) }));
  act('log_softmax', 'log_softmax(input, dim=None, _stacklevel=3, dtype=None)', (a, r, x) => ({ dim: softmaxDim(torch, a.dim, x, r) }));
  // Compositions PyTorch writes as one kernel: the same values and gradients, made of the engine's ops.
  fn(functional, 'silu(input, inplace=False)', (a, r) => {
    const x = T_(a.input, r);
    return wrap(F.mul(x, functionalActivation(torch, 'sigmoid', x, {}, r)));
  });
  fn(functional, 'relu6(input, inplace=False)', (a, r) => wrap(F.clamp(T_(a.input, r), 0, 6)));
  fn(functional, 'hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False)', (a, r) => wrap(F.clamp(T_(a.input, r), torch.number(a.min_val, r), torch.number(a.max_val, r))));
  fn(functional, 'normalize(input, p=2.0, dim=1, eps=1e-12, out=None)', (a, r) => {
    const x = T_(a.input, r);
    return wrap(F.div(x, F.clamp(norm(torch, x, a.p, torch.int(a.dim, r), true, r), torch.number(a.eps, r), null)));
  });
  fn(functional, 'one_hot(tensor, num_classes=-1)', (a, r) => {
    const x = T_(a.tensor, r);
    let n = torch.int(a.num_classes, r);
    if (n < 0) n = F.max(x).item() + 1;
    return wrap(F.long(F.eq(F.unsqueeze(x, -1), F.arange(0, n, 1, 'int64'))));
  });

  // ── layers as functions ──────────────────────────────────────────────────
  const pairOf = (v: Value, r: Range): number | [number, number] => {
    const l = torch.ints(v, r);
    return l.length === 1 ? l[0] : [l[0], l[1]];
  };
  fn(functional, 'linear(input, weight, bias=None)', (a, r) => wrap(F.linear(T_(a.input, r), T_(a.weight, r, 'weight'), a.bias === null ? null : T_(a.bias, r, 'bias'))));
  /** F.conv*d's padding: numbers, or 'valid'/'same' as nn.Conv*d reads them (one place: paddingOfString). */
  const convPadding = (a: Bound, spatial: 1 | 2, name: string, r: Range): number[] => {
    if (typeof a.padding !== 'string') return torch.ints(a.padding, r);
    const kernel = T_(a.weight, r).shape.slice(2);
    const spread = (v: Value) => {
      const l = torch.ints(v, r);
      return l.length === 1 ? Array<number>(spatial).fill(l[0]) : l;
    };
    if (kernel.length !== spatial) return [0];
    const pads = paddingOfString(a.padding, kernel, spread(a.dilation), spread(a.stride).every((s) => s === 1));
    if (!pads) throw new CantFollow(new PyOpaque(`${name}(padding='${a.padding}')`, r), r);
    return pads;
  };
  fn(functional, 'conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)', (a, r) => {
    const [padding] = convPadding(a, 1, 'conv1d', r);
    return wrap(F.conv1d(T_(a.input, r), T_(a.weight, r), a.bias === null ? null : T_(a.bias, r), torch.int(a.stride, r), padding, torch.int(a.groups, r), torch.int(a.dilation, r)));
  });
  fn(functional, 'conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)', (a, r) => {
    const pads = convPadding(a, 2, 'conv2d', r);
    const padding: number | [number, number] = pads.length === 1 ? pads[0] : [pads[0], pads[1]];
    return wrap(F.conv2d(T_(a.input, r), T_(a.weight, r), a.bias === null ? null : T_(a.bias, r), pairOf(a.stride, r), padding, torch.int(a.groups, r), pairOf(a.dilation, r)));
  });
  // The engine's transposed convolution has no channel groups: groups other than 1 are not followed.
  const ungrouped = (a: Bound, name: string, r: Range) => {
    if (torch.int(a.groups, r) !== 1) throw new CantFollow(new PyOpaque(`${name}(groups=...) other than 1`, r), r);
  };
  fn(functional, 'conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)', (a, r) => {
    ungrouped(a, 'conv_transpose1d', r);
    const b = a.bias === null ? null : T_(a.bias, r);
    return wrap(F.convTranspose1d(T_(a.input, r), T_(a.weight, r), b, torch.int(a.stride, r), torch.int(a.padding, r), torch.int(a.output_padding, r), torch.int(a.dilation, r)));
  });
  fn(functional, 'conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)', (a, r) => {
    ungrouped(a, 'conv_transpose2d', r);
    const b = a.bias === null ? null : T_(a.bias, r);
    return wrap(F.convTranspose2d(T_(a.input, r), T_(a.weight, r), b, pairOf(a.stride, r), pairOf(a.padding, r), pairOf(a.output_padding, r), pairOf(a.dilation, r)));
  });
  fn(functional, 'max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)', (a, r) => {
    if (torch.bool(a.return_indices, r)) throw new CantFollow(new PyOpaque('max_pool1d with return_indices', r), r);
    return wrap(F.maxPool1d(T_(a.input, r), torch.int(a.kernel_size, r), a.stride === null ? null : torch.int(a.stride, r), torch.int(a.padding, r), torch.int(a.dilation, r), torch.bool(a.ceil_mode, r)));
  });
  fn(functional, 'avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)', (a, r) => {
    const options = { ceilMode: torch.bool(a.ceil_mode, r), countIncludePad: torch.bool(a.count_include_pad, r) };
    return wrap(F.avgPool1d(T_(a.input, r), torch.int(a.kernel_size, r), a.stride === null ? null : torch.int(a.stride, r), torch.int(a.padding, r), options));
  });
  fn(functional, 'max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)', (a, r) => {
    if (torch.bool(a.return_indices, r)) throw new CantFollow(new PyOpaque('max_pool2d with return_indices', r), r);
    const k = pairOf(a.kernel_size, r);
    const s = a.stride === null || (a.stride instanceof PyTuple && !a.stride.items.length) ? null : pairOf(a.stride, r);
    return wrap(F.maxPool2d(T_(a.input, r), k, s, pairOf(a.padding, r), pairOf(a.dilation, r), torch.bool(a.ceil_mode, r)));
  });
  fn(functional, 'avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)', (a, r) => {
    const k = pairOf(a.kernel_size, r);
    const s = a.stride === null ? null : pairOf(a.stride, r);
    const divisor = a.divisor_override === null ? null : torch.int(a.divisor_override, r);
    if (divisor === 0) return torch.interp.raise('RuntimeError', 'divisor must be not zero', r);
    const options = { ceilMode: torch.bool(a.ceil_mode, r), countIncludePad: torch.bool(a.count_include_pad, r), divisorOverride: divisor };
    return wrap(F.avgPool2d(T_(a.input, r), k, s, pairOf(a.padding, r), options));
  });
  // torch.pixel_shuffle is F.pixel_shuffle (the same function in PyTorch).
  for (const [name, factor, shuffle] of [
    ['pixel_shuffle', 'upscale_factor', F.pixelShuffle],
    ['pixel_unshuffle', 'downscale_factor', F.pixelUnshuffle],
  ] as const) {
    functional[name] = fns[name] = fn(functional, `${name}(input, ${factor})`, (a, r) => wrap(shuffle(T_(a.input, r), torch.int(a[factor], r, `${name}(): argument '${factor}' (position 2)`))));
  }
  fn(functional, 'adaptive_avg_pool2d(input, output_size)', (a, r) => wrap(F.adaptiveAvgPool2d(T_(a.input, r), adaptiveSize(torch, a.output_size, r))));
  fn(functional, 'adaptive_max_pool2d(input, output_size, return_indices=False)', (a, r) => {
    noIndices(torch, a.return_indices, 'adaptive_max_pool2d', r);
    return wrap(F.adaptiveMaxPool2d(T_(a.input, r), adaptiveSize(torch, a.output_size, r)));
  });
  fn(functional, 'adaptive_max_pool1d(input, output_size, return_indices=False)', (a, r) => {
    noIndices(torch, a.return_indices, 'adaptive_max_pool1d', r);
    return wrap(F.adaptiveMaxPool1d(T_(a.input, r), a.output_size === null ? null : torch.int(a.output_size, r, 'output_size')));
  });
  // Element-wise and channel-wise (whole feature maps) dropout, both off under `trace: {dropout: false}`.
  for (const [name, drop] of [['dropout', F.dropout], ['dropout2d', F.dropout2d]] as const) {
    fn(functional, `${name}(input, p=0.5, training=True, inplace=False)`, (a, r) => {
      const p = torch.dropoutOff ? 0 : torch.number(a.p, r);
      return wrap(drop(T_(a.input, r), p, torch.bool(a.training, r), torch.dropoutRng));
    });
  }
  fn(functional, 'embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False)', (a, r) =>
    wrap(F.embedding(T_(a.input, r), T_(a.weight, r, 'weight'), torch.intOrNull(a.padding_idx, r))),
  );
  fn(functional, 'layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05)', (a, r) =>
    wrap(F.layerNorm(T_(a.input, r), torch.ints(a.normalized_shape, r), a.weight === null ? null : T_(a.weight, r), a.bias === null ? null : T_(a.bias, r), torch.number(a.eps, r))),
  );
  fn(functional, 'batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05)', (a, r) =>
    wrap(
      F.batchNorm(T_(a.input, r), {
        runningMean: a.running_mean === null ? null : T_(a.running_mean, r).data,
        runningVar: a.running_var === null ? null : T_(a.running_var, r).data,
        weight: a.weight === null ? null : T_(a.weight, r),
        bias: a.bias === null ? null : T_(a.bias, r),
        training: torch.bool(a.training, r),
        momentum: torch.number(a.momentum, r),
        eps: torch.number(a.eps, r),
      }),
    ),
  );
  fn(functional, 'pad(input, pad, mode="constant", value=None)', (a, r) => {
    if (a.mode === 'reflect') return wrap(F.reflectionPad(T_(a.input, r), torch.ints(a.pad, r, 'pad')));
    if (a.mode !== 'constant') throw new CantFollow(new PyOpaque(`F.pad(mode='${String(a.mode)}')`, r), r);
    return wrap(F.constantPad(T_(a.input, r), torch.ints(a.pad, r, 'pad'), a.value === null ? 0 : torch.number(a.value, r, 'value')));
  });
  fn(functional, "interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None, antialias=False)", (a, r) => {
    nearestOnly(torch, a, r, 'F.interpolate');
    const x = T_(a.input, r);
    return wrap(new enn.UpsampleNearest(...upsampleArgs(torch, a, r)).forward(x));
  });

  // ── losses ───────────────────────────────────────────────────────────────
  const loss = (name: string, type: LossType, extra: string, check?: (a: Bound, r: Range) => Record<string, ArgValue> | void) =>
    fn(functional, `${name}(input, target${extra}, size_average=None, reduce=None, reduction='mean')`, (a, r) => {
      const args = { reduction: lossReduction(torch, a.reduction, r, a.size_average, a.reduce), ...(check?.(a, r) ?? {}) };
      const tensors = { weight: lossWeight(torch, a.weight ?? null, r, 'weight'), posWeight: lossWeight(torch, a.pos_weight ?? null, r, 'pos_weight') };
      const l = LOSSES[type].build(args, tensors);
      const target = T_(a.target, r, 'target');
      const input = T_(a.input, r);
      const out = l.call(input, target);
      refuseIntegerTarget(torch, type, target, out);
      const after = weightsAfterLayers(input) ? { weightsAfterLayers: true as const } : {};
      torch.noteLoss({ type, args, created: r, callee: torch.interp.callee ?? r, applied: r, call: torch.interp.callNode, functional: true, ...after });
      return wrap(out);
    });
  loss('mse_loss', 'MSELoss', '');
  loss('l1_loss', 'L1Loss', '');
  loss('huber_loss', 'HuberLoss', ', delta=1.0', (a, r) => ({ delta: torch.number(a.delta, r) }));
  loss('smooth_l1_loss', 'SmoothL1Loss', ', beta=1.0', (a, r) => ({ beta: torch.number(a.beta, r) }));
  loss('cross_entropy', 'CrossEntropyLoss', ', weight=None, ignore_index=-100, label_smoothing=0.0', (a, r) => ({
    ignore_index: torch.int(a.ignore_index, r),
    label_smoothing: torch.number(a.label_smoothing, r, 'label_smoothing'),
  }));
  loss('nll_loss', 'NLLLoss', ', weight=None, ignore_index=-100', (a, r) => ({ ignore_index: torch.int(a.ignore_index, r) }));
  loss('binary_cross_entropy', 'BCELoss', ', weight=None');
  loss('binary_cross_entropy_with_logits', 'BCEWithLogitsLoss', ', weight=None, pos_weight=None');

  // ── autograd mode, seeds, dtypes ─────────────────────────────────────────
  // `with torch.no_grad():` and `@torch.no_grad()` (or without the call, as newer PyTorch allows).
  const gradMode = (name: string, on: boolean) =>
    new PyClass(
      name,
      [OBJECT],
      {
        construct: (c, args, _k, r) => (args.length && !(args[0] instanceof TensorObj) ? decorateGrad(args[0], on, r) : new NativeObj(c, { on, prev: true })),
        enter: (self) => {
          const st = (self as NativeObj<{ on: boolean; prev: boolean }>).state;
          st.prev = setGradEnabled(st.on);
          return null;
        },
        exit: (self) => {
          setGradEnabled((self as NativeObj<{ on: boolean; prev: boolean }>).state.prev);
        },
        call: (_self, args, _k, r) => decorateGrad(args[0], on, r),
      },
      'torch',
    );
  fns.no_grad = gradMode('no_grad', false);
  fns.enable_grad = gradMode('enable_grad', true);
  fns.inference_mode = gradMode('inference_mode', false);
  // set_grad_enabled(mode) takes effect when called; as a context manager it puts the mode back after.
  fns.set_grad_enabled = new PyClass(
    'set_grad_enabled',
    [OBJECT],
    {
      construct: (c, args, _k, r) => new NativeObj(c, { prev: setGradEnabled(torch.bool(args[0] ?? true, r)) }),
      enter: () => null,
      exit: (self) => {
        setGradEnabled((self as NativeObj<{ prev: boolean }>).state.prev);
      },
    },
    'torch',
  );
  fn(fns, 'is_grad_enabled()', () => isGradEnabled());
  fn(fns, 'manual_seed(seed)', (a, r) => {
    torch.reseed(torch.int(a.seed, r));
    return null;
  });
  fn(fns, 'seed()', () => 0n);
  fn(fns, 'set_default_dtype(d)', (a, r) => {
    const d = torch.dtypeArg(a.d, r);
    if (d !== torch.dtype) throw inOtherDtype(String(d), `torch.set_default_dtype(${d}) in a ${torch.dtype} run (trace with --dtype ${d})`, r);
    return null;
  });
  fn(fns, 'get_default_dtype()', () => torch.dtypeObj(torch.dtype));
  for (const name of ['set_num_threads', 'set_num_interop_threads', 'set_printoptions', 'use_deterministic_algorithms', 'set_float32_matmul_precision', 'set_anomaly_enabled']) {
    fns[name] = new PyBuiltin(name, () => null);
  }
  fn(fns, 'save(obj, f, *args, **kwargs)', () => null);
  fn(fns, 'load(f, *args, **kwargs)', (_a, r) => new PyOpaque('torch.load (a saved file)', r));
  // Shares the array's memory and keeps its dtype (a float64 array gives a double tensor), as PyTorch's does.
  fn(fns, 'from_numpy(ndarray)', (a, r) => {
    if (a.ndarray instanceof ArrayObj && !a.ndarray.scalar) return wrap(F.detach(a.ndarray.t));
    if (a.ndarray instanceof PyOpaque) throw new CantFollow(a.ndarray, r);
    return torch.interp.raise('TypeError', `expected np.ndarray (got ${typeName(a.ndarray)})`, r);
  });
  fn(fns, 'compile(model=None, *args, **kwargs)', (a) => (a.model === null ? new PyBuiltin('compile', (args) => args[0]) : a.model));
  return { torchFns: fns, functional };
}

/** `@torch.no_grad()` on a function: calls run with gradients off. */
/** torch.full's dtype from its fill value: bool, int64 for a Python int, the default float type for a float (2.0 included). */
function fullDtype(torch: Torch, fill: Value): TensorDType | undefined {
  return typeof fill === 'boolean' ? undefined : isInt(fill) ? 'int64' : torch.dtype;
}

function decorateGrad(f: Value, on: boolean, r: Range): Value {
  if (!(f instanceof PyFunction || f instanceof PyBuiltin || f instanceof PyBoundMethod)) return new PyOpaque('a gradient-mode decorator on something other than a function', r);
  return new PyBuiltin(
    f instanceof PyFunction ? f.name : 'decorated',
    (args, kwargs, site) => {
      const prev = setGradEnabled(on);
      try {
        return site.interp.call(f, args, kwargs, site.r);
      } finally {
        setGradEnabled(prev);
      }
    },
  );
}


/**
 * MSELoss and HuberLoss compute on an integer target (`torch.arange(1, 11)`, class labels) but
 * PyTorch 1.13's backward() through them raises "Found dtype Long but expected Float": the trace
 * raises it there too rather than train what PyTorch would not.
 */
export function refuseIntegerTarget(torch: Torch, type: LossType, target: Tensor, out: Tensor): void {
  if ((type === 'MSELoss' || type === 'HuberLoss') && target.dtype === 'int64') torch.refusedBackward.set(out, 'Found dtype Long but expected Float');
}
