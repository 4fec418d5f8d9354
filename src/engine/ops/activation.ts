/** Elementwise activations and softmax/log_softmax. */
import type { NoAttrs, OpTable } from './types';

export interface ActivationAttrs {
  sigmoid: NoAttrs;
  tanh: NoAttrs;
  relu: NoAttrs;
  leaky_relu: { negativeSlope: number };
  elu: { alpha: number };
  gelu: { approximate: 'none' | 'tanh' };
  softplus: { beta: number; threshold: number };
  softmax: { axis: number };
  log_softmax: { axis: number };
}

export const activationOps = {} as OpTable<ActivationAttrs>;
