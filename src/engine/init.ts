/**
 * torch.nn.init with a seeded Rng in place of PyTorch's global generator, so a spec initialises to
 * the same weights on every machine. Every function fills the tensor's data in place and returns it.
 * The formulas, defaults and error messages are PyTorch's; the random streams are ours.
 */
import type { Rng } from './rng';
import { formatShape } from './shape';
import type { Tensor } from './tensor';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fan_in' | 'fan_out';

/**
 * The factor that keeps activations' variance steady through `nonlinearity` (torch.nn.init.calculate_gain).
 * `param` is leaky_relu's negative slope (0.01 when not given).
 */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`negative_slope ${slope} not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      // SELU's gain is chosen empirically in PyTorch, not derived.
      return 3 / 4;
    default:
      throw new Error(`Unsupported nonlinearity ${nonlinearity}`);
  }
}

/**
 * PyTorch's `_calculate_fan_in_and_fan_out`: dim 1 is inputs, dim 0 outputs, and every further
 * dim (a conv kernel) multiplies both by the receptive field size.
 */
export function fanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(
      `Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape ${formatShape(shape)})`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function correctFan(shape: readonly number[], mode: FanMode | string): number {
  const m = mode.toLowerCase();
  if (m !== 'fan_in' && m !== 'fan_out') throw new Error(`Mode ${mode} not supported, please use one of fan_in, fan_out`);
  const { fanIn, fanOut } = fanInAndFanOut(shape);
  return m === 'fan_in' ? fanIn : fanOut;
}

/** PyTorch skips (with a warning) initialising a tensor with a zero-size dimension. */
function isEmpty(t: Tensor): boolean {
  return t.shape.includes(0);
}

/** U(a, b). */
export function uniform(t: Tensor, rng: Rng, a = 0, b = 1): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.between(a, b);
  return t;
}

/** N(mean, std²). */
export function normal(t: Tensor, rng: Rng, mean = 0, std = 1): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

export function constant(t: Tensor, val: number): Tensor {
  t.data.fill(val);
  return t;
}

export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Glorot: U(-a, a) with a = gain·√(6/(fan_in + fan_out)). */
export function xavierUniform(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = fanInAndFanOut(t.shape);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform(t, rng, -a, a);
}

/** Glorot: N(0, std²) with std = gain·√(2/(fan_in + fan_out)). */
export function xavierNormal(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = fanInAndFanOut(t.shape);
  return normal(t, rng, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * He: U(-bound, bound) with bound = gain·√(3/fan), gain from `nonlinearity` with slope `a`.
 * PyTorch's defaults: a = 0, mode fan_in, nonlinearity leaky_relu (so gain √2, as ReLU).
 */
export function kaimingUniform(
  t: Tensor,
  rng: Rng,
  a = 0,
  mode: FanMode = 'fan_in',
  nonlinearity: Nonlinearity = 'leaky_relu',
): Tensor {
  if (isEmpty(t)) return t;
  const fan = correctFan(t.shape, mode);
  const std = calculateGain(nonlinearity, a) / Math.sqrt(fan);
  const bound = Math.sqrt(3) * std;
  return uniform(t, rng, -bound, bound);
}

/** He: N(0, std²) with std = gain/√fan. */
export function kaimingNormal(
  t: Tensor,
  rng: Rng,
  a = 0,
  mode: FanMode = 'fan_in',
  nonlinearity: Nonlinearity = 'leaky_relu',
): Tensor {
  if (isEmpty(t)) return t;
  const fan = correctFan(t.shape, mode);
  return normal(t, rng, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan));
}

// ── the defaults torch.nn layers initialise themselves with ──

/**
 * Linear and Conv (`reset_parameters`): kaiming_uniform with a = √5 on the weight, which works out
 * to U(±1/√fan_in), and the bias U(±1/√fan_in) with fan_in read from the weight.
 */
export function defaultLinear(weight: Tensor, bias: Tensor | null, rng: Rng): void {
  kaimingUniform(weight, rng, Math.sqrt(5));
  if (bias) {
    const { fanIn } = fanInAndFanOut(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, rng, -bound, bound);
  }
}

/** Conv layers use the same rule as Linear; the kernel dims count toward fan_in. */
export const defaultConv = defaultLinear;

/** Embedding: N(0, 1), with the padding row zeroed. */
export function defaultEmbedding(weight: Tensor, rng: Rng, paddingIdx: number | null = null): void {
  normal(weight, rng);
  if (paddingIdx !== null) {
    const dim = weight.shape[1];
    weight.data.fill(0, paddingIdx * dim, (paddingIdx + 1) * dim);
  }
}

/** BatchNorm and LayerNorm: weight 1, bias 0. */
export function defaultNorm(weight: Tensor | null, bias: Tensor | null): void {
  if (weight) ones(weight);
  if (bias) zeros(bias);
}
