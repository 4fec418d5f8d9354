/** Elementwise activations and softmax/log_softmax. */
import { FloatArray, like } from '../dtype';
import { activationKernel, reluGradKernel, sigmoidGradKernel, softmaxRowsKernel } from '../kernels/elementwise';
import type { Shape } from '../shape';
import type { Tensor } from '../tensor';
import { around } from './reduce';
import { defineOp, NoAttrs, OpTable } from './types';

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
  silu: NoAttrs;
  mish: NoAttrs;
  /** min_val..max_val, linear between (ReLU6 is 0..6) */
  hardtanh: { min: number; max: number };
  tanhshrink: NoAttrs;
}

// ── error function ─────────────────────────────────────────────────────────
// Rational approximations of fdlibm's s_erf.c (Sun Microsystems, 1993: "Permission to use, copy,
// modify, and distribute this software is freely granted"), accurate to under 1 ulp in float64.
const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const QA = [1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const SA = [1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const SB = [3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

/** c[0] + s·c[1] + s²·c[2] + … (Horner). */
function poly(c: readonly number[], s: number): number {
  let r = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) r = r * s + c[i];
  return r;
}

/** 1 + s·c[0] + s²·c[1] + … */
function poly1(c: readonly number[], s: number): number {
  return 1 + s * poly(c, s);
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Which 32-bit word of a float64 holds the low mantissa bits on this platform. */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
/** x with the low 32 bits of its mantissa cleared, so z² is exact and exp(-x²) keeps full precision. */
function highWord(x: number): number {
  bits[0] = x;
  words[LOW_WORD] = 0;
  return bits[0];
}

/** The error function, to within 1 ulp in float64. */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 0.84375) {
    if (a < 2 ** -28) return x + EFX * x;
    const z = x * x;
    return x + x * (poly(PP, z) / poly1(QQ, z));
  }
  if (a < 1.25) {
    const s = a - 1;
    r = ERX + poly(PA, s) / poly1(QA, s);
  } else if (a >= 6) {
    r = 1;
  } else {
    const s = 1 / (a * a);
    const ratio = a < 1 / 0.35 ? poly(RA, s) / poly1(SA, s) : poly(RB, s) / poly1(SB, s);
    const z = highWord(a);
    r = 1 - (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + ratio)) / a;
  }
  return x < 0 ? -r : r;
}

// ── helpers ────────────────────────────────────────────────────────────────
function outOf(x: Tensor, data: FloatArray) {
  return { data, shape: x.shape, saved: undefined };
}

function mapValues(d: FloatArray, f: (v: number) => number): FloatArray {
  const out = like(d);
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return out;
}

/** dy · f'(x), elementwise. */
function mapGrad(gy: FloatArray, x: FloatArray, local: (v: number) => number): FloatArray {
  const g = like(gy);
  for (let i = 0; i < g.length; i++) g[i] = gy[i] * local(x[i]);
  return g;
}

/** The logistic function without overflow: e^x is only taken of a non-positive number. */
function logistic(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

// PyTorch's constants for GELU: √2/√π/2 = 1/√(2π), and the tanh form's √(2/π) and 0.044715.
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_2_OVER_PI = 0.7978845608028654;
const KAPPA = 0.044715;

// The exact forms below repeat PyTorch's own expressions (x·½·(1+erf(x/√2)) rather than the more
// accurate erfc form) so that results, including gelu(-inf) = NaN and 0 below x ≈ -8.3, agree with it.
function geluExact(v: number): number {
  return v * 0.5 * (1 + erf(v * SQRT1_2));
}
function geluExactGrad(v: number): number {
  return 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
}
function geluTanh(v: number): number {
  return 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + KAPPA * v * v * v)));
}
function geluTanhGrad(v: number): number {
  const t = Math.tanh(SQRT_2_OVER_PI * (v + KAPPA * v * v * v));
  return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * KAPPA * v * v);
}

// SiLU and Mish, their derivatives in PyTorch's form.
function siluGrad(v: number): number {
  const s = logistic(v);
  return s * (1 + v * (1 - s));
}
/** tanh(softplus(x)) without overflow: softplus = max(x, 0) + log1p(e^-|x|). */
function tanhSoftplus(v: number): number {
  return Math.tanh(Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
}
function mishGrad(v: number): number {
  const t = tanhSoftplus(v);
  return t + v * logistic(v) * (1 - t * t);
}

/** Largest value of a smooth derivative, found by golden-section search on [lo, hi] (once, at load). */
function peakOf(f: (x: number) => number, lo: number, hi: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 100; i++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (f(c) > f(d)) b = d;
    else a = c;
  }
  return f((a + b) / 2);
}
/** SiLU's derivative peaks at 1.0998 near x = 2.40, Mish's at 1.0886 near x = 1.19. */
const SILU_PEAK = peakOf(siluGrad, 0, 5);
const MISH_PEAK = peakOf(mishGrad, 0, 5);

/** Largest value of the exact GELU's derivative Φ(x) + x·φ(x), reached at x = √2 (where φ(x)(2 − x²) = 0). */
export const GELU_PEAK = geluExactGrad(Math.SQRT2);

/**
 * Calls `visit` once for each slice along `axis` (every position of the other axes): the slice's
 * elements sit at base, base + stride, … below end. Softmax and its gradients walk slices this way.
 */
function eachSlice(shape: Shape, axis: number, visit: (base: number, end: number, stride: number) => void): void {
  const [outer, n, inner] = around(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      visit(base, base + n * inner, inner);
    }
  }
}

/**
 * Softmax (or its log) along `axis`, shifted by the maximum so exp never overflows. A +inf entry
 * gives inf − inf = NaN for the whole slice, and an all −inf slice gives NaN, as PyTorch.
 */
function softmaxForward(x: Tensor, axis: number, log: boolean): FloatArray {
  const [, n, inner] = around(x.shape, axis);
  const d = x.data;
  // over the last axis (attention's weights, a classifier's outputs): contiguous rows, on the core
  const simd = !log && inner === 1 ? softmaxRowsKernel(d, n) : null;
  if (simd) return simd;
  const out = like(d);
  eachSlice(x.shape, axis, (base, end, stride) => {
    let m = -Infinity;
    for (let k = base; k < end; k += stride) {
      const v = d[k];
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    let s = 0;
    if (log) {
      for (let k = base; k < end; k += stride) s += Math.exp(d[k] - m);
      // (x − m) − log s, not x − (m + log s): the latter cancels digits when x ≈ m
      const logS = Math.log(s);
      for (let k = base; k < end; k += stride) out[k] = d[k] - m - logS;
    } else {
      for (let k = base; k < end; k += stride) {
        const e = Math.exp(d[k] - m);
        out[k] = e;
        s += e;
      }
      for (let k = base; k < end; k += stride) out[k] /= s;
    }
  });
  return out;
}

// ── the JavaScript loops of sigmoid, tanh and relu, into a given array (a replayed step's own: engine/replay) ──

export function sigmoidInto(d: FloatArray, out: FloatArray): FloatArray {
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v >= 0) {
      out[i] = 1 / (1 + Math.exp(-v));
    } else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
  return out;
}

export function sigmoidGradInto(gy: FloatArray, y: FloatArray, g: FloatArray): FloatArray {
  for (let i = 0; i < g.length; i++) g[i] = gy[i] * y[i] * (1 - y[i]);
  return g;
}

export function tanhInto(d: FloatArray, out: FloatArray): FloatArray {
  for (let i = 0; i < d.length; i++) out[i] = Math.tanh(d[i]);
  return out;
}

export function tanhGradInto(gy: FloatArray, y: FloatArray, g: FloatArray): FloatArray {
  for (let i = 0; i < g.length; i++) g[i] = gy[i] * (1 - y[i] * y[i]);
  return g;
}

/** Written so NaN fails the test and passes through, as torch.relu(nan) = nan. */
export function reluInto(d: FloatArray, out: FloatArray): FloatArray {
  for (let i = 0; i < d.length; i++) out[i] = d[i] <= 0 ? 0 : d[i];
  return out;
}

export function reluGradInto(gy: FloatArray, y: FloatArray, g: FloatArray): FloatArray {
  for (let i = 0; i < g.length; i++) g[i] = y[i] <= 0 ? 0 : gy[i];
  return g;
}

// ── the ops ────────────────────────────────────────────────────────────────
export const activationOps: OpTable<ActivationAttrs> = {
  // d sigmoid = y(1-y)·dy (the saved output)
  sigmoid: defineOp({
    saves: ['output'],
    forward: ([x]) => {
      const d = x.data;
      const simd = activationKernel('sigmoid', x);
      if (simd) return outOf(x, simd);
      return outOf(x, sigmoidInto(d, like(d)));
    },
    backward: ({ gy, out }) => {
      const y = out.data;
      const simd = sigmoidGradKernel(y, gy);
      if (simd) return [simd];
      return [sigmoidGradInto(gy, y, like(gy))];
    },
    activation: () => ({
      peak: 0.25,
      // e/(1+e)² with e = e^-|x| has no cancellation, so tiny derivatives far out stay exact
      derivative: (x) => {
        const e = Math.exp(-Math.abs(x));
        return e / ((1 + e) * (1 + e));
      },
    }),
  }),

  // d tanh = (1-y²)·dy (the saved output)
  tanh: defineOp({
    saves: ['output'],
    forward: ([x]) => {
      const d = x.data;
      const simd = activationKernel('tanh', x);
      if (simd) return outOf(x, simd);
      return outOf(x, tanhInto(d, like(d)));
    },
    backward: ({ gy, out }) => {
      const y = out.data;
      return [tanhGradInto(gy, y, like(gy))];
    },
    activation: () => ({
      peak: 1,
      // sech²x = 4e/(1+e)² with e = e^-2|x|, exact where 1 − tanh² would round to 0
      derivative: (x) => {
        const e = Math.exp(-2 * Math.abs(x));
        return (4 * e) / ((1 + e) * (1 + e));
      },
    }),
  }),

  // d relu = dy where y > 0, else 0 (0 at x = 0 as PyTorch; NaN passes dy through, as PyTorch)
  relu: defineOp({
    saves: ['output'],
    forward: ([x]) => {
      const d = x.data;
      const simd = activationKernel('relu', x);
      if (simd) return outOf(x, simd);
      return outOf(x, reluInto(d, like(d)));
    },
    backward: ({ gy, out }) => {
      const y = out.data;
      const simd = reluGradKernel(y, gy);
      if (simd) return [simd];
      return [reluGradInto(gy, y, like(gy))];
    },
    activation: () => ({ peak: 1, derivative: (x) => (x <= 0 ? 0 : 1), zeroAtOrBelow: 0 }),
  }),

  // d leaky_relu = dy where x > 0, else slope·dy (slope at x = 0, as PyTorch)
  leaky_relu: defineOp({
    saves: [0],
    forward: ([x], { negativeSlope }) => {
      const d = x.data;
      const out = like(d);
      for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : d[i] * negativeSlope;
      return outOf(x, out);
    },
    backward: ({ gy, inputs: [x], attrs: { negativeSlope } }) => {
      const d = x.data;
      const g = like(gy);
      for (let i = 0; i < g.length; i++) g[i] = d[i] > 0 ? gy[i] : gy[i] * negativeSlope;
      return [g];
    },
    // Peak 1 for slopes up to 1; a slope above 1 makes the negative side the steep one.
    activation: ({ negativeSlope }) => ({
      peak: Math.max(1, Math.abs(negativeSlope)),
      derivative: (x) => (x > 0 ? 1 : Math.abs(negativeSlope)),
    }),
  }),

  // d elu = dy where x > 0, else α·eˣ·dy (α at x = 0, as PyTorch)
  elu: defineOp({
    saves: [0],
    forward: ([x], { alpha }) => {
      const d = x.data;
      const out = like(d);
      for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : alpha * Math.expm1(d[i]);
      return outOf(x, out);
    },
    backward: ({ gy, inputs: [x], attrs: { alpha } }) => {
      const d = x.data;
      const g = like(gy);
      for (let i = 0; i < g.length; i++) g[i] = d[i] > 0 ? gy[i] : gy[i] * alpha * Math.exp(d[i]);
      return [g];
    },
    // The negative side's slope α·eˣ peaks at α as x → 0⁻.
    activation: ({ alpha }) => ({
      peak: Math.max(1, Math.abs(alpha)),
      derivative: (x) => (x > 0 ? 1 : Math.abs(alpha) * Math.exp(x)),
    }),
  }),

  // d gelu = (Φ(x) + x·φ(x))·dy; tanh form: (½(1+t) + ½x(1-t²)·√(2/π)(1+3·0.044715x²))·dy
  gelu: defineOp({
    saves: [0],
    forward: ([x], { approximate }) => {
      const d = x.data;
      const out = like(d);
      const f = approximate === 'tanh' ? geluTanh : geluExact;
      for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
      return outOf(x, out);
    },
    backward: ({ gy, inputs: [x], attrs: { approximate } }) => {
      const d = x.data;
      const g = like(gy);
      const f = approximate === 'tanh' ? geluTanhGrad : geluExactGrad;
      for (let i = 0; i < g.length; i++) g[i] = gy[i] * f(d[i]);
      return [g];
    },
    // The exact form's; the tanh form's derivative differs from it by under 1e-3 everywhere.
    activation: () => ({ peak: GELU_PEAK, derivative: geluExactGrad }),
  }),

  // d softplus = sigmoid(βx)·dy, and dy where βx > threshold (the linear region, as PyTorch)
  softplus: defineOp({
    saves: [0],
    forward: ([x], { beta, threshold }) => {
      const d = x.data;
      const out = like(d);
      for (let i = 0; i < d.length; i++) {
        const bx = d[i] * beta;
        // max(βx, 0) + log1p(e^-|βx|) equals log1p(e^βx) without overflowing when threshold is large
        out[i] = bx > threshold ? d[i] : (Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta;
      }
      return outOf(x, out);
    },
    backward: ({ gy, inputs: [x], attrs: { beta, threshold } }) => {
      const d = x.data;
      const g = like(gy);
      for (let i = 0; i < g.length; i++) {
        const bx = d[i] * beta;
        g[i] = bx > threshold ? gy[i] : gy[i] * logistic(bx);
      }
      return [g];
    },
    // sigmoid(βx) in the smooth region, 1 past the threshold: the derivative is the same for any β.
    activation: ({ beta, threshold }) => ({ peak: 1, derivative: (x) => (x * beta > threshold ? 1 : logistic(x * beta)) }),
  }),

  // d softmax = y ⊙ (dy − Σ dy·y) along the axis
  softmax: defineOp({
    saves: ['output'],
    forward: ([x], { axis }) => outOf(x, softmaxForward(x, axis, false)),
    backward: ({ gy, out, attrs: { axis } }) => {
      const y = out.data;
      const g = like(gy);
      eachSlice(out.shape, axis, (base, end, stride) => {
        let dot = 0;
        for (let k = base; k < end; k += stride) dot += gy[k] * y[k];
        for (let k = base; k < end; k += stride) g[k] = y[k] * (gy[k] - dot);
      });
      return [g];
    },
  }),

  // d log_softmax = dy − softmax·Σ dy along the axis (softmax = e^y of the saved output)
  log_softmax: defineOp({
    saves: ['output'],
    forward: ([x], { axis }) => outOf(x, softmaxForward(x, axis, true)),
    backward: ({ gy, out, attrs: { axis } }) => {
      const y = out.data;
      const g = like(gy);
      eachSlice(out.shape, axis, (base, end, stride) => {
        let s = 0;
        for (let k = base; k < end; k += stride) s += gy[k];
        for (let k = base; k < end; k += stride) g[k] = gy[k] - Math.exp(y[k]) * s;
      });
      return [g];
    },
  }),

  // d silu = σ(x)(1 + x(1 − σ(x)))·dy
  silu: defineOp({
    saves: [0],
    forward: ([x]) => outOf(x, mapValues(x.data, (v) => v * logistic(v))),
    backward: ({ gy, inputs: [x] }) => [mapGrad(gy, x.data, siluGrad)],
    activation: () => ({ peak: SILU_PEAK, derivative: siluGrad }),
  }),

  // d mish = (tanh(sp(x)) + x·σ(x)·(1 − tanh²(sp(x))))·dy, sp = softplus
  mish: defineOp({
    saves: [0],
    forward: ([x]) => outOf(x, mapValues(x.data, (v) => v * tanhSoftplus(v))),
    backward: ({ gy, inputs: [x] }) => [mapGrad(gy, x.data, mishGrad)],
    activation: () => ({ peak: MISH_PEAK, derivative: mishGrad }),
  }),

  // d hardtanh = dy strictly between min and max, else 0 (0 at the bounds, as PyTorch)
  hardtanh: defineOp({
    saves: [0],
    forward: ([x], { min, max }) => {
      if (!(min <= max)) throw new RangeError(`hardtanh: min_val (${min}) cannot be greater than max_val (${max})`);
      return outOf(x, mapValues(x.data, (v) => (v < min ? min : v > max ? max : v)));
    },
    backward: ({ gy, inputs: [x], attrs: { min, max } }) => [mapGrad(gy, x.data, (v) => (v > min && v < max ? 1 : 0))],
    activation: ({ min, max }) => ({ peak: 1, derivative: (v) => (v > min && v < max ? 1 : 0) }),
  }),

  // d tanhshrink = tanh²(x)·dy (x − tanh x is flat near 0, steep far out)
  tanhshrink: defineOp({
    saves: [0],
    forward: ([x]) => outOf(x, mapValues(x.data, (v) => v - Math.tanh(v))),
    backward: ({ gy, inputs: [x] }) =>
      [
        mapGrad(gy, x.data, (v) => {
          const t = Math.tanh(v);
          return t * t;
        }),
      ],
    activation: () => ({
      peak: 1,
      derivative: (v) => {
        const t = Math.tanh(v);
        return t * t;
      },
    }),
  }),
};
