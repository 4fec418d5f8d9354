/**
 * A training loop that updates the parameters itself, as tutorials do before they introduce
 * torch.optim: after backward(), `for p in model.parameters(): p -= lr * p.grad` under
 * torch.no_grad() (or on `p.data`), the gradients reset by `model.zero_grad()`, `p.grad.zero_()` or
 * `p.grad = None`. That update is plain SGD with that lr over every parameter, so the trace steps
 * the engine's SGD and the lr findings and the `lr=` fix speak of the script's own lr. Any other
 * update over the parameters (momentum by hand, a subset, a rebinding) is not guessed.
 *
 * The tutorials before nn.Module train loose tensors the same way (`a = torch.randn((),
 * requires_grad=True)` ... `a -= learning_rate * a.grad` for each): those tensors are the model's
 * parameters, by the names the script gives them (see loose-tensors.ts).
 */
import { OPTIMIZERS } from '../catalogue';
import { withDefaults } from '../catalogue/args';
import type { Expr, Stmt, Target } from './ast';
import { CantFollow } from './errors';
import type { TrainingLoop } from './loop';
import { looseModule } from './loose-tensors';
import { ModuleObj, TensorObj, Torch } from './torch/runtime';
import type { OptimizerUse } from './torch/training';
import { PyInstance, PyList, PyOpaque, type Value } from './values';
import type { Tensor } from '../../engine';
import { expressionsIn, nestedBlocks } from './walk';

type Call = Extract<Expr, { k: 'call' }>;

/** `torch.no_grad()` as a `with` item. */
function isNoGrad(e: Expr): boolean {
  return e.k === 'call' && ((e.fn.k === 'attr' && e.fn.name === 'no_grad') || (e.fn.k === 'name' && e.fn.id === 'no_grad'));
}

/** `for p in X.parameters():` loops after the backward call, each with whether torch.no_grad() is around it. */
function parameterLoops(loop: TrainingLoop): { f: Extract<Stmt, { k: 'for' }>; noGrad: boolean }[] {
  const out: { f: Extract<Stmt, { k: 'for' }>; noGrad: boolean }[] = [];
  const after = loop.backward.r.end;
  const visit = (stmts: readonly Stmt[], noGrad: boolean) => {
    for (const st of stmts) {
      if (st.k === 'for' && st.r.start >= after && st.iter.k === 'call' && st.iter.fn.k === 'attr' && st.iter.fn.name === 'parameters') out.push({ f: st, noGrad });
      else visit(nestedBlocks(st).flat(), noGrad || (st.k === 'with' && st.items.some((i) => isNoGrad(i.ctx))));
    }
  };
  visit(loop.stmt.body, false);
  // A step function's update is in the function, after its backward (the char-RNN tutorials' train()).
  if (loop.stepCall) visit(loop.stepCall.def.body, false);
  return out;
}

const isName = (e: Expr, id: string) => e.k === 'name' && e.id === id;
/** `p.grad` or `p.grad.data`. */
const isGrad = (e: Expr, p: string): boolean => e.k === 'attr' && ((e.name === 'grad' && isName(e.obj, p)) || (e.name === 'data' && isGrad(e.obj, p)));
/** `p` (in place on the leaf itself) or `p.data`. */
const paramOf = (e: Expr, p: string): 'leaf' | 'data' | null => (isName(e, p) ? 'leaf' : e.k === 'attr' && e.name === 'data' && isName(e.obj, p) ? 'data' : null);
/** E of `E * p.grad` / `p.grad * E`, E not reading p. */
function scaled(e: Expr, p: string): Expr | null {
  if (e.k !== 'bin' || e.op !== '*') return null;
  const [g, lr] = isGrad(e.a, p) ? [e.a, e.b] : isGrad(e.b, p) ? [e.b, e.a] : [null, null];
  if (!g || !lr || expressionsIn(lr).some((x) => isName(x, p))) return null;
  return lr;
}
/** E of `-E * p.grad`, `p.grad * -E`, `-(E * p.grad)`. */
function negScaled(e: Expr, p: string): Expr | null {
  if (e.k === 'unary' && e.op === '-') return scaled(e.a, p);
  const s = scaled(e, p);
  return s && s.k === 'unary' && s.op === '-' ? s.a : null;
}
const kwarg = (c: Call, name: string) => c.args.find((a) => a.kind === 'kw' && a.name === name)?.value ?? null;
const positional = (c: Call) => c.args.filter((a) => a.kind === 'pos').map((a) => a.value);

/** The lr of one SGD update statement on `p`, and whether it is in place on the leaf itself. */
function update(st: Stmt, p: string): { lr: Expr; on: 'leaf' | 'data' } | null {
  if (st.k === 'augassign') {
    const on = st.target.k === 'name' || st.target.k === 'attr' ? paramOf(st.target, p) : null;
    const lr = st.op === '-' ? scaled(st.value, p) : st.op === '+' ? negScaled(st.value, p) : null;
    return on && lr ? { lr, on } : null;
  }
  if (st.k === 'assign' && st.targets.length === 1 && st.targets[0].k === 'attr' && paramOf(st.targets[0], p) === 'data') {
    // p.data = p.data - lr * p.grad
    const v = st.value;
    const lr = v.k === 'bin' && v.op === '-' && paramOf(v.a, p) ? scaled(v.b, p) : null;
    return lr ? { lr, on: 'data' } : null;
  }
  if (st.k !== 'expr' || st.e.k !== 'call' || st.e.fn.k !== 'attr') return null;
  const c = st.e;
  const fn = st.e.fn;
  const on = paramOf(fn.obj, p);
  const args = positional(c);
  if (!on || args.length !== 1 || c.args.length > 2) return null;
  const alpha = kwarg(c, 'alpha');
  if (fn.name === 'sub_') {
    const lr = alpha ? (isGrad(args[0], p) ? alpha : null) : scaled(args[0], p);
    return lr ? { lr, on } : null;
  }
  if (fn.name === 'add_') {
    const lr = alpha ? (isGrad(args[0], p) && alpha.k === 'unary' && alpha.op === '-' ? alpha.a : null) : negScaled(args[0], p);
    return lr ? { lr, on } : null;
  }
  return null;
}

/** `p.grad.zero_()`, `p.grad.data.zero_()`, `p.grad = None`, `p.grad.detach_()`: the gradient reset beside the update. */
function resets(st: Stmt, p: string): boolean {
  if (st.k === 'assign') return st.targets.length === 1 && st.targets[0].k === 'attr' && isGrad(st.targets[0], p) && st.value.k === 'const' && st.value.v === null;
  return st.k === 'expr' && st.e.k === 'call' && st.e.fn.k === 'attr' && ['zero_', 'detach_', 'requires_grad_'].includes(st.e.fn.name) && isGrad(st.e.fn.obj, p);
}

/** The module-level literal a name is assigned (`learning_rate = 1e-6`): where the lr is written. */
function moduleLiteral(torch: Torch, e: Expr): Expr {
  if (e.k !== 'name') return e;
  let found: Expr = e;
  for (const s of torch.ast.body) {
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && s.targets[0].id === e.id) {
      const v = s.value;
      found = v.k === 'const' || (v.k === 'unary' && v.a.k === 'const') ? v : e;
    }
  }
  return found;
}

/** The loop's hand-written update as the engine's SGD, or null when the loop updates nothing by hand. */
export function handWrittenSgd(torch: Torch, loop: TrainingLoop, root: ModuleObj): OptimizerUse | null {
  const found = parameterLoops(loop)[0];
  if (!found) return null;
  const { f, noGrad } = found;
  const other = () => new CantFollow(new PyOpaque('a hand-written parameter update other than plain SGD (p -= lr * p.grad)', f.r), f.r);
  if (f.target.k !== 'name') throw other();
  const p = f.target.id;
  const updates = f.body.map((st) => ({ st, u: update(st, p) }));
  const sgd = updates.filter((x) => x.u);
  if (sgd.length !== 1 || updates.some((x) => !x.u && !resets(x.st, p))) throw other();
  const { st, u } = sgd[0];
  const params = root.engine.parameters();
  let items: unknown[];
  try {
    items = torch.interp.toArray(torch.interp.eval(f.iter, loop.scope), f.iter.r);
  } catch {
    throw other();
  }
  const given = new Set(items.map((x) => (x instanceof TensorObj ? x.t : null)));
  if (given.size !== params.length || params.some((t) => !given.has(t))) {
    throw new CantFollow(new PyOpaque('a hand-written update of some of the parameters only', f.iter.r), f.r);
  }
  // PyTorch refuses an in-place change of a leaf that requires grad while autograd records it.
  if (u!.on === 'leaf' && !noGrad) torch.interp.raise('RuntimeError', 'a leaf Variable that requires grad is being used in an in-place operation.', st.r);
  return sgdOf(torch, loop, params, u!.lr, st);
}

/** The engine's SGD over `params` at the lr the script's update statement `st` writes. */
function sgdOf(torch: Torch, loop: TrainingLoop, params: Tensor[], lrExpr: Expr, st: Stmt, bindFirst?: () => void): OptimizerUse {
  const v = lrValue(torch, loop, lrExpr, bindFirst);
  if (v instanceof PyOpaque) throw new CantFollow(v, lrExpr.r);
  const lr = torch.number(v, lrExpr.r, 'lr');
  const def = OPTIMIZERS.SGD;
  const args = withDefaults(def.args, { lr });
  // The lr findings go where the lr is written (`learning_rate = 1e-6`), and the lr= fix edits it there.
  const written = moduleLiteral(torch, lrExpr);
  return { type: 'SGD', args, engine: def.build(params, args), created: st.r, callee: written.r, argExprs: { lr: written }, call: null };
}

/** The assignment to a name in the loop's body before `before` (`lr = 0.1 if i < 100000 else 0.01`), the last one there. */
function assignedInBody(loop: TrainingLoop, id: string, before: number): Expr | null {
  let found: Expr | null = null;
  const visit = (stmts: readonly Stmt[]) => {
    for (const st of stmts) {
      if (st.r.start >= before) return;
      if (st.k === 'assign' && st.targets.length === 1 && st.targets[0].k === 'name' && st.targets[0].id === id) found = st.value;
      visit(nestedBlocks(st).flat());
    }
  };
  visit(loop.stmt.body);
  return found;
}

/**
 * The lr an update reads. One the loop's body sets before the update (makemore's `lr = 0.1 if i <
 * 100000 else 0.01`) is not bound before the first step: it is that assignment's value at the
 * loop's first item, which the trace's few steps keep.
 */
function lrValue(torch: Torch, loop: TrainingLoop, lrExpr: Expr, bindFirst?: () => void): Value {
  const inBody = lrExpr.k === 'name' && !torch.interp.peek(lrExpr.id, loop.scope) ? assignedInBody(loop, lrExpr.id, lrExpr.r.start) : null;
  if (!inBody) return torch.interp.eval(lrExpr, loop.scope);
  bindFirst?.();
  return torch.interp.eval(inBody, loop.scope);
}

/** The name a statement updates in place (`a -= ...`, `a.data.sub_(...)`, `a.data = ...`), if it names one. */
function updatedName(st: Stmt): string | null {
  const base = (e: Expr | Target): string | null => (e.k === 'name' ? e.id : e.k === 'attr' && e.name === 'data' && e.obj.k === 'name' ? e.obj.id : null);
  if (st.k === 'augassign') return base(st.target);
  if (st.k === 'assign' && st.targets.length === 1) return st.targets[0].k === 'attr' ? base(st.targets[0]) : null;
  if (st.k === 'expr' && st.e.k === 'call' && st.e.fn.k === 'attr') return base(st.e.fn.obj);
  return null;
}

/** `a.grad = 0.` (or in a tuple): PyTorch's TypeError, as the script meets it after its first step. */
function gradSetToNumber(torch: Torch, st: Stmt): void {
  if (st.k !== 'assign' || st.targets.length !== 1) return;
  const t = st.targets[0];
  const v = st.value;
  const pairs: [Target | Expr, Expr][] = t.k === 'tuple' && v.k === 'tuple' && t.items.length === v.items.length ? t.items.map((x, i) => [x, v.items[i]]) : [[t, v]];
  for (const [target, value] of pairs) {
    if (target.k === 'attr' && target.name === 'grad' && value.k === 'const' && typeof value.v !== 'string' && value.v !== null) {
      // PyTorch's message, its missing space included.
      const type = typeof value.v === 'boolean' ? 'bool' : typeof value.v === 'bigint' ? 'int' : 'float';
      torch.interp.raise('TypeError', `assigned grad expected to be a Tensor or None but got grad of type${type}`, st.r);
    }
  }
}

/**
 * Loose leaf tensors the loop updates by hand, one statement each at one lr (`a -= learning_rate *
 * a.grad`): the model (a module holding them by their names) and its SGD. Null when the loop updates
 * no such tensor.
 */
export function looseTensorSgd(torch: Torch, loop: TrainingLoop, bindFirst?: () => void): { root: ModuleObj; opt: OptimizerUse } | null {
  const after = loop.backward.r.end;
  const body = loop.stepCall ? [...loop.stmt.body, ...loop.stepCall.def.body] : loop.stmt.body;
  const found: { name: string; t: TensorObj; st: Stmt; lr: Expr; on: 'leaf' | 'data'; noGrad: boolean }[] = [];
  const add = (name: string, v: Value, st: Stmt, u: { lr: Expr; on: 'leaf' | 'data' }, noGrad: boolean) => {
    if (v instanceof TensorObj && v.t.requiresGrad && !v.t.node && !found.some((f) => f.name === name || f.t.t === v.t)) found.push({ name, t: v, st, ...u, noGrad });
  };
  const visit = (stmts: readonly Stmt[], noGrad: boolean, over: Extract<Stmt, { k: 'for' }> | null) => {
    for (const st of stmts) {
      if (st.r.start >= after) {
        gradSetToNumber(torch, st);
        const name = updatedName(st);
        const u = name ? update(st, name) : null;
        if (name && u && over?.target.k === 'name' && over.target.id === name) {
          // `for p in parameters: p.data += -lr * p.grad` (makemore): each tensor of the list, by its own name.
          listed(torch, loop, over).forEach(([n, v]) => add(n, v, st, u, noGrad));
        } else if (name && u) add(name, torch.interp.peek(name, loop.scope) ?? null, st, u, noGrad);
      }
      const inner = noGrad || (st.k === 'with' && st.items.some((i) => isNoGrad(i.ctx)));
      if (st.k === 'for') visit(st.body, inner, st);
      else visit(nestedBlocks(st).flat(), inner, over);
    }
  };
  visit(body, false, null);
  if (!found.length) return null;
  const lrs = found.map((f) => torch.number(lrValue(torch, loop, f.lr, bindFirst), f.lr.r, 'lr'));
  if (lrs.some((lr) => lr !== lrs[0])) {
    throw new CantFollow(new PyOpaque('hand-written updates at different learning rates', found[0].st.r), found[0].st.r);
  }
  const first = found[0];
  if (first.on === 'leaf' && !first.noGrad) torch.interp.raise('RuntimeError', 'a leaf Variable that requires grad is being used in an in-place operation.', first.st.r);
  const root = looseModule(torch, found, loop.backward.r);
  return { root, opt: sgdOf(torch, loop, root.engine.parameters(), first.lr, first.st, bindFirst) };
}

/**
 * The tensors of a list the update loops over (`parameters = [C, W1, b1, W2, b2]`), each with the
 * name the loop's scope (or the module's) binds it to, or its path through lists and the script's
 * own objects (`layers[0]_weight`, `model_layers[0]_weight`: makemore's own Linear and Sequential
 * classes), else its place in the list (`parameters[3]`). The list's own name and the loop's
 * variable name none. None when the list cannot be read.
 */
const PATH_DEPTH = 3;
function listed(torch: Torch, loop: TrainingLoop, over: Extract<Stmt, { k: 'for' }>): [string, Value][] {
  const iter = over.iter;
  let items: Value[];
  try {
    items = torch.interp.toArray(torch.interp.eval(iter, loop.scope), iter.r);
  } catch {
    return [];
  }
  const skip = new Set([iter.k === 'name' ? iter.id : '', over.target.k === 'name' ? over.target.id : '']);
  const names = new Map<Value, string>();
  for (const s of [loop.scope, loop.scope.module]) {
    for (const [k, x] of s.vars) if (!skip.has(k) && !names.has(x)) names.set(x, k);
  }
  // Then by the path from a name through lists and the script's own objects, `_` for its dots (a parameter name has none).
  const visit = (v: Value, path: string, depth: number) => {
    if (depth > 0 && v instanceof TensorObj && !names.has(v)) names.set(v, path);
    if (depth >= PATH_DEPTH) return;
    if (v instanceof PyList) v.items.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
    else if (v instanceof PyInstance) for (const [a, x] of v.dict) visit(x, `${path}_${a}`, depth + 1);
  };
  for (const s of [loop.scope, loop.scope.module]) for (const [k, x] of s.vars) if (!skip.has(k)) visit(x, k, 0);
  const listName = iter.k === 'name' ? iter.id : 'parameters';
  return items.map((v, i) => [names.get(v) ?? `${listName}[${i}]`, v]);
}
