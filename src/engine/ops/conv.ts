/** Convolutions and pooling, NCHW / NCL layouts as PyTorch. */
import { FloatArray, like, likeUnzeroed } from '../dtype';
import { convForward as convKernel, ConvGeometry, convInputGrad, convWeightGrad } from '../kernels/conv';
import { avgPoolBackwardJs, avgPoolJs, maxPool, PoolGeometry } from '../kernels/pooling';
import { formatShape, Shape, ShapeError, windowOutputLength } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, eachOther, OpTable } from './types';

export interface ConvAttrs {
  /** inputs: [x (N,C,L), weight (O,C/groups,K)] or with bias (O); groups defaults to 1 */
  conv1d: { stride: number; padding: number; groups?: number; dilation?: number };
  /** inputs: [x (N,C,H,W), weight (O,C/groups,KH,KW)] or with bias (O); groups defaults to 1 */
  conv2d: { stride: [number, number]; padding: [number, number]; groups?: number; dilation?: [number, number] };
  /** inputs: [x (N,C_in,H,W), weight (C_in,C_out,KH,KW)] or with bias (C_out); the adjoint of conv2d in x; dilation defaults to [1, 1] */
  conv_transpose2d: { stride: [number, number]; padding: [number, number]; outputPadding: [number, number]; dilation?: [number, number] };
  /** dilation defaults to [1, 1]: its window's elements that many rows and columns apart */
  max_pool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation?: [number, number]; ceil?: boolean };
  /** count_include_pad=True, PyTorch's default */
  /** countIncludePad false and divisor: PyTorch's count_include_pad=False and divisor_override. */
  avg_pool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number]; ceil?: boolean; countIncludePad?: false; divisor?: number };
}

/**
 * floor((size + 2·padding − dilation·(kernel − 1) − 1)/stride) + 1, refusing what PyTorch refuses;
 * `pytorchSays` is PyTorch's own words for a window that does not fit (a pooling's differ).
 */
function outputSize(op: string, size: number, kernel: number, stride: number, padding: number, dilation = 1, pytorchSays = "Kernel size can't be greater than actual input size", ceil = false): number {
  if (!(stride >= 1) || !Number.isInteger(stride)) throw new ShapeError(`${op}: stride must be a positive integer, got ${stride}`);
  if (!(padding >= 0) || !Number.isInteger(padding)) throw new ShapeError(`${op}: padding must be a non-negative integer, got ${padding}`);
  if (!(dilation >= 1) || !Number.isInteger(dilation)) throw new ShapeError(`${op}: dilation should be greater than zero, got ${dilation}`);
  const span = dilation * (kernel - 1) + 1;
  const out = windowOutputLength(size, kernel, stride, padding, dilation, ceil);
  if (out < 1) {
    const dilated = dilation === 1 ? `${kernel}` : `${kernel} (${span} wide with dilation ${dilation})`;
    throw new ShapeError(`${op}: kernel ${dilated} does not fit an input of size ${size} with padding ${padding} (output size ${out}; PyTorch: "${pytorchSays}")`);
  }
  return out;
}

/** A convolution's geometry and its channel groups: each group's geometry is `g` with c and o divided by `groups`. */
export interface GroupedGeometry extends ConvGeometry {
  groups: number;
}

function geometry(op: string, x: Shape, wt: Shape, bias: Tensor | undefined, stride: [number, number], padding: [number, number], dilation: [number, number], spatial: 1 | 2, groups: number): GroupedGeometry {
  const rank = spatial + 2;
  if ((x.length !== rank && x.length !== rank - 1) || wt.length !== rank) {
    throw new ShapeError(`${op}: expected input of rank ${rank} (or ${rank - 1} unbatched) and weight of rank ${rank}, got ${formatShape(x)} and ${formatShape(wt)}`);
  }
  const batched = x.length === rank;
  const n = batched ? x[0] : 1;
  const c = x[batched ? 1 : 0];
  const h = spatial === 2 ? x[x.length - 2] : 1;
  const w = x[x.length - 1];
  const [o, cw] = wt;
  const kh = spatial === 2 ? wt[2] : 1;
  const kw = wt[wt.length - 1];
  // PyTorch 1.13's messages (aten/src/ATen/native/Convolution.cpp check_shape_forward)
  if (!Number.isInteger(groups) || groups < 1) throw new ShapeError(`${op}: non-positive groups is not supported, got groups=${groups}`);
  if (o % groups !== 0) {
    throw new ShapeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${formatShape(wt)} instead`);
  }
  if (c !== cw * groups) {
    if (groups === 1) throw new ShapeError(`${op}: input ${formatShape(x)} has ${c} channels but weight ${formatShape(wt)} expects ${cw}`);
    throw new ShapeError(`${op}: Given groups=${groups}, weight of size ${formatShape(wt)}, expected input${formatShape(x)} to have ${cw * groups} channels, but got ${c} channels instead`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} must be [${o}] to match weight ${formatShape(wt)}`);
  }
  const oh = outputSize(op, h, kh, stride[0], padding[0], dilation[0]);
  const ow = outputSize(op, w, kw, stride[1], padding[1], dilation[1]);
  return { n, c, h, w, o, kh, kw, sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1], dh: dilation[0], dw: dilation[1], oh, ow, groups };
}

/** out = W ⋆ x (+ bias): the kernels do the work. */
function convForward(inputs: readonly Tensor[], g: GroupedGeometry): FloatArray {
  const [x, wt, bias] = inputs;
  if (g.groups === 1) return convKernel(x.data, wt.data, bias ? bias.data : null, g);
  // Each group is an ordinary convolution of its own input channels by its own rows of the weight
  // (and entries of the bias); those rows are contiguous, the channel slices of x and y are not.
  const { n, h, w, oh, ow } = g;
  const [sub, cg, og] = groupGeometry(g);
  const out = likeUnzeroed(x.data, n * g.o * oh * ow);
  const rows = og * cg * g.kh * g.kw;
  for (let k = 0; k < g.groups; k++) {
    const xs = channelSlice(x.data, n, g.c, k * cg, cg, h * w);
    const bs = bias ? bias.data.subarray(k * og, (k + 1) * og) : null;
    const ys = convKernel(xs, wt.data.subarray(k * rows, (k + 1) * rows), bs, sub);
    putChannels(out, ys, n, g.o, k * og, og, oh * ow);
  }
  return out;
}

/** One group's geometry, its input and its output channel counts. */
function groupGeometry(g: GroupedGeometry): [ConvGeometry, number, number] {
  const cg = g.c / g.groups;
  const og = g.o / g.groups;
  return [{ ...g, c: cg, o: og }, cg, og];
}

/** Channels [first, first+count) of every sample of an N × channels × plane array, as a contiguous copy. */
function channelSlice(a: FloatArray, n: number, channels: number, first: number, count: number, plane: number): FloatArray {
  const out = likeUnzeroed(a, n * count * plane);
  for (let s = 0; s < n; s++) {
    const from = (s * channels + first) * plane;
    out.set(a.subarray(from, from + count * plane), s * count * plane);
  }
  return out;
}

/** The inverse of channelSlice: writes `part` (N × count × plane) into channels [first, first+count) of `a`. */
function putChannels(a: FloatArray, part: FloatArray, n: number, channels: number, first: number, count: number, plane: number): void {
  for (let s = 0; s < n; s++) a.set(part.subarray(s * count * plane, (s + 1) * count * plane), (s * channels + first) * plane);
}

// d conv = dy ⋆ W (col2im of Wᵀ·dy), dy·colsᵀ, Σ dy (per output channel)
function convBackward(gy: FloatArray, inputs: readonly Tensor[], g: GroupedGeometry, needs: readonly boolean[]): (FloatArray | null)[] {
  const [x, wt, bias] = inputs;
  const [dx, dw] = g.groups === 1
    ? [needs[0] ? convInputGrad(gy, wt.data, g) : null, needs[1] ? convWeightGrad(gy, x.data, g) : null]
    : groupedGrads(gy, x.data, wt.data, g, needs);
  if (!bias) return [dx, dw];
  return [dx, dw, needs[2] ? channelSums(gy, bias.data, g.n, g.o, g.oh * g.ow) : null];
}

/** The input and weight gradients group by group, as convForward splits the forward pass. */
function groupedGrads(gy: FloatArray, x: FloatArray, wt: FloatArray, g: GroupedGeometry, needs: readonly boolean[]): [FloatArray | null, FloatArray | null] {
  const { n, h, w, oh, ow } = g;
  const [sub, cg, og] = groupGeometry(g);
  const dx = needs[0] ? likeUnzeroed(x) : null;
  const dw = needs[1] ? likeUnzeroed(wt) : null;
  const rows = og * cg * g.kh * g.kw;
  for (let k = 0; k < g.groups; k++) {
    const gys = channelSlice(gy, n, g.o, k * og, og, oh * ow);
    if (dx) putChannels(dx, convInputGrad(gys, wt.subarray(k * rows, (k + 1) * rows), sub), n, g.c, k * cg, cg, h * w);
    if (dw) dw.set(convWeightGrad(gys, channelSlice(x, n, g.c, k * cg, cg, h * w), sub), k * rows);
  }
  return [dx, dw];
}

/** A bias's gradient: dy (N × channels × plane) summed over every sample and position. */
function channelSums(gy: FloatArray, bias: FloatArray, n: number, channels: number, plane: number): FloatArray {
  const db = like(bias);
  for (let s = 0, q = 0; s < n; s++) {
    for (let f = 0; f < channels; f++, q += plane) db[f] += planeSum(gy, q, plane);
  }
  return db;
}

/**
 * gy[q..q+n) summed in float64 as four interleaved sums: one chain of dependent adds waits out each
 * add's latency (W5's bias gradients took 0.8 ms a step that way).
 */
function planeSum(gy: FloatArray, q: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = q;
  const end = q + n;
  for (; i + 4 <= end; i += 4) {
    s0 += gy[i];
    s1 += gy[i + 1];
    s2 += gy[i + 2];
    s3 += gy[i + 3];
  }
  for (; i < end; i++) s0 += gy[i];
  return s0 + s1 + (s2 + s3);
}

function conv1dGeometry(inputs: readonly Tensor[], stride: number, padding: number, dilation: number, groups: number): GroupedGeometry {
  return geometry('conv1d', inputs[0].shape, inputs[1].shape, inputs[2], [1, stride], [0, padding], [1, dilation], 1, groups);
}

function conv2dGeometry(inputs: readonly Tensor[], stride: [number, number], padding: [number, number], dilation: [number, number], groups: number): GroupedGeometry {
  return geometry('conv2d', inputs[0].shape, inputs[1].shape, inputs[2], stride, padding, dilation, 2, groups);
}

/**
 * A transposed convolution as the conv2d it is the adjoint of: that convolution's input is this
 * one's output (C_out channels of (H−1)·stride − 2·padding + dilation·(K − 1) + output_padding + 1),
 * its output this one's input (C_in channels of H × W), and both share the weight (C_in, C_out, KH, KW)
 * and the dilation.
 */
function convTransposeGeometry(inputs: readonly Tensor[], stride: [number, number], padding: [number, number], outputPadding: [number, number], dilation: [number, number]): ConvGeometry {
  const op = 'conv_transpose2d';
  const [x, wt, bias] = inputs;
  if ((x.rank !== 4 && x.rank !== 3) || wt.rank !== 4) {
    throw new ShapeError(`${op}: expected input of rank 4 (or 3 unbatched) and weight of rank 4, got ${formatShape(x.shape)} and ${formatShape(wt.shape)}`);
  }
  const batched = x.rank === 4;
  const n = batched ? x.shape[0] : 1;
  const cin = x.shape[batched ? 1 : 0];
  const [h, w] = x.shape.slice(-2);
  const [wc, cout, kh, kw] = wt.shape;
  if (cin !== wc) throw new ShapeError(`${op}: input ${formatShape(x.shape)} has ${cin} channels but weight ${formatShape(wt.shape)} expects ${wc}`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} must be [${cout}] to match weight ${formatShape(wt.shape)}`);
  const size = (i: 0 | 1, inSize: number, k: number) => {
    const [s, p, op2, d] = [stride[i], padding[i], outputPadding[i], dilation[i]];
    if (!(s >= 1) || !Number.isInteger(s)) throw new ShapeError(`${op}: stride must be a positive integer, got ${s}`);
    if (!(p >= 0) || !Number.isInteger(p)) throw new ShapeError(`${op}: padding must be a non-negative integer, got ${p}`);
    if (!(d >= 1) || !Number.isInteger(d)) throw new ShapeError(`${op}: dilation should be greater than zero, got ${d}`);
    // PyTorch: "output padding must be smaller than either stride or dilation"
    if (!(op2 >= 0) || !Number.isInteger(op2) || (op2 >= s && op2 >= d)) {
      throw new ShapeError(`${op}: output padding must be smaller than either stride or dilation, got output_padding ${op2}, stride ${s} and dilation ${d}`);
    }
    const out = (inSize - 1) * s - 2 * p + d * (k - 1) + op2 + 1;
    if (out < 1) {
      const kernel = d === 1 ? `kernel ${k}` : `kernel ${k} (${d * (k - 1) + 1} wide with dilation ${d})`;
      throw new ShapeError(`${op}: an input of size ${inSize} with stride ${s}, padding ${p} and ${kernel} gives an output of size ${out} (PyTorch: "Output size is too small")`);
    }
    return out;
  };
  const oh = size(0, h, kh);
  const ow = size(1, w, kw);
  return { n, c: cout, h: oh, w: ow, o: cin, kh, kw, sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1], dh: dilation[0], dw: dilation[1], oh: h, ow: w };
}

// The transposed convolution runs conv2d's kernels with the roles swapped: its forward pass is
// conv2d's input gradient (col2im of Wᵀ·x), its input gradient conv2d's forward pass over dy, its
// weight gradient conv2d's weight gradient with x as that convolution's output gradient.
function convTransposeForward(inputs: readonly Tensor[], g: ConvGeometry): FloatArray {
  const [x, wt, bias] = inputs;
  const out = convInputGrad(x.data, wt.data, g);
  if (bias) {
    const { n, c, h, w } = g;
    for (let s = 0, q = 0; s < n; s++) {
      for (let f = 0; f < c; f++) {
        const bv = bias.data[f];
        for (let i = 0; i < h * w; i++, q++) out[q] += bv;
      }
    }
  }
  return out;
}

// d x = W ⋆ dy (conv2d of dy); d W = conv2d's weight gradient of (dy as input, x as output gradient); d b = Σ dy per output channel
function convTransposeBackward(gy: FloatArray, inputs: readonly Tensor[], g: ConvGeometry, needs: readonly boolean[]): (FloatArray | null)[] {
  const [x, wt, bias] = inputs;
  const dx = needs[0] ? convKernel(gy, wt.data, null, g) : null;
  const dw = needs[1] ? convWeightGrad(x.data, gy, g) : null;
  if (!bias) return [dx, dw];
  return [dx, dw, needs[2] ? channelSums(gy, bias.data, g.n, g.c, g.h * g.w) : null];
}

function poolGeometry(op: string, x: Shape, kernel: [number, number], stride: [number, number], padding: [number, number], [dh, dw]: [number, number] = [1, 1], ceil = false): PoolGeometry {
  if (x.length !== 3 && x.length !== 4) throw new ShapeError(`${op}: expected input (N,C,H,W) or (C,H,W), got ${formatShape(x)}`);
  const [kh, kw] = kernel;
  const [ph, pw] = padding;
  if (!(kh >= 1 && kw >= 1)) throw new ShapeError(`${op}: kernel size must be positive, got [${kh}, ${kw}]`);
  if (ph > kh / 2 || pw > kw / 2) {
    throw new ShapeError(`${op}: padding [${ph}, ${pw}] should be at most half of kernel size [${kh}, ${kw}]`);
  }
  const h = x[x.length - 2];
  const w = x[x.length - 1];
  const oh = outputSize(op, h, kh, stride[0], ph, dh, 'Output size is too small', ceil);
  const ow = outputSize(op, w, kw, stride[1], pw, dw, 'Output size is too small', ceil);
  const lead = x.slice(0, -2);
  let planes = 1;
  for (const d of lead) planes *= d;
  return { planes, h, w, kh, kw, sh: stride[0], sw: stride[1], ph, pw, oh, ow, dh, dw, ceil, shape: [...lead, oh, ow] };
}

export const convOps: OpTable<ConvAttrs> = {
  conv1d: defineOp({
    saves: eachOther,
    forward: (inputs, { stride, padding, groups = 1, dilation = 1 }) => {
      const g = conv1dGeometry(inputs, stride, padding, dilation, groups);
      const shape = inputs[0].rank === 3 ? [g.n, g.o, g.ow] : [g.o, g.ow];
      return { data: convForward(inputs, g), shape, saved: g };
    },
    backward: ({ gy, inputs, saved, needs }) => convBackward(gy, inputs, saved, needs),
  }),
  conv2d: defineOp({
    saves: eachOther,
    forward: (inputs, { stride, padding, groups = 1, dilation = [1, 1] as [number, number] }) => {
      const g = conv2dGeometry(inputs, stride, padding, dilation, groups);
      const shape = inputs[0].rank === 4 ? [g.n, g.o, g.oh, g.ow] : [g.o, g.oh, g.ow];
      return { data: convForward(inputs, g), shape, saved: g };
    },
    backward: ({ gy, inputs, saved, needs }) => convBackward(gy, inputs, saved, needs),
  }),
  conv_transpose2d: defineOp({
    saves: eachOther,
    forward: (inputs, { stride, padding, outputPadding, dilation = [1, 1] as [number, number] }) => {
      const g = convTransposeGeometry(inputs, stride, padding, outputPadding, dilation);
      const shape = inputs[0].rank === 4 ? [g.n, g.c, g.h, g.w] : [g.c, g.h, g.w];
      return { data: convTransposeForward(inputs, g), shape, saved: g };
    },
    backward: ({ gy, inputs, saved, needs }) => convTransposeBackward(gy, inputs, saved, needs),
  }),
  // d max = dy at the window's maximum (the first on ties, a NaN wins as in PyTorch), 0 elsewhere
  max_pool2d: defineOp({
    saves: [0],
    forward: ([x], { kernel, stride, padding, dilation, ceil }) => {
      const g = poolGeometry('max_pool2d', x.shape, kernel, stride, padding, dilation, ceil);
      const { out, argmax, argmaxStorage } = maxPool(x.data, g);
      // The storage is saved beside its view so the step scope can give it back (step-scope.ts).
      return { data: out, shape: g.shape, saved: { argmax, argmaxStorage } };
    },
    backward: ({ gy, inputs: [x], saved: { argmax } }) => {
      const dx = like(x.data);
      for (let q = 0; q < argmax.length; q++) dx[argmax[q]] += gy[q];
      return [dx];
    },
  }),
  // d avg = dy/divisor to every in-bounds element of the window (KH·KW, or as PyTorch counts it below)
  avg_pool2d: defineOp({
    saves: [0],
    forward: ([x], { kernel, stride, padding, ceil, countIncludePad, divisor }) => {
      const g: PoolGeometry = { ...poolGeometry('avg_pool2d', x.shape, kernel, stride, padding, [1, 1], ceil), ...(countIncludePad === false ? { countIncludePad } : {}), ...(divisor ? { divisor } : {}) };
      const out = avgPoolJs(x.data, g);
      return { data: out, shape: g.shape, saved: g };
    },
    backward: ({ gy, inputs: [x], saved: g }) => [avgPoolBackwardJs(gy, x.data, g)],
  }),
};
