/** Loss modules with PyTorch's names and reductions; their ops are attributed to the layer "loss". */
import { withLayer } from '../context';
import * as F from '../functional';
import type { Reduction } from '../ops/loss';
import type { Tensor } from '../tensor';

export interface LossOptions {
  reduction?: Reduction;
}

export abstract class Loss {
  readonly reduction: Reduction;

  constructor({ reduction = 'mean' }: LossOptions = {}) {
    if (reduction !== 'mean' && reduction !== 'sum') throw new RangeError(`${reduction} is not a valid value for reduction (use 'mean' or 'sum')`);
    this.reduction = reduction;
  }

  call(input: Tensor, target: Tensor): Tensor {
    return withLayer('loss', () => this.forward(input, target));
  }

  abstract forward(input: Tensor, target: Tensor): Tensor;
}

export class MSELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.reduction);
  }
}

export class L1Loss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, this.reduction);
  }
}

export interface HuberLossOptions extends LossOptions {
  delta?: number;
}

export class HuberLoss extends Loss {
  readonly delta: number;

  constructor({ delta = 1, reduction }: HuberLossOptions = {}) {
    super({ reduction });
    this.delta = delta;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.delta, this.reduction);
  }
}

/** Logits (N, C) or (N, C, d...) against class indices (N) or (N, d...). */
export class CrossEntropyLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.reduction);
  }
}

/** Log-probabilities (N, C) or (N, C, d...) against class indices. */
export class NLLLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, this.reduction);
  }
}

/** Probabilities in [0, 1] against targets of the same shape. */
export class BCELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceLoss(input, target, this.reduction);
  }
}

/** Logits against targets of the same shape; sigmoid fused in for stability. */
export class BCEWithLogitsLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceWithLogits(input, target, this.reduction);
  }
}
