/**
 * General matrix product C = op(A)·op(B) (or C += …) on row-major typed arrays, where op() is an
 * optional transpose, so the linear layer's x·Wᵀ, gy·W and gyᵀ·x never copy a transposed matrix.
 *
 * float32 products run on the WebAssembly core (packed panels, a 4×8 SIMD register tile, fused
 * multiply-adds where relaxed SIMD exists), split across the pool's threads when large; float64,
 * tiny products and runtimes without WebAssembly take the JavaScript kernel.
 */
import type { FloatArray } from '../dtype';
import { kernelCore, trimCore } from './core';
import { gemmJs } from './gemm-js';
import { chunking, runJob, threadsFor, writeJob } from './pool';

export { gemmReference } from './gemm-js';

/** Below this many multiply-adds, copying into the core costs more than the faster product saves. */
export const WASM_MIN_MACS = 4096;

const GEMM_JOB = 1;

/**
 * C (m×n, row-major at `cOffset`) = op(A)·op(B), or C += op(A)·op(B) when `accumulate`.
 * op(A) is m×k: A is stored m×k, or k×m when `transA`. op(B) is k×n: B is stored k×n, or n×k when
 * `transB`. Every matrix is dense (leading dimension = its stored row length).
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOffset: number,
  b: FloatArray,
  bOffset: number,
  c: FloatArray,
  cOffset: number,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  const wasm = k > 0 && m * n * k >= WASM_MIN_MACS && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array;
  if (wasm && gemmWasm(transA, transB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate)) return;
  gemmJs(transA, transB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate);
}

/** The product on the core; false (nothing written) when there is no core or the memory cap leaves no room. */
function gemmWasm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  c: Float32Array,
  cOffset: number,
  accumulate: boolean,
): boolean {
  const core = kernelCore();
  if (!core) return false;
  try {
    // Bands of C: columns when C is wide (each band packs all of A), rows when it is tall.
    const splitCols = n >= m;
    const threads = threadsFor(core, m * n * k, splitCols ? n >> 3 : m >> 2);
    const pa = core.alloc(m * k * 4);
    const pb = core.alloc(k * n * 4);
    const pc = core.alloc(m * n * 4);
    if (pa < 0 || pb < 0 || pc < 0) return false;
    const mem = core.f32;
    mem.set(a.subarray(aOffset, aOffset + m * k), pa >> 2);
    mem.set(b.subarray(bOffset, bOffset + k * n), pb >> 2);
    if (accumulate) mem.set(c.subarray(cOffset, cOffset + m * n), pc >> 2);
    const lda = transA ? m : k;
    const ldb = transB ? k : n;
    const ta = +transA;
    const tb = +transB;
    if (threads > 1) {
      const { size, count } = splitCols ? chunking(n, 8, threads) : chunking(m, 4, threads);
      const job = writeJob(core, [GEMM_JOB, ta, tb, m, n, k, pa, lda, pb, ldb, pc, n, +accumulate, +splitCols, size, core.work, core.workBytesPerThread]);
      runJob(core, job, count, threads);
    } else {
      core.exports.sgemm(ta, tb, m, n, k, pa, lda, pb, ldb, pc, n, +accumulate, core.work);
    }
    c.set(core.f32.subarray(pc >> 2, (pc >> 2) + m * n), cOffset);
    return true;
  } finally {
    core.release();
    trimCore();
  }
}
