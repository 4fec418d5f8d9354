/**
 * Elementwise float32 kernels four lanes at a time: ReLU (a branch per element in JavaScript,
 * mispredicted half the time on real activations), and the exponential behind sigmoid, tanh and
 * softmax (Math.exp per element in JavaScript). Every function reads `n` floats at `x` and writes
 * `n` at `y`; `y` may be `x`. Tails shorter than four lanes run through the same vector code one
 * element at a time, so every element gets the same arithmetic.
 */
import { madd } from './simd';

// exp(v) = 2^k · e^r with k = round(v·log2 e) and r = v − k·ln 2 in [−ln2/2, ln2/2]; ln 2 in two
// parts so k·LN2_HI is exact. e^r − 1 − r by a degree-5 minimax polynomial in r (under 2 ulp).
const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
// Beyond these e^v is +inf or below the smallest subnormal; clamping keeps k in i32 range.
const EXP_HI: f32 = 89.0;
const EXP_LO: f32 = -104.0;

/** 2^k for k in [−150, 128] as two factors, so subnormal results and +inf come out right. */
// @ts-ignore: decorator
@inline
function scale(p: v128, k: v128): v128 {
  const half = i32x4.shr_s(k, 1);
  const rest = i32x4.sub(k, half);
  const bias = i32x4.splat(127);
  const a = i32x4.shl(i32x4.add(half, bias), 23);
  const b = i32x4.shl(i32x4.add(rest, bias), 23);
  return f32x4.mul(f32x4.mul(p, a), b);
}

/** e^v per lane: NaN stays NaN, +inf gives +inf, −inf gives 0. */
// @ts-ignore: decorator
@inline
export function exp4(v: v128): v128 {
  // pmin/pmax (one minps/maxps on x86) rather than min/max, whose NaN and ±0 rules cost several
  // instructions each: a NaN fails both comparisons and passes through as it did, and ±0 is inside
  // the bounds, so every output bit is as before (test/unit/engine/exp-kernel-bits.test.ts).
  const x = f32x4.pmax(f32x4.pmin(v, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const kf = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(kf, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(kf, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(P0);
  p = madd(p, r, f32x4.splat(P1));
  p = madd(p, r, f32x4.splat(P2));
  p = madd(p, r, f32x4.splat(P3));
  p = madd(p, r, f32x4.splat(P4));
  p = madd(p, r, f32x4.splat(P5));
  const e = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // NaN lanes: trunc_sat gives k = 0 and r stays NaN, so e is NaN.
  return scale(e, i32x4.trunc_sat_f32x4_s(kf));
}

/** 1/(1 + e^−v), from e^−|v| so it neither overflows nor cancels. */
// @ts-ignore: decorator
@inline
function sigmoid4(v: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(v)));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(t, f32x4.mul(e, t), f32x4.ge(v, f32x4.splat(0)));
}

// tanh: sign(v)·(1 − e)/(1 + e) with e = e^−2|v|; below |v| = 0.625, where 1 − e would cancel
// digits, the odd polynomial v + v·z·Q(z), z = v², of the same accuracy.
const Q0: f32 = -5.70498872745e-3;
const Q1: f32 = 2.06390887954e-2;
const Q2: f32 = -5.37397155531e-2;
const Q3: f32 = 1.33314422036e-1;
const Q4: f32 = -3.33332819422e-1;

// @ts-ignore: decorator
@inline
function tanh4(v: v128): v128 {
  const a = f32x4.abs(v);
  const e = exp4(f32x4.mul(a, f32x4.splat(-2)));
  const big = f32x4.div(f32x4.sub(f32x4.splat(1), e), f32x4.add(f32x4.splat(1), e));
  // copy the sign of v onto |tanh|
  const signed = v128.or(big, v128.and(v, i32x4.splat(-2147483648)));
  const z = f32x4.mul(v, v);
  let q = f32x4.splat(Q0);
  q = madd(q, z, f32x4.splat(Q1));
  q = madd(q, z, f32x4.splat(Q2));
  q = madd(q, z, f32x4.splat(Q3));
  q = madd(q, z, f32x4.splat(Q4));
  const small = f32x4.add(v, f32x4.mul(f32x4.mul(v, z), q));
  // NaN fails the comparison and takes the exp form, which is NaN too
  return v128.bitselect(small, signed, f32x4.lt(a, f32x4.splat(0.625)));
}

/** max(v, 0) with NaN passed through (f32x4.max propagates NaN, as torch.relu). */
// @ts-ignore: decorator
@inline
function relu4(v: v128): v128 {
  return f32x4.max(v, f32x4.splat(0));
}

export const RELU: i32 = 0;
export const SIGMOID: i32 = 1;
export const TANH: i32 = 2;
export const EXP: i32 = 3;

// @ts-ignore: decorator
@inline
function unary4(op: i32, v: v128): v128 {
  if (op == RELU) return relu4(v);
  if (op == SIGMOID) return sigmoid4(v);
  if (op == TANH) return tanh4(v);
  return exp4(v);
}

// The exponential ops as types, so `vectors` is specialised per op at compile time (an op passed
// as a number was folded into one loop that branched on it per vector). Never instantiated: `f`
// reads no field, and is called on a null reference of the type.
class Sigmoid {
  // @ts-ignore: decorator
  @inline f(v: v128): v128 {
    return sigmoid4(v);
  }
}
class Tanh {
  // @ts-ignore: decorator
  @inline f(v: v128): v128 {
    return tanh4(v);
  }
}
class Exp {
  // @ts-ignore: decorator
  @inline f(v: v128): v128 {
    return exp4(v);
  }
}

/**
 * Op over the whole vectors of the `full` floats at x into y, four vectors an iteration: V8 builds
 * each vector constant (the clamps, the polynomial's coefficients) where it is used, so an
 * iteration shares them among four vectors (the sigmoid over 2048 floats took 27% less time, tanh
 * and exp 22%; the same arithmetic per lane, so the same bits). All four are loaded before any
 * store: y may be x.
 */
// @ts-ignore: decorator
@inline
function vectors<Op>(x: usize, y: usize, full: i32): void {
  let i = 0;
  for (; i + 16 <= full; i += 16) {
    const at = <usize>i * 4;
    const a = v128.load(x + at);
    const b = v128.load(x + at + 16);
    const c = v128.load(x + at + 32);
    const d = v128.load(x + at + 48);
    v128.store(y + at, changetype<Op>(0).f(a));
    v128.store(y + at + 16, changetype<Op>(0).f(b));
    v128.store(y + at + 32, changetype<Op>(0).f(c));
    v128.store(y + at + 48, changetype<Op>(0).f(d));
  }
  for (; i < full; i += 4) v128.store(y + <usize>i * 4, changetype<Op>(0).f(v128.load(x + <usize>i * 4)));
}

/** y[i] = op(x[i]) for i < n. */
export function unary(op: i32, x: usize, y: usize, n: i32): void {
  const full = n & ~3;
  // One branch on `op` per call, not per vector: each loop is its own specialisation.
  if (op == RELU) for (let i = 0; i < full; i += 4) v128.store(y + <usize>i * 4, relu4(v128.load(x + <usize>i * 4)));
  else if (op == SIGMOID) vectors<Sigmoid>(x, y, full);
  else if (op == TANH) vectors<Tanh>(x, y, full);
  else vectors<Exp>(x, y, full);
  for (let i = full; i < n; i++) store<f32>(y + <usize>i * 4, f32x4.extract_lane(unary4(op, f32x4.splat(load<f32>(x + <usize>i * 4))), 0));
}

/**
 * `unary` over `n` floats at the same place in each of `rows` rows `stride` floats apart: one
 * gate of a recurrent step (an LSTM row holds its i, f, g and o gates side by side), in one call
 * from JavaScript instead of one per row.
 */
export function unaryRows(op: i32, x: usize, y: usize, rows: i32, stride: i32, n: i32): void {
  for (let r = 0; r < rows; r++) unary(op, x + <usize>(r * stride) * 4, y + <usize>(r * stride) * 4, n);
}

/** ReLU's gradient: g[i] = gy[i] where y[i] > 0 or y[i] is NaN, else 0 (as the JavaScript kernel). */
export function reluGrad(y: usize, gy: usize, g: usize, n: i32): void {
  const full = n & ~3;
  const zero = f32x4.splat(0);
  for (let i = 0; i < full; i += 4) {
    const at = <usize>i * 4;
    v128.store(g + at, v128.andnot(v128.load(gy + at), f32x4.le(v128.load(y + at), zero)));
  }
  for (let i = full; i < n; i++) {
    const at = <usize>i * 4;
    store<f32>(g + at, load<f32>(y + at) <= 0 ? 0 : load<f32>(gy + at));
  }
}

/**
 * Sigmoid's gradient from its output: g[i] = gy[i]·y[i]·(1 − y[i]) in float64, rounded to float32
 * once, as the JavaScript loop computes it (the same bits); two float64 lanes at a time, two
 * vectors an iteration (V8's constant 1.0 shared between them: 22% less time over 2048 floats).
 */
export function sigmoidGrad(y: usize, gy: usize, g: usize, n: i32): void {
  const full = n & ~3;
  let i = 0;
  for (; i + 8 <= full; i += 8) {
    const at = <usize>i * 4;
    const ya = v128.load(y + at);
    const ga = v128.load(gy + at);
    const yb = v128.load(y + at + 16);
    const gb = v128.load(gy + at + 16);
    v128.store(g + at, sigmoidGrad4(ya, ga));
    v128.store(g + at + 16, sigmoidGrad4(yb, gb));
  }
  for (; i < full; i += 4) {
    const at = <usize>i * 4;
    v128.store(g + at, sigmoidGrad4(v128.load(y + at), v128.load(gy + at)));
  }
  for (let i = full; i < n; i++) {
    const at = <usize>i * 4;
    const yv = <f64>load<f32>(y + at);
    store<f32>(g + at, <f32>(<f64>load<f32>(gy + at) * yv * (1.0 - yv)));
  }
}

/** `sigmoidGrad` of four float32 lanes, as two float64 pairs. */
// @ts-ignore: decorator
@inline
function sigmoidGrad4(yv: v128, gv: v128): v128 {
  const lo = sigmoidGrad2(f64x2.promote_low_f32x4(yv), f64x2.promote_low_f32x4(gv));
  const hi = sigmoidGrad2(f64x2.promote_low_f32x4(i32x4.shuffle(yv, yv, 2, 3, 0, 1)), f64x2.promote_low_f32x4(i32x4.shuffle(gv, gv, 2, 3, 0, 1)));
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** (gy·y)·(1 − y) on two float64 lanes, in the JavaScript loop's order. */
// @ts-ignore: decorator
@inline
function sigmoidGrad2(y: v128, gy: v128): v128 {
  return f64x2.mul(f64x2.mul(gy, y), f64x2.sub(f64x2.splat(1), y));
}

/**
 * Softmax of each of `rows` rows of `width` contiguous floats: shifted by the row's maximum, so exp
 * never overflows; a NaN or +inf in a row makes the whole row NaN, an all −inf row NaN, as PyTorch.
 */
export function softmaxRows(x: usize, y: usize, rows: i32, width: i32): void {
  const full = width & ~3;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>(r * width) * 4;
    const yr = y + <usize>(r * width) * 4;
    // f32.max propagates NaN: a NaN anywhere makes m, and so the whole row, NaN
    let m: f32 = -Infinity;
    for (let j = 0; j < width; j++) m = max(m, load<f32>(xr + <usize>j * 4));
    const mv = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) {
      const e = exp4(f32x4.sub(v128.load(xr + <usize>j * 4), mv));
      v128.store(yr + <usize>j * 4, e);
      sv = f32x4.add(sv, e);
    }
    let s: f32 = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    for (let j = full; j < width; j++) {
      const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(xr + <usize>j * 4) - m)), 0);
      store<f32>(yr + <usize>j * 4, e);
      s += e;
    }
    const inv = f32x4.splat(1 / s);
    for (let j = 0; j < full; j += 4) v128.store(yr + <usize>j * 4, f32x4.mul(v128.load(yr + <usize>j * 4), inv));
    const si: f32 = 1 / s;
    for (let j = full; j < width; j++) store<f32>(yr + <usize>j * 4, load<f32>(yr + <usize>j * 4) * si);
  }
}
