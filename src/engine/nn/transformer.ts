/**
 * torch.nn's Transformer family as PyTorch 1.13 computes it in training mode: encoder and decoder
 * layers (post-norm, or pre-norm with norm_first), stacks of deep copies of one layer, and
 * nn.Transformer, which xavier-initialises every matrix and always has both halves (a model that
 * uses only the encoder still holds the decoder's parameters, as in PyTorch).
 *
 * Parameter names are PyTorch's: self_attn.in_proj_weight, self_attn.out_proj.weight,
 * multihead_attn.…, linear1.weight, linear2.bias, norm1.weight, layers.0.…, encoder.norm.weight.
 */
import type { DType } from '../dtype';
import { add } from '../functional/math';
import { gelu, relu } from '../functional/nn';
import * as init from '../init';
import type { Rng } from '../rng';
import type { Tensor } from '../tensor';
import { AttentionCallOptions, MultiheadAttention } from './attention';
import { cloneModule, ModuleList } from './containers';
import { Dropout, LayerNorm, Linear } from './layers';
import { Module } from './module';
import { statelessFunction } from './snapshot';

export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  dtype?: DType;
  rng?: Rng;
}

// Marked stateless: a layer holding one can still be snapshotted and put back (snapshot.ts).
const RELU = statelessFunction((x: Tensor) => relu(x));
const GELU = statelessFunction((x: Tensor) => gelu(x));

function activationOf(a: TransformerActivation): (x: Tensor) => Tensor {
  if (a === 'relu') return RELU;
  if (a === 'gelu') return GELU;
  if (typeof a === 'function') return a;
  throw new RangeError(`activation should be relu/gelu, not ${String(a)}`);
}

function needRng(rng: Rng | undefined, layer: string): Rng {
  if (!rng) throw new Error(`${layer} needs a seeded rng for its default initialisation: pass { rng: new Rng(seed) }`);
  return rng;
}

/** What the encoder and decoder layers share: the feed-forward block and the configuration. */
abstract class TransformerLayerBase extends Module {
  readonly selfAttn: MultiheadAttention;
  /** The decoder's attention over the encoder's output (null in an encoder layer). */
  protected readonly crossAttn: MultiheadAttention | null;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly normFirst: boolean;
  protected readonly activation: (x: Tensor) => Tensor;
  /** The activation's name as PyTorch's argument gives it ('relu', 'gelu'), or 'custom' for a function. */
  readonly activationName: 'relu' | 'gelu' | 'custom';

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    protected readonly options: TransformerLayerOptions,
    layer: string,
    withCross: boolean,
  ) {
    super();
    const { dimFeedforward = 2048, dropout = 0.1, activation = 'relu', batchFirst = false, normFirst = false, dtype = 'float32' } = options;
    const rng = needRng(options.rng, layer);
    if (!(dropout >= 0 && dropout <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${dropout}`);
    this.selfAttn = this.addModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype, rng })) as MultiheadAttention;
    this.crossAttn = withCross ? (this.addModule('multihead_attn', new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype, rng })) as MultiheadAttention) : null;
    this.linear1 = this.addModule('linear1', new Linear(dModel, dimFeedforward, { dtype, rng })) as Linear;
    this.dropout = this.addModule('dropout', new Dropout(dropout, rng)) as Dropout;
    this.linear2 = this.addModule('linear2', new Linear(dimFeedforward, dModel, { dtype, rng })) as Linear;
    this.normFirst = normFirst;
    this.activation = activationOf(activation);
    this.activationName = typeof activation === 'string' ? activation : 'custom';
  }

  protected norm(): LayerNorm {
    return new LayerNorm(this.dModel, { eps: this.options.layerNormEps ?? 1e-5, dtype: this.options.dtype ?? 'float32' });
  }

  protected selfAttention(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null, drop: Dropout): Tensor {
    return drop.call(this.selfAttn.run(x, x, x, { attnMask, keyPaddingMask, needWeights: false })[0]);
  }

  protected feedForward(x: Tensor, drop: Dropout): Tensor {
    return drop.call(this.linear2.call(this.dropout.call(this.activation(this.linear1.call(x)))));
  }
}

export interface EncoderCallOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
}

export class TransformerEncoderLayer extends TransformerLayerBase {
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options, 'TransformerEncoderLayer', false);
    const rng = options.rng!;
    const p = options.dropout ?? 0.1;
    this.norm1 = this.addModule('norm1', this.norm()) as LayerNorm;
    this.norm2 = this.addModule('norm2', this.norm()) as LayerNorm;
    this.dropout1 = this.addModule('dropout1', new Dropout(p, rng)) as Dropout;
    this.dropout2 = this.addModule('dropout2', new Dropout(p, rng)) as Dropout;
  }

  forward(src: Tensor): Tensor {
    return this.encode(src, {});
  }

  /** PyTorch's forward(src, src_mask, src_key_padding_mask). */
  run(src: Tensor, options: EncoderCallOptions = {}): Tensor {
    return this.inLayer(() => this.encode(src, options));
  }

  private encode(src: Tensor, { srcMask = null, srcKeyPaddingMask = null }: EncoderCallOptions): Tensor {
    let x = src;
    if (this.normFirst) {
      x = add(x, this.selfAttention(this.norm1.call(x), srcMask, srcKeyPaddingMask, this.dropout1));
      x = add(x, this.feedForward(this.norm2.call(x), this.dropout2));
    } else {
      x = this.norm1.call(add(x, this.selfAttention(x, srcMask, srcKeyPaddingMask, this.dropout1)));
      x = this.norm2.call(add(x, this.feedForward(x, this.dropout2)));
    }
    return x;
  }

  /** A copy with its own parameters holding the same values (copy.deepcopy). */
  clone(): TransformerEncoderLayer {
    return cloneModule(this, () => new TransformerEncoderLayer(this.dModel, this.nhead, this.options));
  }
}

export interface DecoderCallOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

export class TransformerDecoderLayer extends TransformerLayerBase {
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options, 'TransformerDecoderLayer', true);
    const rng = options.rng!;
    const p = options.dropout ?? 0.1;
    this.norm1 = this.addModule('norm1', this.norm()) as LayerNorm;
    this.norm2 = this.addModule('norm2', this.norm()) as LayerNorm;
    this.norm3 = this.addModule('norm3', this.norm()) as LayerNorm;
    this.dropout1 = this.addModule('dropout1', new Dropout(p, rng)) as Dropout;
    this.dropout2 = this.addModule('dropout2', new Dropout(p, rng)) as Dropout;
    this.dropout3 = this.addModule('dropout3', new Dropout(p, rng)) as Dropout;
  }

  forward(tgt: Tensor): Tensor {
    return this.decode(tgt, tgt, {});
  }

  /** PyTorch's forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask). */
  run(tgt: Tensor, memory: Tensor, options: DecoderCallOptions = {}): Tensor {
    return this.inLayer(() => this.decode(tgt, memory, options));
  }

  /** The attention over the encoder's output (PyTorch's multihead_attn). */
  get multiheadAttn(): MultiheadAttention {
    return this.crossAttn!;
  }

  private crossAttention(x: Tensor, memory: Tensor, o: DecoderCallOptions): Tensor {
    const opts: AttentionCallOptions = { attnMask: o.memoryMask ?? null, keyPaddingMask: o.memoryKeyPaddingMask ?? null, needWeights: false };
    return this.dropout2.call(this.multiheadAttn.run(x, memory, memory, opts)[0]);
  }

  private decode(tgt: Tensor, memory: Tensor, o: DecoderCallOptions): Tensor {
    let x = tgt;
    const tgtMask = o.tgtMask ?? null;
    const tgtPad = o.tgtKeyPaddingMask ?? null;
    if (this.normFirst) {
      x = add(x, this.selfAttention(this.norm1.call(x), tgtMask, tgtPad, this.dropout1));
      x = add(x, this.crossAttention(this.norm2.call(x), memory, o));
      x = add(x, this.feedForward(this.norm3.call(x), this.dropout3));
    } else {
      x = this.norm1.call(add(x, this.selfAttention(x, tgtMask, tgtPad, this.dropout1)));
      x = this.norm2.call(add(x, this.crossAttention(x, memory, o)));
      x = this.norm3.call(add(x, this.feedForward(x, this.dropout3)));
    }
    return x;
  }

  clone(): TransformerDecoderLayer {
    return cloneModule(this, () => new TransformerDecoderLayer(this.dModel, this.nhead, this.options));
  }
}

/** num_layers deep copies of one layer (same starting values, as copy.deepcopy), then an optional norm. */
abstract class LayerStack<L extends TransformerEncoderLayer | TransformerDecoderLayer> extends Module {
  readonly layers: ModuleList;
  readonly norm: LayerNorm | null;

  constructor(name: string, layer: L, readonly numLayers: number, norm: LayerNorm | null) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new RangeError(`${name}: num_layers must be a positive integer, got ${numLayers}`);
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: numLayers }, () => layer.clone()))) as ModuleList;
    this.norm = norm ? (this.addModule('norm', norm) as LayerNorm) : null;
  }

  /** Each layer in turn, then the norm. */
  protected through(x: Tensor, step: (layer: L, x: Tensor) => Tensor): Tensor {
    for (const layer of this.layers) x = step(layer as L, x);
    return this.norm ? this.norm.call(x) : x;
  }
}

export class TransformerEncoder extends LayerStack<TransformerEncoderLayer> {
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, { norm = null }: { norm?: LayerNorm | null } = {}) {
    super('TransformerEncoder', encoderLayer, numLayers, norm);
  }

  forward(src: Tensor): Tensor {
    return this.through(src, (l, x) => l.run(x));
  }

  /** PyTorch's forward(src, mask, src_key_padding_mask). */
  run(src: Tensor, { mask = null, srcKeyPaddingMask = null }: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null } = {}): Tensor {
    return this.inLayer(() => this.through(src, (l, x) => l.run(x, { srcMask: mask, srcKeyPaddingMask })));
  }
}

export class TransformerDecoder extends LayerStack<TransformerDecoderLayer> {
  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, { norm = null }: { norm?: LayerNorm | null } = {}) {
    super('TransformerDecoder', decoderLayer, numLayers, norm);
  }

  /** Decodes x attending to itself as the memory (the form a Sequential passes on). */
  forward(tgt: Tensor): Tensor {
    return this.through(tgt, (l, x) => l.run(x, tgt));
  }

  /** PyTorch's forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask). */
  run(tgt: Tensor, memory: Tensor, options: DecoderCallOptions = {}): Tensor {
    return this.inLayer(() => this.through(tgt, (l, x) => l.run(x, memory, options)));
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
}

export interface TransformerCallOptions {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

/** nn.Transformer: an encoder and a decoder stack, each ending in a LayerNorm; every matrix xavier_uniform. */
export class Transformer extends Module {
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor({ dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, ...layer }: TransformerOptions = {}) {
    super();
    const rng = needRng(layer.rng, 'Transformer');
    const dtype = layer.dtype ?? 'float32';
    const eps = layer.layerNormEps ?? 1e-5;
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layer.batchFirst ?? false;
    this.encoder = this.addModule(
      'encoder',
      new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layer), numEncoderLayers, { norm: new LayerNorm(dModel, { eps, dtype }) }),
    ) as TransformerEncoder;
    this.decoder = this.addModule(
      'decoder',
      new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layer), numDecoderLayers, { norm: new LayerNorm(dModel, { eps, dtype }) }),
    ) as TransformerDecoder;
    // PyTorch's _reset_parameters
    for (const p of this.parameters()) if (p.rank > 1) init.xavierUniform(p, rng);
  }

  /** Encodes x and decodes x against it (the form a Sequential passes on). */
  forward(x: Tensor): Tensor {
    return this.transform(x, x, {});
  }

  /** PyTorch's forward(src, tgt, src_mask, tgt_mask, memory_mask, and the three key padding masks). */
  run(src: Tensor, tgt: Tensor, options: TransformerCallOptions = {}): Tensor {
    return this.inLayer(() => this.transform(src, tgt, options));
  }

  private transform(src: Tensor, tgt: Tensor, o: TransformerCallOptions): Tensor {
    const batchAxis = this.batchFirst ? 0 : 1;
    if (src.rank === 3 && tgt.rank === 3 && src.shape[batchAxis] !== tgt.shape[batchAxis]) throw new RangeError('the batch number of src and tgt must be equal');
    if (src.shape[src.rank - 1] !== this.dModel || tgt.shape[tgt.rank - 1] !== this.dModel) throw new RangeError('the feature number of src and tgt must be equal to d_model');
    const memory = this.encoder.run(src, { mask: o.srcMask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null });
    return this.decoder.run(tgt, memory, {
      tgtMask: o.tgtMask ?? null,
      memoryMask: o.memoryMask ?? null,
      tgtKeyPaddingMask: o.tgtKeyPaddingMask ?? null,
      memoryKeyPaddingMask: o.memoryKeyPaddingMask ?? null,
    });
  }
}
