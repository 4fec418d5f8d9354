/**
 * A training script's own loop as the trace's step. The interpreter runs the script until it
 * reaches the innermost loop around `loss.backward()`; that loop is not run. Each traced step then
 * takes the loop's next item (a DataLoader's batch, an epoch index), runs the loop body up to the
 * backward call and hands over the loss tensor; the trace does the backward and the optimiser step.
 */
import { backward } from '../../engine/autograd';
import type { Tensor } from '../../engine/tensor';
import type { Expr, FunctionDef, ModuleAst, Range, Stmt } from './ast';
import { CantFollow, LoopEnded, Signal } from './errors';
import { CONTINUE, NORMAL, type Interpreter, type Scope } from './interpreter';
import * as P from './protocol';
import { isInt, PyIter, PyOpaque, PyRange, toBigInt, Value } from './values';
import { expressionsIn, nestedBlocks, ownExprs, statementsIn, targetNames } from './walk';
import type { ZippedModels } from './zipped-models';

export type LoopStmt = Extract<Stmt, { k: 'for' | 'while' }>;

/** The `X.backward(...)` call in an expression, if any (not inside a lambda). */
function backwardCall(e: Expr): Extract<Expr, { k: 'call' }> | null {
  for (const x of expressionsIn(e)) {
    if (x.k === 'call' && x.fn.k === 'attr' && x.fn.name === 'backward') return x;
  }
  return null;
}

const calls = new WeakMap<Stmt, Extract<Expr, { k: 'call' }> | null>();

/**
 * The first backward call, in the file's order, a statement makes itself or in its nested blocks
 * (not in nested functions): the one a step reaches first (a GAN's discriminator loss, not the
 * generator's after it).
 */
export function backwardIn(s: Stmt): Extract<Expr, { k: 'call' }> | null {
  if (calls.has(s)) return calls.get(s)!;
  let found: Extract<Expr, { k: 'call' }> | null = null;
  for (const x of statementsIn(s)) {
    for (const e of ownExprs(x)) {
      const b = backwardCall(e);
      if (b && (!found || b.r.start < found.r.start)) found = b;
    }
  }
  calls.set(s, found);
  return found;
}

/**
 * Whether the step's backward call keeps its graph, as PyTorch decides: retain_graph, or
 * create_graph when retain_graph is not given (None). A written constant is read as it is; another
 * expression is evaluated in the loop's scope when the call is in the loop's own body (a step
 * function's or closure's locals are gone by then, and their graph is freed as by default).
 */
export function keepsGraph(interp: Interpreter, loop: TrainingLoop): boolean {
  const kw = (name: string) => loop.backward.args.find((a) => a.kind === 'kw' && a.name === name)?.value;
  const value = (e: Expr | undefined): boolean | null => {
    if (!e) return null;
    if (e.k === 'const') return e.v === null ? null : !!e.v;
    if (loop.closure || loop.stepCall) return null;
    const v = interp.eval(e, loop.scope);
    return v === null ? null : interp.truthy(v, e.r);
  };
  return value(kw('retain_graph')) ?? value(kw('create_graph')) ?? false;
}

/** `X.backward(...)` as a statement of its own. */
function backwardStatement(s: Stmt): Extract<Expr, { k: 'call' }> | null {
  return s.k === 'expr' && s.e.k === 'call' && s.e.fn.k === 'attr' && s.e.fn.name === 'backward' ? s.e : null;
}

/**
 * The backward calls of a loop step that makes several, one after another in one block (a GAN:
 * `errD_real.backward()`, `errD_fake.backward()`, `optimizerD.step()`, then `errG.backward()`;
 * `loss1.backward(retain_graph=True)` then `loss2.backward()`), in the file's order; null when the
 * step makes one (or makes them in forms not known to run in sequence: under different `if`s).
 * Each step then runs every backward but the last as the script does, and stops at the last.
 */
export function backwardSequence(s: LoopStmt): Extract<Expr, { k: 'call' }>[] | null {
  let block: readonly Stmt[] = s.body;
  for (;;) {
    const holding = block.filter((st) => backwardIn(st) !== null);
    if (holding.length === 1 && !backwardStatement(holding[0])) {
      // `with autocast():` or `if phase == 'train':` around the whole step: the calls are in its block.
      const inner = nestedBlocks(holding[0]).filter((b) => b.some((st) => backwardIn(st) !== null));
      if (inner.length !== 1) return null;
      block = inner[0];
      continue;
    }
    if (holding.length < 2) return null;
    const calls = holding.map(backwardStatement);
    return calls.every((c) => c !== null) ? (calls as Extract<Expr, { k: 'call' }>[]) : null;
  }
}

type IfStmt = Extract<Stmt, { k: 'if' }>;

/**
 * A step whose last backward calls are in an `if` only some iterations pass, after the backward
 * calls every iteration makes (a WGAN: the critic's `loss_D.backward()` and step each iteration, the
 * generator's `loss_G.backward()` under `if i % opt.n_critic == 0:`). The calls in the file's order
 * and that `if`; null for other forms. A traced step then runs whole iterations until one reaches
 * the `if`'s last backward, so every model's backward is traced, each as often as the script runs it.
 */
export function guardedSequence(s: LoopStmt): { sequence: Extract<Expr, { k: 'call' }>[]; guard: IfStmt } | null {
  const holding = s.body.filter((st) => backwardIn(st) !== null);
  const guard = holding[holding.length - 1];
  if (holding.length < 2 || guard.k !== 'if' || guard.orelse.some((st) => backwardIn(st) !== null)) return null;
  const calls = [...holding.slice(0, -1), ...guard.body.filter((st) => backwardIn(st) !== null)].map(backwardStatement);
  return calls.length > holding.length - 1 && calls.every((c) => c !== null) ? { sequence: calls as Extract<Expr, { k: 'call' }>[], guard } : null;
}

/**
 * The block holding the statement that makes the traced backward call, and its index there (-1
 * when none does): the loop's body, or a guarded sequence's `if` (see above).
 */
export function tracedBackwardPlace(loop: Pick<TrainingLoop, 'stmt' | 'backward' | 'sequence' | 'guard'>): { block: readonly Stmt[]; at: number } {
  const block = loop.guard?.body ?? loop.stmt.body;
  return { block, at: loop.guard ? block.findIndex((st) => makes(st, loop.backward)) : tracedBackwardAt(loop) };
}

/**
 * Where in the loop's body the traced backward is called: the statement making the first backward
 * call, or with several in a row (a GAN) the last one's, after which the traced optimiser's step,
 * its clipping and a fix's clip_grad_norm_ line belong. -1 when none does.
 */
export function tracedBackwardAt(loop: Pick<TrainingLoop, 'stmt' | 'backward' | 'sequence'>): number {
  return loop.stmt.body.findIndex((st) => (loop.sequence ? makes(st, loop.backward) : backwardIn(st) !== null));
}

/** A loop whose own body (not a loop inside it) calls backward: the loop to take over. */
export function isTrainingLoop(s: LoopStmt): boolean {
  if (!backwardIn(s)) return false;
  const inner = statementsIn(s.body).filter((x) => x !== s && (x.k === 'for' || x.k === 'while') && backwardIn(x));
  return inner.length === 0;
}

/** `optimizer.step(closure)` with the function PyTorch calls for the loss (LBFGS needs one; SGD, Adam, ... accept one). */
export interface ClosureStep {
  /** The `X.step(closure)` call. */
  step: Extract<Expr, { k: 'call' }>;
  def: FunctionDef;
  /** The backward call inside the closure. */
  backward: Extract<Expr, { k: 'call' }>;
}

/**
 * A loop that calls backward only through a closure it hands to `X.step(closure)`: the closure's
 * def in the loop's body (as pytorch/examples' time-sequence script writes it), else at the module's
 * top level. Its inner loops are not searched: the innermost one doing so is found first.
 */
export function closureLoop(s: LoopStmt, ast: ModuleAst): ClosureStep | null {
  const own = statementsIn(s.body);
  if (own.some((x) => (x.k === 'for' || x.k === 'while') && x !== s && backwardIn(x))) return null;
  for (const st of own) {
    if (st.k === 'for' || st.k === 'while') continue;
    for (const e of ownExprs(st)) {
      for (const x of expressionsIn(e)) {
        if (x.k !== 'call' || x.fn.k !== 'attr' || x.fn.name !== 'step' || x.args.length !== 1) continue;
        const a = x.args[0];
        if (a.value.k !== 'name' || (a.kind === 'kw' && a.name !== 'closure') || a.kind === 'star') continue;
        const name = a.value.id;
        const defs = [...own, ...ast.body].filter((d): d is FunctionDef => d.k === 'def' && d.name === name);
        for (const def of defs) {
          const b = def.body.map((d) => backwardIn(d)).find((c) => c !== null);
          if (b) return { step: x, def, backward: b };
        }
      }
    }
  }
  return null;
}

/**
 * A call, in a loop's own body, of a module-level function that calls backward itself and has no
 * loop of its own around it: each call is one training step (`for epoch in range(n):
 * train_iter(model, optimizer, ...)`, as pytorch/examples' GAT and the char-RNN tutorials write it).
 */
export interface StepCall {
  call: Extract<Expr, { k: 'call' }>;
  def: FunctionDef;
  /** `self._run_batch(source, targets)`: a method of the script's own class, `self` its first parameter. */
  method?: boolean;
  /** The backward call inside the function. */
  backward: Extract<Expr, { k: 'call' }>;
}

/** The loop body's statements, without those of the loops nested in it (their steps are theirs). */
function ownStatements(body: readonly Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  const stack = [...body];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.k === 'for' || x.k === 'while') continue;
    out.push(x);
    for (const b of nestedBlocks(x)) stack.push(...b);
  }
  return out;
}

export function stepCallLoop(s: LoopStmt, ast: ModuleAst): StepCall | null {
  for (const st of ownStatements(s.body)) {
    for (const e of ownExprs(st)) {
      for (const x of expressionsIn(e)) {
        if (x.k !== 'call') continue;
        const method = x.fn.k === 'attr' && x.fn.obj.k === 'name' && x.fn.obj.id === 'self';
        if (x.fn.k !== 'name' && !method) continue;
        const def = method ? methodOf(ast, s, (x.fn as { name: string }).name) : ast.body.filter((d): d is FunctionDef => d.k === 'def' && d.name === (x.fn as { id: string }).id).pop();
        if (!def || statementsIn(def.body).some((d) => (d.k === 'for' || d.k === 'while') && backwardIn(d))) continue;
        const backward = def.body.map((d) => backwardIn(d)).find((c) => c !== null);
        if (backward) return { call: x, def, backward, ...(method ? { method } : {}) };
      }
    }
  }
  return null;
}

/**
 * The method `name` of the module-level class whose method holds `loop` (a Trainer's `_run_epoch`
 * looping over `self._run_batch(...)`, as pytorch/examples' DDP tutorial series writes it).
 */
function methodOf(ast: ModuleAst, loop: LoopStmt, name: string): FunctionDef | undefined {
  for (const c of ast.body) {
    if (c.k !== 'class') continue;
    const methods = c.body.filter((d): d is FunctionDef => d.k === 'def');
    if (!methods.some((m) => statementsIn(m.body).includes(loop))) continue;
    return methods.filter((m) => m.name === name).pop();
  }
  return undefined;
}

/** Whether statement `s` (or a block in it) makes the call `c`. */
function makes(s: Stmt, c: Expr): boolean {
  return statementsIn(s).some((x) => ownExprs(x).some((e) => expressionsIn(e).includes(c)));
}


/** The training loop found, with the scope its body runs in and what is known of its length. */
export interface TrainingLoop {
  stmt: LoopStmt;
  scope: Scope;
  /** Items the loop would take (null: unknown or endless). */
  count: number | null;
  /** The backward call the step stops at (inside the closure for `optimizer.step(closure)`). */
  backward: Extract<Expr, { k: 'call' }>;
  /** The loop hands a closure to the optimiser's step instead of calling backward itself. */
  closure?: ClosureStep;
  /** The loop calls a function that calls backward (and usually steps the optimiser) itself. */
  stepCall?: StepCall;
  /** The step's backward calls when it makes several in a row (`backward` is the last of them). */
  sequence?: Extract<Expr, { k: 'call' }>[];
  /** The `if` some iterations pass that holds the sequence's last calls (a WGAN's generator step every n_critic iterations). */
  guard?: IfStmt;
  /** Several models stepped one after another by a loop over zip(models, optimisers) in the body. */
  zipped?: ZippedModels;
  /** The epoch loop the training loop sits in, run on to its next epoch when the training loop's items end. */
  epoch?: EpochLoop;
}

/** `for e in range(epochs): h = net.init_hidden(batch_size); for x, y in batches: ...`: the outer loop, and its body before the training loop. */
export interface EpochLoop {
  stmt: Extract<Stmt, { k: 'for' }>;
  it: PyIter;
  head: Stmt[];
}

/** The `for` loop running around `s` with `s` directly in its body, in the same scope (Python's epoch loop), else undefined. */
export function epochLoopOf(interp: Interpreter, s: LoopStmt, scope: Scope): EpochLoop | undefined {
  const outer = interp.running[interp.running.length - 1];
  const at = outer && outer.scope === scope ? outer.stmt.body.indexOf(s) : -1;
  return at < 0 ? undefined : { stmt: outer.stmt, it: outer.it, head: outer.stmt.body.slice(0, at) };
}

/** Thrown to stop evaluating the script once its training loop is found. */
export class TrainingLoopFound extends Signal {
  constructor(readonly loop: TrainingLoop) {
    super('training loop found');
  }
}

/** How many items a loop's iterable has, when it says (range, a list, a loader with len()). */
export function loopCount(interp: Interpreter, s: LoopStmt, scope: Scope): number | null {
  if (s.k === 'while') return null;
  try {
    const v = interp.eval(s.iter, scope);
    if (v instanceof PyRange) return Number(v.length);
    if (v instanceof PyOpaque) return null;
    return P.len(interp, v, s.iter.r);
  } catch {
    return null;
  }
}

/**
 * The `if` after backward() that holds the optimiser's step when the script accumulates gradients
 * (`if (i + 1) % accum == 0: optimizer.step(); optimizer.zero_grad()`): the first statement after
 * the backward's that steps, in its block or, if none there, in each enclosing block out to the
 * loop's body (a backward inside `if phase == 'train':` with the `if` beside it). Null when that
 * statement steps unconditionally.
 */
export function accumulationIf(loop: Pick<TrainingLoop, 'stmt' | 'closure'>): Extract<Stmt, { k: 'if' }> | null {
  return accumulationAt(loop)?.stmt ?? null;
}

/** The accumulation `if`, with the statements between the one calling backward and it in its block. */
function accumulationAt(loop: Pick<TrainingLoop, 'stmt' | 'closure'>): { stmt: Extract<Stmt, { k: 'if' }>; between: readonly Stmt[] } | null {
  if (loop.closure) return null;
  // The blocks from the loop's body down to the statement that calls backward itself.
  const path: { block: readonly Stmt[]; at: number }[] = [];
  let block: readonly Stmt[] = loop.stmt.body;
  for (;;) {
    const at = block.findIndex((st) => backwardIn(st) !== null);
    if (at < 0) return null;
    path.push({ block, at });
    const inner = nestedBlocks(block[at]).find((b) => b.some((st) => backwardIn(st) !== null));
    if (!inner) break;
    block = inner;
  }
  for (let level = path.length - 1; level >= 0; level--) {
    const { block: b, at } = path[level];
    const k = b.findIndex((st, i) => i > at && stepsIn([st]));
    if (k < 0) continue;
    const stepping = b[k];
    return stepping.k === 'if' && !stepsIn(stepping.orelse) ? { stmt: stepping, between: b.slice(at + 1, k) } : null;
  }
  return null;
}

/**
 * The statements after backward() that count what the accumulation `if` tests (`seen += 1` before
 * `if seen % accum == 0:`). The step stops at backward, so these run apart, before the test.
 */
function countersOf(acc: { stmt: Extract<Stmt, { k: 'if' }>; between: readonly Stmt[] }): readonly Stmt[] {
  const read = new Set(expressionsIn(acc.stmt.test).flatMap((e) => (e.k === 'name' ? [e.id] : [])));
  return acc.between.filter((st) => {
    const targets = st.k === 'assign' ? st.targets : st.k === 'augassign' || st.k === 'annassign' ? [st.target] : [];
    return targets.some((t) => targetNames(t).some((n) => read.has(n)));
  });
}

/** Whether the statements call `X.step()` with no argument, or `scaler.step(optimizer)`. */
export function stepsIn(stmts: readonly Stmt[]): boolean {
  return statementsIn(stmts).some((x) => ownExprs(x).some((e) => expressionsIn(e).some((c) => c.k === 'call' && c.fn.k === 'attr' && c.fn.name === 'step' && c.args.length <= 1)));
}

/** How many backward() calls a traced step follows at most while the script's step has not come. */
const MAX_MICRO_BATCHES = 256;

/**
 * One step of the script's loop: the loop's next item (starting again when the iterable ends, as
 * the next epoch would), the body up to backward, and the loss the backward was called on.
 */
export class LoopStep {
  private it: PyIter | null = null;
  private count = 0;
  /** Optimiser steps taken under gradient accumulation. */
  private stepped = 0;
  /** The `if` holding the optimiser's step under gradient accumulation. */
  readonly accumulation: Extract<Stmt, { k: 'if' }> | null;
  /** What runs between backward() and that `if` to count what it tests. */
  private readonly counters: readonly Stmt[];
  /** The statements after the last step's backward call, innermost block first (step-tail.ts). */
  tail: Stmt[][] = [];
  /** Under a guarded sequence, the iteration (from 0) each traced step ended at: the ones that passed the guard. */
  readonly reached: number[] = [];
  /** Which zipped model's item the step is running (`loop.zipped`), else null. */
  member: number | null = null;

  constructor(
    private readonly interp: Interpreter,
    readonly loop: TrainingLoop,
    /** Calls a closure handed to `optimizer.step(closure)` and returns the loss it calls backward() on. */
    private readonly callClosure: (fn: Value, r: Range) => Value,
    /** Runs code that calls backward() (a step function's call) and returns the loss it was called on. */
    private readonly untilBackward: (run: () => Value, r: Range) => Value,
  ) {
    const acc = accumulationAt(loop);
    this.accumulation = acc?.stmt ?? null;
    this.counters = acc ? countersOf(acc) : [];
  }

  /**
   * Binds the loop variable for the next step. True when the iterable had ended and was begun
   * again (as the next epoch would); false for the first pass's items and for a `while` loop.
   */
  next(r: Range): boolean {
    const s = this.loop.stmt;
    if (s.k === 'while') return false;
    let again = false;
    let v = this.it?.next();
    if (v === undefined) {
      again = this.it !== null;
      // The next epoch as the script starts it: the epoch loop's next item, and its body up to this loop
      // (char-rnn's `h = net.init_hidden(batch_size)`); past its last epoch the trace goes on with the last one.
      const epoch = again ? this.loop.epoch : undefined;
      if (epoch) {
        const e = epoch.it.next();
        if (e !== undefined) this.interp.assign(epoch.stmt.target, e, this.loop.scope);
        for (const st of epoch.head) this.interp.exec(st, this.loop.scope);
      }
      this.it = P.iterate(this.interp, this.interp.eval(s.iter, this.loop.scope), s.iter.r);
      v = this.it.next();
      if (v === undefined) throw new CantFollow(new PyOpaque('a training loop over nothing', s.iter.r), r);
    }
    this.count++;
    this.interp.assign(s.target, v, this.loop.scope);
    return again;
  }

  /** Runs the body to the backward call and returns the tensor it was called on. */
  lossOf(): Value {
    const found = this.iteration();
    if (found === undefined) {
      throw new CantFollow(new PyOpaque('a training step that did not reach loss.backward()', this.loop.backward.r), this.loop.stmt.r);
    }
    return found;
  }

  /**
   * The loss of one optimiser step as the script takes it. Under gradient accumulation the
   * micro-batches before the one whose `if` steps have their backward() done here (gradients add
   * up on the parameters, as in PyTorch), and the last one's loss is returned for the trace's own
   * backward() and step. `tensorOf` checks a loss is a scalar tensor.
   */
  stepLoss(first: boolean, tensorOf: (v: Value) => Tensor, accumulate = true): Tensor {
    const cond = accumulate ? this.accumulation : null;
    const guard = this.loop.guard;
    for (let k = 0; ; k++) {
      const again = (!first || k > 0) && this.next(this.loop.stmt.r);
      // The trace's steps are bounded by one pass over the loop's items; under accumulation (or a
      // guarded step) a pass holds fewer optimiser steps than items, so the pass ending is where the
      // script's steps end. (A first step that needs more than one pass is followed: a counter kept
      // across epochs may step.)
      if (again && (cond || guard) && this.stepped > 0) throw new LoopEnded(this.stepped);
      if (guard) {
        // An iteration that does not pass the guard ran whole, as the script runs it (the critic's step).
        const found = this.iteration();
        if (found === undefined) {
          if (k + 1 >= MAX_MICRO_BATCHES) throw new CantFollow(new PyOpaque(`a training step whose backward has not come after ${MAX_MICRO_BATCHES} iterations`, guard.test.r), guard.test.r);
          continue;
        }
        this.stepped++;
        this.reached.push(this.count - 1);
        return tensorOf(found);
      }
      const loss = tensorOf(this.lossOf());
      if (!cond) return loss;
      for (const st of this.counters) this.interp.exec(st, this.loop.scope);
      const t = this.interp.eval(cond.test, this.loop.scope);
      if (t instanceof PyOpaque) throw new CantFollow(t, cond.test.r);
      if (this.interp.truthy(t, cond.test.r)) {
        this.stepped++;
        return loss;
      }
      if (k + 1 >= MAX_MICRO_BATCHES) throw new CantFollow(new PyOpaque(`an optimiser step that has not come after ${MAX_MICRO_BATCHES} backward() calls`, cond.r), cond.r);
      backward(loss, undefined, keepsGraph(this.interp, this.loop));
    }
  }

  /** One iteration of the body up to the backward call: its loss, or undefined when it did not reach it. */
  private iteration(): Value | undefined {
    this.tail = [];
    return this.run(this.loop.stmt.body);
  }

  private run(stmts: readonly Stmt[]): Value | undefined {
    const scope = this.loop.scope;
    const { closure, stepCall } = this.loop;
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      const b = this.loop.sequence ? (makes(s, this.loop.backward) ? this.loop.backward : null) : backwardIn(s) ?? (closure && makes(s, closure.step) ? closure.step : null) ?? (stepCall && makes(s, stepCall.call) ? stepCall.call : null);
      if (!b) {
        this.needLoss(s);
        this.interp.exec(s, scope);
        continue;
      }
      const found = this.reachIn(s, b);
      // An iteration the guard let by goes on as the script's does.
      if (found === undefined && s === this.loop.guard) continue;
      // What follows the backward call, from the innermost block out: the step's tail.
      this.tail.push(stmts.slice(i + 1));
      return found;
    }
    return undefined;
  }

  /**
   * A backward of the step's sequence that the script runs (the critic's, before the traced one) on
   * a loss Gradient Lens could not follow: the model needs it, so it is that value's can't-follow,
   * not a statement skipped (the critic would look disconnected).
   */
  private needLoss(s: Stmt): void {
    const call = this.loop.sequence?.find((c) => s.k === 'expr' && s.e === c);
    const recv = call?.fn.k === 'attr' ? call.fn.obj : null;
    if (!recv || recv.k !== 'name') return;
    const v = this.interp.eval(recv, this.loop.scope);
    if (v instanceof PyOpaque) throw new CantFollow(v, recv.r);
  }

  /** Runs statement `s` up to the backward call `b` it holds and returns the loss. */
  private reachIn(s: Stmt, b: Extract<Expr, { k: 'call' }>): Value | undefined {
    const scope = this.loop.scope;
    if (s.k === 'expr' && s.e === b) return this.reach(b);
    if (s === this.loop.zipped?.inner) return this.runZipped(s);
    switch (s.k) {
      case 'if': {
        const t = this.interp.eval(s.test, scope);
        if (t instanceof PyOpaque) throw new CantFollow(t, s.test.r);
        return this.run(this.interp.truthy(t, s.test.r) ? s.body : s.orelse);
      }
      case 'with':
      case 'try':
        return this.run(nestedBlocks(s)[0]);
      default:
        // `loss.backward()` inside a larger expression, or after another statement form: evaluate up to it.
        return this.reach(b);
    }
  }

  /**
   * The loop over zipped models: every item but the last runs whole as the script runs it (its own
   * backward and optimiser step); the last runs to its backward, which the trace does.
   */
  private runZipped(s: Extract<LoopStmt, { k: 'for' }>): Value | undefined {
    const items = P.iterate(this.interp, this.interp.eval(s.iter, this.loop.scope), s.iter.r);
    const all: Value[] = [];
    for (let v = items.next(); v !== undefined; v = items.next()) all.push(v);
    try {
      for (let i = 0; i < all.length; i++) {
        this.member = i;
        this.interp.assign(s.target, all[i], this.loop.scope);
        if (i === all.length - 1) return this.run(s.body);
        // A `break` (or a return) before the last model's backward: the step does not reach the traced one.
        const flow = this.interp.execBlock(s.body, this.loop.scope);
        if (flow !== NORMAL && flow !== CONTINUE) return undefined;
      }
    } finally {
      this.member = null;
    }
    return undefined;
  }

  /** The loss at the backward call `b`: its receiver, or what the closure handed to the optimiser's step calls backward on. */
  private reach(b: Extract<Expr, { k: 'call' }>): Value | undefined {
    const scope = this.loop.scope;
    if (b === this.loop.closure?.step) return this.callClosure(this.interp.eval(b.args[0].value, scope), b.r);
    if (b === this.loop.stepCall?.call) return this.untilBackward(() => this.interp.eval(b, scope), b.r);
    const recv = b.fn.k === 'attr' ? b.fn.obj : null;
    return recv ? this.interp.eval(recv, scope) : undefined;
  }
}

/** The number an integer-valued Python value holds, else null. */
export function intValue(v: Value): number | null {
  return isInt(v) ? Number(toBigInt(v)) : null;
}
