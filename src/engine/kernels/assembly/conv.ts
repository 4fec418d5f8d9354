/**
 * Convolution as im2col + GEMM, NCHW as PyTorch; a 1-D convolution is a 2-D one with H = KH = 1.
 * One sample at a time, so the column buffer stays small (C·KH·KW × OH·OW floats) and samples
 * can run on different threads.
 */

/**
 * One convolution job as the JavaScript side writes it (i32 words, in this order): the sizes, then
 * what the job reads and writes. `a`/`b`/`out` are x/weight/output for the forward pass,
 * gy/weight/dx for the input gradient, gy/x/per-chunk partial dW for the weight gradient.
 */
@unmanaged
export class ConvJob {
  kind: i32;
  c: i32;
  h: i32;
  w: i32;
  o: i32;
  kh: i32;
  kw: i32;
  sh: i32;
  sw: i32;
  ph: i32;
  pw: i32;
  oh: i32;
  ow: i32;
  /** Samples in the batch, and samples per chunk of the weight gradient. */
  n: i32;
  per: i32;
  a: usize;
  b: usize;
  bias: usize;
  out: usize;
  /** Column buffer and GEMM scratch of thread 0; thread t's are `stride` bytes further. */
  cols: usize;
  colsStride: usize;
  work: usize;
  workStride: usize;
}

/** A 1×1 kernel with stride 1 and no padding reads each input plane as its column matrix: no unfolding. */
export function isPointwise(g: ConvJob): bool {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

/** Unfolds one sample x (C×H×W) into cols (C·KH·KW rows × OH·OW columns), zeros where the window hangs over the padding. */
export function im2col(x: usize, g: ConvJob, cols: usize): void {
  const c = g.c, h = g.h, w = g.w, kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, oh = g.oh, ow = g.ow;
  let q = cols;
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        // Output columns whose input column ix = xq·sw − pw + kj lies inside [0, w).
        const x0 = clampStart(kj - pw, sw);
        const x1 = clampEnd(w - kj + pw, sw, ow);
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - ph + ki;
          if (iy < 0 || iy >= h || x0 >= x1) {
            zeroFloats(q, ow);
            q += <usize>ow * 4;
            continue;
          }
          const row = x + <usize>((ch * h + iy) * w) * 4;
          zeroFloats(q, x0);
          if (sw == 1) {
            copyFloats(q + <usize>x0 * 4, row + <usize>(x0 - pw + kj) * 4, x1 - x0);
          } else {
            for (let xq = x0; xq < x1; xq++) store<f32>(q + <usize>xq * 4, load<f32>(row + <usize>(xq * sw - pw + kj) * 4));
          }
          zeroFloats(q + <usize>x1 * 4, ow - x1);
          q += <usize>ow * 4;
        }
      }
    }
  }
}

/** The adjoint of im2col: adds every column entry back onto the input element it was read from. */
export function col2im(cols: usize, g: ConvJob, dx: usize): void {
  const c = g.c, h = g.h, w = g.w, kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, oh = g.oh, ow = g.ow;
  let q = cols;
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const x0 = clampStart(kj - pw, sw);
        const x1 = clampEnd(w - kj + pw, sw, ow);
        for (let y = 0; y < oh; y++, q += <usize>ow * 4) {
          const iy = y * sh - ph + ki;
          if (iy < 0 || iy >= h) continue;
          const row = dx + <usize>((ch * h + iy) * w) * 4;
          if (sw == 1) {
            const base = row + <usize>(x0 - pw + kj) * 4;
            const src = q + <usize>x0 * 4;
            const n = x1 - x0;
            let i = 0;
            for (; i + 4 <= n; i += 4) {
              const at = base + <usize>i * 4;
              v128.store(at, f32x4.add(v128.load(at), v128.load(src + <usize>i * 4)));
            }
            for (; i < n; i++) {
              const at = base + <usize>i * 4;
              store<f32>(at, load<f32>(at) + load<f32>(src + <usize>i * 4));
            }
          } else {
            for (let xq = x0; xq < x1; xq++) {
              const at = row + <usize>(xq * sw - pw + kj) * 4;
              store<f32>(at, load<f32>(at) + load<f32>(q + <usize>xq * 4));
            }
          }
        }
      }
    }
  }
}

// Rows of a CNN's column matrix are short (16 floats for a 16×16 plane): memory.copy and
// memory.fill are calls into the runtime, which cost more than moving that many floats inline.

/** n floats from src to dst (not overlapping). */
// @ts-ignore: decorator
@inline
function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, v128.load(src + <usize>i * 4));
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
}

/** n zeros from dst (n ≤ 0 writes nothing). */
// @ts-ignore: decorator
@inline
function zeroFloats(dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, i32x4.splat(0));
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, 0);
}

/** First output column xq with xq·stride + offset ≥ 0 (offset = kj − pw). */
// @ts-ignore: decorator
@inline
function clampStart(offset: i32, stride: i32): i32 {
  return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
}

/** One past the last output column with xq·stride < limit (limit = w − kj + pw), at most ow. */
// @ts-ignore: decorator
@inline
function clampEnd(limit: i32, stride: i32, ow: i32): i32 {
  if (limit <= 0) return 0;
  return min(ow, (limit + stride - 1) / stride);
}

/** out (O×P) += bias[o] on every position of each output plane. */
export function addBias(out: usize, bias: usize, o: i32, plane: i32): void {
  for (let f = 0; f < o; f++) {
    const bv = f32x4.splat(load<f32>(bias + <usize>f * 4));
    const row = out + <usize>(f * plane) * 4;
    let i = 0;
    for (; i + 4 <= plane; i += 4) {
      const at = row + <usize>i * 4;
      v128.store(at, f32x4.add(v128.load(at), bv));
    }
    const b = load<f32>(bias + <usize>f * 4);
    for (; i < plane; i++) {
      const at = row + <usize>i * 4;
      store<f32>(at, load<f32>(at) + b);
    }
  }
}
