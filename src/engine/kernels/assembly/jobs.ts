/**
 * Work split into chunks that any thread may run: the JavaScript side writes a job descriptor,
 * then every thread (the caller and the pool's workers) claims chunk numbers and calls `run`.
 * A chunk writes a part of the output no other chunk writes, so the result does not depend on
 * which thread ran what, nor on how many threads there were.
 */
import { addBias, col2im, ConvJob, im2col, isPointwise } from './conv';
import { sgemm } from './gemm';
import { fmaPeak } from './peak';

export const GEMM: i32 = 1;
export const CONV_FORWARD: i32 = 2;
export const CONV_INPUT_GRAD: i32 = 3;
export const CONV_WEIGHT_GRAD: i32 = 4;
export const FMA_PEAK: i32 = 5;

/** A GEMM whose C is cut into bands of `chunk` rows (or columns when `splitCols`). */
@unmanaged
class GemmJob {
  kind: i32;
  transA: i32;
  transB: i32;
  m: i32;
  n: i32;
  k: i32;
  a: usize;
  lda: i32;
  b: usize;
  ldb: i32;
  c: usize;
  ldc: i32;
  accumulate: i32;
  splitCols: i32;
  chunk: i32;
  work: usize;
  workStride: usize;
}

export function run(job: usize, chunk: i32, thread: i32): void {
  const kind = load<i32>(job);
  if (kind == GEMM) runGemm(changetype<GemmJob>(job), chunk, thread);
  else if (kind == CONV_FORWARD) convForward(changetype<ConvJob>(job), chunk, thread);
  else if (kind == CONV_INPUT_GRAD) convInputGrad(changetype<ConvJob>(job), chunk, thread);
  else if (kind == CONV_WEIGHT_GRAD) convWeightGrad(changetype<ConvJob>(job), chunk, thread);
  else if (kind == FMA_PEAK) peakChunk(job, chunk);
}

/** Words: kind, iterations, then one result per chunk (so the loop is not optimised away). */
function peakChunk(job: usize, chunk: i32): void {
  store<f32>(job + 8 + <usize>chunk * 4, fmaPeak(load<i32>(job, 4), 0.999999, 0.000001));
}

function runGemm(j: GemmJob, chunk: i32, thread: i32): void {
  const work = j.work + <usize>thread * j.workStride;
  const start = chunk * j.chunk;
  const transA = j.transA != 0, transB = j.transB != 0;
  if (j.splitCols) {
    const cols = min(j.chunk, j.n - start);
    const b = j.b + <usize>(transB ? start * j.ldb : start) * 4;
    sgemm(transA, transB, j.m, cols, j.k, j.a, j.lda, b, j.ldb, j.c + <usize>start * 4, j.ldc, j.accumulate != 0, work);
  } else {
    const rows = min(j.chunk, j.m - start);
    const a = j.a + <usize>(transA ? start : start * j.lda) * 4;
    sgemm(transA, transB, rows, j.n, j.k, a, j.lda, j.b, j.ldb, j.c + <usize>(start * j.ldc) * 4, j.ldc, j.accumulate != 0, work);
  }
}

/** out[s] = W (O × C·KH·KW) · cols(x[s]) + bias, for sample s = chunk. */
function convForward(g: ConvJob, s: i32, thread: i32): void {
  const rows = g.c * g.kh * g.kw;
  const plane = g.oh * g.ow;
  const x = g.a + <usize>(s * g.c * g.h * g.w) * 4;
  const out = g.out + <usize>(s * g.o * plane) * 4;
  let cols = x;
  if (!isPointwise(g)) {
    cols = g.cols + <usize>thread * g.colsStride;
    im2col(x, g, cols);
  }
  sgemm(false, false, g.o, plane, rows, g.b, rows, cols, plane, out, plane, false, g.work + <usize>thread * g.workStride);
  if (g.bias) addBias(out, g.bias, g.o, plane);
}

/** dx[s] = col2im(Wᵀ · gy[s]), for sample s = chunk. */
function convInputGrad(g: ConvJob, s: i32, thread: i32): void {
  const rows = g.c * g.kh * g.kw;
  const plane = g.oh * g.ow;
  const gy = g.a + <usize>(s * g.o * plane) * 4;
  const dx = g.out + <usize>(s * g.c * g.h * g.w) * 4;
  const work = g.work + <usize>thread * g.workStride;
  if (isPointwise(g)) {
    sgemm(true, false, rows, plane, g.o, g.b, rows, gy, plane, dx, plane, false, work);
    return;
  }
  const dcols = g.cols + <usize>thread * g.colsStride;
  sgemm(true, false, rows, plane, g.o, g.b, rows, gy, plane, dcols, plane, false, work);
  memory.fill(dx, 0, <usize>(g.c * g.h * g.w) * 4);
  col2im(dcols, g, dx);
}

/** partial[chunk] = Σ over the chunk's samples of gy[s] · cols(x[s])ᵀ (O × C·KH·KW). */
function convWeightGrad(g: ConvJob, chunk: i32, thread: i32): void {
  const rows = g.c * g.kh * g.kw;
  const plane = g.oh * g.ow;
  const partial = g.out + <usize>(chunk * g.o * rows) * 4;
  const work = g.work + <usize>thread * g.workStride;
  const first = chunk * g.per;
  const last = min(g.n, first + g.per);
  for (let s = first; s < last; s++) {
    const gy = g.a + <usize>(s * g.o * plane) * 4;
    const x = g.b + <usize>(s * g.c * g.h * g.w) * 4;
    let cols = x;
    if (!isPointwise(g)) {
      cols = g.cols + <usize>thread * g.colsStride;
      im2col(x, g, cols);
    }
    sgemm(false, true, g.o, rows, plane, gy, plane, cols, plane, partial, rows, s != first, work);
  }
}
