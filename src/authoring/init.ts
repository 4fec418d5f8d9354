/**
 * torch.nn.init with the run's seeded rng: `init.normal(this.fc1.weight, 0, 8)` in a constructor
 * draws the same numbers on every trace. Functions change the tensor in place and return it.
 */
import * as engine from '../engine/init';
import type { Tensor } from '../engine/tensor';
import { buildContext } from './registry';

const rng = () => buildContext().rng;

export const calculateGain = engine.calculateGain;
export const constant = engine.constant;
export const zeros = engine.zeros;
export const ones = engine.ones;

export function uniform(t: Tensor, a = 0, b = 1): Tensor {
  return engine.uniform(t, rng(), a, b);
}

export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  return engine.normal(t, rng(), mean, std);
}

export function xavierUniform(t: Tensor, gain = 1): Tensor {
  return engine.xavierUniform(t, rng(), gain);
}

export function xavierNormal(t: Tensor, gain = 1): Tensor {
  return engine.xavierNormal(t, rng(), gain);
}

export function kaimingUniform(t: Tensor, a = 0, mode: engine.FanMode = 'fan_in', nonlinearity: engine.Nonlinearity = 'leaky_relu'): Tensor {
  return engine.kaimingUniform(t, rng(), a, mode, nonlinearity);
}

export function kaimingNormal(t: Tensor, a = 0, mode: engine.FanMode = 'fan_in', nonlinearity: engine.Nonlinearity = 'leaky_relu'): Tensor {
  return engine.kaimingNormal(t, rng(), a, mode, nonlinearity);
}
