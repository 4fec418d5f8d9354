/** torch.optim.Adam and AdamW with PyTorch 1.13's single-tensor update rules (maximize=False). */
import { FloatArray, like } from '../dtype';
import type { Tensor } from '../tensor';
import { check, Optimizer } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/** torch.optim.Adam's defaults: the one place they are written; the model catalogue reads them. */
export const ADAM_DEFAULTS: Readonly<Required<AdamOptions>> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false };

/** torch.optim.AdamW's: Adam's, with a weight decay of 0.01. */
export const ADAMW_DEFAULTS: Readonly<Required<AdamOptions>> = { ...ADAM_DEFAULTS, weightDecay: 1e-2 };

interface AdamState {
  step: number;
  expAvg: FloatArray;
  expAvgSq: FloatArray;
  maxExpAvgSq: FloatArray | null;
}

/**
 * g += wd·p (L2 added to the gradient, not AdamW's decoupled decay); m = β₁m + (1-β₁)g;
 * v = β₂v + (1-β₂)g²; p -= lr/(1-β₁ᵗ) · m / (√v/√(1-β₂ᵗ) + eps), with v's running max under amsgrad.
 */
export class Adam extends Optimizer {
  /** AdamW: the decay shrinks the weight (p *= 1 − lr·wd) instead of joining the gradient. */
  protected readonly decoupled: boolean = false;

  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  private readonly state: (AdamState | null)[];

  constructor(
    params: Iterable<Tensor>,
    { lr = ADAM_DEFAULTS.lr, betas = ADAM_DEFAULTS.betas, eps = ADAM_DEFAULTS.eps, weightDecay = ADAM_DEFAULTS.weightDecay, amsgrad = ADAM_DEFAULTS.amsgrad }: AdamOptions = {},
  ) {
    super(params, lr);
    check(eps >= 0, `Invalid epsilon value: ${eps}`);
    check(betas[0] >= 0 && betas[0] < 1, `Invalid beta parameter at index 0: ${betas[0]}`);
    check(betas[1] >= 0 && betas[1] < 1, `Invalid beta parameter at index 1: ${betas[1]}`);
    check(weightDecay >= 0, `Invalid weight_decay value: ${weightDecay}`);
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.amsgrad = amsgrad;
    this.state = this.params.map(() => null);
  }

  get stateSlots(): number {
    return this.amsgrad ? 3 : 2;
  }

  protected update(p: Tensor, grad: FloatArray, index: number): void {
    const { lr, eps, weightDecay, amsgrad } = this;
    const [beta1, beta2] = this.betas;
    const w = p.data;
    let s = this.state[index];
    if (!s) {
      s = { step: 0, expAvg: like(w), expAvgSq: like(w), maxExpAvgSq: amsgrad ? like(w) : null };
      this.state[index] = s;
    }
    // The step counts per parameter: one skipped for lack of a gradient does not advance.
    s.step++;
    if (this.decoupled && weightDecay !== 0) {
      const shrink = 1 - lr * weightDecay;
      for (let i = 0; i < w.length; i++) w[i] *= shrink;
    }
    const l2 = this.decoupled ? 0 : weightDecay;
    const { expAvg, expAvgSq, maxExpAvgSq } = s;
    const stepSize = lr / (1 - Math.pow(beta1, s.step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, s.step));
    for (let i = 0; i < w.length; i++) {
      const g = l2 !== 0 ? grad[i] + l2 * w[i] : grad[i];
      expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
      expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
      let v = expAvgSq[i];
      if (maxExpAvgSq) {
        // torch.maximum: NaN wins, so a NaN gradient stays visible.
        if (v > maxExpAvgSq[i] || Number.isNaN(v)) maxExpAvgSq[i] = v;
        v = maxExpAvgSq[i];
      }
      const denom = Math.sqrt(v) / bc2Sqrt + eps;
      w[i] -= stepSize * (expAvg[i] / denom);
    }
  }

  /** Steps taken by parameter `index` (0 before its first gradient). */
  stepCount(index: number): number {
    return this.state[index]?.step ?? 0;
  }
}

/**
 * torch.optim.AdamW (Loshchilov & Hutter): Adam whose weight decay multiplies the weight by
 * 1 − lr·wd before the step, apart from the gradient's moments. PyTorch's default decay is 0.01.
 */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: Iterable<Tensor>, { weightDecay = ADAMW_DEFAULTS.weightDecay, ...rest }: AdamOptions = {}) {
    super(params, { weightDecay, ...rest });
  }
}
