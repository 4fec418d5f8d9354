/**
 * The constructor arguments PyTorch's layers take beyond what the catalogue describes (device,
 * dtype, inplace, a pooling's ceil_mode, ...). Their default values change nothing; other values the
 * engine does not compute (a max-pool's ceil_mode, a grouped transposed convolution) make the layer something Gradient
 * Lens cannot follow, said where it is written; a few are another spelling of a catalogue value.
 */
import type { LayerType } from '../../catalogue';
import type { ArgValue } from '../../graph';
import { isInt, PyTuple, toBigInt, Value } from '../values';

interface Extra {
  name: string;
  /** Values that change nothing here (the device does not change a gradient). */
  harmless: (v: Value) => boolean;
}

const anything = (): boolean => true;
const is = (...ok: Value[]) => (v: Value) => ok.some((o) => o === v || (typeof o === 'bigint' && isInt(v) && toBigInt(v as bigint) === o) || (o === false && v === 0n));
const ones = (v: Value) => (isInt(v) && toBigInt(v) === 1n) || (v instanceof PyTuple && v.items.every((x) => isInt(x) && toBigInt(x) === 1n));

const DEVICE: Extra[] = [
  { name: 'device', harmless: anything },
  { name: 'dtype', harmless: anything },
];
const INPLACE: Extra[] = [{ name: 'inplace', harmless: anything }];
// ceil_mode (and average pooling's count_include_pad) are the catalogue's own arguments.
const MAX_POOL: Extra[] = [{ name: 'return_indices', harmless: is(false) }];

// The engine's transposed convolution has no channel groups.
const CONV_TRANSPOSE: Extra[] = [
  { name: 'groups', harmless: ones },
  { name: 'padding_mode', harmless: is('zeros') },
  ...DEVICE,
];

export const TORCH_EXTRA_ARGS: Partial<Record<LayerType, Extra[]>> = {
  Linear: DEVICE,
  Conv1d: [{ name: 'padding_mode', harmless: is('zeros') }, ...DEVICE],
  Conv2d: [{ name: 'padding_mode', harmless: is('zeros') }, ...DEVICE],
  MaxPool1d: MAX_POOL,
  AvgPool1d: [],
  MaxPool2d: MAX_POOL,
  AvgPool2d: [],
  ReLU: INPLACE,
  Sigmoid: [],
  Tanh: [],
  LeakyReLU: INPLACE,
  ELU: INPLACE,
  GELU: [],
  Softplus: [],
  BatchNorm1d: [{ name: 'track_running_stats', harmless: is(true) }, ...DEVICE],
  BatchNorm2d: [{ name: 'track_running_stats', harmless: is(true) }, ...DEVICE],
  ConvTranspose1d: CONV_TRANSPOSE,
  ConvTranspose2d: CONV_TRANSPOSE,
  LayerNorm: [{ name: 'bias', harmless: is(true) }, ...DEVICE],
  Dropout: INPLACE,
  Embedding: [
    { name: 'max_norm', harmless: is(null) },
    { name: 'norm_type', harmless: anything },
    { name: 'scale_grad_by_freq', harmless: is(false) },
    { name: 'sparse', harmless: anything },
    { name: '_weight', harmless: is(null) },
    { name: '_freeze', harmless: is(false) },
    ...DEVICE,
  ],
};

/**
 * PyTorch's order of the positional arguments where it is not the catalogue's arguments followed
 * by the extras above: `nn.Conv2d(3, 8, 3, 1, 1, 2)` is dilation 2 in PyTorch, and read in the
 * catalogue's order it would be bias=2, a dense convolution traced in its place. Checked against
 * torch 1.13's signatures (test/parity/layer-signatures.test.ts).
 */
const CONV_ORDER = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode', 'device', 'dtype'];
const CONV_TRANSPOSE_ORDER = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode', 'device', 'dtype'];
export const TORCH_POSITIONAL: Partial<Record<LayerType, readonly string[]>> = {
  Conv1d: CONV_ORDER,
  Conv2d: CONV_ORDER,
  ConvTranspose1d: CONV_TRANSPOSE_ORDER,
  ConvTranspose2d: CONV_TRANSPOSE_ORDER,
  // 1.13's LayerNorm has no bias argument (later PyTorch's does): it is keyword-only here.
  LayerNorm: ['normalized_shape', 'eps', 'elementwise_affine', 'device', 'dtype'],
  // and its Embedding has no _freeze (2.0's): keyword-only here too.
  MaxPool1d: ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'],
  MaxPool2d: ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'],
  Embedding: ['num_embeddings', 'embedding_dim', 'padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse', '_weight', 'device', 'dtype'],
};

export type ExtraArgsProblem = { kind: 'cant-follow'; message: string } | { kind: 'rewrite'; rewrite: Record<string, ArgValue> };

/** What PyTorch's extra arguments of this call mean here: nothing, a catalogue value spelled otherwise, or something not followed. */
export function extraArgsProblem(type: LayerType, given: Map<string, Value>): ExtraArgsProblem | null {
  for (const e of TORCH_EXTRA_ARGS[type] ?? []) {
    const v = given.get(e.name);
    if (v !== undefined && !e.harmless(v)) return { kind: 'cant-follow', message: `${type}(${e.name}=...) with a value other than the default` };
  }
  const padding = given.get('padding');
  if ((type === 'Conv1d' || type === 'Conv2d') && typeof padding === 'string') {
    const kernel = given.get('kernel_size') ?? null;
    const ks = kernel instanceof PyTuple ? kernel.items : [kernel];
    const dilation = given.get('dilation') ?? 1n;
    const ds = dilation instanceof PyTuple ? dilation.items : ks.map(() => dilation);
    const stride = given.get('stride');
    const pads = ds.length === ks.length && [...ks, ...ds].every(isInt) ? paddingOfString(padding, ks as bigint[], ds as bigint[], stride === undefined || ones(stride)) : null;
    if (pads) return { kind: 'rewrite', rewrite: { padding: pads.length === 1 ? pads[0] : pads } };
    return { kind: 'cant-follow', message: `${type}(padding='${padding}')` };
  }
  return null;
}

/**
 * A convolution's padding string as the symmetric padding per axis it is, or null when it is not
 * one: 'valid' is 0; 'same' (stride 1 only, as PyTorch) pads d·(k − 1) in total per axis, and
 * PyTorch puts the odd one on the right, which a symmetric padding cannot say, so only even totals
 * are followed. One place for nn.Conv*d's argument and F.conv*d's.
 */
export function paddingOfString(padding: string, kernel: readonly (bigint | number)[], dilation: readonly (bigint | number)[], unitStride: boolean): number[] | null {
  if (padding === 'valid') return kernel.map(() => 0);
  if (padding !== 'same' || !unitStride) return null;
  const totals = kernel.map((k, i) => Number(dilation[i]) * (Number(k) - 1));
  return totals.every((t) => t >= 0 && t % 2 === 0) ? totals.map((t) => t / 2) : null;
}
