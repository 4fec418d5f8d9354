/**
 * Max pooling over the last two axes: float32 on the WebAssembly core (assembly/pooling.ts, four
 * windows at a time for the usual 2×2 stride-2 window), float64 and runtimes without the core in
 * JavaScript. Both give the same values and the same argmax bit for bit: a maximum is exact.
 */
import { allocUnzeroed, like, likeUnzeroed, type FloatArray } from '../dtype';
import type { Shape } from '../shape';
import { kernelCore, trimCore } from './core';
import { ELEMENTWISE_MIN } from './elementwise';
import { writeJob } from './pool';

/** Pooling windows over (…, H, W): every leading axis is a separate plane. */
export interface PoolGeometry {
  planes: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
  /** Max pooling's dilation: the window's elements dh rows and dw columns apart (1 when absent). */
  dh?: number;
  dw?: number;
  /** ceil_mode: the last window may run past the input and its right padding (clipped like padding). */
  ceil?: boolean;
  /** Average pooling's count_include_pad=False: the divisor counts the window's input elements only. */
  countIncludePad?: false;
  /** Average pooling's divisor_override. */
  divisor?: number;
  shape: Shape;
}

export interface MaxPoolResult {
  out: FloatArray;
  /** For each output, the flat index into x of the value it took: a view of `argmaxStorage`. */
  argmax: Int32Array;
  /**
   * The argmax's bytes, taken from the buffer pool as float32 (the pool keeps float arrays only), so
   * the step scope gives them back with the op's other saved arrays: a fresh Int32Array of W5's
   * first pool cost ~1.8 ms a step, twenty times the pooling itself.
   */
  argmaxStorage: Float32Array;
}

function indices(n: number): { argmax: Int32Array; argmaxStorage: Float32Array } {
  const argmaxStorage = allocUnzeroed('float32', n) as Float32Array;
  return { argmax: new Int32Array(argmaxStorage.buffer, argmaxStorage.byteOffset, n), argmaxStorage };
}

/** Each window's maximum (the first on ties, a NaN wins as in PyTorch; padding never competes). */
export function maxPool(x: FloatArray, g: PoolGeometry): MaxPoolResult {
  // A dilated window (rare: WaveNet-style pooling) is JavaScript's alone, in every dtype.
  // So is a ceil_mode window running past the right padding, which the core's loop does not clip.
  if ((g.dh ?? 1) !== 1 || (g.dw ?? 1) !== 1 || g.ceil) return maxPoolJs(x, g);
  return maxPoolKernel(x, g) ?? maxPoolJs(x, g);
}

/** The same on the core; null when it cannot run it (float64, no core, the memory cap, too small to pay for the call). */
export function maxPoolKernel(x: FloatArray, g: PoolGeometry): MaxPoolResult | null {
  if (!(x instanceof Float32Array) || x.length < ELEMENTWISE_MIN) return null;
  const core = kernelCore();
  if (!core) return null;
  try {
    const n = g.planes * g.oh * g.ow;
    const px = core.alloc(x.length * 4);
    const py = core.alloc(n * 4);
    const parg = core.alloc(n * 4);
    if (px < 0 || py < 0 || parg < 0) return null;
    core.f32.set(x, px >> 2);
    // In the field order of PoolJob in assembly/pooling.ts.
    const job = writeJob(core, [g.planes, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, px, py, parg]);
    core.exports.maxPool(job);
    const out = likeUnzeroed(x, n);
    out.set(core.f32.subarray(py >> 2, (py >> 2) + n));
    const idx = indices(n);
    idx.argmax.set(core.i32.subarray(parg >> 2, (parg >> 2) + n));
    return { out, ...idx };
  } finally {
    core.release();
    trimCore();
  }
}

/**
 * Calls `visit` once per window, in output order (q), with the window's in-bounds rows [y0, y1) and
 * columns [x0, x1) of the plane starting at `base` (a dilated window's taps are every dh-th row and
 * dw-th column from y0 and x0; only max pooling has one): padding is clipped away here, once, for every
 * pooling loop in JavaScript. A call per window (not per element) costs little beside the window's
 * own kh·kw work.
 */
export function eachWindow(
  g: PoolGeometry,
  visit: (q: number, base: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const { planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  const dh = g.dh ?? 1;
  const dw = g.dw ?? 1;
  for (let pl = 0, q = 0; pl < planes; pl++) {
    const base = pl * h * w;
    for (let y = 0; y < oh; y++) {
      const y0 = firstTap(y * sh - ph, dh);
      const y1 = Math.min(y * sh - ph + (kh - 1) * dh + 1, h);
      for (let xq = 0; xq < ow; xq++, q++) {
        visit(q, base, y0, y1, firstTap(xq * sw - pw, dw), Math.min(xq * sw - pw + (kw - 1) * dw + 1, w));
      }
    }
  }
}

/** A window starting at `start` (maybe in the padding) with taps `d` apart: its first tap at or after 0. */
function firstTap(start: number, d: number): number {
  return start >= 0 ? start : start + Math.ceil(-start / d) * d;
}

export function maxPoolJs(xd: FloatArray, g: PoolGeometry): MaxPoolResult {
  const w = g.w;
  const dh = g.dh ?? 1;
  const dw = g.dw ?? 1;
  const out = likeUnzeroed(xd, g.planes * g.oh * g.ow);
  const idx = indices(out.length);
  const argmax = idx.argmax;
  eachWindow(g, (q, base, y0, y1, x0, x1) => {
    // Padding counts as -inf, so only in-bounds elements compete.
    let best = -Infinity;
    let at = base + y0 * w + x0;
    for (let iy = y0; iy < y1; iy += dh) {
      for (let ix = x0; ix < x1; ix += dw) {
        const i = base + iy * w + ix;
        const v = xd[i];
        if (v > best || Number.isNaN(v)) {
          best = v;
          at = i;
        }
      }
    }
    out[q] = best;
    argmax[q] = at;
  });
  return { out, ...idx };
}

/** Each window's mean over kh·kw (padding counts in the divisor, as PyTorch's count_include_pad). */
export function avgPoolJs(xd: FloatArray, g: PoolGeometry): FloatArray {
  const w = g.w;
  const out = like(xd, g.planes * g.oh * g.ow);
  const divisor = avgDivisor(g);
  eachWindow(g, (q, base, y0, y1, x0, x1) => {
    let acc = 0;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) acc += xd[base + iy * w + ix];
    out[q] = acc / divisor(q, y0, y1, x0, x1);
  });
  return out;
}

/**
 * An average window's divisor as PyTorch 1.13 counts it (AvgPool2d.cpp): divisor_override, else the
 * window clipped to the padded input (kh·kw but for a ceil_mode window past the right padding),
 * else with count_include_pad=False its input elements only.
 */
function avgDivisor(g: PoolGeometry): (q: number, y0: number, y1: number, x0: number, x1: number) => number {
  if (g.divisor) return () => g.divisor!;
  if (g.countIncludePad === false) return (_q, y0, y1, x0, x1) => (y1 - y0) * (x1 - x0);
  const full = g.kh * g.kw;
  if (!g.ceil) return () => full;
  return (q) => {
    const y = Math.floor(q / g.ow) % g.oh;
    const x = q % g.ow;
    const ys = y * g.sh - g.ph;
    const xs = x * g.sw - g.pw;
    return (Math.min(ys + g.kh, g.h + g.ph) - ys) * (Math.min(xs + g.kw, g.w + g.pw) - xs);
  };
}

/** The average pool's input gradient: each window's dy/(kh·kw) added to its in-bounds elements. */
export function avgPoolBackwardJs(gy: FloatArray, xd: FloatArray, g: PoolGeometry): FloatArray {
  const w = g.w;
  const dx = like(xd);
  const divisor = avgDivisor(g);
  eachWindow(g, (q, base, y0, y1, x0, x1) => {
    const gv = gy[q] / divisor(q, y0, y1, x0, x1);
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[base + iy * w + ix] += gv;
  });
  return dx;
}
