/**
 * `torch.autograd.Function`: a subclass's static `forward(ctx, x, ...)` and `backward(ctx,
 * grad_output)`, applied with `.apply(...)` (the Legendre-polynomial tutorial), are one engine op
 * whose backward is the script's own: the engine's `custom` op, as a TypeScript model's customOp.
 * Its forward runs without the tape, as PyTorch runs it; `ctx.save_for_backward` and attributes set
 * on ctx reach the backward. One tensor input (others are constants to it) and one tensor out;
 * anything else is a can't-follow at the apply call, never a guess.
 */
import { apply } from '../../../engine/dispatch';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { native } from '../native';
import { PyBuiltin, PyClass, PyClassMethod, PyInstance, PyOpaque, PyStaticMethod, PyTuple, T, Value } from '../values';
import { TensorObj, Torch } from './runtime';

export function makeAutogradFunction(torch: Torch): PyClass {
  const Ctx = new PyClass('FunctionCtx', [T.object], null, 'torch.autograd.function');
  const save = native('save_for_backward(self, *tensors)', (a) => {
    (a.self as PyInstance).dict.set('saved_tensors', new PyTuple(a.__varargs ?? []));
    return null;
  }, { method: true });
  Ctx.dict.set('save_for_backward', save);
  const Function = new PyClass('Function', [T.object], null, 'torch.autograd');
  Function.frozen = true;
  Function.dict.set('apply', new PyClassMethod(new PyBuiltin('apply', (args, kwargs, site) => applyFunction(torch, Ctx, args[0] as PyClass, args.slice(1), site.r, kwargs !== null && kwargs.size > 0))));
  return Function;
}

function applyFunction(torch: Torch, Ctx: PyClass, cls: PyClass, args: Value[], r: Range, keywords: boolean): Value {
  const cantFollow = (what: string) => new CantFollow(new PyOpaque(`${what} (torch.autograd.Function ${cls.name})`, r), r);
  const inputs = args.map((v, i) => [v, i] as const).filter(([v]) => v instanceof TensorObj);
  if (keywords) throw cantFollow('keyword arguments to a custom backward');
  if (inputs.length !== 1) throw cantFollow(inputs.length ? 'a custom backward over more than one tensor input' : 'a custom backward over no tensor input');
  const unwrap = (v: Value | undefined) => (v instanceof PyStaticMethod ? v.fn : v);
  const forward = unwrap(cls.lookup('forward'));
  const backward = unwrap(cls.lookup('backward'));
  if (forward === undefined || backward === undefined) throw cantFollow('a Function without its own forward and backward');
  const at = inputs[0][1];
  const ctx = new PyInstance(Ctx);
  const interp = torch.interp;
  const out = apply('custom', [(inputs[0][0] as TensorObj).t], {
      name: cls.name,
      forward: (x) => {
        const given = args.map((v, i) => (i === at ? torch.wrap(x) : v));
        return torch.tensorOf(interp.call(forward, [ctx, ...given], null, r), r, `${cls.name}.forward's result`);
      },
      backward: (_x, _y, dy) => {
        const g = interp.call(backward, [ctx, torch.wrap(dy)], null, r);
        // One gradient per forward input: the tensor's, the constants' None.
        const mine = g instanceof PyTuple ? g.items[at] : g;
        if (!(mine instanceof TensorObj)) throw cantFollow("a backward that gives no tensor for the input's gradient");
        return mine.t;
      },
  });
  return torch.wrap(out);
}
