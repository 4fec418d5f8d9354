/**
 * torch.nn.init with a seeded Rng in place of PyTorch's global generator, so a spec initialises to
 * the same weights on every machine. Every function fills the tensor's data in place and returns it.
 * The formulas, defaults and error messages are PyTorch's; the random streams are ours.
 */
import { erf } from './ops/activation';
import type { Rng } from './rng';
import { formatShape } from './shape';
import { markWritten, type Tensor } from './tensor';

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
  if (m !== 'fan_in' && m !== 'fan_out') throw new Error(`Mode ${m} not supported, please use one of ['fan_in', 'fan_out']`);
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
  markWritten(t);
  return t;
}

/** N(mean, std²). */
export function normal(t: Tensor, rng: Rng, mean = 0, std = 1): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  markWritten(t);
  return t;
}

export function constant(t: Tensor, val: number): Tensor {
  t.data.fill(val);
  markWritten(t);
  return t;
}

export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/**
 * The inverse error function: a close start (Giles 2010) polished by Newton steps on erf until
 * they stop moving, so erf of the result is y to rounding; ±1 map to ±∞ as torch.erfinv.
 */
export function erfinv(y: number): number {
  if (y !== y || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
    x = p * y;
  }
  for (let k = 0; k < 8; k++) {
    const step = (erf(x) - y) / (Math.exp(-x * x) * 1.1283791670955126);
    x -= step;
    if (!(Math.abs(step) > 1e-15 * Math.abs(x))) break;
  }
  return x;
}

const normCdf = (x: number): number => (1 + erf(x / Math.SQRT2)) / 2;

/**
 * N(mean, std²) truncated to [a, b] (absolute bounds, not in stds), drawn as torch.nn.init.trunc_normal_
 * does: one uniform per element through the inverse CDF, then clamped. So trunc_normal_(std=0.02)
 * with the default ±2 is an untruncated normal, as in PyTorch.
 */
export function truncNormal(t: Tensor, rng: Rng, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = mean + std * Math.SQRT2 * erfinv(rng.between(2 * l - 1, 2 * u - 1));
    d[i] = Math.min(b, Math.max(a, v));
  }
  markWritten(t);
  return t;
}

/** The identity in a 2-D tensor (torch.nn.init.eye_): ones on the diagonal of a rectangle too. */
export function eye(t: Tensor): Tensor {
  if (t.shape.length !== 2) throw new Error('Only tensors with 2 dimensions are supported');
  const [rows, cols] = t.shape;
  t.data.fill(0);
  for (let i = 0; i < Math.min(rows, cols); i++) t.data[i * cols + i] = 1;
  markWritten(t);
  return t;
}

/**
 * A conv kernel that passes its input through (torch.nn.init.dirac_): in each of `groups` groups,
 * output channel d reads input channel d at the kernel's centre, as many channels as both sides have.
 */
export function dirac(t: Tensor, groups = 1): Tensor {
  const dims = t.shape.length;
  if (dims < 3 || dims > 5) throw new Error('Only tensors with 3, 4, or 5 dimensions are supported');
  if (!Number.isInteger(groups) || groups < 1 || t.shape[0] % groups !== 0) throw new Error('dim 0 must be divisible by groups');
  const perGroup = t.shape[0] / groups;
  const kernel = t.shape.slice(2);
  const kernelSize = kernel.reduce((p, s) => p * s, 1);
  // The centre's offset inside one [in] slice: each kernel axis at size // 2, row-major.
  let centre = 0;
  for (const s of kernel) centre = centre * s + Math.floor(s / 2);
  t.data.fill(0);
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < Math.min(perGroup, t.shape[1]); d++) t.data[((g * perGroup + d) * t.shape[1] + d) * kernelSize + centre] = 1;
  }
  markWritten(t);
  return t;
}

/**
 * A (semi-)orthogonal matrix (torch.nn.init.orthogonal_, Saxe et al. 2013): dim 0 rows, the rest
 * flattened into columns, the Q of a standard normal matrix's QR with R's diagonal made positive.
 * PyTorch's LAPACK Householder QR followed by its sign correction is that unique positive-diagonal
 * factorisation, which Gram–Schmidt (run twice, for orthogonality to rounding) gives directly; the
 * normal draws are our Rng's, so the values differ from torch's while the distribution (Haar) and
 * the properties (QᵀQ = I or QQᵀ = I, scaled by gain) are the same.
 */
export function orthogonal(t: Tensor, rng: Rng, gain = 1): Tensor {
  if (t.shape.length < 2) throw new Error('Only tensors with 2 or more dimensions are supported');
  if (t.size === 0) return t;
  const rows = t.shape[0];
  const cols = t.size / rows;
  // The tall side is m; columns of the m×n matrix A (n ≤ m) are orthonormalised in order.
  const [m, n] = rows < cols ? [cols, rows] : [rows, cols];
  const q: Float64Array[] = [];
  const drawn = new Float64Array(rows * cols);
  for (let i = 0; i < drawn.length; i++) drawn[i] = rng.normal();
  for (let j = 0; j < n; j++) {
    // Column j of A: the drawn rows×cols matrix read as is (rows ≥ cols) or transposed.
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = rows < cols ? drawn[j * cols + i] : drawn[i * cols + j];
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= dot * u[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] /= norm;
    q.push(v);
  }
  const d = t.data;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) d[r * cols + c] = gain * (rows < cols ? q[r][c] : q[c][r]);
  }
  markWritten(t);
  return t;
}

/**
 * Martens' sparse init (torch.nn.init.sparse_): N(0, std²), then in every column ⌈sparsity·rows⌉
 * rows, chosen by a random permutation per column, set to zero.
 */
export function sparse(t: Tensor, rng: Rng, sparsity: number, std = 0.01): Tensor {
  if (t.shape.length !== 2) throw new Error('Only tensors with 2 dimensions are supported');
  const [rows, cols] = t.shape;
  // A negative count slices from the end in PyTorch's row_indices[:num_zeros].
  const count = Math.ceil(sparsity * rows);
  const zeroed = count < 0 ? Math.max(0, rows + count) : count;
  normal(t, rng, 0, std);
  const perm = new Int32Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < rows; i++) perm[i] = i;
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.integer(0, i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let k = 0; k < Math.min(zeroed, rows); k++) t.data[perm[k] * cols + c] = 0;
  }
  markWritten(t);
  return t;
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
    markWritten(weight);
  }
}

/** BatchNorm and LayerNorm: weight 1, bias 0. */
export function defaultNorm(weight: Tensor | null, bias: Tensor | null): void {
  if (weight) ones(weight);
  if (bias) zeros(bias);
}
