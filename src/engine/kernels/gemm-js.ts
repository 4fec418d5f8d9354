/**
 * The JavaScript GEMM: float64 (gradient checks and parity), float32 products too small for the
 * WebAssembly core, and every product where WebAssembly is unavailable. Same contract as `gemm`.
 *
 * Large products pack panels of A and B into contiguous buffers and accumulate 4×4 blocks of C in
 * sixteen local variables: in JavaScript the register tile, not cache blocking, is what beats a
 * plain loop (≈ 0.4 → 2+ GFLOP/s here). Small products skip the packing, whose fixed cost would
 * dominate a 1×10×10 product.
 */
import type { FloatArray } from '../dtype';

/** Below this many multiply-adds the packing costs more than it saves. */
const SMALL = 32 * 32 * 32;
/** Depth of one packed block: a 4×KC panel of A and a KC×4 panel of B stay in L1. */
const KC = 256;
/** Columns of B packed at once: a KC×NC block (KC·NC doubles = 512 KiB) stays in L2. */
const NC = 256;

// Packing buffers reused across calls; they grow to the largest block ever needed.
let packedA = new Float64Array(4 * KC);
let packedB = new Float64Array(KC * NC);

export function gemmJs(
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
  rowAddend: FloatArray | null = null,
): void {
  if (m === 0 || n === 0) return;
  if (k > 0 && (m * n * k <= SMALL || m < 4 || n < 4)) {
    // Each element starts from 0 (or C) inside the loops: no separate pass to zero C or add the row.
    direct(transA, transB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate, rowAddend);
    return;
  }
  if (!accumulate) c.fill(0, cOffset, cOffset + m * n);
  if (k > 0) packed(transA, transB, m, n, k, a, aOffset, b, bOffset, c, cOffset);
  if (rowAddend) addRows(c, cOffset, m, n, rowAddend);
}

/** C[i][j] += row[j] for each of C's m rows of n. */
export function addRows(c: FloatArray, cOffset: number, m: number, n: number, row: FloatArray): void {
  for (let r = 0, o = cOffset; r < m; r++) for (let j = 0; j < n; j++, o++) c[o] += row[j];
}

/** Reference product, one dot product per element, for tests. */
export function gemmReference(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      c[i * n + j] = accumulate ? c[i * n + j] + s : s;
    }
  }
}

/**
 * Unpacked loops ordered so the innermost index walks contiguous memory. Without `accumulate` each
 * element starts from +0 as if C had been zeroed (0 + x, so a -0 product still gives +0), and the
 * row addend is added to the finished element, as a pass after the product would: the same bits as
 * zeroing C, multiplying, then adding the row, without the two extra passes over C.
 */
function direct(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  c: FloatArray,
  co: number,
  accumulate: boolean,
  row: FloatArray | null,
): void {
  if (!transB) {
    // Rows of B are contiguous: C[i,:] += A(i,p)·B[p,:], the first p starting each element.
    for (let i = 0; i < m; i++) {
      const ci = co + i * n;
      let p = 0;
      if (!accumulate) {
        const av = transA ? a[ao + i] : a[ao + i * k];
        for (let j = 0; j < n; j++) c[ci + j] = 0 + av * b[bo + j];
        p = 1;
      }
      for (; p < k; p++) {
        const av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
        const bp = bo + p * n;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
      }
      if (row) for (let j = 0; j < n; j++) c[ci + j] += row[j];
    }
  } else if (!transA) {
    if (a instanceof Float32Array && b instanceof Float32Array) {
      dotsFloat32(m, n, k, a, ao, b, bo, c, co, accumulate, row);
      return;
    }
    // Row i of A and row j of B are both contiguous: a dot product.
    for (let i = 0; i < m; i++) {
      const ai = ao + i * k;
      const ci = co + i * n;
      for (let j = 0; j < n; j++) {
        const bj = bo + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[ci + j] = (accumulate ? c[ci + j] : 0) + s;
        if (row) c[ci + j] += row[j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const ci = co + i * n;
      for (let j = 0; j < n; j++) {
        const bj = bo + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ao + p * m + i] * b[bj + p];
        c[ci + j] = (accumulate ? c[ci + j] : 0) + s;
        if (row) c[ci + j] += row[j];
      }
    }
  }
}

/**
 * The dot products of `direct` for float32 operands, in four partial sums: one sum waits on each
 * add before the next (a tiny linear layer's forward is bound by that latency). The float64 sums of
 * float32 products differ in their last bits at most, far below float32's rounding; float64
 * operands keep the one sum (their results stay bit for bit).
 */
function dotsFloat32(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  ao: number,
  b: Float32Array,
  bo: number,
  c: FloatArray,
  co: number,
  accumulate: boolean,
  row: FloatArray | null,
): void {
  const k4 = k & ~3;
  for (let i = 0; i < m; i++) {
    const ai = ao + i * k;
    const ci = co + i * n;
    for (let j = 0; j < n; j++) {
      const bj = bo + j * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p < k4; p += 4) {
        s0 += a[ai + p] * b[bj + p];
        s1 += a[ai + p + 1] * b[bj + p + 1];
        s2 += a[ai + p + 2] * b[bj + p + 2];
        s3 += a[ai + p + 3] * b[bj + p + 3];
      }
      for (; p < k; p++) s0 += a[ai + p] * b[bj + p];
      c[ci + j] = (accumulate ? c[ci + j] : 0) + (s0 + s1 + (s2 + s3));
      if (row) c[ci + j] += row[j];
    }
  }
}

function packed(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  c: FloatArray,
  co: number,
): void {
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    const ncPanels = (nc + 3) >> 2;
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packB(transB, n, k, b, bo, p0, kc, j0, nc);
      for (let i0 = 0; i0 < m; i0 += 4) {
        const mr = Math.min(4, m - i0);
        packA(transA, m, k, a, ao, i0, mr, p0, kc);
        for (let q = 0; q < ncPanels; q++) {
          const jj = j0 + 4 * q;
          tile(kc, q * kc * 4, c, co + i0 * n + jj, n, mr, Math.min(4, n - jj));
        }
      }
    }
  }
}

/** Rows i0..i0+mr of op(A), depths p0..p0+kc, interleaved as [p][row], zero rows past m. */
function packA(transA: boolean, m: number, k: number, a: FloatArray, ao: number, i0: number, mr: number, p0: number, kc: number): void {
  const buf = packedA;
  if (mr < 4) buf.fill(0);
  for (let r = 0; r < mr; r++) {
    if (transA) {
      let src = ao + p0 * m + i0 + r;
      for (let p = 0; p < kc; p++, src += m) buf[4 * p + r] = a[src];
    } else {
      const src = ao + (i0 + r) * k + p0;
      for (let p = 0; p < kc; p++) buf[4 * p + r] = a[src + p];
    }
  }
}

/** Columns j0..j0+nc of op(B), depths p0..p0+kc, as panels of four columns [panel][p][col]. */
function packB(transB: boolean, n: number, k: number, b: FloatArray, bo: number, p0: number, kc: number, j0: number, nc: number): void {
  const need = ((nc + 3) >> 2) * 4 * kc;
  if (packedB.length < need) packedB = new Float64Array(need);
  const buf = packedB;
  if (nc & 3) buf.fill(0, 0, need);
  for (let jc = 0; jc < nc; jc++) {
    const base = (jc >> 2) * kc * 4 + (jc & 3);
    if (transB) {
      const src = bo + (j0 + jc) * k + p0;
      for (let p = 0; p < kc; p++) buf[base + 4 * p] = b[src + p];
    } else {
      let src = bo + p0 * n + j0 + jc;
      for (let p = 0; p < kc; p++, src += n) buf[base + 4 * p] = b[src];
    }
  }
}

/** C[0..mr, 0..nr] (row stride ldc) += packed A panel · packed B panel at `bOff`, over depth kc. */
function tile(kc: number, bOff: number, c: FloatArray, ci: number, ldc: number, mr: number, nr: number): void {
  const A = packedA;
  const B = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ap = 0;
  let bp = bOff;
  for (let p = 0; p < kc; p++, ap += 4, bp += 4) {
    const a0 = A[ap], a1 = A[ap + 1], a2 = A[ap + 2], a3 = A[ap + 3];
    const b0 = B[bp], b1 = B[bp + 1], b2 = B[bp + 2], b3 = B[bp + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (mr === 4 && nr === 4) {
    c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
    ci += ldc;
    c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
    ci += ldc;
    c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
    ci += ldc;
    c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33;
    return;
  }
  // Edge tile: the padded rows and columns were computed against zeros and are dropped here.
  const rows = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < mr; r++) for (let j = 0; j < nr; j++) c[ci + r * ldc + j] += rows[4 * r + j];
}
