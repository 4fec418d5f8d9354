/** torch.optim.RMSprop, Adagrad and Adadelta with PyTorch 1.13's single-tensor update rules (maximize=False). */
import { FloatArray, like } from '../dtype';
import type { Tensor } from '../tensor';
import { check, Optimizer } from './optimizer';

/** The options a caller set (undefined ones fall back to the defaults, as a destructuring default would). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** g + wd·p where weight decay is on, else g itself. */
function decayed(grad: FloatArray, w: FloatArray, weightDecay: number): FloatArray {
  if (weightDecay === 0) return grad;
  const d = like(w);
  for (let i = 0; i < w.length; i++) d[i] = grad[i] + weightDecay * w[i];
  return d;
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/** torch.optim.RMSprop's defaults, written once (the model catalogue reads them). */
export const RMSPROP_DEFAULTS: Readonly<Required<RMSpropOptions>> = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false };

/**
 * v = αv + (1−α)g²; centered: ḡ = αḡ + (1−α)g and the denominator √(v − ḡ²) + eps, else √v + eps;
 * with momentum b = μb + g/denom and p −= lr·b, else p −= lr·g/denom.
 */
export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  private readonly state: ({ squareAvg: FloatArray; gradAvg: FloatArray | null; buf: FloatArray | null } | null)[];

  constructor(params: Iterable<Tensor>, options: RMSpropOptions = {}) {
    const { lr, alpha, eps, weightDecay, momentum, centered } = { ...RMSPROP_DEFAULTS, ...definedOnly(options) };
    super(params, lr);
    check(eps >= 0, `Invalid epsilon value: ${eps}`);
    check(momentum >= 0, `Invalid momentum value: ${momentum}`);
    check(weightDecay >= 0, `Invalid weight_decay value: ${weightDecay}`);
    check(alpha >= 0, `Invalid alpha value: ${alpha}`);
    this.alpha = alpha;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.momentum = momentum;
    this.centered = centered;
    this.state = this.params.map(() => null);
  }

  get stateSlots(): number {
    return 1 + (this.centered ? 1 : 0) + (this.momentum > 0 ? 1 : 0);
  }

  protected update(p: Tensor, grad: FloatArray, index: number): void {
    const { lr, alpha, eps, momentum, centered } = this;
    const w = p.data;
    const g = decayed(grad, w, this.weightDecay);
    const s = (this.state[index] ??= { squareAvg: like(w), gradAvg: centered ? like(w) : null, buf: momentum > 0 ? like(w) : null });
    const { squareAvg, gradAvg, buf } = s;
    for (let i = 0; i < w.length; i++) {
      squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g[i] * g[i];
      let avg: number;
      if (gradAvg) {
        gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g[i];
        avg = Math.sqrt(squareAvg[i] - gradAvg[i] * gradAvg[i]) + eps;
      } else {
        avg = Math.sqrt(squareAvg[i]) + eps;
      }
      if (buf) {
        buf[i] = momentum * buf[i] + g[i] / avg;
        w[i] -= lr * buf[i];
      } else {
        w[i] -= (lr * g[i]) / avg;
      }
    }
  }
}

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

export const ADAGRAD_DEFAULTS: Readonly<Required<AdagradOptions>> = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 };

/** s += g²; p −= clr·g/(√s + eps) with clr = lr/(1 + (t−1)·lr_decay), t the parameter's step. */
export class Adagrad extends Optimizer {
  readonly lrDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;
  private readonly state: ({ step: number; sum: FloatArray } | null)[];

  constructor(params: Iterable<Tensor>, options: AdagradOptions = {}) {
    const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps } = { ...ADAGRAD_DEFAULTS, ...definedOnly(options) };
    super(params, lr);
    check(lrDecay >= 0, `Invalid lr_decay value: ${lrDecay}`);
    check(weightDecay >= 0, `Invalid weight_decay value: ${weightDecay}`);
    check(initialAccumulatorValue >= 0, `Invalid initial_accumulator_value value: ${initialAccumulatorValue}`);
    check(eps >= 0, `Invalid epsilon value: ${eps}`);
    this.lrDecay = lrDecay;
    this.weightDecay = weightDecay;
    this.initialAccumulatorValue = initialAccumulatorValue;
    this.eps = eps;
    // PyTorch fills the sums at construction, not at the first step
    this.state = this.params.map((p) => ({ step: 0, sum: like(p.data).fill(initialAccumulatorValue) }));
  }

  get stateSlots(): number {
    return 1;
  }

  protected update(p: Tensor, grad: FloatArray, index: number): void {
    const w = p.data;
    const g = decayed(grad, w, this.weightDecay);
    const s = this.state[index]!;
    s.step++;
    const clr = this.lr / (1 + (s.step - 1) * this.lrDecay);
    const sum = s.sum;
    for (let i = 0; i < w.length; i++) {
      sum[i] += g[i] * g[i];
      w[i] -= (clr * g[i]) / (Math.sqrt(sum[i]) + this.eps);
    }
  }
}

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
}

export const ADADELTA_DEFAULTS: Readonly<Required<AdadeltaOptions>> = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 };

/** v = ρv + (1−ρ)g²; δ = √(u + eps)/√(v + eps)·g; u = ρu + (1−ρ)δ²; p −= lr·δ. */
export class Adadelta extends Optimizer {
  readonly rho: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly state: ({ squareAvg: FloatArray; accDelta: FloatArray } | null)[];

  constructor(params: Iterable<Tensor>, options: AdadeltaOptions = {}) {
    const { lr, rho, eps, weightDecay } = { ...ADADELTA_DEFAULTS, ...definedOnly(options) };
    super(params, lr);
    check(rho >= 0 && rho <= 1, `Invalid rho value: ${rho}`);
    check(eps >= 0, `Invalid epsilon value: ${eps}`);
    check(weightDecay >= 0, `Invalid weight_decay value: ${weightDecay}`);
    this.rho = rho;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.state = this.params.map(() => null);
  }

  get stateSlots(): number {
    return 2;
  }

  protected update(p: Tensor, grad: FloatArray, index: number): void {
    const { lr, rho, eps } = this;
    const w = p.data;
    const g = decayed(grad, w, this.weightDecay);
    const s = (this.state[index] ??= { squareAvg: like(w), accDelta: like(w) });
    for (let i = 0; i < w.length; i++) {
      s.squareAvg[i] = rho * s.squareAvg[i] + (1 - rho) * g[i] * g[i];
      const delta = (Math.sqrt(s.accDelta[i] + eps) / Math.sqrt(s.squareAvg[i] + eps)) * g[i];
      s.accDelta[i] = rho * s.accDelta[i] + (1 - rho) * delta * delta;
      w[i] -= lr * delta;
    }
  }
}
