/** Losses with PyTorch's names and reductions, fused for numerical stability. */
import type { OpTable } from './types';

export type Reduction = 'mean' | 'sum';

export interface LossAttrs {
  /** inputs: [input, target] for all of them. */
  mse_loss: { reduction: Reduction };
  l1_loss: { reduction: Reduction };
  huber_loss: { reduction: Reduction; delta: number };
  /** input (N, C) logits (or (N, C, d...)), target (N) class indices stored as floats. */
  cross_entropy: { reduction: Reduction };
  /** input (N, C) log-probabilities, target (N) class indices. */
  nll_loss: { reduction: Reduction };
  /** input probabilities in [0, 1]; log clamped at -100 as PyTorch. */
  bce_loss: { reduction: Reduction };
  bce_with_logits: { reduction: Reduction };
}

export const lossOps = {} as OpTable<LossAttrs>;
