/** How evaluation ends early: a Python exception, a value Gradient Lens cannot follow, a limit. */
import type { Range } from './ast';
import type { PyInstance, PyOpaque } from './values';

/**
 * These errors are Python's control flow (StopIteration, hasattr's AttributeError, a skipped
 * statement), thrown often: they carry the user's location, not a JavaScript stack, which would
 * cost more to capture than the rest of the step.
 */
export abstract class Signal extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A Python exception in flight (raised by the file, or by a built-in as CPython would). */
export class PyRaise extends Signal {
  /** Call sites it unwound through, innermost first (a traceback in the user's text). */
  readonly traceback: Range[] = [];
  constructor(
    readonly exc: PyInstance,
    /** Where it was raised. */
    public r: Range | null,
    message: string,
  ) {
    super(message);
  }
}

/** A concrete value was needed (a layer size, a condition, a loop count) and an opaque one was there. */
export class CantFollow extends Signal {
  constructor(
    readonly opaque: PyOpaque,
    /** Where the value was needed. */
    readonly use: Range,
  ) {
    super(`Gradient Lens can't follow ${opaque.construct} here`);
  }

  /** Other values the same training needs and Gradient Lens cannot follow either (the loop's data beside its optimiser), each its own diagnostic. */
  also: CantFollow[] = [];
}

/**
 * The script works in another floating-point type than the run (`model.double()`,
 * `torch.set_default_dtype(torch.float64)`): a run whose dtype nobody chose reads it again in that one.
 */
export class DtypeCast extends CantFollow {
  constructor(
    readonly dtype: 'float32' | 'float64',
    opaque: PyOpaque,
    use: Range,
  ) {
    super(opaque, use);
  }
}

export type LimitKind = 'steps' | 'depth' | 'size';

/** A hostile or runaway file: too many evaluation steps, too deep a recursion, too large a value. */
export class LimitExceeded extends Signal {
  constructor(
    readonly kind: LimitKind,
    message: string,
    readonly r: Range,
  ) {
    super(message);
  }
}

/**
 * sys.exit(), exit(), quit(): the script ends here, not an error. `argparse` says why when it
 * refuses the arguments the script was given (Python prints it and exits with status 2).
 */
export class ScriptExit extends Signal {
  constructor(
    readonly r: Range,
    readonly argparseError?: string,
  ) {
    super(argparseError ? `argparse: error: ${argparseError}` : 'the script calls sys.exit()');
  }
}

/**
 * Tensor.backward() reached while the trace runs a closure handed to `optimizer.step(closure)`:
 * the loss it was called on. The trace does the backward pass and the step itself.
 */
export class BackwardReached extends Signal {
  constructor(readonly loss: unknown) {
    super('backward reached');
  }
}

/**
 * Thrown by a training script's own step when the script takes no further optimiser step: the
 * trace ends there (src/trace/run.ts), with the steps the script takes, short of the count asked.
 */
export class LoopEnded extends Error {
  override name = 'LoopEnded';
  constructor(readonly steps: number) {
    super(`the training loop ends after ${steps} optimiser steps`);
  }
}
