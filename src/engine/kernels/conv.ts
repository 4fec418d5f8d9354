/**
 * Convolution kernels, NCHW as PyTorch (a 1-D convolution is a 2-D one with H = KH = 1): the
 * forward pass and its two backward passes. float32 runs on the WebAssembly core (im2col + GEMM
 * per sample, samples spread over the pool's threads); float64 and runtimes without WebAssembly
 * take the JavaScript kernels. Bias gradients are plain sums and stay with the op.
 */
import { allocUnzeroed, type FloatArray } from '../dtype';
import { kernelCore, trimCore, WasmCore } from './core';
import { convForwardJs, convInputGradJs, convWeightGradJs } from './conv-js';
import { runJob, threadsFor, writeJob } from './pool';

/** Sizes of one convolution. */
export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  /** Dilation: kernel taps sit dh rows and dw columns apart (1 is PyTorch's default, dense). */
  dh: number;
  dw: number;
  oh: number;
  ow: number;
}

// Job kinds of assembly/jobs.ts.
const CONV_FORWARD = 2;
const CONV_INPUT_GRAD = 3;
const CONV_WEIGHT_GRAD = 4;
/** The weight gradient sums per-chunk partials in chunk order: a fixed count, so threads do not change the sum. */
const WEIGHT_GRAD_CHUNKS = 8;

/** y (N×O×OH×OW) = W ⋆ x + bias. */
export function convForward(x: FloatArray, weight: FloatArray, bias: FloatArray | null, g: ConvGeometry): FloatArray {
  if (x instanceof Float32Array && weight instanceof Float32Array && (!bias || bias instanceof Float32Array)) {
    const out = allocUnzeroed('float32', g.n * g.o * g.oh * g.ow) as Float32Array;
    if (onCore(g, g.n, (job) => job.run(CONV_FORWARD, [x, weight, bias], out.length, copyTo(out)))) return out;
  }
  return convForwardJs(x, weight, bias, g);
}

/** dx (N×C×H×W) = col2im(Wᵀ · dy) per sample. */
export function convInputGrad(gy: FloatArray, weight: FloatArray, g: ConvGeometry): FloatArray {
  if (gy instanceof Float32Array && weight instanceof Float32Array) {
    const dx = allocUnzeroed('float32', g.n * g.c * g.h * g.w) as Float32Array;
    if (onCore(g, g.n, (job) => job.run(CONV_INPUT_GRAD, [gy, weight, null], dx.length, copyTo(dx)))) return dx;
  }
  return convInputGradJs(gy, weight, g);
}

/** dW (O×C×KH×KW) = Σ_samples dy · colsᵀ. */
export function convWeightGrad(gy: FloatArray, x: FloatArray, g: ConvGeometry): FloatArray {
  if (gy instanceof Float32Array && x instanceof Float32Array) {
    const per = Math.ceil(g.n / WEIGHT_GRAD_CHUNKS);
    const chunks = Math.ceil(g.n / per);
    const size = g.o * g.c * g.kh * g.kw;
    const dw = allocUnzeroed('float32', size) as Float32Array;
    // The partials stay in the core's memory: summed from there, in chunk order.
    const sum = (partials: Float32Array, at: number) => {
      for (let i = 0; i < size; i++) {
        let s = 0;
        for (let ch = 0; ch < chunks; ch++) s += partials[at + ch * size + i];
        dw[i] = s;
      }
    };
    if (onCore(g, chunks, (job) => job.run(CONV_WEIGHT_GRAD, [gy, x, null], chunks * size, sum, per))) return dw;
  }
  return convWeightGradJs(gy, x, g);
}

const copyTo = (out: Float32Array) => (mem: Float32Array, at: number) => out.set(mem.subarray(at, at + out.length));

/** Lays one convolution job out in the core's memory and runs it. */
class ConvJobRunner {
  constructor(
    private readonly core: WasmCore,
    private readonly g: ConvGeometry,
    private readonly chunks: number,
    private readonly threads: number,
  ) {}

  /**
   * Copies the inputs in, runs every chunk and hands the `outLength` floats it wrote to `take`
   * (the core's memory and their offset); false when the memory cap leaves no room.
   */
  run(kind: number, inputs: [Float32Array, Float32Array, Float32Array | null], outLength: number, take: (mem: Float32Array, at: number) => void, per = 1): boolean {
    const { core, g, threads } = this;
    const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
    const colsBytes = pointwise ? 0 : g.c * g.kh * g.kw * g.oh * g.ow * 4;
    const at = inputs.map((t) => (t ? core.alloc(t.length * 4) : 0));
    const pout = core.alloc(outLength * 4);
    const cols = colsBytes ? core.alloc(threads * colsBytes) : 0;
    if (at.some((p) => p < 0) || pout < 0 || cols < 0) return false;
    const mem = core.f32;
    inputs.forEach((t, i) => t && mem.set(t, at[i] >> 2));
    // In the field order of ConvJob in assembly/conv.ts.
    const job = writeJob(core, [
      kind, g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, g.n, per,
      at[0], at[1], at[2], pout, cols, colsBytes, core.work, core.workBytesPerThread,
    ]);
    runJob(core, job, this.chunks, threads);
    take(core.f32, pout >> 2);
    return true;
  }
}

function onCore(g: ConvGeometry, chunks: number, body: (job: ConvJobRunner) => boolean): boolean {
  // The core's im2col has no dilation: a dilated convolution takes the JavaScript kernels (float32 too).
  if (g.dh !== 1 || g.dw !== 1) return false;
  const core = kernelCore();
  if (!core) return false;
  try {
    const threads = threadsFor(core, g.n * g.o * g.oh * g.ow * g.c * g.kh * g.kw, chunks);
    return body(new ConvJobRunner(core, g, chunks, threads));
  } finally {
    core.release();
    trimCore();
  }
}
