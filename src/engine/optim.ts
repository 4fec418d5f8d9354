/**
 * torch.optim.SGD and torch.optim.Adam with PyTorch's exact update rules (1.13's single-tensor
 * path, maximize=False). State (momentum, moments) is kept in the parameter's own dtype, as
 * PyTorch's `zeros_like` does, so float32 runs round like PyTorch's.
 */
import { FloatArray, like } from './dtype';
import type { Tensor } from './tensor';

export abstract class Optimizer {
  readonly params: readonly Tensor[];
  /** Tensors of each parameter's size the optimiser keeps as state (for memory estimates). */
  abstract readonly stateSlots: number;

  constructor(
    params: Iterable<Tensor>,
    /** Learning rate; mutable so a schedule (or a user) can change it between steps. */
    public lr: number,
  ) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error('optimizer got an empty parameter list');
    if (new Set(this.params).size !== this.params.length) throw new Error('some parameters appear more than once in the optimizer');
    for (const p of this.params) if (p.node) throw new Error(`can't optimize a non-leaf Tensor${p.name ? ` (${p.name})` : ''}`);
    check(lr >= 0, `Invalid learning rate: ${lr}`);
  }

  /** One update of every parameter that has a gradient; parameters whose grad is null are skipped. */
  step(): void {
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (p.grad) this.update(p, p.grad, i);
    }
  }

  /** Drops every gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  protected abstract update(p: Tensor, grad: FloatArray, index: number): void;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD's defaults (lr has none): the one place they are written; the model catalogue reads them. */
export const SGD_DEFAULTS: Readonly<Omit<Required<SGDOptions>, 'lr'>> = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };

/**
 * d = g + wd·p; with momentum, buf = d on the first step, then momentum·buf + (1-dampening)·d,
 * and d = buf (or d + momentum·buf with Nesterov); p -= lr·d.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buffers: (FloatArray | null)[];

  constructor(
    params: Iterable<Tensor>,
    { lr, momentum = SGD_DEFAULTS.momentum, dampening = SGD_DEFAULTS.dampening, weightDecay = SGD_DEFAULTS.weightDecay, nesterov = SGD_DEFAULTS.nesterov }: SGDOptions,
  ) {
    super(params, lr);
    check(momentum >= 0, `Invalid momentum value: ${momentum}`);
    check(weightDecay >= 0, `Invalid weight_decay value: ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
    this.buffers = this.params.map(() => null);
  }

  get stateSlots(): number {
    return this.momentum !== 0 ? 1 : 0;
  }

  protected update(p: Tensor, grad: FloatArray, index: number): void {
    const { momentum, dampening, weightDecay, nesterov, lr } = this;
    const w = p.data;
    let d: FloatArray = grad;
    if (weightDecay !== 0) {
      d = like(w);
      for (let i = 0; i < w.length; i++) d[i] = grad[i] + weightDecay * w[i];
    }
    if (momentum !== 0) {
      let buf = this.buffers[index];
      if (!buf) {
        // PyTorch starts the buffer at the first gradient itself, undamped.
        buf = like(w);
        buf.set(d);
        this.buffers[index] = buf;
      } else {
        for (let i = 0; i < w.length; i++) buf[i] = momentum * buf[i] + (1 - dampening) * d[i];
      }
      if (nesterov) {
        const n = like(w);
        for (let i = 0; i < w.length; i++) n[i] = d[i] + momentum * buf[i];
        d = n;
      } else {
        d = buf;
      }
    }
    for (let i = 0; i < w.length; i++) w[i] -= lr * d[i];
  }

  /** The momentum buffer of parameter `index` (null before its first step or without momentum). */
  momentumBuffer(index: number): FloatArray | null {
    return this.buffers[index];
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/** torch.optim.Adam's defaults: the one place they are written; the model catalogue reads them. */
export const ADAM_DEFAULTS: Readonly<Required<AdamOptions>> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false };

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
    const { expAvg, expAvgSq, maxExpAvgSq } = s;
    const stepSize = lr / (1 - Math.pow(beta1, s.step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, s.step));
    for (let i = 0; i < w.length; i++) {
      const g = weightDecay !== 0 ? grad[i] + weightDecay * w[i] : grad[i];
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
