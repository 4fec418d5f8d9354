/**
 * torch.nn.functional.multi_head_attention_forward, step for step as PyTorch 1.13 computes it
 * (packed or separate in-projections, bias_k/bias_v, zero attention, bool or float masks, key
 * padding, dropout on the weights, averaged weights), written with the engine's ops so every step
 * has its gradient and the softmax's rows are where the instrument reads attention entropy.
 */
import type { Rng } from '../rng';
import { formatShape, ShapeError } from '../shape';
import type { Tensor } from '../tensor';
import { add, div, logicalOr, maskedFill } from './math';
import { bmm, dropout, linear, softmax } from './nn';
import { sum } from './reduce';
import { cat, chunk, contiguous, expand, reshape, squeeze, transpose, unsqueeze, view } from './views';
import { zeros } from './creation';

export interface AttentionWeights {
  /** in_proj_weight (3E, E), or null with separate q/k/v projection weights. */
  inProjWeight: Tensor | null;
  inProjBias: Tensor | null;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  biasK?: Tensor | null;
  biasV?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias: Tensor | null;
}

export interface AttentionOptions {
  numHeads: number;
  addZeroAttn?: boolean;
  dropoutP?: number;
  training?: boolean;
  /** (N, S) bool: true where a key is padding and must not be attended to. */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** (L, S) or (N·heads, L, S): bool (true = masked) or float (added to the scores). */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  /** Needed when dropoutP > 0 in training. */
  rng?: Rng | null;
}

/** Pads the last axis of a mask with one more column (PyTorch's pad(mask, (0, 1))): false for bool, 0 for float. */
function padColumn(mask: Tensor): Tensor {
  return cat([mask, zeros([...mask.shape.slice(0, -1), 1], mask.dtype)], mask.rank - 1);
}

/**
 * Attention over (L, N, E) query and (S, N, E) key/value (or unbatched (L, E), (S, E)): returns the
 * output (L, N, E) and, with needWeights, the attention weights (N, L, S), averaged over heads unless
 * averageAttnWeights is false ((N, heads, L, S)).
 */
export function multiHeadAttentionForward(query: Tensor, key: Tensor, value: Tensor, w: AttentionWeights, o: AttentionOptions): [Tensor, Tensor | null] {
  const heads = o.numHeads;
  const batched = query.rank === 3;
  // self-attention passes one tensor three times: one in-projection then (as PyTorch's `is` test)
  const qIsK = query === key;
  const kIsV = key === value;
  if (!batched && query.rank !== 2) throw new ShapeError(`query should be unbatched 2D or batched 3D tensor but received ${query.rank}-D query tensor`);
  if (key.rank !== query.rank || value.rank !== query.rank) throw new ShapeError(`key and value should have the query's rank ${query.rank}, got ${key.rank} and ${value.rank}`);
  const q0 = batched ? query : unsqueeze(query, 1);
  const k0 = batched ? key : unsqueeze(key, 1);
  const v0 = batched ? value : unsqueeze(value, 1);
  let kpm = o.keyPaddingMask ? (batched ? o.keyPaddingMask : unsqueeze(o.keyPaddingMask, 0)) : null;
  const [L, N, E] = q0.shape;
  const headDim = Math.floor(E / heads);
  if (headDim * heads !== E) throw new ShapeError(`embed_dim ${E} not divisible by num_heads ${heads}`);
  if (k0.shape[0] !== v0.shape[0] || k0.shape[1] !== v0.shape[1]) throw new ShapeError(`key's sequence and batch dims ${formatShape(k0.shape.slice(0, 2))} do not match value's ${formatShape(v0.shape.slice(0, 2))}`);
  if (kpm && kpm.dtype !== 'bool') throw new TypeError('key_padding_mask must be a bool tensor (true = padding)');

  // in-projection: one product when q, k and v share a weight, split in three
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (w.inProjWeight) {
    const [wq, wk, wv] = chunk(w.inProjWeight, 3);
    const [bq, bk, bv] = w.inProjBias ? chunk(w.inProjBias, 3) : [null, null, null];
    if (kIsV && qIsK) {
      [q, k, v] = chunk(linear(q0, w.inProjWeight, w.inProjBias), 3, -1);
    } else if (kIsV) {
      q = linear(q0, wq, bq);
      [k, v] = chunk(linear(k0, cat([wk, wv]), bk && bv ? cat([bk, bv]) : null), 2, -1);
    } else {
      q = linear(q0, wq, bq);
      k = linear(k0, wk, bk);
      v = linear(v0, wv, bv);
    }
  } else {
    const [bq, bk, bv] = w.inProjBias ? chunk(w.inProjBias, 3) : [null, null, null];
    q = linear(q0, w.qProjWeight!, bq);
    k = linear(k0, w.kProjWeight!, bk);
    v = linear(v0, w.vProjWeight!, bv);
  }

  let mask = o.attnMask ?? null;
  if (mask) {
    if (mask.rank === 2) {
      if (mask.shape[0] !== L || mask.shape[1] !== k0.shape[0]) throw new ShapeError(`The shape of the 2D attn_mask is ${formatShape(mask.shape)}, but should be ${formatShape([L, k0.shape[0]])}.`);
      mask = unsqueeze(mask, 0);
    } else if (mask.rank === 3) {
      if (mask.shape[0] !== N * heads || mask.shape[1] !== L || mask.shape[2] !== k0.shape[0]) {
        throw new ShapeError(`The shape of the 3D attn_mask is ${formatShape(mask.shape)}, but should be ${formatShape([N * heads, L, k0.shape[0]])}.`);
      }
    } else {
      throw new ShapeError(`attn_mask's dimension ${mask.rank} is not supported`);
    }
  }
  if (w.biasK && w.biasV) {
    k = cat([k, expand(w.biasK, [1, N, E])]);
    v = cat([v, expand(w.biasV, [1, N, E])]);
    if (mask) mask = padColumn(mask);
    if (kpm) kpm = padColumn(kpm);
  }
  // (len, N, E) → (N·heads, len, head_dim)
  const split = (t: Tensor) => transpose(view(contiguous(t), [t.shape[0], N * heads, headDim]), 0, 1);
  q = split(q);
  k = split(k);
  v = split(v);
  if (o.addZeroAttn) {
    k = cat([k, zeros([N * heads, 1, headDim], k.dtype)], 1);
    v = cat([v, zeros([N * heads, 1, headDim], v.dtype)], 1);
    if (mask) mask = padColumn(mask);
    if (kpm) kpm = padColumn(kpm);
  }
  const S = k.shape[1];
  if (kpm) {
    if (kpm.rank !== 2 || kpm.shape[0] !== N || kpm.shape[1] !== S) throw new ShapeError(`expecting key_padding_mask shape of ${formatShape([N, S])}, but got ${formatShape(kpm.shape)}`);
    const padding = reshape(expand(view(kpm, [N, 1, 1, S]), [-1, heads, -1, -1]), [N * heads, 1, S]);
    if (!mask) mask = padding;
    else if (mask.dtype === 'bool') mask = logicalOr(mask, padding);
    else mask = maskedFill(mask, padding, -Infinity);
  }
  if (mask && mask.dtype === 'bool') mask = maskedFill(zeros(mask.shape, q.dtype), mask, -Infinity);

  const p = o.training === false ? 0 : (o.dropoutP ?? 0);
  let scores = bmm(div(q, Math.sqrt(headDim)), transpose(k, -2, -1));
  if (mask) scores = add(mask, scores);
  // the softmax over (N, heads, L, S), so the instrument can tell the heads apart (same values as 3-D)
  let weights = view(softmax(view(scores, [N, heads, L, S]), -1), [N * heads, L, S]);
  if (p > 0) {
    if (!o.rng) throw new Error('attention dropout needs a seeded rng');
    weights = dropout(weights, p, true, o.rng);
  }
  let out = bmm(weights, v);
  out = view(contiguous(transpose(out, 0, 1)), [L * N, E]);
  out = view(linear(out, w.outProjWeight, w.outProjBias), [L, N, E]);
  if (!batched) out = squeeze(out, 1);
  if (!o.needWeights) return [out, null];
  let averaged = view(weights, [N, heads, L, S]);
  if (o.averageAttnWeights !== false) averaged = div(sum(averaged, 1), heads);
  if (!batched) averaged = squeeze(averaged, 0);
  return [out, averaged];
}

/** nn.Transformer.generate_square_subsequent_mask: −inf above the diagonal, 0 on and below it. */
export function generateSquareSubsequentMask(size: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const m = zeros([size, size], dtype);
  const d = m.data;
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) d[i * size + j] = -Infinity;
  return m;
}
