/**
 * What the model front ends record of an op with a user-written backward (a decorated TypeScript
 * model's, a Python torch.autograd.Function's), for the custom-gradient rule to re-run. Here, below
 * the rules, so a front end can record it without importing them.
 */
import type { Tensor } from '../engine/tensor';
import type { SourceRange } from './graph';

/** A custom op as the custom-gradient rule re-runs it: the user's functions and the inputs it saw. */
export interface CustomOpUse {
  name: string;
  /** The input checked, by its name, when the op has several (a Python Function's `forward(ctx, a, b)`): the others are held. */
  input?: string;
  forward(x: Tensor): Tensor;
  backward(x: Tensor, y: Tensor, dy: Tensor): Tensor;
  /** Copies of inputs the op received during the trace (the first and the latest). */
  inputs: { shape: number[]; data: Float64Array }[];
  /** The user's `backward`: where the finding goes. */
  backwardRange: SourceRange;
  /** Layers it ran in ('' outside any layer). */
  layers: string[];
}
