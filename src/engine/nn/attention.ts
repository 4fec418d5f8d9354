/**
 * torch.nn.MultiheadAttention: PyTorch's arguments, parameter names (in_proj_weight, in_proj_bias,
 * out_proj.weight, out_proj.bias; q/k/v_proj_weight when kdim or vdim differ; bias_k, bias_v) and
 * initialisation (xavier_uniform on the in-projection, zero biases, xavier_normal on bias_k/v,
 * out_proj's weight as a Linear's).
 */
import type { DType } from '../dtype';
import { multiHeadAttentionForward } from '../functional/attention';
import { zeros } from '../functional/creation';
import { transpose } from '../functional/views';
import * as init from '../init';
import type { Rng } from '../rng';
import type { Tensor } from '../tensor';
import { Linear } from './layers';
import { Module } from './module';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights while training. */
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  /** (batch, seq, feature) instead of (seq, batch, feature). */
  batchFirst?: boolean;
  dtype?: DType;
  rng?: Rng;
}

export interface AttentionCallOptions {
  /** (N, S) bool, true where a key is padding. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** (L, S) or (N·heads, L, S), bool (true = masked) or float (added). */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
}

export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  readonly inProjWeight: Tensor | null;
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  readonly inProjBias: Tensor | null;
  readonly biasK: Tensor | null;
  readonly biasV: Tensor | null;
  readonly outProj: Linear;
  private readonly rng: Rng;

  constructor(
    embedDim: number,
    numHeads: number,
    { dropout = 0, bias = true, addBiasKv = false, addZeroAttn = false, kdim = null, vdim = null, batchFirst = false, dtype = 'float32', rng }: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new RangeError(`MultiheadAttention: embed_dim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1) throw new RangeError(`MultiheadAttention: num_heads must be a positive integer, got ${numHeads}`);
    if (Math.floor(embedDim / numHeads) * numHeads !== embedDim) throw new RangeError('embed_dim must be divisible by num_heads');
    if (!(dropout >= 0 && dropout <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${dropout}`);
    if (!rng) throw new Error('MultiheadAttention needs a seeded rng for its default initialisation: pass { rng: new Rng(seed) }');
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = kdim ?? embedDim;
    this.vdim = vdim ?? embedDim;
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.addZeroAttn = addZeroAttn;
    this.rng = rng;
    const same = this.kdim === embedDim && this.vdim === embedDim;
    if (same) {
      this.inProjWeight = this.registerParameter('in_proj_weight', zeros([3 * embedDim, embedDim], dtype));
      this.qProjWeight = this.kProjWeight = this.vProjWeight = null;
    } else {
      this.inProjWeight = null;
      this.qProjWeight = this.registerParameter('q_proj_weight', zeros([embedDim, embedDim], dtype));
      this.kProjWeight = this.registerParameter('k_proj_weight', zeros([embedDim, this.kdim], dtype));
      this.vProjWeight = this.registerParameter('v_proj_weight', zeros([embedDim, this.vdim], dtype));
    }
    this.inProjBias = bias ? this.registerParameter('in_proj_bias', zeros([3 * embedDim], dtype)) : null;
    this.outProj = this.addModule('out_proj', new Linear(embedDim, embedDim, { bias, dtype, rng })) as Linear;
    this.biasK = addBiasKv ? this.registerParameter('bias_k', zeros([1, 1, embedDim], dtype)) : null;
    this.biasV = addBiasKv ? this.registerParameter('bias_v', zeros([1, 1, embedDim], dtype)) : null;
    // PyTorch's _reset_parameters
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) if (w) init.xavierUniform(w, rng);
    if (this.inProjBias) {
      init.zeros(this.inProjBias);
      if (this.outProj.bias) init.zeros(this.outProj.bias);
    }
    if (this.biasK) init.xavierNormal(this.biasK, rng);
    if (this.biasV) init.xavierNormal(this.biasV, rng);
  }

  /** Self-attention over x (query = key = value), its output only: the form a Sequential passes on. */
  forward(x: Tensor): Tensor {
    return this.attend(x, x, x, { needWeights: false })[0];
  }

  /** PyTorch's forward(query, key, value, …): [attn_output, attn_output_weights or null]. */
  run(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    return this.inLayer(() => this.attend(query, key, value, options));
  }

  private attend(query: Tensor, key: Tensor, value: Tensor, { keyPaddingMask = null, needWeights = true, attnMask = null, averageAttnWeights = true }: AttentionCallOptions): [Tensor, Tensor | null] {
    const batched = query.rank === 3;
    let [q, k, v] = [query, key, value];
    if (this.batchFirst && batched) {
      // keep the `is` identity of self-attention through the transposes
      q = transpose(query, 0, 1);
      k = key === query ? q : transpose(key, 0, 1);
      v = value === key ? k : transpose(value, 0, 1);
    }
    if (q.shape[q.rank - 1] !== this.embedDim) throw new RangeError(`was expecting embedding dimension of ${this.embedDim}, but got ${q.shape[q.rank - 1]}`);
    const [out, weights] = multiHeadAttentionForward(
      q,
      k,
      v,
      {
        inProjWeight: this.inProjWeight,
        inProjBias: this.inProjBias,
        qProjWeight: this.qProjWeight,
        kProjWeight: this.kProjWeight,
        vProjWeight: this.vProjWeight,
        biasK: this.biasK,
        biasV: this.biasV,
        outProjWeight: this.outProj.weight,
        outProjBias: this.outProj.bias,
      },
      { numHeads: this.numHeads, addZeroAttn: this.addZeroAttn, dropoutP: this.dropout, training: this.training, keyPaddingMask, needWeights, attnMask, averageAttnWeights, rng: this.rng },
    );
    return [this.batchFirst && batched ? transpose(out, 0, 1) : out, weights];
  }
}
