/**
 * torch.nn layers whose Python constructor or forward is not the catalogue's (recurrent layers and
 * cells, attention, the Transformer family, more norms, pools and activations): each with PyTorch's
 * constructor signature (TransformerEncoder(encoder_layer, num_layers), LSTM's proj_size), the
 * engine module it builds, PyTorch's forward (an LSTM's `(output, (h_n, c_n))`, attention's masks)
 * and the attributes PyTorch keeps on it (`self.rnn.hidden_size`). The catalogue has entries for the
 * same layers (a spec writes them with flattened arguments and passes on one output): the model
 * graph reads a module built here through its catalogue entry (argsOf, traits).
 */
import * as enn from '../../../engine/nn';
import type { Tensor } from '../../../engine/tensor';
import { tensor } from '../../../engine/functional/creation';
import { getDefaultDtype } from '../../../engine/dtype';
import type { Range } from '../ast';
import { CantFollow } from '../errors';
import { Bound, native } from '../native';
import { isInt, PyBuiltin, PyFunction, PyList, PyOpaque, PyTuple, toBigInt, Value } from '../values';
import type { Torch } from './runtime';

export interface EngineLayer {
  /** PyTorch's constructor, `self` first. */
  init: string;
  build(a: Bound, torch: Torch, r: Range): enn.Module;
  /** PyTorch's forward, `self` first; absent: one tensor in, one out (the engine's call). */
  forward?: { sig: string; run(m: enn.Module, a: Bound, torch: Torch, r: Range): Value };
  /** The constructor arguments PyTorch keeps as attributes, by PyTorch's names. */
  attrs?(m: enn.Module): Record<string, Value>;
  /** The class's static methods (nn.Transformer.generate_square_subsequent_mask). */
  statics?(torch: Torch): Record<string, PyBuiltin>;
}

const int = (n: number): bigint => BigInt(n);

/** What the run builds with: its dtype and generators; dropout 0 under `trace: {dropout: false}`. */
function run(torch: Torch) {
  return { dtype: torch.dtype, rng: torch.rng };
}

function dropoutOf(torch: Torch, a: Bound, r: Range, key = 'dropout'): number {
  return torch.dropoutOff ? 0 : torch.number(a[key], r, key);
}

/** device= and dtype= change nothing here; another dtype than the run's is said where it is written. */
function deviceArgs(torch: Torch, a: Bound, r: Range): void {
  const d = a.dtype === undefined || a.dtype === null ? null : torch.dtypeArg(a.dtype, r);
  if (d && d !== torch.dtype) throw new CantFollow(new PyOpaque(`a layer built as ${d} in a ${torch.dtype} run`, r), r);
}

const optTensor = (torch: Torch, v: Value, r: Range, what: string): Tensor | null => (v === null || v === undefined ? null : torch.tensorOf(v, r, what));

/** An (h, c) pair or null. */
function statePair(torch: Torch, v: Value, r: Range): [Tensor, Tensor] | null {
  if (v === null) return null;
  if (!(v instanceof PyTuple || v instanceof PyList) || v.items.length !== 2) return torch.interp.raise('TypeError', 'hx must be a tuple (h_0, c_0)', r);
  return [torch.tensorOf(v.items[0], r, 'h_0'), torch.tensorOf(v.items[1], r, 'c_0')];
}

function recurrent(kind: 'RNN' | 'LSTM' | 'GRU'): EngineLayer {
  const extra = kind === 'RNN' ? "nonlinearity='tanh', " : '';
  const proj = kind === 'LSTM' ? ', proj_size=0' : '';
  return {
    init: `__init__(self, input_size, hidden_size, num_layers=1, ${extra}bias=True, batch_first=False, dropout=0.0, bidirectional=False${proj}, device=None, dtype=None)`,
    build: (a, torch, r) => {
      deviceArgs(torch, a, r);
      if (kind === 'LSTM' && torch.int(a.proj_size, r) !== 0) throw new CantFollow(new PyOpaque('LSTM(proj_size=...) (LSTM projections)', r), r);
      const options = {
        numLayers: torch.int(a.num_layers, r, 'num_layers'),
        bias: torch.bool(a.bias, r),
        batchFirst: torch.bool(a.batch_first, r),
        dropout: dropoutOf(torch, a, r),
        bidirectional: torch.bool(a.bidirectional, r),
        ...run(torch),
      };
      const inputSize = torch.int(a.input_size, r, 'input_size');
      const hiddenSize = torch.int(a.hidden_size, r, 'hidden_size');
      if (kind === 'RNN') return new enn.RNN(inputSize, hiddenSize, { ...options, nonlinearity: String(a.nonlinearity) as 'tanh' | 'relu' });
      return kind === 'LSTM' ? new enn.LSTM(inputSize, hiddenSize, options) : new enn.GRU(inputSize, hiddenSize, options);
    },
    forward: {
      sig: 'forward(self, input, hx=None)',
      run: (m, a, torch, r) => {
        const x = torch.tensorOf(a.input, r, 'input');
        if (m instanceof enn.LSTM) {
          const [out, [h, c]] = m.run(x, statePair(torch, a.hx, r));
          return new PyTuple([torch.wrap(out), new PyTuple([torch.wrap(h), torch.wrap(c)])]);
        }
        const [out, h] = (m as enn.RNN | enn.GRU).run(x, optTensor(torch, a.hx, r, 'hx'));
        return new PyTuple([torch.wrap(out), torch.wrap(h)]);
      },
    },
    attrs: (m) => {
      const l = m as enn.RNN | enn.LSTM | enn.GRU;
      return {
        input_size: int(l.inputSize),
        hidden_size: int(l.hiddenSize),
        num_layers: int(l.numLayers),
        bias: l.bias,
        batch_first: l.batchFirst,
        dropout: l.dropout,
        bidirectional: l.bidirectional,
        ...(m instanceof enn.RNN ? { nonlinearity: m.nonlinearity, mode: m.nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH' } : { mode: kind }),
        ...(kind === 'LSTM' ? { proj_size: 0n } : {}),
      };
    },
  };
}

function cell(kind: 'RNNCell' | 'LSTMCell' | 'GRUCell'): EngineLayer {
  const extra = kind === 'RNNCell' ? ", nonlinearity='tanh'" : '';
  return {
    init: `__init__(self, input_size, hidden_size, bias=True${extra}, device=None, dtype=None)`,
    build: (a, torch, r) => {
      deviceArgs(torch, a, r);
      const inputSize = torch.int(a.input_size, r, 'input_size');
      const hiddenSize = torch.int(a.hidden_size, r, 'hidden_size');
      const options = { bias: torch.bool(a.bias, r), ...run(torch) };
      if (kind === 'RNNCell') return new enn.RNNCell(inputSize, hiddenSize, { ...options, nonlinearity: String(a.nonlinearity) as 'tanh' | 'relu' });
      return kind === 'LSTMCell' ? new enn.LSTMCell(inputSize, hiddenSize, options) : new enn.GRUCell(inputSize, hiddenSize, options);
    },
    forward: {
      sig: 'forward(self, input, hx=None)',
      run: (m, a, torch, r) => {
        const x = torch.tensorOf(a.input, r, 'input');
        if (m instanceof enn.LSTMCell) {
          const [h, c] = m.run(x, statePair(torch, a.hx, r));
          return new PyTuple([torch.wrap(h), torch.wrap(c)]);
        }
        return torch.wrap((m as enn.RNNCell | enn.GRUCell).run(x, optTensor(torch, a.hx, r, 'hx')));
      },
    },
    attrs: (m) => {
      const c = m as enn.RNNCell | enn.LSTMCell | enn.GRUCell;
      return { input_size: int(c.inputSize), hidden_size: int(c.hiddenSize), bias: c.biasIh !== null, ...(m instanceof enn.RNNCell ? { nonlinearity: m.nonlinearity } : {}) };
    },
  };
}

/** A Transformer's activation: 'relu', 'gelu', or torch's own F.relu / F.gelu passed as a function. */
function activationArg(torch: Torch, v: Value, r: Range): 'relu' | 'gelu' {
  if (v === 'relu' || v === 'gelu') return v;
  if (v instanceof PyBuiltin && (v.name === 'relu' || v.name === 'gelu')) return v.name;
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  const what = v instanceof PyFunction ? `a Transformer activation written in Python (${v.name})` : 'a Transformer activation other than relu or gelu';
  throw new CantFollow(new PyOpaque(what, r), r);
  void torch;
}

const TRANSFORMER_LAYER_ARGS = "d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu', layer_norm_eps=1e-05, batch_first=False, norm_first=False, device=None, dtype=None";

function transformerOptions(torch: Torch, a: Bound, r: Range): enn.TransformerLayerOptions {
  deviceArgs(torch, a, r);
  return {
    dimFeedforward: torch.int(a.dim_feedforward, r, 'dim_feedforward'),
    dropout: dropoutOf(torch, a, r),
    activation: activationArg(torch, a.activation, r),
    layerNormEps: torch.number(a.layer_norm_eps, r, 'layer_norm_eps'),
    batchFirst: torch.bool(a.batch_first, r),
    normFirst: torch.bool(a.norm_first, r),
    ...run(torch),
  };
}

const mask = (torch: Torch, a: Bound, key: string, r: Range) => optTensor(torch, a[key], r, key);

/** The engine module inside a layer object the user passed (an encoder layer given to TransformerEncoder). */
function layerArg<M extends enn.Module>(torch: Torch, v: Value, cls: abstract new (...args: never[]) => M, what: string, r: Range): M {
  if (v instanceof PyOpaque) throw new CantFollow(v, r);
  const m = torch.isModule(v) ? v.engine : null;
  if (!(m instanceof cls)) return torch.interp.raise('TypeError', `${what} must be a ${cls.name}`, r);
  return m;
}

function normArg(torch: Torch, v: Value, r: Range): enn.LayerNorm | null {
  return v === null ? null : layerArg(torch, v, enn.LayerNorm, 'norm', r);
}

/** Adaptive pooling's output_size as PyTorch takes it: an int, or (h, w) where None keeps that side. */
export function adaptiveSize(torch: Torch, v: Value, r: Range): number | [number | null, number | null] {
  if (isInt(v)) return Number(toBigInt(v));
  if ((v instanceof PyTuple || v instanceof PyList) && v.items.length === 2) {
    const side = (x: Value) => (x === null ? null : torch.int(x, r, 'output_size'));
    return [side(v.items[0]), side(v.items[1])];
  }
  return torch.interp.raise('TypeError', 'output_size must be an int or a tuple of two ints (or None)', r);
}

/** Max pooling's return_indices=True gives (values, indices): the indices are not followed. */
export function noIndices(torch: Torch, v: Value, what: string, r: Range): void {
  if (torch.bool(v, r)) throw new CantFollow(new PyOpaque(`${what}(return_indices=True)`, r), r);
}

/** ReflectionPad1d/2d's (and ZeroPad2d's, ConstantPad2d's) padding: an int for every side, or PyTorch's (left, right[, top, bottom]). */
function reflectionPadding(torch: Torch, v: Value, sides: 2 | 4, r: Range): number[] {
  if (isInt(v)) return new Array<number>(sides).fill(torch.int(v, r, 'padding'));
  const p = torch.ints(v, r, 'padding');
  if (p.length !== sides) return torch.interp.raise('ValueError', `padding must be an int or a ${sides}-tuple, got ${p.length} values`, r);
  return p;
}

/** Upsample's size or scale_factor: null, one value for every spatial axis, or one each. */
function sizeOrScale(torch: Torch, v: Value, r: Range, what: 'size' | 'scale_factor'): number | number[] | null {
  if (v === null) return null;
  if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => (what === 'size' ? torch.int(x, r, what) : torch.number(x, r, what)));
  return what === 'size' ? torch.int(v, r, what) : torch.number(v, r, what);
}

/** nn.Upsample and F.interpolate: 'nearest' is followed; the interpolating modes are not (yet). */
export function nearestOnly(torch: Torch, a: Bound, r: Range, call: string): void {
  if (a.mode !== 'nearest') throw new CantFollow(new PyOpaque(`${call}(mode='${String(a.mode)}')`, r), r);
  if (a.recompute_scale_factor === true) throw new CantFollow(new PyOpaque(`${call}(recompute_scale_factor=True)`, r), r);
}

export function upsampleArgs(torch: Torch, a: Bound, r: Range): [number | number[] | null, number | number[] | null] {
  return [sizeOrScale(torch, a.size, r, 'size'), sizeOrScale(torch, a.scale_factor, r, 'scale_factor')];
}

const float = (v: number | readonly number[] | null): Value => (v === null ? null : typeof v === 'number' ? v : new PyTuple([...v]));

export const ENGINE_LAYERS: Record<string, EngineLayer> = {
  RNN: recurrent('RNN'),
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  RNNCell: cell('RNNCell'),
  LSTMCell: cell('LSTMCell'),
  GRUCell: cell('GRUCell'),
  MultiheadAttention: {
    init: '__init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None)',
    build: (a, torch, r) => {
      deviceArgs(torch, a, r);
      return new enn.MultiheadAttention(torch.int(a.embed_dim, r, 'embed_dim'), torch.int(a.num_heads, r, 'num_heads'), {
        dropout: dropoutOf(torch, a, r),
        bias: torch.bool(a.bias, r),
        addBiasKv: torch.bool(a.add_bias_kv, r),
        addZeroAttn: torch.bool(a.add_zero_attn, r),
        kdim: torch.intOrNull(a.kdim, r, 'kdim'),
        vdim: torch.intOrNull(a.vdim, r, 'vdim'),
        batchFirst: torch.bool(a.batch_first, r),
        ...run(torch),
      });
    },
    forward: {
      sig: 'forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True)',
      run: (m, a, torch, r) => {
        const [out, w] = (m as enn.MultiheadAttention).run(torch.tensorOf(a.query, r, 'query'), torch.tensorOf(a.key, r, 'key'), torch.tensorOf(a.value, r, 'value'), {
          keyPaddingMask: mask(torch, a, 'key_padding_mask', r),
          needWeights: torch.bool(a.need_weights, r),
          attnMask: mask(torch, a, 'attn_mask', r),
          averageAttnWeights: torch.bool(a.average_attn_weights, r),
        });
        return new PyTuple([torch.wrap(out), w ? torch.wrap(w) : null]);
      },
    },
    attrs: (m) => {
      const l = m as enn.MultiheadAttention;
      return { embed_dim: int(l.embedDim), num_heads: int(l.numHeads), head_dim: int(l.headDim), kdim: int(l.kdim), vdim: int(l.vdim), dropout: l.dropout, batch_first: l.batchFirst };
    },
  },
  TransformerEncoderLayer: {
    init: `__init__(self, ${TRANSFORMER_LAYER_ARGS})`,
    build: (a, torch, r) => new enn.TransformerEncoderLayer(torch.int(a.d_model, r, 'd_model'), torch.int(a.nhead, r, 'nhead'), transformerOptions(torch, a, r)),
    forward: {
      sig: 'forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False)',
      run: (m, a, torch, r) =>
        torch.wrap((m as enn.TransformerEncoderLayer).run(torch.tensorOf(a.src, r, 'src'), { srcMask: mask(torch, a, 'src_mask', r), srcKeyPaddingMask: mask(torch, a, 'src_key_padding_mask', r) })),
    },
    attrs: (m) => ({ norm_first: (m as enn.TransformerEncoderLayer).normFirst }),
  },
  TransformerDecoderLayer: {
    init: `__init__(self, ${TRANSFORMER_LAYER_ARGS})`,
    build: (a, torch, r) => new enn.TransformerDecoderLayer(torch.int(a.d_model, r, 'd_model'), torch.int(a.nhead, r, 'nhead'), transformerOptions(torch, a, r)),
    forward: {
      sig: 'forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)',
      run: (m, a, torch, r) =>
        torch.wrap(
          (m as enn.TransformerDecoderLayer).run(torch.tensorOf(a.tgt, r, 'tgt'), torch.tensorOf(a.memory, r, 'memory'), {
            tgtMask: mask(torch, a, 'tgt_mask', r),
            memoryMask: mask(torch, a, 'memory_mask', r),
            tgtKeyPaddingMask: mask(torch, a, 'tgt_key_padding_mask', r),
            memoryKeyPaddingMask: mask(torch, a, 'memory_key_padding_mask', r),
          }),
        ),
    },
    attrs: (m) => ({ norm_first: (m as enn.TransformerDecoderLayer).normFirst }),
  },
  TransformerEncoder: {
    init: '__init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True)',
    build: (a, torch, r) =>
      new enn.TransformerEncoder(layerArg(torch, a.encoder_layer, enn.TransformerEncoderLayer, 'encoder_layer', r), torch.int(a.num_layers, r, 'num_layers'), { norm: normArg(torch, a.norm, r) }),
    forward: {
      sig: 'forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None)',
      run: (m, a, torch, r) =>
        torch.wrap((m as enn.TransformerEncoder).run(torch.tensorOf(a.src, r, 'src'), { mask: mask(torch, a, 'mask', r), srcKeyPaddingMask: mask(torch, a, 'src_key_padding_mask', r) })),
    },
    attrs: (m) => ({ num_layers: int((m as enn.TransformerEncoder).numLayers) }),
  },
  TransformerDecoder: {
    init: '__init__(self, decoder_layer, num_layers, norm=None)',
    build: (a, torch, r) =>
      new enn.TransformerDecoder(layerArg(torch, a.decoder_layer, enn.TransformerDecoderLayer, 'decoder_layer', r), torch.int(a.num_layers, r, 'num_layers'), { norm: normArg(torch, a.norm, r) }),
    forward: {
      sig: 'forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)',
      run: (m, a, torch, r) =>
        torch.wrap(
          (m as enn.TransformerDecoder).run(torch.tensorOf(a.tgt, r, 'tgt'), torch.tensorOf(a.memory, r, 'memory'), {
            tgtMask: mask(torch, a, 'tgt_mask', r),
            memoryMask: mask(torch, a, 'memory_mask', r),
            tgtKeyPaddingMask: mask(torch, a, 'tgt_key_padding_mask', r),
            memoryKeyPaddingMask: mask(torch, a, 'memory_key_padding_mask', r),
          }),
        ),
    },
    attrs: (m) => ({ num_layers: int((m as enn.TransformerDecoder).numLayers) }),
  },
  Transformer: {
    init: `__init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, dropout=0.1, activation='relu', custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-05, batch_first=False, norm_first=False, device=None, dtype=None)`,
    build: (a, torch, r) => {
      if (a.custom_encoder !== null || a.custom_decoder !== null) throw new CantFollow(new PyOpaque('nn.Transformer with a custom encoder or decoder', r), r);
      return new enn.Transformer({
        dModel: torch.int(a.d_model, r, 'd_model'),
        nhead: torch.int(a.nhead, r, 'nhead'),
        numEncoderLayers: torch.int(a.num_encoder_layers, r, 'num_encoder_layers'),
        numDecoderLayers: torch.int(a.num_decoder_layers, r, 'num_decoder_layers'),
        ...transformerOptions(torch, a, r),
      });
    },
    forward: {
      sig: 'forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)',
      run: (m, a, torch, r) =>
        torch.wrap(
          (m as enn.Transformer).run(torch.tensorOf(a.src, r, 'src'), torch.tensorOf(a.tgt, r, 'tgt'), {
            srcMask: mask(torch, a, 'src_mask', r),
            tgtMask: mask(torch, a, 'tgt_mask', r),
            memoryMask: mask(torch, a, 'memory_mask', r),
            srcKeyPaddingMask: mask(torch, a, 'src_key_padding_mask', r),
            tgtKeyPaddingMask: mask(torch, a, 'tgt_key_padding_mask', r),
            memoryKeyPaddingMask: mask(torch, a, 'memory_key_padding_mask', r),
          }),
        ),
    },
    attrs: (m) => ({ d_model: int((m as enn.Transformer).dModel), nhead: int((m as enn.Transformer).nhead), batch_first: (m as enn.Transformer).batchFirst }),
    statics: (torch) => ({
      // A float causal mask: 0 on and below the diagonal, -inf above (torch 1.13's static method).
      generate_square_subsequent_mask: native("generate_square_subsequent_mask(sz, device='cpu')", (a, r) => {
        const n = torch.int(a.sz, r, 'sz');
        return torch.wrap(tensor(Array.from({ length: n * n }, (_, i) => (i % n > Math.floor(i / n) ? -Infinity : 0)), [n, n], getDefaultDtype()));
      }),
    }),
  },
  GroupNorm: {
    init: '__init__(self, num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None)',
    build: (a, torch, r) => {
      deviceArgs(torch, a, r);
      return new enn.GroupNorm(torch.int(a.num_groups, r, 'num_groups'), torch.int(a.num_channels, r, 'num_channels'), { eps: torch.number(a.eps, r, 'eps'), affine: torch.bool(a.affine, r), dtype: torch.dtype });
    },
    attrs: (m) => ({ num_groups: int((m as enn.GroupNorm).numGroups), num_channels: int((m as enn.GroupNorm).numChannels), eps: (m as enn.GroupNorm).eps }),
  },
  InstanceNorm1d: instanceNorm(1),
  InstanceNorm2d: instanceNorm(2),
  AdaptiveAvgPool2d: {
    init: '__init__(self, output_size)',
    build: (a, torch, r) => new enn.AdaptiveAvgPool2d(adaptiveSize(torch, a.output_size, r)),
    attrs: (m) => ({ output_size: new PyTuple((m as enn.AdaptiveAvgPool2d).outputSize.map((x) => (x === null ? null : int(x)))) }),
  },
  AdaptiveMaxPool1d: {
    init: '__init__(self, output_size, return_indices=False)',
    build: (a, torch, r) => {
      noIndices(torch, a.return_indices, 'AdaptiveMaxPool1d', r);
      return new enn.AdaptiveMaxPool1d(a.output_size === null ? null : torch.int(a.output_size, r, 'output_size'));
    },
    attrs: (m) => ({ output_size: (m as enn.AdaptiveMaxPool1d).outputSize === null ? null : int((m as enn.AdaptiveMaxPool1d).outputSize!), return_indices: false }),
  },
  AdaptiveMaxPool2d: {
    init: '__init__(self, output_size, return_indices=False)',
    build: (a, torch, r) => {
      noIndices(torch, a.return_indices, 'AdaptiveMaxPool2d', r);
      return new enn.AdaptiveMaxPool2d(adaptiveSize(torch, a.output_size, r));
    },
    attrs: (m) => ({ output_size: new PyTuple((m as enn.AdaptiveMaxPool2d).outputSize.map((x) => (x === null ? null : int(x)))), return_indices: false }),
  },
  Dropout2d: {
    init: '__init__(self, p=0.5, inplace=False)',
    build: (a, torch, r) => new enn.Dropout2d(torch.dropoutOff ? 0 : torch.number(a.p, r, 'p'), torch.dropoutRng),
    attrs: (m) => ({ p: (m as enn.Dropout2d).p, inplace: false }),
  },
  ReflectionPad1d: {
    init: '__init__(self, padding)',
    build: (a, torch, r) => new enn.ReflectionPad(reflectionPadding(torch, a.padding, 2, r)),
    attrs: (m) => ({ padding: new PyTuple((m as enn.ReflectionPad).padding.map(int)) }),
  },
  ReflectionPad2d: {
    init: '__init__(self, padding)',
    build: (a, torch, r) => new enn.ReflectionPad(reflectionPadding(torch, a.padding, 4, r)),
    attrs: (m) => ({ padding: new PyTuple((m as enn.ReflectionPad).padding.map(int)) }),
  },
  // CycleGAN's discriminator ends with ZeroPad2d((1, 0, 1, 0)) before its last convolution.
  ZeroPad2d: {
    init: '__init__(self, padding)',
    build: (a, torch, r) => new enn.ConstantPad(reflectionPadding(torch, a.padding, 4, r)),
    attrs: (m) => ({ padding: new PyTuple((m as enn.ConstantPad).padding.map(int)), value: 0.0 }),
  },
  ConstantPad2d: {
    init: '__init__(self, padding, value)',
    build: (a, torch, r) => new enn.ConstantPad(reflectionPadding(torch, a.padding, 4, r), torch.number(a.value, r, 'value')),
    attrs: (m) => ({ padding: new PyTuple((m as enn.ConstantPad).padding.map(int)), value: (m as enn.ConstantPad).value }),
  },
  Upsample: {
    init: "__init__(self, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None)",
    build: (a, torch, r) => {
      nearestOnly(torch, a, r, 'nn.Upsample');
      return new enn.UpsampleNearest(...upsampleArgs(torch, a, r));
    },
    attrs: (m) => ({ mode: 'nearest', scale_factor: float((m as enn.UpsampleNearest).scaleFactor) }),
  },
  UpsamplingNearest2d: {
    init: '__init__(self, size=None, scale_factor=None)',
    build: (a, torch, r) => new enn.UpsampleNearest(...upsampleArgs(torch, a, r)),
  },
  SiLU: { init: '__init__(self, inplace=False)', build: () => new enn.SiLU() },
  Mish: { init: '__init__(self, inplace=False)', build: () => new enn.Mish() },
  Tanhshrink: { init: '__init__(self)', build: () => new enn.Tanhshrink() },
  Hardtanh: {
    init: '__init__(self, min_val=-1.0, max_val=1.0, inplace=False)',
    build: (a, torch, r) => new enn.Hardtanh(torch.number(a.min_val, r, 'min_val'), torch.number(a.max_val, r, 'max_val'), torch.bool(a.inplace, r)),
    attrs: (m) => ({ min_val: (m as enn.Hardtanh).minVal, max_val: (m as enn.Hardtanh).maxVal, inplace: (m as enn.Hardtanh).inplace }),
  },
  ReLU6: {
    init: '__init__(self, inplace=False)',
    build: (a, torch, r) => new enn.ReLU6(torch.bool(a.inplace, r)),
    attrs: (m) => ({ inplace: (m as enn.ReLU6).inplace }),
  },
};

function instanceNorm(spatial: 1 | 2): EngineLayer {
  return {
    init: '__init__(self, num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None)',
    build: (a, torch, r) => {
      deviceArgs(torch, a, r);
      const options = {
        eps: torch.number(a.eps, r, 'eps'),
        momentum: torch.number(a.momentum, r, 'momentum'),
        affine: torch.bool(a.affine, r),
        trackRunningStats: torch.bool(a.track_running_stats, r),
        dtype: torch.dtype,
      };
      const n = torch.int(a.num_features, r, 'num_features');
      return spatial === 1 ? new enn.InstanceNorm1d(n, options) : new enn.InstanceNorm2d(n, options);
    },
    attrs: (m) => ({ num_features: int((m as enn.InstanceNorm1d).numFeatures) }),
  };
}

/** PyTorch's forward of an engine layer as a method of its Python class. */
export function engineForward(torch: Torch, def: EngineLayer, engineOf: (self: Value) => enn.Module): PyBuiltin | null {
  const f = def.forward;
  if (!f) return null;
  return native(f.sig, (a, r) => f.run(engineOf(a.self), a, torch, r), { method: true });
}
