/**
 * The optimiser contract, torch.optim.Optimizer's: parameters updated in place from their `.grad`,
 * skipped while their grad is null, state kept in the parameter's own dtype (as PyTorch's
 * `zeros_like`), so float32 runs round like PyTorch's. Each update bumps the parameter's version,
 * as PyTorch's in-place update does.
 */
import type { FloatArray } from '../dtype';
import { markWritten, type Tensor } from '../tensor';
import { clipGradNorm_, clipGradValue_ } from './clip';

/**
 * Gradient clipping before every step, as a training loop calls torch.nn.utils.clip_grad_norm_ (or
 * clip_grad_value_) between backward() and step(): a spec's optimizer option.
 */
export type GradientClip = { kind: 'norm'; maxNorm: number; normType: number } | { kind: 'value'; clipValue: number };

/** What the clipping did on the last step: the total gradient norm before it and the factor it scaled by. */
export interface ClipRecord {
  /** The L2 norm of all gradients together, before clipping (the p-norm of clip_grad_norm_'s norm_type there). */
  totalNorm: number;
  /** clip_grad_norm_: min(1, max_norm/(total + 1e−6)), what every gradient was scaled by. */
  scale: number | null;
  /** clip_grad_value_: the share of gradient entries clamped. */
  clampedShare: number | null;
}

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

  /**
   * Called first by every step: a Python script's optimiser reads the learning rates its
   * `optimizer.param_groups` dicts hold now (a warmup sets them in the loop body, before backward).
   */
  beforeStep: (() => void) | null = null;

  /** Clip the gradients before each step (null: no clipping). */
  clip: GradientClip | null = null;
  /** The clipping of the last step, when clipping is on. */
  lastClip: ClipRecord | null = null;

  /**
   * One update of every parameter that has a gradient; parameters whose grad is null are skipped.
   * With clipping on, the gradients are clipped first, into copies: the arrays the caller holds keep
   * the gradients backward() computed.
   */
  step(): void {
    this.beforeStep?.();
    if (this.clip) this.clipGradients(this.clip);
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (!p.grad) continue;
      this.update(p, p.grad, i);
      markWritten(p);
    }
  }

  protected clipGradients(clip: GradientClip): void {
    const withGrad = this.params.filter((p) => p.grad !== null);
    for (const p of withGrad) p.grad = p.grad!.slice();
    if (clip.kind === 'norm') {
      const totalNorm = clipGradNorm_(withGrad, clip.maxNorm, clip.normType);
      const coef = clip.maxNorm / (totalNorm + 1e-6);
      this.lastClip = { totalNorm, scale: coef > 1 ? 1 : coef, clampedShare: null };
      return;
    }
    let total = 0;
    let count = 0;
    let clamped = 0;
    for (const p of withGrad) {
      for (const v of p.grad!) {
        total += v * v;
        count++;
        if (Math.abs(v) > clip.clipValue) clamped++;
      }
    }
    clipGradValue_(withGrad, clip.clipValue);
    this.lastClip = { totalNorm: Math.sqrt(total), scale: null, clampedShare: count ? clamped / count : 0 };
  }

  /** Drops every gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  protected abstract update(p: Tensor, grad: FloatArray, index: number): void;
}

export function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}
