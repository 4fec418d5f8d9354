/** torch.optim.SGD with PyTorch 1.13's single-tensor update rule (maximize=False). */
import { FloatArray, like } from '../dtype';
import type { Tensor } from '../tensor';
import { check, Optimizer } from './optimizer';

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
