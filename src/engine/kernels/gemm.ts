/**
 * General matrix product C = op(A)·op(B) (or C += …) on row-major typed arrays, where op() is an
 * optional transpose, so the linear layer's x·Wᵀ, gy·W and gyᵀ·x never copy a transposed matrix.
 *
 * float32 products run on the WebAssembly core (packed panels, a 4×8 SIMD register tile, fused
 * multiply-adds where relaxed SIMD exists), split across the pool's threads when large; float64,
 * tiny products and runtimes without WebAssembly take the JavaScript kernel.
 */
import type { FloatArray } from '../dtype';
import type { Tensor } from '../tensor';
import { kernelCore, trimCore, WasmCore } from './core';
import { addRows, gemmJs } from './gemm-js';
import { chunking, kernelThreads, PARALLEL_MIN_MACS, runJob, threadsFor, writeJob } from './pool';
import { leave, takeLeft } from './chain';
import { residentOffsets } from './resident';

export { gemmReference } from './gemm-js';

/** Below this many multiply-adds, copying into the core costs more than the faster product saves. */
export const WASM_MIN_MACS = 4096;

const GEMM_JOB = 1;

/**
 * Depth the core's kernel sums in one block (assembly/gemm.ts KC) before adding to C: within it,
 * C starting from an addend gives fl(addend + Σ), the bits of the product followed by the addition.
 */
const CORE_DEPTH_BLOCK = 256;

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
  rowAddend: FloatArray | null = null,
): void {
  if (m === 0 || n === 0) return;
  const wasm = k > 0 && m * n * k >= WASM_MIN_MACS && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array;
  // A row added to every row of C (a linear layer's bias) starts C on the core, as PyTorch's addmm,
  // when that adds in the same order as after the product: accumulating into C, or deeper than a block, it is added after.
  const fuseRow = wasm && rowAddend instanceof Float32Array && !accumulate && k <= CORE_DEPTH_BLOCK;
  if (wasm) {
    const cStarts = fuseRow ? rowAddend : accumulate ? 'copy' : 'overwritten';
    const ok = onCore(a.subarray(aOffset, aOffset + m * k), b.subarray(bOffset, bOffset + k * n), c.subarray(cOffset, cOffset + m * n), cStarts, (core) => productThreads(core, m * n * k), (core, pa, pb, pc, threads) => {
      product(core, threads, transA, transB, m, n, k, pa, pb, pc, accumulate || fuseRow);
    });
    if (ok) {
      if (rowAddend && !fuseRow) addRows(c, cOffset, m, n, rowAddend);
      return;
    }
  }
  gemmJs(transA, transB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate, rowAddend);
}

/**
 * Threads for products of `macs` multiply-adds on the core (1 below the pool's threshold). Before
 * the call takes any scratch or kept memory: sizing the pool the first time resets both.
 */
function productThreads(core: WasmCore, macs: number): number {
  return threadsFor(core, macs, 2);
}

/**
 * C = op(A)·op(B), or C += when `accumulate`, on dense matrices at byte offsets in the core's
 * memory, split into bands of C across `threads` (from `productThreads`) when there are enough.
 * Every band runs the same kernel over the same depth blocks, so the bits do not depend on the split.
 */
function product(core: WasmCore, threads: number, transA: boolean, transB: boolean, m: number, n: number, k: number, pa: number, pb: number, pc: number, accumulate: boolean): void {
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  // Bands of C: columns when C is wide (each band packs all of A), rows when it is tall.
  const splitCols = n >= m;
  if (threads > 1 && (splitCols ? n >> 3 : m >> 2) >= 2) {
    const { size, count } = splitCols ? chunking(n, 8, threads) : chunking(m, 4, threads);
    const job = writeJob(core, [GEMM_JOB, +transA, +transB, m, n, k, pa, lda, pb, ldb, pc, n, +accumulate, +splitCols, size, core.work, core.workBytesPerThread]);
    runJob(core, job, count, threads);
  } else {
    core.exports.sgemm(+transA, +transB, m, n, k, pa, lda, pb, ldb, pc, n, +accumulate, core.work);
  }
}

/**
 * Runs `body` on copies of a and b in the core's memory and on c there, which starts as a copy of
 * c, zeros, a given row in every row, or whatever the memory held (for a product that overwrites
 * it), and is copied back;
 * false (nothing written) when there is no core or the memory cap leaves no room. `threads` sizes
 * the pool first: sizing resets the scratch, so it must come before the operands take theirs.
 */
function onCore(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  cStarts: 'copy' | 'zeros' | 'overwritten' | Float32Array,
  threads: (core: WasmCore) => number,
  body: (core: WasmCore, pa: number, pb: number, pc: number, threads: number) => void,
): boolean {
  const core = kernelCore();
  if (!core) return false;
  try {
    const t = threads(core);
    const pa = core.alloc(a.length * 4);
    const pb = core.alloc(b.length * 4);
    const pc = core.alloc(c.length * 4);
    if (pa < 0 || pb < 0 || pc < 0) return false;
    const mem = core.f32;
    mem.set(a, pa >> 2);
    mem.set(b, pb >> 2);
    if (cStarts === 'copy') mem.set(c, pc >> 2);
    else if (cStarts === 'zeros') mem.fill(0, pc >> 2, (pc >> 2) + c.length);
    else if (cStarts !== 'overwritten') repeatRow(mem, pc >> 2, cStarts, c.length);
    body(core, pa, pb, pc, t);
    c.set(core.f32.subarray(pc >> 2, (pc >> 2) + c.length));
    return true;
  } finally {
    core.release();
    trimCore();
  }
}

/** `row` repeated from float `at` of mem over `total` floats: the first copy, then doubling copies of what is written. */
function repeatRow(mem: Float32Array, at: number, row: Float32Array, total: number): void {
  mem.set(row, at);
  for (let done = row.length; done < total; done *= 2) mem.copyWithin(at + done, at, at + Math.min(done, total - done));
}

/**
 * A batch of products of one shape: C[ic[t]] += op(A[ia[t]])·op(B[ib[t]]) for every t, where
 * matrix i of A starts at i·m·k (of B at i·k·n, of C at i·m·n), so a broadcast operand repeats one
 * matrix. C starts from its values when `accumulate`, else from zeros. On the core the operands are
 * copied in once for the whole batch (attention's batched products are many small ones, each of
 * which would otherwise pay its own copies); products large enough to split across threads go one
 * by one through `gemm`.
 */
export function gemmBatch(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ia: Int32Array,
  b: FloatArray,
  ib: Int32Array,
  c: FloatArray,
  ic: Int32Array,
  accumulate: boolean,
): void {
  const macs = m * n * k;
  // tiny products stay in JavaScript, as in `gemm` (its float64 sums are what the parity suites were held to)
  const wasm = macs >= WASM_MIN_MACS && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array && !(kernelThreads() > 1 && macs >= PARALLEL_MIN_MACS);
  const ok =
    wasm &&
    onCore(a, b, c, accumulate ? 'copy' : 'zeros', () => 1, (core, pa, pb, pc) => {
      const lda = transA ? m : k;
      const ldb = transB ? k : n;
      for (let t = 0; t < ia.length; t++) {
        core.exports.sgemm(+transA, +transB, m, n, k, pa + ia[t] * m * k * 4, lda, pb + ib[t] * k * n * 4, ldb, pc + ic[t] * m * n * 4, n, 1, core.work);
      }
    });
  if (ok) return;
  if (!accumulate) c.fill(0);
  for (let t = 0; t < ia.length; t++) gemm(transA, transB, m, n, k, a, ia[t] * m * k, b, ib[t] * k * n, c, ic[t] * m * n, true);
}

/**
 * Whether a float32 linear layer of this size runs on the core (tiny ones stay in JavaScript). No
 * rest arguments or objects: W1 asks twice a step.
 */
function linearOnCore(macs: number, a: FloatArray, b: FloatArray, c: FloatArray): boolean {
  return macs >= WASM_MIN_MACS && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array;
}

/**
 * y = x·wᵀ + bias, as `gemm` computes it (the same kernel, so the same bits). On the core, w stays
 * in its memory for the backward and later steps while its version holds (resident.ts). x does not:
 * kept inputs are new every step, so they walk through cold memory up to the kept bytes' bound, and
 * copying x there cost more (W3, measured) than copying it into the call's warm scratch twice.
 */
export function linearForward(x: Tensor, w: Tensor, bias: FloatArray | null, out: FloatArray, rows: number, nIn: number, nOut: number): void {
  if (linearOnCore(rows * nIn * nOut, x.data, w.data, out) && linearForwardOnCore(x, w, bias, out, rows, nIn, nOut)) return;
  gemm(false, true, rows, nOut, nIn, x.data, 0, w.data, 0, out, 0, false, bias);
}

/** `linearForward` on the core; false (nothing written) when there is no core or no room. */
function linearForwardOnCore(x: Tensor, w: Tensor, bias: FloatArray | null, out: FloatArray, rows: number, nIn: number, nOut: number): boolean {
  const core = kernelCore();
  if (!core) return false;
  try {
    const threads = productThreads(core, rows * nIn * nOut);
    const kept = residentOffsets(core, [w]);
    if (!kept) return false;
    const pw = kept[0];
    // x where the op before left it (an activation's output), else copied in
    const left = takeLeft(core, x.data, x.version);
    const px = left >= 0 ? left : core.alloc(x.size * 4);
    const pc = core.alloc(out.length * 4);
    // the bias starts C, as `gemm` fuses it (PyTorch's addmm order) within one depth block; deeper, it is added after
    const fuseRow = bias instanceof Float32Array && nIn <= CORE_DEPTH_BLOCK;
    const addRow = bias instanceof Float32Array && !fuseRow;
    const pb = addRow ? core.alloc(nOut * 4) : 0;
    if (px < 0 || pc < 0 || pb < 0) return false;
    const mem = core.f32;
    if (left < 0) mem.set(x.data, px >> 2);
    if (fuseRow) repeatRow(mem, pc >> 2, bias, out.length);
    product(core, threads, false, true, rows, nOut, nIn, px, pw, pc, fuseRow);
    if (addRow) {
      mem.set(bias, pb >> 2);
      core.exports.addRows(pc, rows, nOut, pb);
    }
    out.set(mem.subarray(pc >> 2, (pc >> 2) + out.length));
    // left for the activation after it, unless JavaScript adds a bias of another type afterwards
    if (bias && !fuseRow && !addRow) addRows(out, 0, rows, nOut, bias);
    else if (out instanceof Float32Array) leave(core, out, pc);
    return true;
  } finally {
    core.release();
    trimCore();
  }
}

/** The linear layer's backward: its operands, sizes, and the gradients wanted (null when not). */
export interface LinearBackward {
  /** rows×nOut */
  gy: FloatArray;
  /** rows×nIn */
  x: Tensor;
  /** nOut×nIn */
  w: Tensor;
  rows: number;
  nIn: number;
  nOut: number;
  /** Overwritten with gy·w. */
  dx: FloatArray | null;
  /** Overwritten with gyᵀ·x. */
  dw: FloatArray | null;
  /** Σ_rows gy added to its values. */
  db: FloatArray | null;
}

/**
 * The linear layer's gradients. On the core gy and x are copied in once for all three products
 * (split across threads when large), w is read where the forward kept it, with the same kernels and
 * so the same bits; float64 and tiny products go one by one through `gemm`.
 */
export function linearBackward(l: LinearBackward): void {
  const { gy, rows, nIn, nOut, dx, dw, db } = l;
  const x = l.x.data;
  const w = l.w.data;
  if (linearOnCore(rows * nIn * nOut, gy, x, w) && linearBackwardOnCore(l)) return;
  if (dx) gemm(false, false, rows, nIn, nOut, gy, 0, w, 0, dx, 0, false);
  if (dw) gemm(true, false, nOut, nIn, rows, gy, 0, x, 0, dw, 0, false);
  if (db) for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < nOut; j++, o++) db[j] += gy[o];
}

/** `linearBackward` of float32 operands in one visit to the core; false (nothing written) when there is no core or no room. */
function linearBackwardOnCore({ gy, x, w, rows, nIn, nOut, dx, dw, db }: LinearBackward): boolean {
  const core = kernelCore();
  if (!core) return false;
  try {
    const threads = productThreads(core, rows * nIn * nOut);
    const kept = dx ? residentOffsets(core, [w]) : null;
    if (dx && !kept) return false;
    const pw = kept ? kept[0] : 0;
    // gy where the op after this layer left it (an activation's gradient), else copied in
    const left = takeLeft(core, gy, 0);
    const pg = left >= 0 ? left : core.alloc(gy.length * 4);
    const px = dw ? core.alloc(x.size * 4) : 0;
    const pdx = dx ? core.alloc(dx.length * 4) : 0;
    const pdw = dw ? core.alloc(dw.length * 4) : 0;
    const pdb = db ? core.alloc(db.length * 4) : 0;
    if (pg < 0 || (dw && px < 0) || pdx < 0 || pdw < 0 || pdb < 0) return false;
    const mem = core.f32;
    if (left < 0) mem.set(gy, pg >> 2);
    if (dx) {
      product(core, threads, false, false, rows, nIn, nOut, pg, pw, pdx, false);
      dx.set(mem.subarray(pdx >> 2, (pdx >> 2) + dx.length));
    }
    if (dw) {
      mem.set(x.data, px >> 2);
      product(core, threads, true, false, nOut, nIn, rows, pg, px, pdw, false);
      dw.set(mem.subarray(pdw >> 2, (pdw >> 2) + dw.length));
    }
    if (db) {
      mem.set(db, pdb >> 2);
      core.exports.addRowSums(pg, rows, nOut, pdb);
      db.set(mem.subarray(pdb >> 2, (pdb >> 2) + db.length));
    }
    // dx is left for the activation before this layer (the backward walk runs it next)
    if (dx instanceof Float32Array) leave(core, dx, pdx);
    return true;
  } finally {
    core.release();
    trimCore();
  }
}
