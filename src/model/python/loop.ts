/**
 * A training script's own loop as the trace's step. The interpreter runs the script until it
 * reaches the innermost loop around `loss.backward()`; that loop is not run. Each traced step then
 * takes the loop's next item (a DataLoader's batch, an epoch index), runs the loop body up to the
 * backward call and hands over the loss tensor; the trace does the backward and the optimiser step.
 */
import type { Expr, Range, Stmt } from './ast';
import { CantFollow } from './errors';
import type { Interpreter, Scope } from './interpreter';
import * as P from './protocol';
import { isInt, PyIter, PyOpaque, PyRange, toBigInt, Value } from './values';
import { expressionsIn, nestedBlocks, ownExprs, statementsIn } from './walk';

export type LoopStmt = Extract<Stmt, { k: 'for' | 'while' }>;

/** The `X.backward(...)` call in an expression, if any (not inside a lambda). */
function backwardCall(e: Expr): Extract<Expr, { k: 'call' }> | null {
  for (const x of expressionsIn(e)) {
    if (x.k === 'call' && x.fn.k === 'attr' && x.fn.name === 'backward') return x;
  }
  return null;
}

const calls = new WeakMap<Stmt, Extract<Expr, { k: 'call' }> | null>();

/** The backward call a statement makes itself or in its nested blocks (not in nested functions). */
export function backwardIn(s: Stmt): Extract<Expr, { k: 'call' }> | null {
  if (calls.has(s)) return calls.get(s)!;
  let found: Extract<Expr, { k: 'call' }> | null = null;
  for (const x of statementsIn(s)) {
    for (const e of ownExprs(x)) {
      found = backwardCall(e);
      if (found) break;
    }
    if (found) break;
  }
  calls.set(s, found);
  return found;
}

/** A loop whose own body (not a loop inside it) calls backward: the loop to take over. */
export function isTrainingLoop(s: LoopStmt): boolean {
  if (!backwardIn(s)) return false;
  const inner = statementsIn(s.body).filter((x) => x !== s && (x.k === 'for' || x.k === 'while') && backwardIn(x));
  return inner.length === 0;
}

/** The training loop found, with the scope its body runs in and what is known of its length. */
export interface TrainingLoop {
  stmt: LoopStmt;
  scope: Scope;
  /** Items the loop would take (null: unknown or endless). */
  count: number | null;
  /** Enclosing loops' counts multiply the steps the script would run (null: unknown). */
  backward: Extract<Expr, { k: 'call' }>;
}

/** Thrown to stop evaluating the script once its training loop is found. */
export class TrainingLoopFound extends Error {
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
 * One step of the script's loop: the loop's next item (starting again when the iterable ends, as
 * the next epoch would), the body up to backward, and the loss the backward was called on.
 */
export class LoopStep {
  private it: PyIter | null = null;
  private count = 0;

  constructor(
    private readonly interp: Interpreter,
    readonly loop: TrainingLoop,
  ) {}

  /** Binds the loop variable for the next step. */
  next(r: Range): void {
    const s = this.loop.stmt;
    if (s.k === 'while') return;
    let v = this.it?.next();
    if (v === undefined) {
      this.it = P.iterate(this.interp, this.interp.eval(s.iter, this.loop.scope), s.iter.r);
      v = this.it.next();
      if (v === undefined) throw new CantFollow(new PyOpaque('a training loop over nothing', s.iter.r), r);
    }
    this.count++;
    this.interp.assign(s.target, v, this.loop.scope);
  }

  /** Runs the body to the backward call and returns the tensor it was called on. */
  lossOf(): Value {
    const found = this.run(this.loop.stmt.body);
    if (found === undefined) {
      throw new CantFollow(new PyOpaque('a training step that did not reach loss.backward()', this.loop.backward.r), this.loop.stmt.r);
    }
    return found;
  }

  private run(stmts: readonly Stmt[]): Value | undefined {
    const scope = this.loop.scope;
    for (const s of stmts) {
      const b = backwardIn(s);
      if (!b) {
        this.interp.exec(s, scope);
        continue;
      }
      if (s.k === 'expr' && s.e === b) {
        const recv = b.fn.k === 'attr' ? b.fn.obj : null;
        return recv ? this.interp.eval(recv, scope) : undefined;
      }
      switch (s.k) {
        case 'if': {
          const t = this.interp.eval(s.test, scope);
          if (t instanceof PyOpaque) throw new CantFollow(t, s.test.r);
          return this.run(this.interp.truthy(t, s.test.r) ? s.body : s.orelse);
        }
        case 'with':
        case 'try':
          return this.run(nestedBlocks(s)[0]);
        default: {
          // `loss.backward()` inside a larger expression, or after another statement form: evaluate up to it.
          const recv = b.fn.k === 'attr' ? b.fn.obj : null;
          return recv ? this.interp.eval(recv, scope) : undefined;
        }
      }
    }
    return undefined;
  }
}

/** The number an integer-valued Python value holds, else null. */
export function intValue(v: Value): number | null {
  return isInt(v) ? Number(toBigInt(v)) : null;
}
