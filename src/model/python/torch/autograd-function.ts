/**
 * `torch.autograd.Function`: a subclass's static `forward(ctx, a, b, k, ...)` and `backward(ctx,
 * grad_output)`, applied with `.apply(...)` (the Legendre-polynomial tutorial), are one engine op
 * whose backward is the script's own: the engine's `custom` op, as a TypeScript model's customOp.
 * Its forward runs without the tape, as PyTorch runs it; `ctx.save_for_backward`, attributes set on
 * ctx, `ctx.needs_input_grad` and `ctx.mark_non_differentiable` work as in PyTorch. Every tensor
 * argument is an input (its gradient is backward's result at its position, None for none), other
 * arguments are constants whose gradient must be None. One tensor out; anything else is a
 * can't-follow at the apply call, never a guess. The calls are recorded for the custom-gradient
 * rule, which checks each input's gradient against finite differences (torch.autograd.gradcheck).
 */
import { currentLayer, isGradEnabled } from '../../../engine/context';
import { apply } from '../../../engine/dispatch';
import { isFloating } from '../../../engine/dtype';
import type { CustomOpManyFunctions } from '../../../engine/ops/custom';
import type { Slot } from '../../../engine/ops/types';
import { Tensor } from '../../../engine/tensor';
import type { CustomOpUse } from '../../custom-op';
import type { FunctionDef, Range } from '../ast';
import { CantFollow } from '../errors';
import type { Interpreter } from '../interpreter';
import { native } from '../native';
import { PyBuiltin, PyClass, PyClassMethod, PyFunction, PyInstance, PyOpaque, PyStaticMethod, PyTuple, T, typeName, Value } from '../values';
import { TensorObj, Torch } from './runtime';

/** A tensor argument as the rule re-runs it: a float64 copy. */
interface SeenTensor {
  shape: number[];
  data: Float64Array;
}

/** One Function's calls in a run: what the custom-gradient rule re-runs. */
interface FunctionUse {
  cls: PyClass;
  /** The ctx class a forward is given. */
  Ctx: PyClass;
  forward: Value;
  backward: Value;
  /** Arguments of the first and the latest call, tensors copied. */
  calls: (Value | SeenTensor)[][];
  layers: Set<string>;
  /** The `def backward` line. */
  range: Range;
  /** The forward's parameter names after ctx, for messages. */
  names: string[];
  /** Its output was marked non-differentiable: its backward never runs, nothing to check. */
  marked: boolean;
}

const uses = new WeakMap<Interpreter, Map<PyClass, FunctionUse>>();

export function makeAutogradFunction(torch: Torch): PyClass {
  const Ctx = new PyClass('FunctionCtx', [T.object], null, 'torch.autograd.function');
  Ctx.dict.set('save_for_backward', native('save_for_backward(self, *tensors)', (a) => {
    (a.self as PyInstance).dict.set('saved_tensors', new PyTuple(a.__varargs ?? []));
    return null;
  }, { method: true }));
  Ctx.dict.set('mark_non_differentiable', native('mark_non_differentiable(self, *tensors)', (a) => {
    const ctx = a.self as PyInstance;
    const before = ctx.dict.get(NON_DIFFERENTIABLE);
    ctx.dict.set(NON_DIFFERENTIABLE, new PyTuple([...(before instanceof PyTuple ? before.items : []), ...(a.__varargs ?? [])]));
    return null;
  }, { method: true }));
  const Function = new PyClass('Function', [T.object], null, 'torch.autograd');
  Function.frozen = true;
  Function.dict.set('apply', new PyClassMethod(new PyBuiltin('apply', (args, kwargs, site) => applyFunction(torch, Ctx, args[0] as PyClass, args.slice(1), site.r, kwargs !== null && kwargs.size > 0))));
  return Function;
}

/** Where ctx keeps what mark_non_differentiable was given (not a name a script would use). */
const NON_DIFFERENTIABLE = '__gl_non_differentiable__';

const unwrap = (v: Value | undefined) => (v instanceof PyStaticMethod ? v.fn : v);

function applyFunction(torch: Torch, Ctx: PyClass, cls: PyClass, args: Value[], r: Range, keywords: boolean): Value {
  const cantFollow = (what: string) => new CantFollow(new PyOpaque(`${what} (torch.autograd.Function ${cls.name})`, r), r);
  if (keywords) throw cantFollow('keyword arguments to a custom backward');
  const forward = unwrap(cls.lookup('forward'));
  const backward = unwrap(cls.lookup('backward'));
  if (forward === undefined || backward === undefined) throw cantFollow('a Function without its own forward and backward');
  const at = args.flatMap((v, i) => (v instanceof TensorObj ? [i] : []));
  const interp = torch.interp;
  const ctx = new PyInstance(Ctx);
  // PyTorch's ctx.needs_input_grad: one flag per forward argument.
  ctx.dict.set('needs_input_grad', new PyTuple(args.map((v) => v instanceof TensorObj && v.t.requiresGrad && isGradEnabled())));
  if (!at.length) return interp.call(forward, [ctx, ...args], null, r);
  const use = record(torch, Ctx, cls, forward, backward, args);
  let marked = false;
  // What ctx.save_for_backward kept, in the op's terms: PyTorch version-checks these, and a backward
  // after the graph was freed raises only through a Function that saved a tensor.
  let saved: { slots: Slot[]; besides: boolean } = { slots: [], besides: false };
  const fns: CustomOpManyFunctions = {
    name: cls.name,
    many: true,
    forward: (xs) => {
      const given = [...args];
      at.forEach((i, k) => (given[i] = torch.wrap(xs[k])));
      const y = interp.call(forward, [ctx, ...given], null, r);
      if (y instanceof PyTuple) throw cantFollow('a custom forward with several outputs');
      const off = ctx.dict.get(NON_DIFFERENTIABLE);
      marked = off instanceof PyTuple && off.items.includes(y);
      use.marked ||= marked;
      const out = torch.tensorOf(y, r, `${cls.name}.forward's result`);
      saved = savedBy(ctx, xs, out);
      return out;
    },
    saved: () => saved,
    backward: (_xs, _y, dy) => {
      const grads = gradients(torch, cls, interp.call(backward, [ctx, torch.wrap(dy)], null, r), args, r);
      return at.map((i) => grads[i]);
    },
  };
  const out = apply('custom', at.map((i) => (args[i] as TensorObj).t), fns);
  // An output marked non-differentiable is PyTorch's: no gradient flows back through it.
  return torch.wrap(marked ? apply('detach', [out], {}) : out);
}

/** The tensors ctx.save_for_backward was given, as inputs by index or the output, and whether another was among them. */
function savedBy(ctx: PyInstance, xs: readonly Tensor[], out: Tensor): { slots: Slot[]; besides: boolean } {
  const given = ctx.dict.get('saved_tensors');
  const slots: Slot[] = [];
  let besides = false;
  for (const v of given instanceof PyTuple ? given.items : []) {
    if (!(v instanceof TensorObj)) continue;
    const k = xs.indexOf(v.t);
    if (k >= 0) slots.push(k);
    else if (v.t === out) slots.push('output');
    else besides = true;
  }
  return { slots, besides };
}

/**
 * backward's result as one gradient per forward argument (null for None), checked as PyTorch
 * checks it: as many as the arguments (extra ones None), a tensor or None for a tensor argument,
 * None for any other.
 */
function gradients(torch: Torch, cls: PyClass, g: Value, args: Value[], r: Range): (Tensor | null)[] {
  const items = g instanceof PyTuple ? g.items : [g];
  if (items.length < args.length || items.slice(args.length).some((v) => v !== null)) {
    torch.interp.raise('RuntimeError', `function ${cls.name}Backward returned an incorrect number of gradients (expected ${args.length}, got ${items.length})`, r);
  }
  return args.map((a, i) => {
    const v = items[i];
    if (v === null) return null;
    if (v instanceof PyOpaque) throw new CantFollow(v, r);
    if (!(a instanceof TensorObj)) {
      return torch.interp.raise('RuntimeError', `function ${cls.name}Backward returned a gradient different than None at position ${i + 1}, but the corresponding forward input was not a Variable`, r);
    }
    if (!(v instanceof TensorObj)) return torch.interp.raise('RuntimeError', `expected Variable or None (got ${typeName(v)})`, r);
    return v.t;
  });
}

function record(torch: Torch, Ctx: PyClass, cls: PyClass, forward: Value, backward: Value, args: Value[]): FunctionUse {
  let byClass = uses.get(torch.interp);
  if (!byClass) uses.set(torch.interp, (byClass = new Map()));
  let use = byClass.get(cls);
  // Floating tensors are what the check perturbs: copied (the script may change them in place); an index tensor is kept as it is.
  const copy = args.map((v) => (v instanceof TensorObj && isFloating(v.t.dtype) ? { shape: [...v.t.shape], data: Float64Array.from(v.t.data) } : v));
  if (!use) {
    const def = backward instanceof PyFunction && (backward.body as FunctionDef).k === 'def' ? (backward.body as FunctionDef) : null;
    const params = forward instanceof PyFunction ? forward.params.slice(1).map((p) => p.name) : [];
    use = { cls, Ctx, forward, backward, calls: [copy], layers: new Set(), range: def?.nameR ?? (backward instanceof PyFunction ? backward.r : { start: 0, end: 0 }), names: params, marked: false };
    byClass.set(cls, use);
  } else {
    use.calls[1] = copy;
  }
  use.layers.add(currentLayer() ?? '');
  return use;
}

/**
 * The Functions a run applied, as the custom-gradient rule checks them: one use per floating
 * tensor argument, the others held at the values the call had, in float64.
 */
export function customFunctionUses(torch: Torch): CustomOpUse[] {
  const byClass = uses.get(torch.interp);
  if (!byClass) return [];
  const out: CustomOpUse[] = [];
  for (const use of byClass.values()) {
    if (use.marked) continue;
    const first = use.calls[0];
    const positions = first.flatMap((v, i) => (isSeen(v) ? [i] : []));
    const several = positions.length > 1;
    for (const i of positions) {
      const calls = use.calls.filter((c) => isSeen(c[i]) && c.length === first.length);
      out.push({
        name: use.cls.name,
        ...(several ? { input: use.names[i] ?? `input ${i + 1}` } : {}),
        forward: (x) => runForward(torch, use, calls[0], i, x).y,
        backward: (x, _y, dy) => {
          const { ctx, args } = runForward(torch, use, calls[0], i, x);
          const g = gradients(torch, use.cls, torch.interp.call(use.backward, [ctx, torch.wrap(dy)], null, use.range), args, use.range)[i];
          return g ?? new Tensor(new Float64Array(x.size), [...x.shape]);
        },
        inputs: calls.map((c) => c[i] as SeenTensor),
        backwardRange: use.range,
        layers: [...use.layers],
      });
    }
  }
  return out;
}

const isSeen = (v: Value | SeenTensor): v is SeenTensor => typeof v === 'object' && v !== null && (v as SeenTensor).data instanceof Float64Array;

/** The Function's forward on a call's arguments in float64, argument `i` replaced by `x`. */
function runForward(torch: Torch, use: FunctionUse, call: (Value | SeenTensor)[], i: number, x: Tensor): { ctx: PyInstance; args: Value[]; y: Tensor } {
  const args = call.map((v, k) => (k === i ? torch.wrap(x) : isSeen(v) ? torch.wrap(new Tensor(Float64Array.from(v.data), [...v.shape])) : (v as Value)));
  const ctx = new PyInstance(use.Ctx);
  ctx.dict.set('needs_input_grad', new PyTuple(args.map((v) => v instanceof TensorObj && isFloating(v.t.dtype))));
  const y = torch.tensorOf(torch.interp.call(use.forward, [ctx, ...args], null, use.range), use.range, `${use.cls.name}.forward's result`);
  return { ctx, args, y };
}
