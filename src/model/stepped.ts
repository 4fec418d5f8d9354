import type { FloatArray } from '../engine';

/** What another optimiser's step in the user's step applied to one parameter (a GAN's optimizer_G.step()), as the trace records it. */
export interface SteppedParam {
  grad: FloatArray | null;
  before: FloatArray;
}
