/**
 * Loose tensors as the model: a script that trains `a = torch.randn((), requires_grad=True)` and
 * its siblings by hand (the autograd tutorials, before nn.Module) has no module, so the trace makes
 * one that holds them as parameters under the script's own names (`a`, `w1`). The findings and the
 * gradient table then speak of `a` as they would of `fc1.weight`, and `--state` takes those names,
 * as a dict of the same tensors would in PyTorch.
 */
import type { Tensor } from '../../engine/tensor';
import type { Expr, Range } from './ast';
import type { Scope } from './interpreter';
import { PyEngineModule } from './torch/modules';
import { ModuleObj, TensorObj, Torch } from './torch/runtime';
import { PyFunction } from './values';
import { expressionsIn } from './walk';

/** The modules made here: their input is found in the step's own expressions, not at a module call. */
const LOOSE = new WeakSet<ModuleObj>();

export function looseModule(torch: Torch, params: readonly { name: string; t: TensorObj }[], fallback: Range): ModuleObj {
  const engine = new PyEngineModule(torch, null);
  const obj = new ModuleObj(torch.Module, engine);
  engine.obj = obj;
  obj.initialised = true;
  LOOSE.add(obj);
  torch.adopt(obj, createdAt(torch, params[0].name) ?? fallback);
  for (const { name, t } of params) {
    engine.setParameter(name, t.t);
    torch.parameters.add(t.t);
  }
  return obj;
}

/**
 * Loose tensors an optimiser steps (`torch.optim.SGD([w, b], lr=0.1)`) that no module holds: the
 * model, each parameter under the name the step's scope (or the module's) binds it to. Null when one
 * has no name there or is not a leaf that requires grad.
 */
export function looseOptimised(torch: Torch, params: readonly Tensor[], scope: Scope, fallback: Range): ModuleObj | null {
  const named: { name: string; t: TensorObj }[] = [];
  for (const p of params) {
    let name: string | null = null;
    for (const s of [scope, scope.module]) {
      for (const [k, v] of s.vars) if (!name && v instanceof TensorObj && v.t === p) name = k;
    }
    if (!name || !p.requiresGrad || p.node || named.some((n) => n.name === name)) return null;
    named.push({ name, t: torch.wrap(p) });
  }
  return named.length ? looseModule(torch, named, fallback) : null;
}

/** Where the script binds the first tensor at module level (`a = torch.randn(...)`): the model is "built" there. */
function createdAt(torch: Torch, name: string): Range | null {
  for (const s of torch.ast.body) if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && s.targets[0].id === name) return s.r;
  return null;
}

type Call = Extract<Expr, { k: 'call' }>;

/**
 * The input of a loose-tensor model, which no module call names: the first argument of the script's
 * own function the step calls with a tensor that needs no gradient (`pred = model(xb)`), else the
 * first such tensor read beside a parameter (`x` of `a + b * x`). Null for a module model.
 */
export function looseInput(torch: Torch, root: ModuleObj, calls: readonly Call[], stmts: readonly Expr[], scope: Scope, isLoss: (fn: unknown) => boolean): Expr | null {
  if (!LOOSE.has(root)) return null;
  // A name the body binds first (`xb = data[...]`) is not bound yet: unknown, which a call's argument may be.
  const data = (e: Expr, unbound: boolean) => {
    let v: unknown;
    try {
      v = torch.interp.eval(e, scope);
    } catch {
      return unbound;
    }
    return v instanceof TensorObj && !v.t.requiresGrad;
  };
  for (const c of calls) {
    let fn: unknown;
    try {
      fn = torch.interp.eval(c.fn, scope);
    } catch {
      continue;
    }
    if (fn instanceof PyFunction && !isLoss(fn) && c.args[0].kind === 'pos' && data(c.args[0].value, true)) return c.args[0].value;
  }
  const names = new Set(root.engine.namedParameters().map(([n]) => n));
  for (const e of stmts) {
    const read = expressionsIn(e).filter((x): x is Extract<Expr, { k: 'name' }> => x.k === 'name');
    if (!read.some((x) => names.has(x.id))) continue;
    const found = read.find((x) => !names.has(x.id) && data(x, false));
    if (found) return found;
  }
  return null;
}
