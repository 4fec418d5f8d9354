/** Normalisation: batch_norm (training mode updates running stats) and layer_norm. */
import type { FloatArray } from '../dtype';
import type { OpTable } from './types';

export interface NormAttrs {
  /** inputs: [x] or [x, weight, bias]; normalises over every axis but 1 (channels). */
  batch_norm: {
    training: boolean;
    momentum: number;
    eps: number;
    /** Updated in place in training mode (unbiased variance, as PyTorch). */
    runningMean: FloatArray | null;
    runningVar: FloatArray | null;
  };
  /** inputs: [x] or [x, weight, bias]; normalises over the trailing `normalizedShape` axes. */
  layer_norm: { normalizedShape: number[]; eps: number };
}

export const normOps = {} as OpTable<NormAttrs>;
