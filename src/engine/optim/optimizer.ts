/**
 * The optimiser contract, torch.optim.Optimizer's: parameters updated in place from their `.grad`,
 * skipped while their grad is null, state kept in the parameter's own dtype (as PyTorch's
 * `zeros_like`), so float32 runs round like PyTorch's. Each update bumps the parameter's version,
 * as PyTorch's in-place update does.
 */
import type { FloatArray } from '../dtype';
import type { Tensor } from '../tensor';

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
      if (!p.grad) continue;
      this.update(p, p.grad, i);
      p.counter.value++;
    }
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
