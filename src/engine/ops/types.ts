/** What every op provides: a forward, a backward beside it, and what it saves for the backward. */
import type { FloatArray } from '../dtype';
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
}

export interface OpDef<A, S = undefined> {
  forward(inputs: readonly Tensor[], attrs: A): ForwardResult<S>;
  /** Gradients for each input, in order; null where none is needed or the input is not differentiable. */
  backward(args: BackwardArgs<A, S>): (FloatArray | null)[];
  /** Present on elementwise activations; a function of the attributes (a LeakyReLU's slope changes its shape). */
  activation?: (attrs: A) => ActivationShape;
}

/** Identity that lets TypeScript infer the saved type `S` from the forward. */
export function defineOp<A, S = undefined>(def: OpDef<A, S>): OpDef<A, S> {
  return def;
}

/** An op family's table: one definition per attribute entry, so no op can lack a backward. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OpTable<M> = { [K in keyof M]: OpDef<M[K], any> };

export type NoAttrs = Record<string, never>;
