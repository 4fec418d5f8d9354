/**
 * PyTorch Lightning scripts: `class LitModel(pl.LightningModule)` with training_step and
 * configure_optimizers, trained by `trainer.fit(model, loader)`. The library is Gradient Lens's own
 * Python (mirrored/lightning/pytorch.py), imported as pytorch_lightning, lightning and
 * lightning.pytorch. Lightning's loop is inside fit(), which the user never wrote: the step it takes
 * is put in the user's file at the trainer.fit(...) statement, as a loop over the train loader that
 * only the trace runs (as top-level-step.ts wraps a step written once), so the loop machinery (the
 * model, the optimiser, its clipping, the step) serves it unchanged. Under manual optimisation the
 * loop's body is training_step's own (lightning-manual.ts).
 */
import type { Expr, ModuleAst, Range, Stmt } from './ast';
import type { Interpreter, ModuleFactory, Scope } from './interpreter';
import { mirroredTree } from './mirrored';
import { parsePythonAnew } from './parse';
import { CantFollow } from './errors';
import { manualStep, type ManualStep } from './lightning-manual';
import { NOWHERE, PyBuiltin, PyDict, PyList, PyModule, PyOpaque, PyTuple, type Value } from './values';
import { ModuleObj, TensorObj, type Torch } from './torch/runtime';
import type { Tensor } from '../../engine/tensor';
import { expressionsIn, ownExprs } from './walk';

/** The names Lightning is imported under, each the one mirrored module. */
const LIGHTNING_NAMES = ['pytorch_lightning', 'lightning', 'lightning.pytorch'];

/** The module factories: pytorch_lightning, lightning and lightning.pytorch are one module, run once a run. */
export function lightningModules(fit: LightningFit | null): Record<string, ModuleFactory> {
  const factory: ModuleFactory = (interp) => {
    const have = interp.modules.get('pytorch_lightning');
    if (have instanceof PyModule) return have;
    const { path, ast } = mirroredTree('lightning/pytorch.py');
    const mod = interp.runMirrored('pytorch_lightning', path, ast, NOWHERE);
    mod.dict.set('_init_args', initArgs(interp));
    mod.dict.set('_not_followed', notFollowed(interp));
    mod.dict.set('_manual_refused', manualRefusedOf(fit));
    // `import lightning as L; L.LightningModule` and `lightning.pytorch.Trainer` both name it.
    mod.dict.set('pytorch', mod);
    return mod;
  };
  return Object.fromEntries(LIGHTNING_NAMES.map((n) => [n, factory]));
}

/** `_manual_refused()`: why fit() cannot trace the manual optimisation it meets; None when the step is training_step's (lightning-manual.ts). */
function manualRefusedOf(fit: LightningFit | null): PyBuiltin {
  return new PyBuiltin('_manual_refused', () => (fit?.manual ? null : (fit?.refused ?? 'manual optimisation (self.automatic_optimization = False)')));
}

/** save_hyperparameters(): the arguments the calling __init__ was given, by name (Lightning reads its caller's frame too). */
function initArgs(interp: Interpreter): PyBuiltin {
  return new PyBuiltin('_init_args', () => {
    const out = new PyDict();
    const frame = interp.callerFrame();
    if (!frame) return out;
    for (const p of frame.fn.params.slice(1)) {
      const v = frame.scope.vars.get(p.name);
      if (v === undefined || p.kind === 'varargs') continue;
      if (p.kind === 'varkw' && v instanceof PyDict) for (const [k, x] of v.map.values()) out.set(k, x);
      else out.set(p.name, v);
    }
    return out;
  });
}

/**
 * What Lightning does that the step does not model: a manual training_step the step cannot be
 * made of (lightning-manual.ts), several optimisers stepped in turn under automatic optimisation.
 * Said at the user's call.
 */
const unfollowed = new WeakMap<Interpreter, CantFollow>();

function notFollowed(interp: Interpreter): PyBuiltin {
  return new PyBuiltin('_not_followed', (args, _k, site) => {
    const at = interp.userCall?.r ?? site.r;
    const opaque = new PyOpaque(`Lightning's ${String(args[0])}`, at);
    // Kept for the fit: the interpreter would skip the statement raising it and go on to fail later.
    if (!unfollowed.has(interp)) unfollowed.set(interp, new CantFollow(opaque, at));
    return opaque;
  });
}

/** The file with its trainer.fit(...) statement followed by the step Lightning runs; null when it has none. */
export interface LightningFit {
  ast: ModuleAst;
  /** The loop over the train loader the trace takes over. */
  loop: Extract<Stmt, { k: 'for' }>;
  /** The trainer.fit(...) call. */
  call: Expr;
  /** The step is training_step's own body (manual optimisation). */
  manual: boolean;
  /** Lightning 1.x's training_step(..., optimizer_idx): the step calls it for each of this many optimisers (0: not this form). */
  perOptimizer: number;
  /** Why a manual training_step could not be the step (fit() says it). */
  refused: string | null;
  /** A hook of the LightningModule's that changes the step (optimizer_step, on_after_backward, ...), not followed: said at its def. */
  hook: { name: string; r: Range } | null;
}

/**
 * The LightningModule hooks Lightning's loop calls between training_step and the parameters'
 * update, where they can change the gradients or the step. validation_step, test_step,
 * predict_step, on_train_epoch_end and the other hooks run outside it: they change no gradient and
 * the step leaves them out.
 */
const STEP_HOOKS = ['backward', 'on_before_backward', 'on_after_backward', 'on_before_optimizer_step', 'optimizer_step', 'optimizer_zero_grad', 'configure_gradient_clipping', 'on_before_zero_grad'];

/** The first step hook a class with a training_step defines. */
function stepHook(ast: ModuleAst): { name: string; r: Range } | null {
  for (const c of ast.body) {
    if (c.k !== 'class' || !c.body.some((d) => d.k === 'def' && d.name === 'training_step')) continue;
    for (const d of c.body) if (d.k === 'def' && STEP_HOOKS.includes(d.name)) return { name: d.name, r: d.nameR };
  }
  return null;
}

/**
 * Lightning's automatic optimisation, one batch: the closure runs training_step (its loss divided
 * by accumulate_grad_batches) and backward; every accumulate_grad_batches batches and at the
 * epoch's last, the optimiser's step clips first (gradient_clip_val, by norm unless
 * gradient_clip_algorithm="value"), then gradients are zeroed (Lightning zeroes them before the
 * next backward: the same gradients). `__gl_fit` is what the mirrored Trainer.fit returns. The
 * backward is an assignment, not a statement of its own: a fix writing a clip_grad_norm_ line after
 * the loop's backward statement must not write it after trainer.fit(...), where it would do nothing.
 */
const STEP = `__gl_fit = __gl_call
for __gl_epoch in __gl_fit.epochs():
    for __gl_batch_idx, __gl_batch in enumerate(__gl_fit.loader):
        __gl_loss = __gl_fit.training_step(__gl_batch, __gl_batch_idx)
        __gl_done = __gl_loss.backward()
        if __gl_fit.steps_after(__gl_batch_idx):
            if __gl_fit.clip_val is not None and not __gl_fit.clip_by_value:
                __gl_fit.clip_grad_norm_(__gl_fit.clip_val)
            if __gl_fit.clip_val is not None and __gl_fit.clip_by_value:
                __gl_fit.clip_grad_value_(__gl_fit.clip_val)
            __gl_fit.optimizer.step()
            __gl_fit.optimizer.zero_grad()
`;

/**
 * Without accumulate_grad_batches in the file, every batch steps: no accumulation `if`, so the
 * trace's steps go on past the first epoch as the loop machinery does for a plain loop.
 */
const STEP_EACH_BATCH = STEP.replace(/\n {8}if __gl_fit\.steps_after\(__gl_batch_idx\):\n((?: {12}.*\n)+)/, (_m, block: string) => '\n' + block.replace(/^ {4}/gm, ''));

/** Manual optimisation: training_step's own body is the loop's (lightning-manual.ts), `self` the model. */
const MANUAL_STEP = `__gl_fit = __gl_call
self = __gl_fit.model
for __gl_epoch in __gl_fit.epochs():
    for __gl_batch_idx, __gl_batch in enumerate(__gl_fit.loader):
        pass
`;

/**
 * Lightning 1.x's automatic optimisation with several optimisers (`training_step(self, batch,
 * batch_idx, optimizer_idx)`), one batch: for each optimiser in turn, toggle_optimizer (1.x toggles
 * when there are several), the closure (training_step with its index, zero_grad, backward), the
 * Trainer's clipping of that optimiser's parameters, its step, untoggle_optimizer. Unrolled for the
 * count configure_optimizers() returns, so the loop's backward calls are the step's sequence (a GAN's).
 */
function perOptimizerStep(n: number, accumulates: boolean): string {
  const one = (i: number) => `        __gl_fit.toggle_optimizer(${i})
        loss_${i} = __gl_fit.training_step(__gl_batch, __gl_batch_idx, ${i})
        __gl_fit.optimizers[${i}].zero_grad()
        loss_${i}.backward()
        if __gl_fit.clip_val is not None and not __gl_fit.clip_by_value:
            __gl_fit.clip_grad_norm_(__gl_fit.clip_val, ${i})
        if __gl_fit.clip_val is not None and __gl_fit.clip_by_value:
            __gl_fit.clip_grad_value_(__gl_fit.clip_val, ${i})
        __gl_fit.optimizers[${i}].step()
        __gl_fit.untoggle_optimizer(${i})
`;
  // Accumulation over several optimisers is not unrolled here: fit() says so.
  const head = `__gl_fit = __gl_call
__gl_fit.per_optimizer(${n}, ${accumulates ? 'True' : 'False'})
for __gl_epoch in __gl_fit.epochs():
    for __gl_batch_idx, __gl_batch in enumerate(__gl_fit.loader):
`;
  return head + Array.from({ length: n }, (_, i) => one(i)).join('');
}

/**
 * How many optimisers a 1.x `training_step(self, batch, batch_idx, optimizer_idx)` is called for:
 * the list configure_optimizers() returns as written (`[opt_g, opt_d], []`, `(opt_g, opt_d)`);
 * null without such a training_step, 0 when the count is not written out.
 */
function optimizerIdxCount(ast: ModuleAst): number | null {
  for (const c of ast.body) {
    if (c.k !== 'class') continue;
    const step = c.body.find((d): d is Extract<Stmt, { k: 'def' }> => d.k === 'def' && d.name === 'training_step');
    if (!step || !step.params.some((p, i) => i === 3 && p.kind === 'pos' && !p.default)) continue;
    const conf = c.body.find((d): d is Extract<Stmt, { k: 'def' }> => d.k === 'def' && d.name === 'configure_optimizers');
    const ret = conf?.body.find((d) => d.k === 'return');
    const v = ret?.k === 'return' ? ret.value : null;
    if (!v || (v.k !== 'list' && v.k !== 'tuple')) return 0;
    const first = v.items[0];
    if (v.items.length === 2 && first && (first.k === 'list' || first.k === 'tuple')) return first.items.length;
    return v.items.every((x) => x.k === 'name' || x.k === 'call') ? v.items.length : 0;
  }
  return null;
}

/** The names the step binds. */
const STEP_NAMES = ['__gl_fit', '__gl_epoch', '__gl_batch_idx', '__gl_batch', '__gl_loss', '__gl_done'];

/** Whether the file imports Lightning under any of its names. */
function importsLightning(ast: ModuleAst): boolean {
  const isLightning = (m: string) => LIGHTNING_NAMES.some((n) => m === n || m.startsWith(n + '.'));
  return ast.body.some((s) => (s.k === 'import' && s.names.some((n) => isLightning(n.module))) || (s.k === 'from' && s.level === 0 && isLightning(s.module)));
}

/** `X.fit(...)` as a statement of its own. */
function fitCall(s: Stmt): Extract<Expr, { k: 'call' }> | null {
  return s.k === 'expr' && s.e.k === 'call' && s.e.fn.k === 'attr' && s.e.fn.name === 'fit' ? s.e : null;
}

/** The first trainer.fit(...) statement, at the top level or in a function or block, with Lightning's step after it. */
export function lightningFit(ast: ModuleAst, text: string): LightningFit | null {
  if (!importsLightning(ast)) return null;
  const accumulates = /\baccumulate_grad_batches\s*=/.test(text);
  const manual = manualStep(ast);
  const step = typeof manual === 'object' ? manual : null;
  const perOptimizer = step ? null : optimizerIdxCount(ast);
  let found: LightningFit | null = null;
  const rewrite = (v: unknown): unknown => {
    if (found || typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) {
      const i = v.findIndex((s) => typeof s === 'object' && s !== null && 'k' in s && fitCall(s as Stmt));
      if (i >= 0) {
        const stmt = v[i] as Stmt;
        const at = stepAt(fitCall(stmt)!, stmt.r, accumulates, step, perOptimizer ?? 0);
        found = { ast, loop: at.loop, call: fitCall(stmt)!, manual: !!step, perOptimizer: perOptimizer ?? 0, refused: typeof manual === 'string' ? manual : null, hook: stepHook(ast) };
        return [...v.slice(0, i), ...at.stmts, ...v.slice(i + 1)];
      }
      let changed = false;
      const out = v.map((x) => {
        const y = rewrite(x);
        if (y !== x) changed = true;
        return y;
      });
      return changed ? out : v;
    }
    const o = v as Record<string, unknown>;
    // Only blocks of statements hold the call: a statement's own expressions are not searched.
    if (!('k' in o) && !('body' in o)) return v;
    for (const key of ['body', 'orelse', 'handlers', 'final']) {
      if (!(key in o)) continue;
      const y = rewrite(o[key]);
      if (y === o[key]) continue;
      // `def main(): ... trainer.fit(model)`: the step's names are the function's locals, as if written there.
      const perLosses = Array.from({ length: perOptimizer ?? 0 }, (_, i) => `loss_${i}`);
      const locals = o.k === 'def' ? { locals: new Set([...(o.locals as Set<string>), ...STEP_NAMES, ...(step?.locals ?? []), ...perLosses]) } : {};
      return { ...o, [key]: y, ...locals };
    }
    return v;
  };
  const body = rewrite(ast.body) as Stmt[];
  if (!found) return null;
  return { ...(found as LightningFit), ast: { ...ast, body } };
}

/** The step's statements at the fit statement: every range its own, the user's call kept as written. */
function stepAt(call: Extract<Expr, { k: 'call' }>, r: Range, accumulates: boolean, manual: ManualStep | null, perOptimizer: number): { stmts: Stmt[]; loop: Extract<Stmt, { k: 'for' }> } {
  const text = manual ? MANUAL_STEP : perOptimizer > 1 ? perOptimizerStep(perOptimizer, accumulates) : accumulates ? STEP : STEP_EACH_BATCH;
  const stmts = parsePythonAnew(text).ast.body;
  relocate(stmts, r);
  const assign = stmts[0] as Extract<Stmt, { k: 'assign' }>;
  assign.value = call;
  const epochs = stmts[stmts.length - 1] as Extract<Stmt, { k: 'for' }>;
  const loop = epochs.body[0] as Extract<Stmt, { k: 'for' }>;
  if (perOptimizer > 1 || manual) manualLoops.add(loop);
  if (manual) {
    loop.body = manual.body;
    stmts.splice(stmts.length - 1, 0, ...manual.hoisted);
    const handed = loop.body.find((s) => s.k === 'assign' && s.value.k === 'name' && s.value.id === '__gl_batch');
    if (handed?.k === 'assign') batchArgs.set(loop, handed.value);
    return { stmts, loop };
  }
  const handed = loop.body.flatMap((s) => ownExprs(s).flatMap((e) => expressionsIn(e))).find((e) => e.k === 'call' && e.fn.k === 'attr' && e.fn.name === 'training_step');
  if (handed?.k === 'call') batchArgs.set(loop, handed.args[0].value);
  return { stmts, loop };
}

/** The loops stepping several optimisers in turn (a manual training_step's, Lightning 1.x's optimizer_idx loop). */
const manualLoops = new WeakSet<Stmt>();

/**
 * A manual step's models: the LightningModule's own submodules with parameters (a GAN's
 * `self.generator`, `self.discriminator`), named by their attribute as Lightning's state_dict names
 * them, each traced when one of its optimisers trains it (several-models.ts). Null for other loops.
 */
export function lightningModels(torch: Torch, loop: { stmt: Stmt; scope: Scope }): Map<ModuleObj, string> | null {
  if (!manualLoops.has(loop.stmt)) return null;
  const fit = torch.interp.peek('__gl_fit', loop.scope);
  const self = fit === undefined || fit instanceof PyOpaque ? null : torch.interp.getAttr(fit, 'model', NOWHERE);
  if (!(self instanceof ModuleObj)) return null;
  const named = new Map<ModuleObj, string>();
  for (const [path, m] of self.engine.namedModules()) {
    if (!path || path.includes('.') || !m.parameters().length) continue;
    const obj = torch.allModules.find((o) => o.engine === m);
    if (obj) named.set(obj, path);
  }
  return named.size ? named : null;
}

/** The `__gl_batch` each step hands to training_step, by the loop it is in. */
const batchArgs = new WeakMap<Stmt, Expr>();

/**
 * The batch Lightning hands to training_step when it is `(input, target, ...)` (a TensorDataset's
 * loader): the model is called inside training_step, out of the loop's reach, so the trace's batch
 * (its size in the header, `--batch`) is this pair. `given` is the same batch with another input and
 * target, for the step to use where it hands the batch over.
 */
export interface LightningBatch {
  expr: Expr;
  input: Tensor;
  target: Tensor;
  given(input: Value, target: Value): Value;
}

export function lightningBatch(interp: Interpreter, loop: { stmt: Stmt; scope: Scope }): LightningBatch | null {
  const expr = batchArgs.get(loop.stmt);
  if (!expr) return null;
  let v: Value;
  try {
    v = interp.eval(expr, loop.scope);
  } catch {
    return null;
  }
  if (!(v instanceof PyTuple || v instanceof PyList) || v.items.length < 2) return null;
  const [input, target] = v.items;
  if (!(input instanceof TensorObj) || !(target instanceof TensorObj)) return null;
  const rest = v.items.slice(2);
  const list = v instanceof PyList;
  return { expr, input: input.t, target: target.t, given: (i, t) => (list ? new PyList([i, t, ...rest]) : new PyTuple([i, t, ...rest])) };
}

/** Every range of a freshly parsed step set to the fit statement's: what the step does is said there. */
function relocate(root: object, r: Range): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.start === 'number' && typeof o.end === 'number' && Object.keys(o).length === 2) {
      o.start = r.start;
      o.end = r.end;
      if (r.file !== undefined) o.file = r.file;
      continue;
    }
    for (const k in o) stack.push(o[k]);
  }
}

/** The info at trainer.fit(...): which of Lightning's loops the step is. */
export function lightningStepSaid(fit: LightningFit): string {
  if (fit.perOptimizer > 1) return `the step traced is Lightning 1.x's automatic optimisation with ${fit.perOptimizer} optimisers (training_step takes optimizer_idx, which Lightning 2.x refuses): for each batch, each optimiser in turn toggled (the others' parameters frozen), training_step with its optimizer_idx (loss_0, loss_1, ...), zero_grad, backward, the Trainer's clipping of its parameters, its step`;
  if (fit.manual) return "the step traced is Lightning's manual optimisation (self.automatic_optimization = False): training_step as written, for each batch of the train loader, self.manual_backward(loss) as loss.backward(), self.optimizers() the optimisers of configure_optimizers(), toggle_optimizer() freezing the other optimisers' parameters until untoggle_optimizer()";
  return "the step traced is Lightning's default training loop (automatic optimisation): training_step, zero_grad, backward, the Trainer's gradient clipping, the optimiser's step, for each batch of the train loader";
}

/**
 * What fit() could not set up (manual optimisation, a loader it could not follow): the step would
 * only fail on it later, so it is said at its own place instead.
 */
export function unfollowedFit(interp: Interpreter, fit: LightningFit, loop: { stmt: Stmt; scope: Scope }): CantFollow | null {
  if (loop.stmt !== fit.loop) return null;
  if (fit.hook) return new CantFollow(new PyOpaque(`the LightningModule's ${fit.hook.name}() hook, which Lightning calls within the training step`, fit.hook.r), fit.hook.r);
  const asked = unfollowed.get(interp);
  if (asked) return asked;
  const v = interp.peek('__gl_fit', loop.scope);
  return v instanceof PyOpaque ? new CantFollow(v, fit.call.r) : null;
}
