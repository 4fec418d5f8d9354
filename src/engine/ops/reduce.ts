/** Reductions over axes: sum, mean, max. */
import type { OpTable } from './types';

export interface ReduceAttrs {
  /** Axes to reduce (already normalised, sorted); null means all. */
  sum: { axes: number[] | null; keepDims: boolean };
  mean: { axes: number[] | null; keepDims: boolean };
  max: { axes: number[] | null; keepDims: boolean };
}

export const reduceOps = {} as OpTable<ReduceAttrs>;
