/** Loss modules with PyTorch's names and reductions; their ops are attributed to the layer "loss". */
import { popLayer, pushLayer } from '../context';
import * as F from '../functional';
import type { Reduction } from '../ops/loss';
import type { Tensor } from '../tensor';

export interface LossOptions {
  reduction?: Reduction;
}

export abstract class Loss {
  readonly reduction: Reduction;

  constructor({ reduction = 'mean' }: LossOptions = {}) {
    this.reduction = F.checkReduction(reduction);
  }

  call(input: Tensor, target: Tensor): Tensor {
    // push/pop rather than withLayer's closure, as Module.call: this runs every step.
    pushLayer('loss');
    try {
      return this.forward(input, target);
    } finally {
      popLayer();
    }
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

export interface SmoothL1LossOptions extends LossOptions {
  beta?: number;
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor({ beta = 1, reduction }: SmoothL1LossOptions = {}) {
    super({ reduction });
    this.beta = beta;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.reduction, this.beta);
  }
}

export interface ClassLossModuleOptions extends LossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
}

export interface CrossEntropyLossOptions extends ClassLossModuleOptions {
  labelSmoothing?: number;
}

/** Logits (N, C) or (N, C, d...) against class indices (N) or (N, d...), or class probabilities of the logits' shape. */
export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor({ weight = null, ignoreIndex = -100, labelSmoothing = 0, reduction }: CrossEntropyLossOptions = {}) {
    super({ reduction });
    this.weight = weight;
    this.ignoreIndex = ignoreIndex;
    this.labelSmoothing = labelSmoothing;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing, reduction: this.reduction });
  }
}

/** Log-probabilities (N, C) or (N, C, d...) against class indices. */
export class NLLLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;

  constructor({ weight = null, ignoreIndex = -100, reduction }: ClassLossModuleOptions = {}) {
    super({ reduction });
    this.weight = weight;
    this.ignoreIndex = ignoreIndex;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export interface BCELossOptions extends LossOptions {
  weight?: Tensor | null;
}

/** Probabilities in [0, 1] against targets of the same shape. */
export class BCELoss extends Loss {
  readonly weight: Tensor | null;

  constructor({ weight = null, reduction }: BCELossOptions = {}) {
    super({ reduction });
    this.weight = weight;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

export interface BCEWithLogitsLossOptions extends BCELossOptions {
  posWeight?: Tensor | null;
}

/** Logits against targets of the same shape; sigmoid fused in for stability. */
export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;

  constructor({ weight = null, posWeight = null, reduction }: BCEWithLogitsLossOptions = {}) {
    super({ reduction });
    this.weight = weight;
    this.posWeight = posWeight;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}
