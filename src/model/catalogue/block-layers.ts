/**
 * More of torch.nn in the catalogue: group and instance normalisation, adaptive pooling, channel
 * dropout, the newer activations, and Residual, the spec's graph form of a skip connection
 * (x + body(x), or shortcut(x) + body(x) with a projection; not a torch.nn class, but what
 * ResNet's blocks compute, with parameters named `<i>.body.<j>.weight`, `<i>.shortcut.<j>.weight`).
 */
import * as nn from '../../engine/nn';
import { pixelShuffleLayout } from '../../engine/ops/layout';
import { ShapeError } from '../../engine/shape';
import type { ArgValue } from '../graph';
import { ArgDef, formatShape } from './args';
import type { ActivationTraits, LayerDef, LayerTraits } from './layers';
import { n, noParams, pair, ParamDef, same, ShapeInput, ShapeResult } from './shapes';

const intOrPair = (min: number) => ({ kind: 'int-or-pair', min }) as const;

export type BlockLayerType =
  | 'Residual'
  | 'ConvTranspose1d'
  | 'ConvTranspose2d'
  | 'GroupNorm'
  | 'InstanceNorm1d'
  | 'InstanceNorm2d'
  | 'AdaptiveAvgPool2d'
  | 'Dropout2d'
  | 'SiLU'
  | 'Mish'
  | 'Hardtanh'
  | 'ReLU6'
  | 'Tanhshrink'
  | 'PixelShuffle'
  | 'PixelUnshuffle';

function entry<M extends nn.Module>(def: LayerDef<M>): LayerDef {
  return def as unknown as LayerDef;
}

/** A parameter-free activation: same shape out, the traits say what it does to the gradient. */
function activation<M extends nn.Module>(def: Pick<LayerDef<M>, 'doc' | 'torch' | 'module' | 'build' | 'argsOf'> & { args?: ArgDef[]; activation: ActivationTraits; check?: LayerDef['check'] }): LayerDef {
  return entry<M>({ ...def, args: def.args ?? [], paramNames: [], params: noParams, shape: same, traits: { activation: def.activation, keepsShape: true } });
}

const noArgs = (): Record<string, ArgValue> => ({});

function instanceNorm(layer: 'InstanceNorm1d' | 'InstanceNorm2d', spatial: 1 | 2): LayerDef {
  const Module = layer === 'InstanceNorm1d' ? nn.InstanceNorm1d : nn.InstanceNorm2d;
  return entry<nn.InstanceNorm1d | nn.InstanceNorm2d>({
    doc: `Normalises each sample's channels by their own statistics over ${spatial === 1 ? 'the length' : 'height and width'} (torch.nn.${layer}); no affine parameters by default.`,
    torch: `torch.nn.${layer}`,
    args: [
      { name: 'num_features', type: { kind: 'int', min: 1 }, doc: `C from an expected input of size (N, C, ${spatial === 1 ? 'L' : 'H, W'}).` },
      { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'A value added to the denominator for numerical stability.' },
      { name: 'momentum', type: { kind: 'number', min: 0, max: 1 }, default: 0.1, doc: 'The value used for the running statistics, when tracked.' },
      { name: 'affine', type: { kind: 'bool' }, default: false, doc: 'If true, learnable per-channel weight and bias.' },
      { name: 'track_running_stats', type: { kind: 'bool' }, default: false, doc: 'If true, running mean and variance are kept and used in eval mode.' },
    ],
    paramNames: ['weight', 'bias'],
    params: (a): ParamDef[] =>
      a.affine === true
        ? [
            { name: 'weight', shape: [n(a.num_features)] },
            { name: 'bias', shape: [n(a.num_features)] },
          ]
        : [],
    shape: (i: ShapeInput): ShapeResult => {
      if (i.inShape.length !== spatial + 1) return { error: `${layer} expects a per-sample input [num_features, ${spatial === 1 ? 'length' : 'height, width'}] but ${i.from} gives ${formatShape(i.inShape)}` };
      if (i.inShape[0] !== n(i.args.num_features)) return { error: `${layer} expects ${n(i.args.num_features)} channels but ${i.from} gives ${formatShape(i.inShape)}`, arg: 'num_features' };
      if (i.inShape.slice(1).reduce((p, d) => p * d, 1) <= 1) {
        return { error: `${layer} needs more than 1 spatial element per channel (PyTorch: "Expected more than 1 spatial element when training"), but ${i.from} gives ${formatShape(i.inShape)}` };
      }
      return same(i);
    },
    module: Module,
    build: (a, run) =>
      new Module(n(a.num_features), { eps: n(a.eps), momentum: n(a.momentum), affine: a.affine === true, trackRunningStats: a.track_running_stats === true, dtype: run.dtype }),
    argsOf: (m) => ({ num_features: m.numFeatures, eps: m.eps, momentum: m.momentum, affine: m.weight !== null, track_running_stats: m.runningMean !== null }),
    traits: { normalisation: true, keepsShape: true },
  });
}

/** PixelShuffle and PixelUnshuffle: the engine's own shape check and PyTorch's wording, on the batched input. */
function pixelShuffle(layer: 'PixelShuffle' | 'PixelUnshuffle'): LayerDef {
  const [op, factor] = layer === 'PixelShuffle' ? (['pixel_shuffle', 'upscale_factor'] as const) : (['pixel_unshuffle', 'downscale_factor'] as const);
  const Module = layer === 'PixelShuffle' ? nn.PixelShuffle : nn.PixelUnshuffle;
  return entry<nn.PixelShuffle | nn.PixelUnshuffle>({
    doc:
      layer === 'PixelShuffle'
        ? 'Rearranges channels C·r² into an r-times larger image [C, H·r, W·r] (torch.nn.PixelShuffle): the upsampling of a sub-pixel convolution (ESPCN). No parameters; the gradient is the inverse rearrangement.'
        : 'Rearranges an image [C, H·r, W·r] into r-times smaller blocks of C·r² channels [C·r², H, W] (torch.nn.PixelUnshuffle), PixelShuffle\'s inverse. No parameters.',
    torch: `torch.nn.${layer}`,
    args: [{ name: factor, type: { kind: 'int', min: 1 }, doc: layer === 'PixelShuffle' ? 'r, the factor height and width grow by; the channels must be divisible by r².' : 'r, the factor height and width shrink by; both must be divisible by r.' }],
    paramNames: [],
    params: noParams,
    shape: (i) => {
      try {
        return { shape: pixelShuffleLayout(op, [i.batchSize, ...i.inShape], n(i.args[factor])).shape.slice(1) };
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        return { error: `${layer} of ${i.from}'s ${formatShape(i.inShape)}: ${e.message}`, arg: factor };
      }
    },
    module: Module,
    build: (a) => new Module(n(a[factor])),
    argsOf: (m) => ({ [factor]: m instanceof nn.PixelShuffle ? m.upscaleFactor : (m as nn.PixelUnshuffle).downscaleFactor }),
    traits: { passThrough: 'values' },
  });
}

/**
 * ConvTranspose1d/2d (the gradient of Conv1d/2d with respect to its input): weight [in_channels,
 * out_channels, k…], each output side (in − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
 */
function convTranspose(spatial: 1 | 2): LayerDef {
  const type = `ConvTranspose${spatial}d`;
  const t = (min: number) => (spatial === 1 ? ({ kind: 'int', min } as const) : intOrPair(min));
  const hw = spatial === 2 ? ' An integer or [height, width].' : '';
  const axes = spatial === 1 ? '[channels, length]' : '[channels, height, width]';
  const sides = (v: ArgValue | undefined, fallback: number) => (spatial === 1 ? [n(v ?? fallback)] : pair(v ?? fallback));
  return entry<nn.ConvTranspose1d | nn.ConvTranspose2d>({
    doc: `Applies a ${spatial}D transposed convolution (the gradient of Conv${spatial}d with respect to its input) over an input ${axes} (torch.nn.${type}): each input position adds the kernel onto the output at stride steps, the upsampling of a decoder. Weight shape [in_channels, out_channels, ${spatial === 1 ? 'k' : 'kh, kw'}].`,
    torch: `torch.nn.${type}`,
    args: [
      { name: 'in_channels', type: { kind: 'int', min: 1 }, doc: 'Number of channels of the input (axis 1 of the batch).' },
      { name: 'out_channels', type: { kind: 'int', min: 1 }, doc: 'Number of channels the transposed convolution produces.' },
      { name: 'kernel_size', type: t(1), doc: `Size of the convolving kernel.${hw}` },
      { name: 'stride', type: t(1), default: 1, doc: `Stride of the convolution: the output grows by this factor.${hw}` },
      { name: 'padding', type: t(0), default: 0, doc: `Removes this many positions from both ends of each output side.${hw}` },
      { name: 'output_padding', type: t(0), default: 0, doc: `Extra size added to one side of each output dimension; smaller than the stride or the dilation.${hw}` },
      { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If true, adds a learnable bias to the output.' },
      { name: 'dilation', type: t(1), default: 1, doc: `Spacing between kernel taps (1 is dense).${hw}` },
    ],
    positional: 3,
    paramNames: ['weight', 'bias'],
    params: (a): ParamDef[] => {
      const out: ParamDef[] = [{ name: 'weight', shape: [n(a.in_channels), n(a.out_channels), ...sides(a.kernel_size, 1)] }];
      if (a.bias !== false) out.push({ name: 'bias', shape: [n(a.out_channels)] });
      return out;
    },
    check: (a) => {
      const [s, op, d] = [sides(a.stride, 1), sides(a.output_padding, 0), sides(a.dilation, 1)];
      const tooLarge = s.some((_, i) => op[i] >= s[i] && op[i] >= d[i]);
      return tooLarge ? { error: `output_padding ${JSON.stringify(a.output_padding)} must be smaller than the stride ${JSON.stringify(a.stride)} or the dilation ${JSON.stringify(a.dilation ?? 1)} (PyTorch: "output padding must be smaller than either stride or dilation")`, arg: 'output_padding' } : null;
    },
    shape: (i: ShapeInput): ShapeResult => {
      if (i.inShape.length !== spatial + 1) return { error: `${type} expects a per-sample input ${axes} but ${i.from} gives ${formatShape(i.inShape)}` };
      if (i.inShape[0] !== n(i.args.in_channels)) {
        return { error: `${type} expects ${n(i.args.in_channels)} input channels but ${i.from} gives ${formatShape(i.inShape)} (${i.inShape[0]} channels)`, arg: 'in_channels' };
      }
      const [k, s, p, op, dl] = [sides(i.args.kernel_size, 1), sides(i.args.stride, 1), sides(i.args.padding, 0), sides(i.args.output_padding, 0), sides(i.args.dilation, 1)];
      const size = k.map((_, d) => (i.inShape[1 + d] - 1) * s[d] - 2 * p[d] + dl[d] * (k[d] - 1) + op[d] + 1);
      if (size.some((v) => v < 1)) return { error: `${type}'s padding ${JSON.stringify(i.args.padding)} removes more than its output of ${formatShape(i.inShape)} from ${i.from} has`, arg: 'padding' };
      return { shape: [n(i.args.out_channels), ...size] };
    },
    module: spatial === 1 ? nn.ConvTranspose1d : nn.ConvTranspose2d,
    build: (a, run) => {
      const options = { bias: a.bias !== false, dtype: run.dtype, rng: run.rng };
      if (spatial === 1) return new nn.ConvTranspose1d(n(a.in_channels), n(a.out_channels), n(a.kernel_size), { ...options, stride: n(a.stride), padding: n(a.padding), outputPadding: n(a.output_padding), dilation: n(a.dilation ?? 1) });
      return new nn.ConvTranspose2d(n(a.in_channels), n(a.out_channels), pair(a.kernel_size), { ...options, stride: pair(a.stride), padding: pair(a.padding), outputPadding: pair(a.output_padding), dilation: pair(a.dilation ?? 1) });
    },
    argsOf: (m) => {
      const side = (v: number | readonly number[]) => (typeof v === 'number' ? v : [...v]);
      return {
        in_channels: m.inChannels,
        out_channels: m.outChannels,
        kernel_size: side(m.kernelSize),
        stride: side(m.stride),
        padding: side(m.padding),
        output_padding: side(m.outputPadding),
        bias: m.bias !== null,
        dilation: side(m.dilation),
      };
    },
    traits: { weight: 'filters' },
  });
}

export const BLOCK_LAYERS = {
  Residual: entry<nn.Residual>({
    doc: 'A skip connection: body(x) + x, or body(x) + shortcut(x) when a shortcut is given (a projection, as in ResNet). Write it as Residual: {body: [...layers], shortcut: [...layers]}; parameters are named body.<j>.… and shortcut.<j>.….',
    torch: 'x + body(x) (a ResNet block)',
    args: [],
    paramNames: [],
    params: noParams,
    shape: same,
    module: nn.Residual,
    build: (_a, _run, children) => {
      const part = (name: string) => children.find(([k]) => k === name)?.[1] as nn.Sequential | undefined;
      return new nn.Residual(part('body') ?? new nn.Sequential(), part('shortcut') ?? null);
    },
    argsOf: noArgs,
    traits: { container: true, branches: ['body', 'shortcut'], residual: true } satisfies LayerTraits,
  }),
  ConvTranspose1d: convTranspose(1),
  ConvTranspose2d: convTranspose(2),
  GroupNorm: entry<nn.GroupNorm>({
    doc: "Normalises each sample's channels in num_groups groups by the group's own statistics (torch.nn.GroupNorm); weight and bias per channel.",
    torch: 'torch.nn.GroupNorm',
    args: [
      { name: 'num_groups', type: { kind: 'int', min: 1 }, doc: 'Number of groups to separate the channels into.' },
      { name: 'num_channels', type: { kind: 'int', min: 1 }, doc: 'Number of channels expected in the input (axis 1 of the batch).' },
      { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'A value added to the denominator for numerical stability.' },
      { name: 'affine', type: { kind: 'bool' }, default: true, doc: 'If true, learnable per-channel weight (ones) and bias (zeros).' },
    ],
    paramNames: ['weight', 'bias'],
    params: (a): ParamDef[] =>
      a.affine === false
        ? []
        : [
            { name: 'weight', shape: [n(a.num_channels)] },
            { name: 'bias', shape: [n(a.num_channels)] },
          ],
    check: (a) => (n(a.num_channels) % n(a.num_groups) !== 0 ? { error: `num_channels (${n(a.num_channels)}) must be divisible by num_groups (${n(a.num_groups)})`, arg: 'num_groups' } : null),
    shape: (i) =>
      i.inShape.length < 1 || i.inShape[0] !== n(i.args.num_channels)
        ? { error: `GroupNorm expects ${n(i.args.num_channels)} channels (axis 1 of the batch) but ${i.from} gives ${formatShape(i.inShape)}`, arg: 'num_channels' }
        : same(i),
    module: nn.GroupNorm,
    build: (a, run) => new nn.GroupNorm(n(a.num_groups), n(a.num_channels), { eps: n(a.eps), affine: a.affine !== false, dtype: run.dtype }),
    argsOf: (m) => ({ num_groups: m.numGroups, num_channels: m.numChannels, eps: m.eps, affine: m.weight !== null }),
    traits: { normalisation: true, keepsShape: true },
  }),
  InstanceNorm1d: instanceNorm('InstanceNorm1d', 1),
  InstanceNorm2d: instanceNorm('InstanceNorm2d', 2),
  AdaptiveAvgPool2d: entry<nn.AdaptiveAvgPool2d>({
    doc: 'Average pooling to a fixed output size [height, width] whatever the input size (torch.nn.AdaptiveAvgPool2d); 1 gives global average pooling.',
    torch: 'torch.nn.AdaptiveAvgPool2d',
    args: [{ name: 'output_size', type: { kind: 'int-or-pair', min: 1 }, doc: 'The output height and width: an integer or [height, width].' }],
    paramNames: [],
    params: noParams,
    shape: (i) => {
      if (i.inShape.length !== 3) return { error: `AdaptiveAvgPool2d expects a per-sample input [channels, height, width] but ${i.from} gives ${formatShape(i.inShape)}` };
      return { shape: [i.inShape[0], ...pair(i.args.output_size)] };
    },
    module: nn.AdaptiveAvgPool2d,
    build: (a) => new nn.AdaptiveAvgPool2d(pair(a.output_size)),
    argsOf: (m) => ({ output_size: m.outputSize.map((v) => v ?? 0) as [number, number] }),
    traits: { passThrough: 'scale' },
  }),
  Dropout2d: entry<nn.Dropout2d>({
    doc: 'Zeroes whole channels with probability p in training and scales the rest by 1/(1 − p) (torch.nn.Dropout2d).',
    torch: 'torch.nn.Dropout2d',
    args: [{ name: 'p', type: { kind: 'number', min: 0, max: 1 }, default: 0.5, doc: 'Probability of a channel to be zeroed, in [0, 1].' }],
    paramNames: [],
    params: noParams,
    // PyTorch 1.13 warns but runs a per-sample [features] input (element-wise there); a scalar it rejects.
    shape: (i) => (i.inShape.length >= 1 ? same(i) : { error: `Dropout2d expects a per-sample input [channels, height, width] but ${i.from} gives ${formatShape(i.inShape)}` }),
    module: nn.Dropout2d,
    build: (a, run) => new nn.Dropout2d(n(a.p), run.dropoutRng),
    argsOf: (m) => ({ p: m.p }),
    traits: {
      passThrough: 'values',
      keepsShape: true,
      blocksGradient: (l) => (Number(l.args.p) === 1 ? { why: `Dropout2d ${l.path} with p=1 zeroes every channel`, unblock: { args: { p: 0.5 }, note: "PyTorch's default; p is the share dropped" } } : null),
    },
  }),
  SiLU: activation<nn.SiLU>({
    doc: 'Applies x·sigmoid(x) element-wise (torch.nn.SiLU, "swish").',
    torch: 'torch.nn.SiLU',
    module: nn.SiLU,
    build: () => new nn.SiLU(),
    argsOf: noArgs,
    activation: { op: 'silu', derivative: 'smooth', gain: 'relu', range: [-0.27846454276107374, Infinity] },
  }),
  Mish: activation<nn.Mish>({
    doc: 'Applies x·tanh(softplus(x)) element-wise (torch.nn.Mish).',
    torch: 'torch.nn.Mish',
    module: nn.Mish,
    build: () => new nn.Mish(),
    argsOf: noArgs,
    activation: { op: 'mish', derivative: 'smooth', gain: 'relu', range: [-0.30884, Infinity] },
  }),
  Hardtanh: activation<nn.Hardtanh>({
    doc: 'Clamps to [min_val, max_val]: linear between, flat with zero gradient outside (torch.nn.Hardtanh).',
    torch: 'torch.nn.Hardtanh',
    args: [
      { name: 'min_val', type: { kind: 'number' }, default: -1, doc: 'Minimum value of the linear region.' },
      { name: 'max_val', type: { kind: 'number' }, default: 1, doc: 'Maximum value of the linear region.' },
    ],
    check: (a) => (n(a.min_val) < n(a.max_val) ? null : { error: `min_val (${n(a.min_val)}) must be less than max_val (${n(a.max_val)})`, arg: 'min_val' }),
    module: nn.Hardtanh,
    build: (a) => new nn.Hardtanh(n(a.min_val), n(a.max_val)),
    argsOf: (m) => ({ min_val: m.minVal, max_val: m.maxVal }),
    activation: { op: 'hardtanh', derivative: 'saturating', gain: 'tanh' },
  }),
  ReLU6: activation<nn.ReLU6>({
    doc: 'Applies min(max(0, x), 6) element-wise (torch.nn.ReLU6): zero gradient below 0 and above 6.',
    torch: 'torch.nn.ReLU6',
    module: nn.ReLU6,
    build: () => new nn.ReLU6(),
    argsOf: noArgs,
    activation: { op: 'hardtanh', derivative: 'rectifier', gain: 'relu', range: [0, 6] },
  }),
  Tanhshrink: activation<nn.Tanhshrink>({
    doc: 'Applies x − tanh(x) element-wise (torch.nn.Tanhshrink): its slope tanh²(x) is near 0 around x = 0.',
    torch: 'torch.nn.Tanhshrink',
    module: nn.Tanhshrink,
    build: () => new nn.Tanhshrink(),
    argsOf: noArgs,
    activation: { op: 'tanhshrink', derivative: 'smooth', gain: 'linear' },
  }),
  PixelShuffle: pixelShuffle('PixelShuffle'),
  PixelUnshuffle: pixelShuffle('PixelUnshuffle'),
} satisfies Record<BlockLayerType, LayerDef>;
