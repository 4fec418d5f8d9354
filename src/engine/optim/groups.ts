/**
 * torch.optim's parameter groups: one optimiser over several lists of parameters, each list with its
 * own hyper-parameters (nanoGPT's configure_optimizers: weight decay on the matrices, none on biases
 * and norms). PyTorch keeps every parameter's state on its own and updates each group with the
 * group's options, so a group is exactly an optimiser of its own over its parameters; what they
 * share is the step (one clip over all gradients first, as clip_grad_norm_(model.parameters()) does).
 */
import type { FloatArray } from '../dtype';
import type { Tensor } from '../tensor';
import { Optimizer } from './optimizer';

export class ParamGroups extends Optimizer {
  readonly stateSlots: number;

  constructor(readonly groups: readonly Optimizer[]) {
    super(
      groups.flatMap((g) => g.params),
      groups[0]?.lr ?? 0,
    );
    // The memory estimate counts the largest state any group keeps (SGD with and without momentum).
    this.stateSlots = Math.max(...groups.map((g) => g.stateSlots));
  }

  /**
   * Each group's learning rate (a script sets them through optimizer.param_groups); `lr` stays the
   * first group's, the one PyTorch's schedulers' get_last_lr()[0] and the trace report.
   */
  setRates(rates: readonly number[]): void {
    rates.forEach((v, i) => (this.groups[i].lr = v));
    this.lr = rates[0];
  }

  override step(): void {
    this.beforeStep?.();
    if (this.clip) this.clipGradients(this.clip);
    for (const g of this.groups) g.step();
  }

  protected update(_p: Tensor, _grad: FloatArray, _index: number): void {
    throw new Error('ParamGroups updates through its groups');
  }
}
