/**
 * Synthetic pixels: values in [0, 1] with a dataset's per-channel mean and std, drawn from the Beta
 * distribution matched to both. Each pixel is one uniform through the Beta's inverse CDF, tabulated
 * once per (mean, std): two gamma variates per pixel (the direct way) made one 50,000-image MNIST
 * batch take 45 s of drawing.
 */
import type { DType, FloatArray } from '../../../engine/dtype';
import * as F from '../../../engine/functional';
import type { Rng } from '../../../engine/rng';
import type { Tensor } from '../../../engine/tensor';

/** Intervals of the quantile table; the draw interpolates linearly inside one (mean off by < 1/QUANTILES). */
const QUANTILES = 4096;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 digits). */
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The Beta(a, b) CDF at x: the regularised incomplete beta function I_x(a, b). */
export function betaCdf(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast on the side of the mean; the other side by symmetry.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Beta(α, β) with this mean and std (the shape parameters kept above 0 where the std is too wide for the mean). */
export function betaShape(mean: number, std: number): [number, number] {
  const common = (mean * (1 - mean)) / (std * std) - 1;
  return [Math.max(mean * common, 1e-3), Math.max((1 - mean) * common, 1e-3)];
}

const tables = new Map<string, Float64Array>();

/** The Beta's quantiles at i / QUANTILES, i = 0..QUANTILES (bisection on the CDF; built once per mean and std). */
export function quantileTable(mean: number, std: number): Float64Array {
  const key = `${mean},${std}`;
  const known = tables.get(key);
  if (known) return known;
  const [a, b] = betaShape(mean, std);
  const q = new Float64Array(QUANTILES + 1);
  q[QUANTILES] = 1;
  let lo = 0;
  for (let i = 1; i < QUANTILES; i++) {
    const p = i / QUANTILES;
    // Quantiles rise with i: the search for this one starts at the last.
    let l = lo;
    let h = 1;
    for (let k = 0; k < 48 && h - l > 1e-13; k++) {
      const m = 0.5 * (l + h);
      if (betaCdf(a, b, m) < p) l = m;
      else h = m;
    }
    q[i] = lo = 0.5 * (l + h);
  }
  tables.set(key, q);
  return q;
}

/**
 * Fills `count` values of `out` from `at` with pixels of this mean and std, each then mapped by
 * `scale`·x + `shift` (a Normalize folded in, so a normalised batch is written once).
 */
export function fillPixels(out: FloatArray, at: number, count: number, rng: Rng, mean: number, std: number, scale = 1, shift = 0): void {
  const q = quantileTable(mean, std);
  for (let i = at, end = at + count; i < end; i++) {
    const u = rng.uniform() * QUANTILES;
    const k = Math.floor(u);
    const x = q[k] + (u - k) * (q[k + 1] - q[k]);
    out[i] = scale * x + shift;
  }
}

/** One synthetic image [C, H, W] in [0, 1] with these per-channel means and stds (repeated over the channels). */
export function syntheticImage(shape: readonly [number, number, number], dtype: DType, rng: Rng, mean: readonly number[], std: readonly number[]): Tensor {
  const [c, h, w] = shape;
  const t = F.zeros([c, h, w], dtype);
  for (let ch = 0; ch < c; ch++) fillPixels(t.data, ch * h * w, h * w, rng, mean[ch % mean.length], std[ch % std.length]);
  return t;
}
