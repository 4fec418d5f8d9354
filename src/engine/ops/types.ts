/** What every op provides: a forward, a backward beside it, and what it saves for the backward. */
import type { FloatArray, TensorDType } from '../dtype';
import type { Shape } from '../shape';
import type { Tensor } from '../tensor';

export interface ForwardResult<S> {
  data: FloatArray;
  shape: Shape;
  /** What the backward needs besides inputs and output (tfjs's `outputsToSave`). */
  saved: S;
}

export interface BackwardArgs<A, S> {
  /** Gradient of the loss with respect to the op's output. */
  gy: FloatArray;
  inputs: readonly Tensor[];
  out: Tensor;
  attrs: A;
  saved: S;
  /** Which inputs want a gradient; a backward may skip (return null for) the others. */
  needs: readonly boolean[];
}

/** Local derivative of an elementwise activation, read by the saturation and dead-unit statistics. */
export interface ActivationShape {
  /** Largest value the derivative takes; "saturated" means below 1% of it. */
  peak: number;
  derivative(x: number): number;
  /**
   * Set when the derivative is 0 at or below this input and `peak` above it (ReLU: 0), NaN counting
   * as above as `derivative(NaN)` does: the statistics then count by one comparison per entry
   * instead of a call, with the same counts.
   */
  zeroAtOrBelow?: number;
}

/**
 * A tensor whose values a backward reads: input k, or the op's own output. PyTorch's autograd saves
 * these with their version and refuses to differentiate once an in-place op has changed them.
 */
export type Slot = number | 'output';

/**
 * What a fused recurrent op exposes to the instrument: its gates' activations (already computed for
 * the backward) and, once the backward has run, the gradient norm that reached each time step.
 */
export interface RecurrentView {
  /** Time steps, in time order (not processing order). */
  steps: number;
  /** Whether the op runs backwards in time (the reverse direction of a bidirectional layer). */
  reverse: boolean;
  /**
   * Gate outputs after their nonlinearity, all steps: sigmoid gates saturate near 0 and 1, tanh
   * gates near ±1. Each gate is `count` columns from `start` in every row of `width` of `values`.
   */
  gates: readonly { kind: 'sigmoid' | 'tanh'; values: FloatArray; width: number; start: number; count: number }[];
  /** ‖∂loss/∂h_t‖ per time step, filled by the backward (null before it ran). */
  hiddenGradNorms: Float64Array | null;
}

export interface OpDef<A, S = undefined> {
  forward(inputs: readonly Tensor[], attrs: A): ForwardResult<S>;
  /** Gradients for each input, in order; null where none is needed or the input is not differentiable. */
  backward(args: BackwardArgs<A, S>): (FloatArray | null)[];
  /**
   * The inputs (by index) and whether the output are read by the backward, given which inputs need a
   * gradient: mul saves b only when a needs a gradient, as PyTorch's autograd does. The dispatcher
   * records their versions and the backward refuses stale ones.
   */
  saves: readonly Slot[] | ((needs: readonly boolean[], attrs: A) => readonly Slot[]);
  /**
   * Set where PyTorch's node saves a tensor that is neither an input nor the output here (an index,
   * dropout's mask, a Python scalar wrapped as a tensor): a backward reaching it after an earlier
   * one freed the graph raises through it too, as through the tensors of `saves`.
   */
  savesBesides?: (attrs: A) => boolean;
  /** The output's dtype; the first input's when absent (argmax: int64, comparisons: bool). */
  outDtype?: (inputs: readonly Tensor[], attrs: A) => TensorDType;
  /** False for ops with no derivative (argmax, comparisons, detach): their outputs never require a gradient. */
  differentiable?: false;
  /** Present on elementwise activations; a function of the attributes (a LeakyReLU's slope changes its shape). */
  activation?: (attrs: A) => ActivationShape;
  /** Present on fused recurrent ops: what the instrument reads about gates and time steps. */
  recurrent?: (saved: S, attrs: A) => RecurrentView;
}

/** Identity that lets TypeScript infer the saved type `S` from the forward. */
export function defineOp<A, S = undefined>(def: OpDef<A, S>): OpDef<A, S> {
  return def;
}

/** An op family's table: one definition per attribute entry, so no op can lack a backward. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OpTable<M> = { [K in keyof M]: OpDef<M[K], any> };

export type NoAttrs = Record<string, never>;

// eachOther's four answers, made once: it runs on every linear, matmul and mul of every step.
// Not frozen: a loop over a frozen array took four times as long here.
const SAVES_NONE: readonly Slot[] = [];
const SAVES_A: readonly Slot[] = [0];
const SAVES_B: readonly Slot[] = [1];
const SAVES_BOTH: readonly Slot[] = [0, 1];

/** Saves for an op whose two inputs each need the other for their gradient (mul: d a = b·dy). */
export function eachOther(needs: readonly boolean[]): readonly Slot[] {
  return needs[1] ? (needs[0] ? SAVES_BOTH : SAVES_A) : needs[0] ? SAVES_B : SAVES_NONE;
}
