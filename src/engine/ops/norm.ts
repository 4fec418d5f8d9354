/** Normalisation: batch_norm (training mode updates running stats), layer_norm and group_norm (instance norm is one group per channel). */
import { FloatArray, like } from '../dtype';
import { formatShape, ShapeError, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp, OpTable } from './types';

export interface NormAttrs {
  /** inputs: [x] or [x, weight, bias]; normalises over every axis but 1 (channels). */
  batch_norm: {
    training: boolean;
    momentum: number;
    eps: number;
    /** Updated in place in training mode (unbiased variance, as PyTorch). */
    runningMean: FloatArray | null;
    runningVar: FloatArray | null;
  };
  /** inputs: [x] or [x, weight, bias]; normalises over the trailing `normalizedShape` axes. */
  layer_norm: { normalizedShape: number[]; eps: number };
  /** inputs: [x (N, C, …)] or [x, weight (C), bias (C)]; normalises each sample's groups of C/groups channels. */
  group_norm: { groups: number; eps: number };
}

/** Per group: the mean and 1/√(var + eps) it was normalised with, and whether they came from this batch. */
interface NormSaved {
  mean: Float64Array;
  invStd: Float64Array;
  batchStats: boolean;
}

function checkAffine(op: string, inputs: readonly Tensor[], size: number, what: string): void {
  if (inputs.length === 1) return;
  if (inputs.length !== 3) throw new ShapeError(`${op}: expected [x] or [x, weight, bias], got ${inputs.length} inputs`);
  for (const [name, t] of [['weight', inputs[1]], ['bias', inputs[2]]] as const) {
    if (t.size !== size) throw new ShapeError(`${op}: ${name} ${formatShape(t.shape)} must have ${size} elements (${what})`);
  }
}

/**
 * y = x̂·weight + bias with x̂ = (x − mean)·invStd, where element i belongs to group `group(i)` and
 * uses affine index `param(i)`. Both norms are this loop with different index maps.
 */
function normalise(x: Tensor, inputs: readonly Tensor[], s: NormSaved, group: (i: number) => number, param: (i: number) => number): FloatArray {
  const xd = x.data;
  const out = like(xd);
  const w = inputs.length === 3 ? inputs[1].data : null;
  const b = inputs.length === 3 ? inputs[2].data : null;
  for (let i = 0; i < xd.length; i++) {
    const gi = group(i);
    const xh = (xd[i] - s.mean[gi]) * s.invStd[gi];
    out[i] = w && b ? xh * w[param(i)] + b[param(i)] : xh;
  }
  return out;
}

/** The affine gradients Σ dy·x̂ and Σ dy per parameter, shared by both norms. */
function affineGrads(gy: FloatArray, inputs: readonly Tensor[], s: NormSaved, group: (i: number) => number, param: (i: number) => number, needs: readonly boolean[]): [FloatArray | null, FloatArray | null] {
  if (inputs.length !== 3) return [null, null];
  const xd = inputs[0].data;
  const dw = needs[1] ? like(inputs[1].data) : null;
  const db = needs[2] ? like(inputs[2].data) : null;
  for (let i = 0; i < xd.length; i++) {
    const p = param(i);
    if (dw) {
      const gi = group(i);
      dw[p] += gy[i] * (xd[i] - s.mean[gi]) * s.invStd[gi];
    }
    if (db) db[p] += gy[i];
  }
  return [dw, db];
}

/**
 * dx for y = x̂ normalised with its own group's batch statistics over `count` elements:
 * dx = invStd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·weight, the closed form of the chain rule
 * through the mean and the variance.
 */
function normInputGrad(gy: FloatArray, inputs: readonly Tensor[], s: NormSaved, groups: number, count: number, group: (i: number) => number, param: (i: number) => number): FloatArray {
  const xd = inputs[0].data;
  const w = inputs.length === 3 ? inputs[1].data : null;
  const dx = like(xd);
  if (!s.batchStats) {
    // The statistics are constants (running stats): only the scale remains.
    for (let i = 0; i < xd.length; i++) dx[i] = gy[i] * (w ? w[param(i)] : 1) * s.invStd[group(i)];
    return dx;
  }
  const sumG = new Float64Array(groups);
  const sumGX = new Float64Array(groups);
  for (let i = 0; i < xd.length; i++) {
    const gi = group(i);
    const g = gy[i] * (w ? w[param(i)] : 1);
    sumG[gi] += g;
    sumGX[gi] += g * (xd[i] - s.mean[gi]) * s.invStd[gi];
  }
  for (let i = 0; i < xd.length; i++) {
    const gi = group(i);
    const g = gy[i] * (w ? w[param(i)] : 1);
    const xh = (xd[i] - s.mean[gi]) * s.invStd[gi];
    dx[i] = s.invStd[gi] * (g - sumG[gi] / count - (xh * sumGX[gi]) / count);
  }
  return dx;
}

/** Mean and biased variance per group, in float64, two passes so a large mean does not swamp the variance. */
function groupStats(xd: FloatArray, groups: number, count: number, group: (i: number) => number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  for (let i = 0; i < xd.length; i++) mean[group(i)] += xd[i];
  for (let g = 0; g < groups; g++) mean[g] /= count;
  for (let i = 0; i < xd.length; i++) {
    const d = xd[i] - mean[group(i)];
    variance[group(i)] += d * d;
  }
  for (let g = 0; g < groups; g++) variance[g] /= count;
  return { mean, variance };
}

// Layer norm's groups are the rows of a (rows × width) matrix and its parameters the columns: the
// same arithmetic as the generic loops above, in the same order (so the same values), without an
// index map per element, which made layer norm cost as much as a matrix product in a Transformer.

/** Mean and biased variance of each row, in float64, two passes (as groupStats). */
function rowStats(xd: FloatArray, rows: number, width: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(rows);
  const variance = new Float64Array(rows);
  for (let r = 0, at = 0; r < rows; r++, at += width) {
    let s = 0;
    for (let j = 0; j < width; j++) s += xd[at + j];
    const m = s / width;
    let v = 0;
    for (let j = 0; j < width; j++) {
      const d = xd[at + j] - m;
      v += d * d;
    }
    mean[r] = m;
    variance[r] = v / width;
  }
  return { mean, variance };
}

function normaliseRows(x: Tensor, inputs: readonly Tensor[], s: LayerNormSaved): FloatArray {
  const { rows, width, mean, invStd } = s;
  const xd = x.data;
  const out = like(xd);
  const w = inputs.length === 3 ? inputs[1].data : null;
  const b = inputs.length === 3 ? inputs[2].data : null;
  for (let r = 0, at = 0; r < rows; r++, at += width) {
    const m = mean[r];
    const is = invStd[r];
    if (w && b) for (let j = 0; j < width; j++) out[at + j] = (xd[at + j] - m) * is * w[j] + b[j];
    else for (let j = 0; j < width; j++) out[at + j] = (xd[at + j] - m) * is;
  }
  return out;
}

function rowsAffineGrads(gy: FloatArray, inputs: readonly Tensor[], s: LayerNormSaved, needs: readonly boolean[]): [FloatArray | null, FloatArray | null] {
  if (inputs.length !== 3) return [null, null];
  const { rows, width, mean, invStd } = s;
  const xd = inputs[0].data;
  const dw = needs[1] ? like(inputs[1].data) : null;
  const db = needs[2] ? like(inputs[2].data) : null;
  for (let r = 0, at = 0; r < rows; r++, at += width) {
    const m = mean[r];
    const is = invStd[r];
    if (dw) for (let j = 0; j < width; j++) dw[j] += gy[at + j] * (xd[at + j] - m) * is;
    if (db) for (let j = 0; j < width; j++) db[j] += gy[at + j];
  }
  return [dw, db];
}

function rowsInputGrad(gy: FloatArray, inputs: readonly Tensor[], s: LayerNormSaved): FloatArray {
  const { rows, width, mean, invStd } = s;
  const xd = inputs[0].data;
  const w = inputs.length === 3 ? inputs[1].data : null;
  const dx = like(xd);
  for (let r = 0, at = 0; r < rows; r++, at += width) {
    const m = mean[r];
    const is = invStd[r];
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < width; j++) {
      const g = gy[at + j] * (w ? w[j] : 1);
      sumG += g;
      sumGX += g * (xd[at + j] - m) * is;
    }
    for (let j = 0; j < width; j++) {
      const g = gy[at + j] * (w ? w[j] : 1);
      const xh = (xd[at + j] - m) * is;
      dx[at + j] = is * (g - sumG / width - (xh * sumGX) / width);
    }
  }
  return dx;
}

interface BatchNormSaved extends NormSaved {
  channels: number;
  /** Elements per channel block: the product of the axes after the channel axis. */
  inner: number;
  count: number;
}

interface GroupNormSaved extends NormSaved {
  channels: number;
  groups: number;
  inner: number;
}

/** For group norm: element i's group (per sample) and channel. */
function groupIndex({ channels, groups, inner }: { channels: number; groups: number; inner: number }): [(i: number) => number, (i: number) => number] {
  const per = channels / groups;
  const channel = (i: number): number => Math.floor(i / inner) % channels;
  return [(i) => Math.floor(i / (inner * channels)) * groups + Math.floor(channel(i) / per), channel];
}

interface LayerNormSaved extends NormSaved {
  rows: number;
  width: number;
}

export const normOps: OpTable<NormAttrs> = {
  // d bn = invStd·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)), ĝ = dy·weight; d weight = Σ dy·x̂, d bias = Σ dy
  batch_norm: defineOp({
    saves: (needs) => (needs.length === 3 ? [0, 1] : [0]),
    forward: (inputs, attrs): { data: FloatArray; shape: readonly number[]; saved: BatchNormSaved } => {
      const x = inputs[0];
      if (x.rank < 2) throw new ShapeError(`batch_norm: expected input (N, C, ...) of rank ≥ 2, got ${formatShape(x.shape)}`);
      const channels = x.shape[1];
      const inner = sizeOf(x.shape.slice(2));
      const count = x.size / (channels || 1);
      checkAffine('batch_norm', inputs, channels, `one per channel, ${channels} channels`);
      const { runningMean, runningVar } = attrs;
      for (const [name, r] of [['running_mean', runningMean], ['running_var', runningVar]] as const) {
        if (r && r.length !== channels) throw new ShapeError(`batch_norm: ${name} has ${r.length} values for ${channels} channels`);
      }
      const group = (i: number): number => Math.floor(i / inner) % channels;
      // Without running stats there is nothing else to use, as nn.BatchNorm with track_running_stats=False.
      const batchStats = attrs.training || !runningMean || !runningVar;
      let mean: Float64Array;
      let variance: Float64Array;
      if (batchStats) {
        if (count <= 1) {
          throw new ShapeError(`batch_norm: expected more than 1 value per channel when using batch statistics, got input ${formatShape(x.shape)}`);
        }
        ({ mean, variance } = groupStats(x.data, channels, count, group));
        if (attrs.training) {
          const m = attrs.momentum;
          // PyTorch tracks the unbiased variance, though it normalises with the biased one.
          const unbias = count / (count - 1);
          for (let c = 0; c < channels; c++) {
            if (runningMean) runningMean[c] = (1 - m) * runningMean[c] + m * mean[c];
            if (runningVar) runningVar[c] = (1 - m) * runningVar[c] + m * variance[c] * unbias;
          }
        }
      } else {
        mean = Float64Array.from(runningMean!);
        variance = Float64Array.from(runningVar!);
      }
      const invStd = variance.map((v) => 1 / Math.sqrt(v + attrs.eps));
      const saved = { mean, invStd, batchStats, channels, inner, count };
      const data = normalise(x, inputs, saved, group, group);
      return { data, shape: x.shape, saved };
    },
    backward: ({ gy, inputs, saved, needs }) => {
      const { channels, inner, count } = saved;
      const group = (i: number): number => Math.floor(i / inner) % channels;
      const dx = needs[0] ? normInputGrad(gy, inputs, saved, channels, count, group, group) : null;
      const [dw, db] = affineGrads(gy, inputs, saved, group, group, needs);
      return inputs.length === 3 ? [dx, dw, db] : [dx];
    },
  }),
  // d ln = invStd·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)) per row, ĝ = dy·weight; d weight = Σ dy·x̂, d bias = Σ dy
  layer_norm: defineOp({
    saves: (needs) => (needs.length === 3 ? [0, 1] : [0]),
    forward: (inputs, { normalizedShape, eps }): { data: FloatArray; shape: readonly number[]; saved: LayerNormSaved } => {
      const x = inputs[0];
      const k = normalizedShape.length;
      const tail = x.shape.slice(x.rank - k);
      if (k === 0 || x.rank < k || tail.some((d, i) => d !== normalizedShape[i])) {
        throw new ShapeError(`layer_norm: input ${formatShape(x.shape)} does not end in normalized_shape ${formatShape(normalizedShape)}`);
      }
      const width = sizeOf(normalizedShape);
      const rows = x.size / (width || 1);
      checkAffine('layer_norm', inputs, width, `normalized_shape ${formatShape(normalizedShape)}`);
      const { mean, variance } = rowStats(x.data, rows, width);
      const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
      const saved = { mean, invStd, batchStats: true, rows, width };
      return { data: normaliseRows(x, inputs, saved), shape: x.shape, saved };
    },
    backward: ({ gy, inputs, saved, needs }) => {
      const dx = needs[0] ? rowsInputGrad(gy, inputs, saved) : null;
      const [dw, db] = rowsAffineGrads(gy, inputs, saved, needs);
      return inputs.length === 3 ? [dx, dw, db] : [dx];
    },
  }),
  // d gn = invStd·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)) per group, ĝ = dy·weight; d weight = Σ dy·x̂, d bias = Σ dy (per channel)
  group_norm: defineOp({
    saves: (needs) => (needs.length === 3 ? [0, 1] : [0]),
    forward: (inputs, { groups, eps }): { data: FloatArray; shape: readonly number[]; saved: GroupNormSaved } => {
      const x = inputs[0];
      if (x.rank < 2) throw new ShapeError(`group_norm: expected input (N, C, ...) of rank ≥ 2, got ${formatShape(x.shape)}`);
      const channels = x.shape[1];
      if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
        throw new ShapeError(`Expected number of channels in input to be divisible by num_groups, but got input of shape ${formatShape(x.shape)} and num_groups=${groups}`);
      }
      checkAffine('group_norm', inputs, channels, `one per channel, ${channels} channels`);
      const inner = sizeOf(x.shape.slice(2));
      const geometry = { channels, groups, inner };
      const [group, param] = groupIndex(geometry);
      const count = (channels / groups) * inner;
      const { mean, variance } = groupStats(x.data, x.shape[0] * groups, count, group);
      const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
      const saved = { mean, invStd, batchStats: true, ...geometry };
      return { data: normalise(x, inputs, saved, group, param), shape: x.shape, saved };
    },
    backward: ({ gy, inputs, saved, needs }) => {
      const [group, param] = groupIndex(saved);
      const dx = needs[0] ? normInputGrad(gy, inputs, saved, saved.mean.length, (saved.channels / saved.groups) * saved.inner, group, param) : null;
      const [dw, db] = affineGrads(gy, inputs, saved, group, param, needs);
      return inputs.length === 3 ? [dx, dw, db] : [dx];
    },
  }),
};
