/**
 * Convolution in JavaScript, as im2col + GEMM one sample at a time: float64 (gradient checks and
 * parity) and every convolution where the WebAssembly core is unavailable.
 */
import { FloatArray, like } from '../dtype';
import type { ConvGeometry } from './conv';
import { gemm } from './gemm';

/** Unfolds sample `xo` of x into cols (C·KH·KW rows × OH·OW columns), zeros where the window hangs over the padding;
 * kernel tap (ki, kj) reads input row y·sh − ph + ki·dh and column x·sw − pw + kj·dw (dilation). */
function im2col(x: FloatArray, xo: number, g: ConvGeometry, cols: FloatArray): void {
  const { c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  let r = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, r++) {
        let q = r * oh * ow;
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - ph + ki * dh;
          if (iy < 0 || iy >= h) {
            cols.fill(0, q, q + ow);
            q += ow;
            continue;
          }
          const row = xo + (ch * h + iy) * w;
          for (let xq = 0; xq < ow; xq++, q++) {
            const ix = xq * sw - pw + kj * dw;
            cols[q] = ix >= 0 && ix < w ? x[row + ix] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: adds every column entry back onto the input element it was read from. */
function col2im(cols: FloatArray, g: ConvGeometry, dx: FloatArray, xo: number): void {
  const { c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  let r = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, r++) {
        let q = r * oh * ow;
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - ph + ki * dh;
          if (iy < 0 || iy >= h) {
            q += ow;
            continue;
          }
          const row = xo + (ch * h + iy) * w;
          for (let xq = 0; xq < ow; xq++, q++) {
            const ix = xq * sw - pw + kj * dw;
            if (ix >= 0 && ix < w) dx[row + ix] += cols[q];
          }
        }
      }
    }
  }
}

export function convForwardJs(x: FloatArray, weight: FloatArray, bias: FloatArray | null, g: ConvGeometry): FloatArray {
  const { n, c, h, w, o, kh, kw, oh, ow } = g;
  const rows = c * kh * kw;
  const plane = oh * ow;
  const cols = like(x, rows * plane);
  const out = like(x, n * o * plane);
  for (let s = 0; s < n; s++) {
    im2col(x, s * c * h * w, g, cols);
    gemm(false, false, o, plane, rows, weight, 0, cols, 0, out, s * o * plane, false);
  }
  if (bias) {
    for (let s = 0, q = 0; s < n; s++) {
      for (let f = 0; f < o; f++) {
        const bv = bias[f];
        for (let i = 0; i < plane; i++, q++) out[q] += bv;
      }
    }
  }
  return out;
}

export function convInputGradJs(gy: FloatArray, weight: FloatArray, g: ConvGeometry): FloatArray {
  const { n, c, h, w, o, kh, kw, oh, ow } = g;
  const rows = c * kh * kw;
  const plane = oh * ow;
  const dx = like(gy, n * c * h * w);
  const dcols = like(gy, rows * plane);
  for (let s = 0; s < n; s++) {
    gemm(true, false, rows, plane, o, weight, 0, gy, s * o * plane, dcols, 0, false);
    col2im(dcols, g, dx, s * c * h * w);
  }
  return dx;
}

export function convWeightGradJs(gy: FloatArray, x: FloatArray, g: ConvGeometry): FloatArray {
  const { n, c, h, w, o, kh, kw, oh, ow } = g;
  const rows = c * kh * kw;
  const plane = oh * ow;
  const dw = like(x, o * rows);
  const cols = like(x, rows * plane);
  for (let s = 0; s < n; s++) {
    im2col(x, s * c * h * w, g, cols);
    gemm(false, true, o, rows, plane, gy, s * o * plane, cols, 0, dw, 0, true);
  }
  return dw;
}
