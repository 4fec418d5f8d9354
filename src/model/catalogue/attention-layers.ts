/**
 * Attention in the catalogue: MultiheadAttention and the Transformer family, with PyTorch's
 * arguments and parameter names (in_proj_weight, self_attn.out_proj.weight, linear1.weight,
 * layers.0.norm1.bias, encoder.norm.weight, …).
 *
 * In a spec's Sequential they see one tensor: MultiheadAttention attends from it to itself (query =
 * key = value) and passes on its output; a decoder layer and nn.Transformer use it as their memory
 * (source) as well. TransformerEncoder and TransformerDecoder take their layer's arguments directly
 * (PyTorch's encoder_layer flattened in), with `norm: true` for the final LayerNorm PyTorch takes as
 * `norm=LayerNorm(d_model)`. The spec's batch axis comes first: batch_first must be true.
 */
import * as nn from '../../engine/nn';
import type { ArgValue } from '../graph';
import { ArgDef, formatShape } from './args';
import type { LayerDef } from './layers';
import { n, ParamDef, ShapeInput, ShapeResult } from './shapes';

export type AttentionLayerType = 'MultiheadAttention' | 'TransformerEncoderLayer' | 'TransformerEncoder' | 'TransformerDecoderLayer' | 'TransformerDecoder' | 'Transformer';

function entry<M extends nn.Module>(def: LayerDef<M>): LayerDef {
  return def as unknown as LayerDef;
}

const batchFirst: ArgDef = {
  name: 'batch_first',
  type: { kind: 'bool' },
  default: false,
  doc: "If true, input and output are (batch, seq, feature). A spec's batch axis comes first, so set it to true in a spec.",
};

/** The parameters of one MultiheadAttention under `prefix` (self-attention: kdim = vdim = embed_dim). */
function attentionParams(prefix: string, e: number, bias: boolean, biasKv: boolean): ParamDef[] {
  const out: ParamDef[] = [{ name: `${prefix}in_proj_weight`, shape: [3 * e, e] }];
  if (bias) out.push({ name: `${prefix}in_proj_bias`, shape: [3 * e] });
  if (biasKv) out.push({ name: `${prefix}bias_k`, shape: [1, 1, e] }, { name: `${prefix}bias_v`, shape: [1, 1, e] });
  out.push({ name: `${prefix}out_proj.weight`, shape: [e, e] });
  if (bias) out.push({ name: `${prefix}out_proj.bias`, shape: [e] });
  return out;
}

/** One encoder (or, with cross-attention, decoder) layer's parameters under `prefix`, in named_parameters() order. */
function layerParams(prefix: string, a: Record<string, ArgValue>, decoder: boolean): ParamDef[] {
  const d = n(a.d_model);
  const ff = n(a.dim_feedforward);
  const out = attentionParams(`${prefix}self_attn.`, d, true, false);
  if (decoder) out.push(...attentionParams(`${prefix}multihead_attn.`, d, true, false));
  out.push(
    { name: `${prefix}linear1.weight`, shape: [ff, d] },
    { name: `${prefix}linear1.bias`, shape: [ff] },
    { name: `${prefix}linear2.weight`, shape: [d, ff] },
    { name: `${prefix}linear2.bias`, shape: [d] },
  );
  for (let k = 1; k <= (decoder ? 3 : 2); k++) out.push({ name: `${prefix}norm${k}.weight`, shape: [d] }, { name: `${prefix}norm${k}.bias`, shape: [d] });
  return out;
}

function stackParams(prefix: string, a: Record<string, ArgValue>, layers: number, decoder: boolean, norm: boolean): ParamDef[] {
  const out: ParamDef[] = [];
  for (let l = 0; l < layers; l++) out.push(...layerParams(`${prefix}layers.${l}.`, a, decoder));
  if (norm) out.push({ name: `${prefix}norm.weight`, shape: [n(a.d_model)] }, { name: `${prefix}norm.bias`, shape: [n(a.d_model)] });
  return out;
}

/** (seq, width) per sample → the same shape, with batch_first and the feature size checked. */
function sequenceShape(layer: string, widthArg: string) {
  return (i: ShapeInput): ShapeResult => {
    if (i.args.batch_first !== true) {
      return {
        error: `${layer} with batch_first: false reads axis 0 of the batch as the sequence, but a spec's batch axis comes first: set batch_first: true (the input is [batch, seq, ${widthArg}])`,
        arg: 'batch_first',
      };
    }
    if (i.inShape.length !== 2 || i.inShape[1] !== n(i.args[widthArg])) {
      return { error: `${layer} expects a per-sample input [seq, ${widthArg}] = [seq, ${n(i.args[widthArg])}] but ${i.from} gives ${formatShape(i.inShape)}`, arg: widthArg };
    }
    return { shape: [...i.inShape] };
  };
}

function headsCheck(dimArg: string) {
  return (a: Record<string, ArgValue>): { error: string; arg: string } | null => {
    const heads = n(a.num_heads ?? a.nhead);
    return n(a[dimArg]) % heads !== 0 ? { error: `${dimArg} (${n(a[dimArg])}) must be divisible by the number of heads (${heads})`, arg: a.num_heads !== undefined ? 'num_heads' : 'nhead' } : null;
  };
}

const layerArgs: ArgDef[] = [
  { name: 'd_model', type: { kind: 'int', min: 1 }, doc: 'The number of expected features in the input.' },
  { name: 'nhead', type: { kind: 'int', min: 1 }, doc: 'The number of heads in the attention (must divide d_model).' },
  { name: 'dim_feedforward', type: { kind: 'int', min: 1 }, default: 2048, doc: 'The width of the feed-forward network.' },
  { name: 'dropout', type: { kind: 'number', min: 0, max: 1 }, default: 0.1, doc: 'Dropout on the attention weights, after each block and inside the feed-forward network.' },
  { name: 'activation', type: { kind: 'enum', values: ['relu', 'gelu'] }, default: 'relu', doc: "The feed-forward network's activation, 'relu' or 'gelu'." },
  { name: 'layer_norm_eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5, doc: 'The eps of the LayerNorms.' },
  batchFirst,
  { name: 'norm_first', type: { kind: 'bool' }, default: false, doc: 'If true, LayerNorm comes before attention and the feed-forward network (pre-norm), else after (post-norm).' },
];

const stackArgs: ArgDef[] = [
  ...layerArgs.slice(0, 2),
  { name: 'num_layers', type: { kind: 'int', min: 1 }, doc: 'The number of layers: copies of one layer, starting from the same weights (as PyTorch deep-copies encoder_layer).' },
  ...layerArgs.slice(2),
  { name: 'norm', type: { kind: 'bool' }, default: false, doc: "If true, a final LayerNorm(d_model) (PyTorch's norm=nn.LayerNorm(d_model))." },
];

type LayerOptions = nn.TransformerLayerOptions;

const layerOptions = (a: Record<string, ArgValue>): LayerOptions => ({
  dimFeedforward: n(a.dim_feedforward),
  dropout: n(a.dropout),
  activation: a.activation as 'relu' | 'gelu',
  layerNormEps: n(a.layer_norm_eps),
  batchFirst: a.batch_first === true,
  normFirst: a.norm_first === true,
});

function layerArgsOf(m: nn.TransformerEncoderLayer | nn.TransformerDecoderLayer): Record<string, ArgValue> {
  return {
    d_model: m.dModel,
    nhead: m.nhead,
    dim_feedforward: m.linear1.outFeatures,
    dropout: m.dropout.p,
    activation: m.activationName,
    layer_norm_eps: m.norm1.eps,
    batch_first: m.selfAttn.batchFirst,
    norm_first: m.normFirst,
  };
}

const attentionTraits = { attention: true, keepsShape: true } as const;

/** TransformerEncoder or TransformerDecoder: its layer's arguments flattened in, num_layers copies, an optional final LayerNorm. */
function stack(layer: 'TransformerEncoder' | 'TransformerDecoder', doc: string, decoder: boolean): LayerDef {
  const Layer = decoder ? nn.TransformerDecoderLayer : nn.TransformerEncoderLayer;
  const Stack = decoder ? nn.TransformerDecoder : nn.TransformerEncoder;
  return entry<nn.TransformerEncoder | nn.TransformerDecoder>({
    doc,
    torch: `torch.nn.${layer}`,
    args: stackArgs,
    paramNames: stackParams('', { d_model: 1, dim_feedforward: 1 }, 1, decoder, true).map((p) => p.name),
    params: (a) => stackParams('', a, n(a.num_layers), decoder, a.norm === true),
    check: headsCheck('d_model'),
    shape: sequenceShape(layer, 'd_model'),
    module: Stack,
    build: (a, run) => {
      const norm = a.norm === true ? new nn.LayerNorm(n(a.d_model), { eps: n(a.layer_norm_eps), dtype: run.dtype }) : null;
      const one = new Layer(n(a.d_model), n(a.nhead), { ...layerOptions(a), dtype: run.dtype, rng: run.rng });
      return decoder ? new nn.TransformerDecoder(one as nn.TransformerDecoderLayer, n(a.num_layers), { norm }) : new nn.TransformerEncoder(one as nn.TransformerEncoderLayer, n(a.num_layers), { norm });
    },
    argsOf: (m) => ({ ...layerArgsOf(m.layers.at(0) as nn.TransformerEncoderLayer | nn.TransformerDecoderLayer), num_layers: m.numLayers, norm: m.norm !== null }),
    traits: attentionTraits,
  });
}

export const ATTENTION_LAYERS = {
  MultiheadAttention: entry<nn.MultiheadAttention>({
    doc: 'Multi-head scaled dot-product attention (torch.nn.MultiheadAttention). In a Sequential it attends from its input to itself and passes on the output [seq, embed_dim].',
    torch: 'torch.nn.MultiheadAttention',
    args: [
      { name: 'embed_dim', type: { kind: 'int', min: 1 }, doc: 'Total dimension of the model.' },
      { name: 'num_heads', type: { kind: 'int', min: 1 }, doc: 'Number of parallel attention heads; embed_dim is split across them.' },
      { name: 'dropout', type: { kind: 'number', min: 0, max: 1 }, default: 0, doc: 'Dropout on the attention weights while training.' },
      { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'If true, the input and output projections have biases.' },
      { name: 'add_bias_kv', type: { kind: 'bool' }, default: false, doc: 'If true, a learned bias is appended to the keys and values.' },
      { name: 'add_zero_attn', type: { kind: 'bool' }, default: false, doc: 'If true, a batch of zeros is appended to the keys and values.' },
      { name: 'kdim', type: { kind: 'int-or-null' }, default: null, doc: 'Features of the keys (embed_dim when null); self-attention in a Sequential needs embed_dim.' },
      { name: 'vdim', type: { kind: 'int-or-null' }, default: null, doc: 'Features of the values (embed_dim when null); self-attention in a Sequential needs embed_dim.' },
      batchFirst,
    ],
    paramNames: ['in_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v', 'out_proj.weight', 'out_proj.bias'],
    params: (a) => attentionParams('', n(a.embed_dim), a.bias !== false, a.add_bias_kv === true),
    check: (a) => {
      for (const k of ['kdim', 'vdim']) if (a[k] !== null && a[k] !== undefined && a[k] !== a.embed_dim) return { error: `${k} must equal embed_dim for self-attention in a Sequential (query = key = value)`, arg: k };
      return headsCheck('embed_dim')(a);
    },
    shape: sequenceShape('MultiheadAttention', 'embed_dim'),
    module: nn.MultiheadAttention,
    build: (a, run) =>
      new nn.MultiheadAttention(n(a.embed_dim), n(a.num_heads), {
        dropout: n(a.dropout),
        bias: a.bias !== false,
        addBiasKv: a.add_bias_kv === true,
        addZeroAttn: a.add_zero_attn === true,
        kdim: (a.kdim ?? null) as number | null,
        vdim: (a.vdim ?? null) as number | null,
        batchFirst: a.batch_first === true,
        dtype: run.dtype,
        rng: run.rng,
      }),
    argsOf: (m) => ({
      embed_dim: m.embedDim,
      num_heads: m.numHeads,
      dropout: m.dropout,
      bias: m.inProjBias !== null,
      add_bias_kv: m.biasK !== null,
      add_zero_attn: m.addZeroAttn,
      // null when they are embed_dim, as the argument's default says
      kdim: m.kdim === m.embedDim ? null : m.kdim,
      vdim: m.vdim === m.embedDim ? null : m.vdim,
      batch_first: m.batchFirst,
    }),
    traits: attentionTraits,
  }),
  TransformerEncoderLayer: entry<nn.TransformerEncoderLayer>({
    doc: 'Self-attention and a feed-forward network, each with a residual connection and LayerNorm (torch.nn.TransformerEncoderLayer).',
    torch: 'torch.nn.TransformerEncoderLayer',
    args: layerArgs,
    paramNames: layerParams('', { d_model: 1, dim_feedforward: 1 }, false).map((p) => p.name),
    params: (a) => layerParams('', a, false),
    check: headsCheck('d_model'),
    shape: sequenceShape('TransformerEncoderLayer', 'd_model'),
    module: nn.TransformerEncoderLayer,
    build: (a, run) => new nn.TransformerEncoderLayer(n(a.d_model), n(a.nhead), { ...layerOptions(a), dtype: run.dtype, rng: run.rng }),
    argsOf: layerArgsOf,
    traits: attentionTraits,
  }),
  TransformerEncoder: stack('TransformerEncoder', 'num_layers copies of a TransformerEncoderLayer with these arguments (torch.nn.TransformerEncoder), optionally followed by a LayerNorm (norm: true).', false),
  TransformerDecoderLayer: entry<nn.TransformerDecoderLayer>({
    doc: 'Self-attention, attention over a memory and a feed-forward network (torch.nn.TransformerDecoderLayer). In a Sequential its input is also its memory.',
    torch: 'torch.nn.TransformerDecoderLayer',
    args: layerArgs,
    paramNames: layerParams('', { d_model: 1, dim_feedforward: 1 }, true).map((p) => p.name),
    params: (a) => layerParams('', a, true),
    check: headsCheck('d_model'),
    shape: sequenceShape('TransformerDecoderLayer', 'd_model'),
    module: nn.TransformerDecoderLayer,
    build: (a, run) => new nn.TransformerDecoderLayer(n(a.d_model), n(a.nhead), { ...layerOptions(a), dtype: run.dtype, rng: run.rng }),
    argsOf: layerArgsOf,
    traits: attentionTraits,
  }),
  TransformerDecoder: stack(
    'TransformerDecoder',
    'num_layers copies of a TransformerDecoderLayer with these arguments (torch.nn.TransformerDecoder), optionally followed by a LayerNorm. In a Sequential its input is also its memory.',
    true,
  ),
  Transformer: entry<nn.Transformer>({
    doc: 'An encoder and a decoder stack, each ending in a LayerNorm, every matrix xavier_uniform (torch.nn.Transformer). In a Sequential its input is both source and target.',
    torch: 'torch.nn.Transformer',
    args: [
      { name: 'd_model', type: { kind: 'int', min: 1 }, default: 512, doc: 'The number of expected features in the encoder and decoder inputs.' },
      { name: 'nhead', type: { kind: 'int', min: 1 }, default: 8, doc: 'The number of heads in the attention (must divide d_model).' },
      { name: 'num_encoder_layers', type: { kind: 'int', min: 1 }, default: 6, doc: 'The number of encoder layers.' },
      { name: 'num_decoder_layers', type: { kind: 'int', min: 1 }, default: 6, doc: 'The number of decoder layers.' },
      ...layerArgs.slice(2),
    ],
    paramNames: [...stackParams('encoder.', { d_model: 1, dim_feedforward: 1 }, 1, false, true), ...stackParams('decoder.', { d_model: 1, dim_feedforward: 1 }, 1, true, true)].map((p) => p.name),
    params: (a) => [...stackParams('encoder.', a, n(a.num_encoder_layers), false, true), ...stackParams('decoder.', a, n(a.num_decoder_layers), true, true)],
    check: headsCheck('d_model'),
    shape: sequenceShape('Transformer', 'd_model'),
    module: nn.Transformer,
    build: (a, run) =>
      new nn.Transformer({
        dModel: n(a.d_model),
        nhead: n(a.nhead),
        numEncoderLayers: n(a.num_encoder_layers),
        numDecoderLayers: n(a.num_decoder_layers),
        ...layerOptions(a),
        dtype: run.dtype,
        rng: run.rng,
      }),
    argsOf: (m) => ({
      ...layerArgsOf(m.encoder.layers.at(0) as nn.TransformerEncoderLayer),
      num_encoder_layers: m.encoder.numLayers,
      num_decoder_layers: m.decoder.numLayers,
    }),
    traits: attentionTraits,
  }),
} satisfies Record<AttentionLayerType, LayerDef>;
