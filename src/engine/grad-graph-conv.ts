/**
 * Convolutions, pooling, batch, group (instance) and layer norm, and dropout for grad-graph.ts: their gradients written again
 * with tape ops (a DCGAN critic's gradient penalty, a MAML step through a conv net). A convolution's
 * input gradient is the transposed convolution of dy by the same weight, and its weight gradient a
 * convolution of the input by dy with stride and dilation swapped, so both stay differentiable.
 */
import { inputAt } from './autograd';
import { ones, tensor } from './functional/creation';
import { add, mul, pow, sub } from './functional/math';
import { conv2d, convTranspose2d } from './functional/nn';
import { mean, sum } from './functional/reduce';
import { permute, reshape, sliceDim, unsqueeze } from './functional/views';
import type { OpAttrs, OpKind } from './ops';
import type { Tensor } from './tensor';
import { scatterAdd, type Node, type Rules } from './grad-graph-rules';

const attrsOf = <K extends OpKind>(node: Node, _kind: K) => node.attrs as OpAttrs[K];
type Pair = [number, number];

/** An unbatched (C, H, W) tensor as a batch of one, and back. */
const batched = (x: Tensor): Tensor => (x.rank === 3 ? unsqueeze(x, 0) : x);
const like = (g: Tensor, x: Tensor): Tensor => (x.rank === 3 ? reshape(g, x.shape) : g);

/**
 * The weight gradient of y = conv2d(input, W) given dy (both batched): dW[o,c,a,b] = Σ dy[n,o,i,j]·
 * input[n,c,i·s+a·dil−p, …], which is conv2d(inputᵀ, dyᵀ) with stride and dilation swapped, cropped to
 * the kernel (the last rows PyTorch's floor division never reached).
 */
function convWeightGrad(input: Tensor, dy: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair): Tensor {
  const g = conv2d(permute(input, [1, 0, 2, 3]), permute(dy, [1, 0, 2, 3]), null, dilation, padding, 1, stride);
  return sliceDim(sliceDim(permute(g, [1, 0, 2, 3]), 2, 0, kernel[0]), 3, 0, kernel[1]);
}

/** The output_padding that makes conv_transpose2d give back an input of `size` from a conv output of `out`. */
const outputPadding = (size: number, out: number, k: number, s: number, p: number, dil: number): number => size + 2 * p - dil * (k - 1) - 1 - (out - 1) * s;

/** dy summed to one value per channel (axis 1), a bias's gradient. */
const channelSums = (d: Tensor): Tensor => sum(d, d.shape.map((_, i) => i).filter((i) => i !== 1));

/** Each channel's statistics shaped to broadcast over (N, C, ...). */
const perChannel = (v: Tensor, x: Tensor): Tensor => reshape(v, x.shape.map((s, i) => (i === 1 ? s : 1)));

/** x standardised over `axes` with its own statistics, on the tape: x̂ = (x − mean)·inv, inv = 1/√(var + eps). */
function standardised(x: Tensor, axes: number[], eps: number): { xhat: Tensor; inv: Tensor } {
  const centred = sub(x, mean(x, axes, true));
  const inv = pow(add(mean(mul(centred, centred), axes, true), eps), -0.5);
  return { xhat: mul(centred, inv), inv };
}

/** The input gradient of a standardisation by its own statistics: inv·(g − mean(g) − x̂·mean(g·x̂)) over `axes`. */
const standardisedGrad = (g: Tensor, xhat: Tensor, inv: Tensor, axes: number[]): Tensor =>
  mul(inv, sub(sub(g, mean(g, axes, true)), mul(xhat, mean(mul(g, xhat), axes, true))));

export const CONV_RULES: Rules = {
  // d conv2d = conv_transpose2d(dy, W), conv2d(xᵀ, dyᵀ)ᵀ, Σ dy per channel (grouped convolutions are not followed)
  conv2d: (node, out, d, k) => {
    const { stride, padding, groups = 1, dilation = [1, 1] } = attrsOf(node, 'conv2d');
    if (groups !== 1) return undefined;
    const x = inputAt(node, 0);
    const w = inputAt(node, 1);
    if (k === 2) return channelSums(batched(d));
    const [kh, kw] = [w.shape[2], w.shape[3]];
    if (k === 1) return convWeightGrad(batched(x), batched(d), [kh, kw], stride, padding, dilation);
    const [h, wd] = x.shape.slice(-2);
    const [oh, ow] = out.shape.slice(-2);
    const extra: Pair = [outputPadding(h, oh, kh, stride[0], padding[0], dilation[0]), outputPadding(wd, ow, kw, stride[1], padding[1], dilation[1])];
    return like(convTranspose2d(batched(d), w, null, stride, padding, extra, dilation), x);
  },
  // d conv_transpose2d = conv2d(dy, W), the conv2d weight gradient with x as its dy and dy as its input, Σ dy per channel
  conv_transpose2d: (node, _out, d, k) => {
    const { stride, padding, dilation = [1, 1] } = attrsOf(node, 'conv_transpose2d');
    const x = inputAt(node, 0);
    const w = inputAt(node, 1);
    if (k === 2) return channelSums(batched(d));
    if (k === 0) return like(conv2d(batched(d), w, null, stride, padding, 1, dilation), x);
    return convWeightGrad(batched(d), batched(x), [w.shape[2], w.shape[3]], stride, padding, dilation);
  },
  // d avg_pool2d = dy spread evenly over each window: a transposed convolution by 1/(KH·KW) per channel
  avg_pool2d: (node, out, d) => {
    const { kernel, stride, padding, ceil, countIncludePad, divisor } = attrsOf(node, 'avg_pool2d');
    if (ceil || countIncludePad === false || divisor) return undefined;
    const x = inputAt(node, 0);
    const [h, w] = x.shape.slice(-2);
    const [oh, ow] = out.shape.slice(-2);
    const planes = reshape(d, [-1, 1, oh, ow]);
    const window = mul(ones([1, 1, kernel[0], kernel[1]], d.dtype), 1 / (kernel[0] * kernel[1]));
    const extra: Pair = [outputPadding(h, oh, kernel[0], stride[0], padding[0], 1), outputPadding(w, ow, kernel[1], stride[1], padding[1], 1)];
    if (extra[0] >= stride[0] || extra[1] >= stride[1]) return undefined;
    return reshape(convTranspose2d(planes, window, null, stride, padding, extra), x.shape);
  },
  // d max_pool2d = dy to each window's maximum (the positions are constants, as the mask of relu)
  max_pool2d: (node, _out, d) => {
    const x = inputAt(node, 0);
    const { argmax } = node.saved as { argmax: Int32Array };
    return scatterAdd(x.shape, d, Int32Array.from(argmax));
  },
  // d dropout = dy·mask with the forward's own mask (scaled by 1/(1 − p))
  dropout: (node, _out, d) => {
    const scales = node.saved as ArrayLike<number> | null;
    return scales ? mul(d, tensor(scales, d.shape, d.dtype)) : d;
  },
  // d batch_norm (batch statistics) = invStd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·weight; Σ dy·x̂ and Σ dy per channel
  batch_norm: (node, _out, d, k) => {
    const x = inputAt(node, 0);
    const { eps } = attrsOf(node, 'batch_norm');
    const { mean: savedMean, invStd: savedInv, batchStats } = node.saved as { mean: Float64Array; invStd: Float64Array; batchStats: boolean };
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    if (k === 2) return channelSums(d);
    // With batch statistics they are functions of x, recomputed on the tape; running ones are constants.
    const { xhat, inv } = batchStats
      ? standardised(x, axes, eps)
      : (() => {
          const inv = perChannel(tensor(savedInv, [savedInv.length], x.dtype), x);
          return { inv, xhat: mul(sub(x, perChannel(tensor(savedMean, [savedMean.length], x.dtype), x)), inv) };
        })();
    if (k === 1) return sum(mul(d, xhat), axes);
    const g = node.inputs.length === 3 ? mul(d, perChannel(inputAt(node, 1), x)) : d;
    return batchStats ? standardisedGrad(g, xhat, inv, axes) : mul(g, inv);
  },
  // d group_norm: batch norm's input gradient over each sample's group of channels; Σ dy·x̂ and Σ dy per channel
  group_norm: (node, _out, d, k) => {
    const x = inputAt(node, 0);
    const { groups, eps } = attrsOf(node, 'group_norm');
    const grouped = [x.shape[0], groups, -1];
    const { xhat, inv } = standardised(reshape(x, grouped), [2], eps);
    const xhatFull = reshape(xhat, x.shape);
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    if (k === 1) return sum(mul(d, xhatFull), axes);
    if (k === 2) return channelSums(d);
    const g = node.inputs.length === 3 ? mul(d, perChannel(inputAt(node, 1), x)) : d;
    return reshape(standardisedGrad(reshape(g, grouped), xhat, inv, [2]), x.shape);
  },
  // d layer_norm: the same over the trailing normalised axes; Σ dy·x̂ and Σ dy over the leading ones
  layer_norm: (node, _out, d, k) => {
    const x = inputAt(node, 0);
    const { normalizedShape, eps } = attrsOf(node, 'layer_norm');
    const lead = x.rank - normalizedShape.length;
    const inner = normalizedShape.map((_, i) => lead + i);
    const outer = x.shape.slice(0, lead).map((_, i) => i);
    const { xhat, inv } = standardised(x, inner, eps);
    const over = (t: Tensor) => (outer.length ? sum(t, outer) : t);
    if (k === 1) return over(mul(d, xhat));
    if (k === 2) return over(d);
    const g = node.inputs.length === 3 ? mul(d, inputAt(node, 1)) : d;
    return standardisedGrad(g, xhat, inv, inner);
  },
};
