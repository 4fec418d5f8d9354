/**
 * How much memory a model's trace needs, from the shapes alone: checked before anything is built,
 * against the same limit the engine then counts against while the trace runs (src/limits.ts).
 *
 * - Every parameter is held as its weights, the trace's copy of them before each update (for the
 *   update/weight ratio), its gradient, and the optimiser's state (SGD's momentum buffer, Adam's two
 *   moments, a third with amsgrad).
 * - Every layer's output is held for the batch, and so is the gradient flowing back into it: two
 *   tensors of the output's size. (Identity and Flatten allocate less, Linear's bias add and the
 *   loss a little more; test/unit/model/memory.test.ts holds the estimate against what the engine
 *   really counts.)
 * - The batch itself: input and target; and the loss: a tensor of the output's size and the value.
 */
import type { LayerNode, ModelSpec, OptimizerSpec } from './graph';
import { layersBelow } from './graph';
import { traitsOf } from './catalogue';
import { OPTIMIZERS } from './catalogue/optimizers';

/** Tensors of a parameter's size besides the optimiser's state: weights, gradient, pre-update copy. */
export const PARAMETER_COPIES = 3;
/** Tensors of a layer output's size per step: the output and its gradient. */
export const ACTIVATION_COPIES = 2;

/** Tensors of a parameter's size the optimiser keeps (the catalogue's word for it; a test holds it to the engine's). */
export function optimizerSlots(opt: Pick<OptimizerSpec, 'type' | 'args'>): number {
  return OPTIMIZERS[opt.type].state(opt.args).slots;
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

export interface MemoryAt {
  layer: LayerNode;
  /** The estimate with every layer up to this one, in bytes. */
  bytes: number;
  /** Of which parameters (with gradients, copies and optimiser state)… */
  parameterBytes: number;
  /** …and activations (outputs and their gradients, for the batch, plus the batch itself). */
  activationBytes: number;
}

/** The running estimate after each leaf layer, in forward order; the last entry is the whole model's. */
export function memoryByLayer(spec: Pick<ModelSpec, 'model' | 'input' | 'target' | 'optimizer'>, batchSize: number, bytesPerValue: number): MemoryAt[] {
  const perParam = (PARAMETER_COPIES + optimizerSlots(spec.optimizer)) * bytesPerValue;
  let parameterBytes = 0;
  // The batch, the loss value, and the loss's gradient w.r.t. the model's output.
  const lossGrad = Math.max(product(spec.model.outShape), product(spec.target.shape));
  let activationBytes = (product(spec.input.shape) + product(spec.target.shape) + lossGrad) * batchSize * bytesPerValue + bytesPerValue;
  const out: MemoryAt[] = [];
  for (const layer of layersBelow(spec.model)) {
    if (traitsOf(layer.type).container) continue;
    for (const p of layer.params) parameterBytes += product(p.shape) * perParam;
    activationBytes += ACTIVATION_COPIES * product(layer.outShape) * batchSize * bytesPerValue;
    out.push({ layer, bytes: parameterBytes + activationBytes, parameterBytes, activationBytes });
  }
  return out;
}

/**
 * What the engine holds for a whole run before a step allocates anything: parameters with their
 * pre-update copies and optimiser state, and the batch (gradients and activations are counted as
 * each step makes them).
 */
export function persistentBytes(params: readonly { data: { byteLength: number } }[], slots: number, batch: readonly { data: { byteLength: number } }[]): number {
  let bytes = 0;
  for (const p of params) bytes += p.data.byteLength * (PARAMETER_COPIES - 1 + slots);
  for (const t of batch) bytes += t.data.byteLength;
  return bytes;
}
