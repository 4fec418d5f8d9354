/**
 * torch.nn layers as PyTorch 1.13 shows them: the attributes it keeps in the form it keeps them
 * (Conv1d's kernel_size a 1-tuple, MaxPool2d's as written) and each class's extra_repr, which
 * `print(model)` puts in parentheses after the class name.
 */
import type { ArgValue } from '../../graph';
import type { LayerType } from '../../catalogue';
import { PyTuple, Value } from '../values';

const tuple = (v: ArgValue): Value => new PyTuple((Array.isArray(v) ? v : [v as number]).map((x) => BigInt(x)));

/**
 * A catalogue layer's attribute where PyTorch keeps another form than the catalogue's value:
 * 1-d convolution and average pooling make 1-tuples (torch's _single), max pooling and 2-d average
 * pooling keep what the call wrote (stride None: the kernel size), as adaptive pooling's output_size.
 * Undefined: the catalogue's form.
 */
export function keptAsTorch(type: LayerType, name: string, value: ArgValue | undefined, given: Map<string, Value> | null): Value | undefined {
  const written = given?.get(name);
  if (type === 'Conv1d' && ['kernel_size', 'stride', 'padding', 'dilation'].includes(name) && value !== undefined && value !== null) {
    return typeof written === 'string' ? written : tuple(value);
  }
  if (type === 'AvgPool1d' && ['kernel_size', 'stride', 'padding'].includes(name)) {
    const v = name === 'stride' && (value === null || value === undefined) ? given?.get('kernel_size') : value;
    return v === undefined || v === null ? undefined : typeof v === 'bigint' ? new PyTuple([v]) : tuple(v as ArgValue);
  }
  if (name === 'output_size' && given?.has(name)) return given.get(name);
  if (given && (type === 'MaxPool1d' || type === 'MaxPool2d' || type === 'AvgPool2d')) {
    if (name === 'kernel_size') return written;
    if (name === 'stride') return written === undefined || written === null ? given.get('kernel_size') : written;
    if (name === 'padding') return written ?? 0n;
    if (name === 'dilation' && type !== 'AvgPool2d') return written ?? 1n;
    if (name === 'ceil_mode') return written ?? false;
  }
  return undefined;
}

/** An attribute's Python repr; `dflt` when the module lacks it (not kept here, PyTorch's default). */
type Attr = (name: string, dflt?: string) => string;

const inplace = (a: Attr) => (a('inplace', 'False') === 'True' ? ', inplace=True' : '');
const unlessDefault = (a: Attr, name: string, dflt: string) => (a(name, dflt) === dflt ? '' : `, ${name}=${a(name)}`);
const convRepr = (a: Attr, transposed: boolean): string => {
  const n = a('kernel_size').split(',').filter((x) => x.trim() && x.trim() !== ')').length;
  const zeros = `(${Array(n).fill('0').join(', ')}${n === 1 ? ',' : ''})`;
  const ones = `(${Array(n).fill('1').join(', ')}${n === 1 ? ',' : ''})`;
  return (
    `${a('in_channels')}, ${a('out_channels')}, kernel_size=${a('kernel_size')}, stride=${a('stride')}` +
    unlessDefault(a, 'padding', zeros) +
    unlessDefault(a, 'dilation', ones) +
    (transposed ? unlessDefault(a, 'output_padding', zeros) : '') +
    unlessDefault(a, 'groups', '1') +
    (a('bias') === 'None' ? ', bias=False' : '') +
    (a('padding_mode', "'zeros'") === "'zeros'" ? '' : `, padding_mode=${a('padding_mode').slice(1, -1)}`)
  );
};
const recurrentRepr = (a: Attr): string =>
  `${a('input_size')}, ${a('hidden_size')}` +
  unlessDefault(a, 'proj_size', '0') +
  unlessDefault(a, 'num_layers', '1') +
  unlessDefault(a, 'bias', 'True') +
  unlessDefault(a, 'batch_first', 'False') +
  (['0', '0.0'].includes(a('dropout', '0.0')) ? '' : `, dropout=${a('dropout')}`) +
  unlessDefault(a, 'bidirectional', 'False');
const dropout = (a: Attr) => `p=${a('p')}, inplace=${a('inplace', 'False')}`;
const maxPool = (a: Attr) => `kernel_size=${a('kernel_size')}, stride=${a('stride')}, padding=${a('padding')}, dilation=${a('dilation')}, ceil_mode=${a('ceil_mode', 'False')}`;
const avgPool = (a: Attr) => `kernel_size=${a('kernel_size')}, stride=${a('stride')}, padding=${a('padding')}`;
const batchNorm = (a: Attr) => `${a('num_features')}, eps=${a('eps')}, momentum=${a('momentum')}, affine=${a('affine')}, track_running_stats=${a('track_running_stats', 'True')}`;
const outputSize = (a: Attr) => `output_size=${a('output_size')}`;
const none = () => '';

/** PyTorch 1.13's extra_repr of each torch.nn class, over the Python reprs of its attributes. */
const EXTRA_REPR: Record<string, (a: Attr) => string> = {
  Linear: (a) => `in_features=${a('in_features')}, out_features=${a('out_features')}, bias=${a('bias') === 'None' ? 'False' : 'True'}`,
  Bilinear: (a) => `in1_features=${a('in1_features')}, in2_features=${a('in2_features')}, out_features=${a('out_features')}, bias=${a('bias') === 'None' ? 'False' : 'True'}`,
  Conv1d: (a) => convRepr(a, false),
  Conv2d: (a) => convRepr(a, false),
  Conv3d: (a) => convRepr(a, false),
  ConvTranspose1d: (a) => convRepr(a, true),
  ConvTranspose2d: (a) => convRepr(a, true),
  ReLU: (a) => (a('inplace', 'False') === 'True' ? 'inplace=True' : ''),
  ReLU6: (a) => (a('inplace', 'False') === 'True' ? 'inplace=True' : ''),
  SiLU: (a) => (a('inplace', 'False') === 'True' ? 'inplace=True' : ''),
  Mish: (a) => (a('inplace', 'False') === 'True' ? 'inplace=True' : ''),
  Hardswish: none,
  Sigmoid: none,
  Tanh: none,
  Identity: none,
  LeakyReLU: (a) => `negative_slope=${a('negative_slope')}${inplace(a)}`,
  ELU: (a) => `alpha=${a('alpha')}${inplace(a)}`,
  GELU: (a) => `approximate=${a('approximate')}`,
  Softplus: (a) => `beta=${a('beta')}, threshold=${a('threshold')}`,
  Softmax: (a) => `dim=${a('dim')}`,
  LogSoftmax: (a) => `dim=${a('dim')}`,
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  LayerNorm: (a) => `${a('normalized_shape')}, eps=${a('eps')}, elementwise_affine=${a('elementwise_affine')}`,
  GroupNorm: (a) => `${a('num_groups')}, ${a('num_channels')}, eps=${a('eps')}, affine=${a('affine')}`,
  Dropout: dropout,
  Dropout1d: dropout,
  Dropout2d: dropout,
  Dropout3d: dropout,
  MaxPool1d: maxPool,
  MaxPool2d: maxPool,
  AvgPool1d: avgPool,
  AvgPool2d: avgPool,
  AdaptiveAvgPool1d: outputSize,
  AdaptiveAvgPool2d: outputSize,
  AdaptiveMaxPool1d: outputSize,
  AdaptiveMaxPool2d: outputSize,
  Flatten: (a) => `start_dim=${a('start_dim')}, end_dim=${a('end_dim')}`,
  Unflatten: (a) => `dim=${a('dim')}, unflattened_size=${a('unflattened_size')}`,
  Embedding: (a) => `${a('num_embeddings')}, ${a('embedding_dim')}` + (a('padding_idx', 'None') === 'None' ? '' : `, padding_idx=${a('padding_idx')}`),
  RNN: recurrentRepr,
  LSTM: recurrentRepr,
  GRU: recurrentRepr,
  Upsample: (a) => `${a('scale_factor', 'None') === 'None' ? `size=${a('size')}` : `scale_factor=${a('scale_factor')}`}, mode=${a('mode').slice(1, -1)}`,
};

/**
 * The text in parentheses after a torch.nn class's name, from the Python reprs of its attributes
 * (`attr` gives undefined for one the module does not have); undefined for a class not in the table
 * or an attribute missing, for the caller's own form.
 */
export function torchExtraRepr(className: string, attr: (name: string) => string | undefined): string | undefined {
  const f = EXTRA_REPR[className];
  if (!f) return undefined;
  let missing = false;
  const a: Attr = (name, dflt) => {
    const v = attr(name) ?? dflt;
    if (v === undefined) missing = true;
    return v ?? '';
  };
  const text = f(a);
  return missing ? undefined : text;
}
