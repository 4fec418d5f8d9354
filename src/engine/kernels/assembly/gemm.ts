/**
 * Single-precision GEMM, C (m×n) = op(A)·op(B) or C += op(A)·op(B), on row-major matrices with
 * leading dimensions, all addresses in bytes. The loop nest of BLIS: a KC×NC block of op(B) is
 * packed into NR-column panels that stay in L2, an MC×KC block of op(A) into MR-row panels, and a
 * 4×8 register tile (eight f32x4 accumulators, two of B and a broadcast of A: eleven of the sixteen
 * xmm registers, so V8 keeps them all in registers) runs over one panel of each. Partial tiles are computed in full against zero padding and only
 * their valid part is written back.
 */
import { madd } from './simd';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 128;
export const NC: i32 = 1024;

/** Bytes of scratch one thread needs: the packed A block, the packed B block and one tile. */
export const PACK_A_BYTES: i32 = MC * KC * 4;
export const PACK_B_BYTES: i32 = KC * NC * 4;
export const WORK_BYTES: i32 = PACK_A_BYTES + PACK_B_BYTES + MR * NR * 4;

export function sgemm(
  transA: bool,
  transB: bool,
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
  work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>(i * ldc) * 4, 0, <usize>n * 4);
    return;
  }
  const packA = work;
  const packB = work + <usize>PACK_A_BYTES;
  const tile = packB + <usize>PACK_B_BYTES;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // The first depth block overwrites C unless accumulating, so C needs no zeroing pass.
      const overwrite = pc == 0 && !accumulate;
      packPanelsB(transB, b, ldb, pc, kc, jc, nc, packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packPanelsA(transA, a, lda, ic, mc, pc, kc, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = packB + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = packA + <usize>(ir * kc) * 4;
            const cp = c + <usize>((ic + ir) * ldc + jc + jr) * 4;
            kernel(kc, ap, bp, cp, ldc, mr, nr, overwrite, tile);
          }
        }
      }
    }
  }
}

/** Rows ic..ic+mc of op(A), depths pc..pc+kc, as MR-row panels laid out [p][row], zero rows past mc. */
function packPanelsA(transA: bool, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const panel = dst + <usize>(ir * kc) * 4;
    if (mr < MR) memory.fill(panel, 0, <usize>(MR * kc) * 4);
    if (transA) {
      // op(A)[i][p] = A[p][i]: the MR values of one depth are contiguous.
      for (let p = 0; p < kc; p++) {
        const src = a + <usize>((pc + p) * lda + ic + ir) * 4;
        const out = panel + <usize>(p * MR) * 4;
        if (mr == MR) v128.store(out, v128.load(src));
        else for (let r = 0; r < mr; r++) store<f32>(out + <usize>r * 4, load<f32>(src + <usize>r * 4));
      }
    } else {
      const src = a + <usize>((ic + ir) * lda + pc) * 4;
      let p = 0;
      // Four rows of four depths at a time, transposed in registers.
      if (mr == MR) {
        const row = <usize>lda * 4;
        for (; p + 4 <= kc; p += 4) {
          const at = src + <usize>p * 4;
          transpose4(v128.load(at), v128.load(at + row), v128.load(at + 2 * row), v128.load(at + 3 * row), panel + <usize>(p * MR) * 4, MR * 4);
        }
      }
      for (let r = 0; r < mr; r++) {
        const from = src + <usize>(r * lda) * 4;
        let out = panel + <usize>(p * MR + r) * 4;
        for (let q = p; q < kc; q++, out += MR * 4) store<f32>(out, load<f32>(from + <usize>q * 4));
      }
    }
  }
}

/**
 * Stores the transpose of the 4×4 block whose rows are r0..r3: column i of the block goes to
 * `out + i·stride` (bytes), as four contiguous floats.
 */
// @ts-ignore: decorator
@inline
function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, out: usize, stride: i32): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  const s = <usize>stride;
  v128.store(out, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(out + s, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(out + 2 * s, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(out + 3 * s, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

/** Columns jc..jc+nc of op(B), depths pc..pc+kc, as NR-column panels laid out [p][col], zero columns past nc. */
function packPanelsB(transB: bool, b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + <usize>(jr * kc) * 4;
    if (transB) {
      // op(B)[p][j] = B[j][p]: each column of the panel is a contiguous row of B.
      if (nr < NR) memory.fill(panel, 0, <usize>(NR * kc) * 4);
      const src = b + <usize>((jc + jr) * ldb + pc) * 4;
      let p = 0;
      // Eight rows of four depths at a time: two 4×4 blocks transposed in registers.
      if (nr == NR) {
        const row = <usize>ldb * 4;
        for (; p + 4 <= kc; p += 4) {
          const at = src + <usize>p * 4;
          const out = panel + <usize>(p * NR) * 4;
          transpose4(v128.load(at), v128.load(at + row), v128.load(at + 2 * row), v128.load(at + 3 * row), out, NR * 4);
          const lower = at + 4 * row;
          transpose4(v128.load(lower), v128.load(lower + row), v128.load(lower + 2 * row), v128.load(lower + 3 * row), out + 16, NR * 4);
        }
      }
      for (let j = 0; j < nr; j++) {
        const from = src + <usize>(j * ldb) * 4;
        let out = panel + <usize>(p * NR + j) * 4;
        for (let q = p; q < kc; q++, out += NR * 4) store<f32>(out, load<f32>(from + <usize>q * 4));
      }
    } else if (nr == NR) {
      for (let p = 0; p < kc; p++) {
        const src = b + <usize>((pc + p) * ldb + jc + jr) * 4;
        const out = panel + <usize>(p * NR) * 4;
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
      }
    } else {
      memory.fill(panel, 0, <usize>(NR * kc) * 4);
      for (let p = 0; p < kc; p++) {
        const src = b + <usize>((pc + p) * ldb + jc + jr) * 4;
        const out = panel + <usize>(p * NR) * 4;
        for (let j = 0; j < nr; j++) store<f32>(out + <usize>j * 4, load<f32>(src + <usize>j * 4));
      }
    }
  }
}

/** C tile (mr×nr of an MR×NR tile, row stride ldc) = or += packed A panel · packed B panel over depth kc. */
// @ts-ignore: decorator
@inline
function kernel(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, mr: i32, nr: i32, overwrite: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let b0: v128, b1: v128, av: v128;
  for (let p = 0; p < kc; p++) {
    b0 = v128.load(bp, 0);
    b1 = v128.load(bp, 16);
    av = v128.load32_splat(ap, 0);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(ap, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(ap, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    ap += MR * 4;
    bp += NR * 4;
  }
  if (mr == MR && nr == NR) {
    const s = <usize>ldc * 4;
    storeRow(c, c00, c01, overwrite);
    storeRow(c + s, c10, c11, overwrite);
    storeRow(c + 2 * s, c20, c21, overwrite);
    storeRow(c + 3 * s, c30, c31, overwrite);
    return;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  for (let r = 0; r < mr; r++) {
    const row = c + <usize>(r * ldc) * 4;
    const t = tile + <usize>(r * NR) * 4;
    for (let j = 0; j < nr; j++) {
      const at = row + <usize>j * 4;
      const v = load<f32>(t + <usize>j * 4);
      store<f32>(at, overwrite ? v : load<f32>(at) + v);
    }
  }
}

// @ts-ignore: decorator
@inline
function storeRow(at: usize, lo: v128, hi: v128, overwrite: bool): void {
  if (overwrite) {
    v128.store(at, lo);
    v128.store(at, hi, 16);
  } else {
    v128.store(at, f32x4.add(v128.load(at), lo));
    v128.store(at, f32x4.add(v128.load(at, 16), hi), 16);
  }
}

/**
 * y[j] += Σ_r x[r][j] over `rows` rows of `n` contiguous floats: the linear layer's bias gradient.
 * Rows are added in order, one rounding per addition as the JavaScript loop, four columns at a time.
 */
export function addRowSums(x: usize, rows: i32, n: i32, y: usize): void {
  const full = n & ~3;
  for (let j = 0; j < full; j += 4) {
    let s = v128.load(y + <usize>j * 4);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(x + <usize>(r * n + j) * 4));
    v128.store(y + <usize>j * 4, s);
  }
  for (let j = full; j < n; j++) {
    let s = load<f32>(y + <usize>j * 4);
    for (let r = 0; r < rows; r++) s += load<f32>(x + <usize>(r * n + j) * 4);
    store<f32>(y + <usize>j * 4, s);
  }
}

/**
 * c[r][j] += row[j] over `rows` rows of `n` contiguous floats: a linear layer's bias added after a
 * product deeper than one block (one rounding per element, as the JavaScript loop).
 */
export function addRows(c: usize, rows: i32, n: i32, row: usize): void {
  const full = n & ~3;
  for (let r = 0; r < rows; r++) {
    const at = c + <usize>(r * n) * 4;
    for (let j = 0; j < full; j += 4) v128.store(at + <usize>j * 4, f32x4.add(v128.load(at + <usize>j * 4), v128.load(row + <usize>j * 4)));
    for (let j = full; j < n; j++) store<f32>(at + <usize>j * 4, load<f32>(at + <usize>j * 4) + load<f32>(row + <usize>j * 4));
  }
}
