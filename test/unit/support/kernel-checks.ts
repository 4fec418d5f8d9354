/**
 * Checks of one kernel build (JavaScript, plain SIMD, relaxed SIMD) against float64 references,
 * as a list of failures. kernels.test.ts runs them in process, and in a child node with
 * --experimental-wasm-relaxed-simd where this runtime does not validate relaxed SIMD by default.
 * Run as a script, it prints the result of one build as JSON.
 */
import { Rng, setMemoryLimit } from '../../../src/engine';
import { ConvGeometry, convForward, convInputGrad, convWeightGrad } from '../../../src/engine/kernels/conv';
import { convForwardJs, convInputGradJs, convWeightGradJs } from '../../../src/engine/kernels/conv-js';
import { KernelBackend, kernelInfo, setKernelBackend } from '../../../src/engine/kernels/core';
import { reluGradKernel, softmaxRowsKernel, unaryInto, unaryKernel, unaryRowsInPlace } from '../../../src/engine/kernels/elementwise';
import { poolCounts } from '../../../src/engine/buffer-pool';
import type { FloatArray } from '../../../src/engine/dtype';
import { gemm, gemmBatch, gemmReference } from '../../../src/engine/kernels/gemm';
import { kernelThreads, poolReady, poolTally, setCallerClaims, setKernelThreads, setPoolSpin } from '../../../src/engine/kernels/pool';
import { maxPoolJs, maxPoolKernel, PoolGeometry } from '../../../src/engine/kernels/pooling';

export interface CheckResult {
  backend: KernelBackend;
  failures: string[];
  /** Worst |a-b|/(1+|b|)·√k seen against the float64 reference, float32 outputs. */
  worstGemm: number;
  worstConv: number;
  /** Worst |a-b|/|b| of the elementwise kernels (ReLU, sigmoid, tanh, softmax) against float64, float32 outputs. */
  worstElementwise: number;
}

function random32(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.between(-1, 1);
  return a;
}

/** Worst error of `actual` against `expected` scaled by √depth (float32 rounding grows with it), NaN where they disagree on NaN. */
function error(actual: ArrayLike<number>, expected: ArrayLike<number>, depth: number): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === e) continue;
    if (Number.isNaN(e) !== Number.isNaN(a)) return NaN;
    worst = Math.max(worst, Math.abs(a - e) / (1 + Math.abs(e)) / Math.sqrt(depth));
  }
  return worst;
}

/** float32 against a float64 reference: 1e-6 per √depth is about ten float32 roundings. */
const TOLERANCE = 1e-6;

const GEMM_SHAPES: [number, number, number][] = [
  // tiny (JavaScript), just past the WebAssembly threshold, ragged edges of the 4×8 tile
  [1, 10, 10], [16, 16, 16], [5, 9, 100], [17, 33, 65], [3, 130, 40], [130, 3, 40],
  // more than one depth block (KC = 256), row block (MC = 128) and column block (NC = 1024)
  [33, 70, 600], [260, 20, 30], [9, 1100, 20], [64, 256, 784],
  // large enough to be split across threads
  [96, 200, 300],
];

function checkGemm(failures: string[]): number {
  const rng = new Rng(5);
  let worst = 0;
  for (const [m, n, k] of GEMM_SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          // Offsets into every operand, and a C prefix that must stay untouched.
          const a = random32(3 + m * k, rng);
          const b = random32(2 + k * n, rng);
          const c0 = random32(5 + m * n, rng);
          const c = c0.slice();
          if (!accumulate) c.fill(NaN, 5);
          gemm(transA, transB, m, n, k, a, 3, b, 2, c, 5, accumulate);
          const expected = Float64Array.from(c0.subarray(5));
          gemmReference(transA, transB, m, n, k, Float64Array.from(a.subarray(3)), Float64Array.from(b.subarray(2)), expected, accumulate);
          const what = `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${n}×${k}${accumulate ? ' accumulate' : ''}`;
          const e = error(c.subarray(5), expected, k);
          worst = Math.max(worst, e);
          if (!(e <= TOLERANCE)) failures.push(`${what}: error ${e} per √k`);
          if (c.subarray(0, 5).some((v, i) => v !== c0[i])) failures.push(`${what}: wrote before its offset`);
        }
      }
    }
  }
  // Batches, with a broadcast operand (a matrix read by several products) and products that sum
  // into one matrix of C, as matmul's backward does.
  for (const [m, n, k] of [[3, 5, 7], [64, 64, 32], [17, 9, 33]] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const [ia, ib, ic] = [Int32Array.of(0, 1, 0, 1), Int32Array.of(1, 1, 0, 2), Int32Array.of(0, 1, 2, 1)];
          const a = random32(2 * m * k, rng);
          const b = random32(3 * k * n, rng);
          const c0 = random32(3 * m * n, rng);
          const c = c0.slice();
          gemmBatch(transA, transB, m, n, k, a, ia, b, ib, c, ic, accumulate);
          const expected = accumulate ? Float64Array.from(c0) : new Float64Array(c0.length);
          for (let t = 0; t < ia.length; t++) {
            const part = new Float64Array(m * n);
            gemmReference(transA, transB, m, n, k, Float64Array.from(a.subarray(ia[t] * m * k, (ia[t] + 1) * m * k)), Float64Array.from(b.subarray(ib[t] * k * n, (ib[t] + 1) * k * n)), part, false);
            for (let i = 0; i < m * n; i++) expected[ic[t] * m * n + i] += part[i];
          }
          const e = error(c, expected, 2 * k);
          worst = Math.max(worst, e);
          if (!(e <= TOLERANCE)) failures.push(`gemm batch ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${n}×${k}${accumulate ? ' accumulate' : ''}: error ${e} per √k`);
        }
      }
    }
  }
  // NaN and ±inf reach exactly the row and column they sit on.
  const size = 40;
  const a = new Float32Array(size * size).fill(1);
  const b = new Float32Array(size * size).fill(1);
  a[1 * size + 2] = NaN;
  b[0 * size + 1] = Infinity;
  const c = new Float32Array(size * size);
  gemm(false, false, size, size, size, a, 0, b, 0, c, 0, false);
  if (!Number.isNaN(c[1 * size + 0]) || c[0 * size + 1] !== Infinity || c[2 * size + 0] !== size) {
    failures.push(`gemm non-finite: row 1 ${c[size]}, column 1 ${c[1]}, elsewhere ${c[2 * size]}`);
  }
  return worst;
}

function geometry(n: number, c: number, h: number, w: number, o: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number): ConvGeometry {
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh: 1, dw: 1, oh, ow };
}

const CONV_SHAPES: [string, ConvGeometry][] = [
  ['3×3 padding 1', geometry(3, 2, 7, 6, 5, 3, 3, 1, 1, 1, 1)],
  ['3×3 stride 2, no padding', geometry(2, 3, 9, 8, 4, 3, 3, 2, 2, 0, 0)],
  ['2×3 kernel, strides 2×1, padding 1×2', geometry(2, 3, 6, 7, 4, 2, 3, 2, 1, 1, 2)],
  ['5×5 kernel wider than the padded input allows on some rows', geometry(1, 2, 4, 12, 3, 5, 5, 1, 3, 2, 2)],
  ['1×1 pointwise', geometry(3, 8, 5, 5, 6, 1, 1, 1, 1, 0, 0)],
  ['1-D, kernel 3, stride 2, padding 1', geometry(4, 3, 1, 11, 5, 1, 3, 1, 2, 0, 1)],
  ['CIFAR-like, split across threads', geometry(6, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1)],
];

function checkConv(failures: string[]): number {
  const rng = new Rng(8);
  let worst = 0;
  for (const [name, g] of CONV_SHAPES) {
    const x = random32(g.n * g.c * g.h * g.w, rng);
    const w = random32(g.o * g.c * g.kh * g.kw, rng);
    const bias = random32(g.o, rng);
    const gy = random32(g.n * g.o * g.oh * g.ow, rng);
    const f64 = (t: Float32Array) => Float64Array.from(t);
    const depth = g.c * g.kh * g.kw;
    const cases: [string, ArrayLike<number>, ArrayLike<number>, number][] = [
      ['forward', convForward(x, w, bias, g), convForwardJs(f64(x), f64(w), f64(bias), g), depth],
      ['input gradient', convInputGrad(gy, w, g), convInputGradJs(f64(gy), f64(w), g), g.o * g.kh * g.kw],
      ['weight gradient', convWeightGrad(gy, x, g), convWeightGradJs(f64(gy), f64(x), g), g.n * g.oh * g.ow],
    ];
    for (const [what, ours, ref, d] of cases) {
      const e = error(ours, ref, d);
      worst = Math.max(worst, e);
      if (!(e <= TOLERANCE)) failures.push(`conv ${name}, ${what}: error ${e} per √depth`);
    }
  }
  return worst;
}

function poolGeometry(planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number): PoolGeometry {
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow, shape: [planes, oh, ow] };
}

const POOL_SHAPES: [string, PoolGeometry][] = [
  // the 2×2 stride-2 window four outputs at a time: widths with and without a tail, odd sizes whose last row and column no window reads
  ['2×2 stride 2, 32×32', poolGeometry(6, 32, 32, 2, 2, 2, 2, 0, 0)],
  ['2×2 stride 2, 9×13', poolGeometry(5, 9, 13, 2, 2, 2, 2, 0, 0)],
  ['2×2 stride 2, 4×22', poolGeometry(3, 4, 22, 2, 2, 2, 2, 0, 0)],
  ['3×3 stride 2 padding 1', poolGeometry(4, 11, 10, 3, 3, 2, 2, 1, 1)],
  ['overlapping 3×2 stride 1', poolGeometry(3, 7, 9, 3, 2, 1, 1, 0, 0)],
  ['2×2 stride 1 padding 1', poolGeometry(3, 6, 5, 2, 2, 1, 1, 1, 1)],
  ['1-D, kernel 3 stride 2 padding 1', poolGeometry(8, 1, 17, 1, 3, 1, 2, 0, 1)],
];

/**
 * Max pooling on the core against the JavaScript kernel, which must agree bit for bit on values
 * and argmax: ties (values drawn from a few levels), NaN, ±inf and windows of nothing but −inf.
 */
function checkMaxPool(failures: string[], js: boolean): void {
  const rng = new Rng(17);
  for (const [name, g] of POOL_SHAPES) {
    const x = new Float32Array(g.planes * g.h * g.w).map(() => Math.round(rng.between(-3, 3)) / 2);
    for (let i = 0; i < x.length; i += 1 + Math.floor(rng.between(0, 40))) x[i] = [NaN, Infinity, -Infinity, -0][Math.floor(rng.between(0, 4))];
    // the first plane's first rows all −inf, and two NaNs in one window
    x.fill(-Infinity, 0, 3 * g.w);
    x[g.w * (g.h - 1)] = NaN;
    x[g.w * (g.h - 1) + 1] = NaN;
    const ours = maxPoolKernel(x, g);
    const ref = maxPoolJs(Float64Array.from(x), g);
    if (js !== !ours) {
      failures.push(`max pool ${name}: ${ours ? 'ran on the core without WebAssembly' : 'did not run on the core'}`);
      continue;
    }
    if (!ours) continue;
    if (!(ours.out instanceof Float32Array)) failures.push(`max pool ${name}: float32 in, ${ours.out.constructor.name} out`);
    const values = ours.out.findIndex((v, i) => !Object.is(v, ref.out[i]));
    const args = ours.argmax.findIndex((v, i) => v !== ref.argmax[i]);
    if (values >= 0) failures.push(`max pool ${name}: output ${values} is ${ours.out[values]}, expected ${ref.out[values]}`);
    if (args >= 0) failures.push(`max pool ${name}: argmax ${args} is ${ours.argmax[args]}, expected ${ref.argmax[args]}`);
    if (ours.out.length !== ref.out.length) failures.push(`max pool ${name}: ${ours.out.length} outputs, expected ${ref.out.length}`);
  }
}

/** Relative error of the float32 elementwise kernels: a few roundings of the result (subnormal results, whose precision is smaller, by their absolute error). */
const ELEMENTWISE_TOLERANCE = 5e-7;
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 0.6249, 0.6251, -0.6251, 9, -9, 17, -17, 88, -88, 89, -89, 103, -103, 120, -120, 3.4e38, -3.4e38];

function elementwiseError(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, failures: string[]): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = Math.fround(expected[i]);
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (Number.isNaN(e) || Number.isNaN(a) || !Number.isFinite(e) || !Number.isFinite(a)) {
      failures.push(`${what}: element ${i} is ${a}, expected ${e}`);
      return NaN;
    }
    const err = Math.abs(a - e) / Math.max(Math.abs(e), 1.2e-38);
    worst = Math.max(worst, err);
  }
  if (!(worst <= ELEMENTWISE_TOLERANCE)) failures.push(`${what}: relative error ${worst}`);
  return worst;
}

/**
 * The kernels a recurrent step calls: tanh between offsets of two arrays, and sigmoid and tanh on
 * column ranges of rows in place (an LSTM row's i, f | g | o gates), where columns outside every
 * range, and the array around the block, must come back bit for bit.
 */
function checkGateKernels(x: Float32Array, f64: Float64Array, sigmoid: (v: number) => number, failures: string[]): number {
  let worst = 0;
  const n = 1001;
  const y = new Float32Array(n + 7).fill(5);
  if (!unaryInto('tanh', x, 3, y, 2, n)) failures.push('tanh into an offset: did not run on the core');
  worst = Math.max(worst, elementwiseError(y.subarray(2, 2 + n), f64.subarray(3, 3 + n).map(Math.tanh), 'tanh into an offset', failures));
  if (y.subarray(0, 2).some((v) => v !== 5) || y.subarray(2 + n).some((v) => v !== 5)) failures.push('tanh into an offset: wrote outside its range');
  // 7 rows of 4 gates of 13 (a tail past the last four lanes in every gate), one spare column per row, at an offset
  const [rows, H, at] = [7, 13, 5];
  const width = 4 * H + 1;
  const block = x.slice(0, at + rows * width + 3);
  const before = block.slice();
  const gates = [
    { op: 'sigmoid', start: 0, count: 2 * H },
    { op: 'tanh', start: 2 * H, count: H },
    { op: 'sigmoid', start: 3 * H, count: H },
  ] as const;
  if (!unaryRowsInPlace(block, at, rows, width, gates)) failures.push('gate rows: did not run on the core');
  const expected = Float64Array.from(before);
  for (let r = 0; r < rows; r++) {
    for (const g of gates) {
      for (let j = g.start; j < g.start + g.count; j++) {
        const i = at + r * width + j;
        expected[i] = g.op === 'sigmoid' ? sigmoid(before[i]) : Math.tanh(before[i]);
      }
    }
  }
  worst = Math.max(worst, elementwiseError(block, expected, 'gate rows', failures));
  for (let i = 0; i < block.length; i++) {
    const inBlock = i >= at && i < at + rows * width;
    if ((!inBlock || (i - at) % width === 4 * H) && !Object.is(block[i], before[i])) failures.push(`gate rows: element ${i} outside every gate changed`);
  }
  return worst;
}

function checkElementwise(failures: string[], js: boolean): number {
  const rng = new Rng(13);
  // every special value, then a spread of magnitudes; a length that leaves a tail past the last 4 lanes
  const n = 4099;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i < SPECIALS.length ? SPECIALS[i] : rng.between(-1, 1) * Math.exp(rng.between(-12, 4.5));
  const f64 = Float64Array.from(x);
  const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const handedOut = () => Object.values(poolCounts()).reduce((a, b) => a + b, 0);
  const before = handedOut();
  const ran = { relu: unaryKernel('relu', x), sigmoid: unaryKernel('sigmoid', x), tanh: unaryKernel('tanh', x) };
  if (js) {
    if (Object.values(ran).some((r) => r !== null)) failures.push('elementwise: a kernel ran without the WebAssembly core');
    if (unaryInto('tanh', x, 0, new Float32Array(n), 0, n) || unaryRowsInPlace(x.slice(), 0, 1, n, [{ op: 'tanh', start: 0, count: n }])) {
      failures.push('elementwise: a gate kernel ran without the WebAssembly core');
    }
    return 0;
  }
  // Results in the engine's own arrays, from the buffer pool: a step scope gives them back for the next step.
  if (handedOut() - before !== 3 * n * 4) failures.push(`elementwise: ${handedOut() - before} bytes of results came from the buffer pool, expected ${3 * n * 4}`);
  let worst = 0;
  if (!ran.relu || !ran.sigmoid || !ran.tanh) {
    failures.push('elementwise: a kernel did not run on the core');
    return NaN;
  }
  worst = Math.max(worst, elementwiseError(ran.relu, f64.map((v) => (v <= 0 ? 0 : v)), 'relu', failures));
  worst = Math.max(worst, elementwiseError(ran.sigmoid, f64.map(sigmoid), 'sigmoid', failures));
  worst = Math.max(worst, elementwiseError(ran.tanh, f64.map(Math.tanh), 'tanh', failures));
  worst = Math.max(worst, checkGateKernels(x, f64, sigmoid, failures));
  const gy = new Float32Array(n).map(() => rng.between(-1, 1));
  const grad = reluGradKernel(ran.relu, gy);
  const expectedGrad = Float64Array.from(gy).map((g, i) => (ran.relu![i] <= 0 ? 0 : g));
  worst = Math.max(worst, grad ? elementwiseError(grad, expectedGrad, 'relu gradient', failures) : NaN);
  // softmax rows: ordinary rows, one with −inf entries, and rows that are NaN as a whole (+inf, NaN, all −inf)
  for (const width of [64, 10, 7]) {
    const rows = Math.ceil(1000 / width) + 4;
    const s = new Float32Array(rows * width).map(() => rng.between(-30, 30));
    s[0] = -Infinity;
    s[width + 1] = Infinity;
    s[2 * width + 2] = NaN;
    s.fill(-Infinity, 3 * width, 4 * width);
    const expected = new Float64Array(s.length);
    for (let r = 0; r < rows; r++) {
      const row = Float64Array.from(s.subarray(r * width, (r + 1) * width));
      const m = row.some(Number.isNaN) ? NaN : Math.max(...row);
      // the shift rounds to float32 in every float32 softmax (PyTorch's too): the reference starts from the rounded difference
      const e = row.map((v) => Math.exp(Math.fround(v - m)));
      const sum = e.reduce((a, b) => a + b, 0);
      expected.set(e.map((v) => v / sum), r * width);
    }
    const got = softmaxRowsKernel(s, width);
    if (!got) {
      failures.push(`softmax width ${width}: did not run on the core`);
      continue;
    }
    // the NaN rows must be NaN throughout; the rest within tolerance
    let bad = 0;
    for (let i = 0; i < s.length; i++) if (Number.isNaN(expected[i]) !== Number.isNaN(got[i])) bad++;
    if (bad) failures.push(`softmax width ${width}: ${bad} elements disagree on NaN`);
    const keep = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => !Number.isNaN(expected[i]));
    worst = Math.max(worst, elementwiseError(keep(got), keep(expected), `softmax width ${width}`, failures));
  }
  return worst;
}

/**
 * Products split across threads, in every transposition and with accumulation: bands of rows (C
 * taller than wide) and of columns (wider than tall) whose sizes do not divide evenly, and W2's
 * products (784-256-256-10, batch 64: x·Wᵀ, gy·W, gyᵀ·x), each large enough to be split.
 */
const SPLIT_SHAPES: [number, number, number][] = [
  [401, 151, 53],
  [37, 411, 233],
  [64, 256, 784],
  [64, 256, 256],
  [256, 784, 64],
];

/**
 * Results with two threads must equal one thread's bit for bit (chunks never depend on the thread
 * count): with the caller claiming chunks, with every chunk on the worker, and with the worker
 * sleeping between jobs instead of polling.
 */
async function checkThreads(failures: string[]): Promise<void> {
  const rng = new Rng(11);
  const products = SPLIT_SHAPES.flatMap(([m, n, k]) =>
    [false, true].flatMap((transA) =>
      [false, true].flatMap((transB) =>
        [false, true].map((accumulate) => ({ m, n, k, transA, transB, accumulate, a: random32(m * k, rng), b: random32(k * n, rng), c0: random32(m * n, rng) })),
      ),
    ),
  );
  const g = geometry(8, 16, 12, 12, 32, 3, 3, 1, 1, 1, 1);
  const x = random32(g.n * g.c * g.h * g.w, rng);
  const w = random32(g.o * g.c * 9, rng);
  const gy = random32(g.n * g.o * g.oh * g.ow, rng);
  const name = (i: number) => {
    if (i >= products.length) return `convolution ${i - products.length}`;
    const p = products[i];
    return `gemm ${p.transA ? 'T' : 'N'}${p.transB ? 'T' : 'N'} ${p.m}×${p.n}×${p.k}${p.accumulate ? ' accumulate' : ''}`;
  };
  const run = () => {
    const out: FloatArray[] = [];
    for (const p of products) {
      const c = p.c0.slice();
      const jobs = poolTally().parallelJobs;
      gemm(p.transA, p.transB, p.m, p.n, p.k, p.a, 0, p.b, 0, c, 0, p.accumulate);
      if (kernelThreads() > 1 && poolTally().parallelJobs === jobs) failures.push(`threads: ${name(out.length)} was not split`);
      out.push(c);
    }
    const jobs = poolTally().parallelJobs;
    out.push(convForward(x, w, null, g), convInputGrad(gy, w, g), convWeightGrad(gy, x, g));
    if (kernelThreads() > 1 && poolTally().parallelJobs < jobs + 3) failures.push('threads: a convolution was not split');
    return out;
  };
  const compare = (one: FloatArray[], other: FloatArray[], how: string) =>
    one.forEach((r, i) => {
      if (r.some((v, j) => !Object.is(v, other[i][j]))) failures.push(`threads: ${name(i)} differs ${how}`);
    });
  setKernelThreads(1);
  const one = run();
  setKernelThreads(2);
  const spin = setPoolSpin();
  try {
    run(); // starts the worker
    await poolReady();
    compare(one, run(), 'between one and two threads');
    // And with every chunk on the worker, whatever the machine's load.
    const before = poolTally().byWorkers;
    setCallerClaims(false);
    const worker = run();
    setCallerClaims(true);
    if (poolTally().byWorkers <= before) failures.push('threads: the worker ran no chunk');
    compare(one, worker, 'when the worker runs every chunk');
    setPoolSpin(0);
    compare(one, run(), 'when the worker sleeps between jobs');
  } finally {
    setCallerClaims(true);
    setPoolSpin(spin);
    setKernelThreads(1);
  }
}

/** Under a cap too small for the operands the product still comes out right (the JavaScript kernel ran). */
function checkMemoryCap(failures: string[]): void {
  const rng = new Rng(2);
  const [m, n, k] = [64, 64, 64];
  const a = random32(m * k, rng);
  const b = random32(k * n, rng);
  const expected = new Float64Array(m * n);
  gemmReference(false, false, m, n, k, Float64Array.from(a), Float64Array.from(b), expected, false);
  setMemoryLimit(20_000);
  try {
    const c = new Float32Array(m * n);
    gemm(false, false, m, n, k, a, 0, b, 0, c, 0, false);
    if (!(error(c, expected, k) <= TOLERANCE)) failures.push('memory cap: the product is wrong when the kernels have no room');
    if (kernelInfo().memoryBytes > 20_000) failures.push(`memory cap: the kernels hold ${kernelInfo().memoryBytes} bytes under a cap of 20000`);
  } finally {
    setMemoryLimit(Infinity);
  }
}

export async function checkKernels(backend: KernelBackend): Promise<CheckResult> {
  const failures: string[] = [];
  const got = setKernelBackend(backend);
  if (got !== backend) return { backend: got, failures: [`asked for ${backend}, got ${got}: ${kernelInfo().reason}`], worstGemm: NaN, worstConv: NaN, worstElementwise: NaN };
  try {
    const worstGemm = checkGemm(failures);
    const worstConv = checkConv(failures);
    const worstElementwise = checkElementwise(failures, backend === 'js');
    checkMaxPool(failures, backend === 'js');
    if (backend !== 'js') {
      await checkThreads(failures);
      checkMemoryCap(failures);
    }
    return { backend, failures, worstGemm, worstConv, worstElementwise };
  } finally {
    setKernelBackend('auto');
  }
}

if (require.main === module) {
  void checkKernels(process.argv[2] as KernelBackend).then((r) => {
    process.stdout.write(JSON.stringify(r));
    process.exit(0);
  });
}
