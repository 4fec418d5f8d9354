/**
 * Lightning's manual optimisation (`self.automatic_optimization = False`): Lightning's loop only
 * calls training_step for each batch, and training_step makes the step itself
 * (`opt = self.optimizers()`, `self.manual_backward(loss)`, `opt.step()`, `opt.zero_grad()`, a GAN's
 * two optimisers in turn). The step put at trainer.fit(...) is then training_step's own body, its
 * statements at their own lines, run with `self` the model and its parameters bound to the batch:
 * the trace finds its backward calls as in a script's loop (several, a GAN's, in a row), and a
 * finding or a fix lands in training_step, where the user wrote it. `self.manual_backward(x)` is
 * `x.backward()` there (what Lightning calls on the CPU without a precision plugin).
 */
import type { Expr, FunctionDef, ModuleAst, Stmt } from './ast';
import { expressionsIn, ownExprs, statementsIn } from './walk';

/** training_step of the file's one LightningModule with manual optimisation, ready to be its step. */
export interface ManualStep {
  /** `batch = __gl_batch` ... and the body, manual_backward as backward, its last `return` a statement. */
  body: Stmt[];
  /** The body's `x = self.optimizers()` / `self.lr_schedulers()`: run once before the loop too, so the optimisers have names there. */
  hoisted: Stmt[];
  /** The names the body binds (a `def main()` holding trainer.fit(...) gets them as locals). */
  locals: Set<string>;
}

/** Why the file's manual training_step cannot be the step (said at trainer.fit(...)). */
export type ManualRefusal = string;

const isSelfCall = (e: Expr, name: string): e is Extract<Expr, { k: 'call' }> => e.k === 'call' && e.fn.k === 'attr' && e.fn.name === name && e.fn.obj.k === 'name' && e.fn.obj.id === 'self';

/** `self.automatic_optimization = False` in __init__, or `automatic_optimization = False` in the class body. */
function manualClass(c: Extract<Stmt, { k: 'class' }>): boolean {
  const isFalse = (e: Expr) => e.k === 'const' && e.v === false;
  const init = c.body.find((s): s is FunctionDef => s.k === 'def' && s.name === '__init__');
  const inInit = init ? statementsIn(init.body).some((s) => s.k === 'assign' && isFalse(s.value) && s.targets.some((t) => t.k === 'attr' && t.name === 'automatic_optimization' && t.obj.k === 'name' && t.obj.id === 'self')) : false;
  return inInit || c.body.some((s) => s.k === 'assign' && isFalse(s.value) && s.targets.some((t) => t.k === 'name' && t.id === 'automatic_optimization'));
}

/** A copy of `v` with every `self.manual_backward(x, ...)` made `x.backward(...)`, at the call's own range. */
function withBackward<T>(v: T): T {
  if (typeof v !== 'object' || v === null || v instanceof Set) return v;
  if (Array.isArray(v)) return v.map(withBackward) as T;
  const o = v as unknown as Expr;
  if (o.k === 'call' && isSelfCall(o, 'manual_backward') && o.args[0]?.kind === 'pos') {
    const loss = withBackward(o.args[0].value);
    const nameR = o.fn.k === 'attr' ? o.fn.nameR : o.r;
    return { k: 'call', fn: { k: 'attr', obj: loss, name: 'backward', nameR, r: o.r }, args: withBackward(o.args.slice(1)), r: o.r } as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as object)) out[k] = withBackward(x);
  return out as T;
}

/**
 * The manual step of the file's LightningModule: null without manual optimisation; a refusal when
 * training_step has a form the step cannot be made of (an early `return`, `super()`, `*args`).
 */
export function manualStep(ast: ModuleAst): ManualStep | ManualRefusal | null {
  const classes = ast.body.filter((s): s is Extract<Stmt, { k: 'class' }> => s.k === 'class' && manualClass(s));
  if (!classes.length) return null;
  if (classes.length > 1) return `manual optimisation in several LightningModules (${classes.map((c) => c.name).join(', ')})`;
  const def = classes[0].body.filter((s): s is FunctionDef => s.k === 'def' && s.name === 'training_step').pop();
  if (!def) return `manual optimisation with a training_step not written in ${classes[0].name}`;
  const own = statementsIn(def.body);
  const last = def.body[def.body.length - 1];
  if (own.some((s) => s.k === 'return' && s !== last)) return 'manual optimisation with a training_step that returns before its end';
  if (own.some((s) => ownExprs(s).some((e) => expressionsIn(e).some((x) => x.k === 'call' && x.fn.k === 'name' && x.fn.id === 'super')))) return 'manual optimisation calling super() in training_step';
  const params = def.params.slice(1);
  if (params.some((p) => p.kind === 'varargs' || p.kind === 'varkw' || p.kind === 'kwonly')) return 'manual optimisation with a training_step taking *args or **kwargs';
  const given = ['__gl_batch', '__gl_batch_idx'];
  const binds: Stmt[] = [];
  for (const [i, p] of params.entries()) {
    // At the parameter's own range: before the body, as Python binds it.
    const value: Expr | null = i < given.length ? { k: 'name', id: given[i], r: p.r } : p.default;
    if (!value) return `manual optimisation with a training_step taking ${p.name}`;
    binds.push({ k: 'assign', targets: [{ k: 'name', id: p.name, r: p.r }], value, r: p.r });
  }
  const body = withBackward(def.body);
  const tail = body[body.length - 1];
  if (tail?.k === 'return') body[body.length - 1] = tail.value ? { k: 'expr', e: tail.value, r: tail.r } : { k: 'pass', r: tail.r };
  const hoisted = body.filter((s) => s.k === 'assign' && (isSelfCall(s.value, 'optimizers') || isSelfCall(s.value, 'lr_schedulers'))).map((s) => withBackward(s));
  return { body: [...binds, ...body], hoisted, locals: new Set(['self', ...params.map((p) => p.name), ...def.locals]) };
}
