/** Matrix products: matmul and the fused linear layer (y = x Wᵀ + b, W stored [out, in] as PyTorch). */
import type { NoAttrs, OpTable } from './types';

export interface LinalgAttrs {
  matmul: NoAttrs;
  /** inputs: [x, weight] or [x, weight, bias] */
  linear: NoAttrs;
}

export const linalgOps = {} as OpTable<LinalgAttrs>;
