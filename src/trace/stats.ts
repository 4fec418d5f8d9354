/** Turns one step's gradients, weights and instrument records into the trace's summaries. */
import type { FloatArray } from '../engine';
import type { ActivationStats, BackwardFlow, OutputSummary } from '../engine/instrument';
import { ActivationStep, HISTOGRAM_BINS, HISTOGRAM_DECADES, LayerFlowStep, LayerOutputStep, ParamStep } from './types';

/** Smallest positive normal float32; below it float32 loses precision and flushes towards zero. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
/** A unit is dead when it is active on fewer than this share of samples. */
export const DEAD_UNIT_ACTIVITY = 0.01;

export { l2Norm as norm } from '../engine/instrument';

/** 10^k for k = HISTOGRAM_DECADES.from + 1 … to: the lower edges of the decade bins after the first. */
const DECADE_EDGES = Float64Array.from({ length: HISTOGRAM_DECADES.to - HISTOGRAM_DECADES.from }, (_, i) => 10 ** (HISTOGRAM_DECADES.from + 1 + i));

/** The bin of a positive finite magnitude: 1 + the number of decade edges at or below it. */
function binBySearch(a: number): number {
  let lo = 0;
  let hi = DECADE_EDGES.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a >= DECADE_EDGES[mid]) lo = mid + 1;
    else hi = mid;
  }
  return 1 + lo;
}

// An octave [2^e, 2^(e+1)) holds at most one decade edge (10 > 2): per biased float64 exponent, the
// bin of 2^e and the edge inside the octave (+inf when none), so a value's bin is one lookup and
// one comparison instead of a binary search whose branches a random gradient mispredicts.
const OCTAVE_BIN = new Int32Array(2048);
const OCTAVE_EDGE = new Float64Array(2048).fill(Infinity);
for (let biased = 0; biased < 2047; biased++) {
  // biased exponent 0 holds the float64 subnormals, all far below the first edge
  const low = 2 ** (Math.max(biased, 1) - 1023);
  OCTAVE_BIN[biased] = binBySearch(low);
  for (const edge of DECADE_EDGES) if (edge > low && edge < 2 * low) OCTAVE_EDGE[biased] = edge;
}
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
/** The 32-bit word of a float64 that holds its sign and exponent (the second on little-endian machines). */
const HIGH = ((): number => {
  BITS[0] = 1;
  return WORDS[1] === 0x3ff00000 ? 1 : 0;
})();

/**
 * Bin of one gradient value: 0 for zero, the last for non-finite, else its decade ⌊log10|v|⌋
 * clamped to HISTOGRAM_DECADES. This runs on every gradient entry of every step: a logarithm per
 * entry was most of a quick trace's statistics, and then a binary search over the decade edges.
 */
export function histogramBin(v: number): number {
  if (v === 0) return 0;
  const a = Math.abs(v);
  if (!(a < Infinity)) return HISTOGRAM_BINS - 1;
  BITS[0] = a;
  const biased = WORDS[HIGH] >>> 20;
  return OCTAVE_BIN[biased] + +(a >= OCTAVE_EDGE[biased]);
}

/**
 * How far a weight's rows (its units or filters) are from one another: the root mean square over
 * inputs of the spread across rows, sqrt(mean_j var_i w[i, j]). Zero when every row is the same, the
 * symmetry no update can break when the rows also get the same gradient.
 */
export function rowSpread(w: FloatArray, shape: readonly number[]): number {
  return paramPass(null, w, w, shape).rowSpread;
}

/** The sums one pass over a parameter's gradient, weight and updated weight gives. */
interface ParamSums {
  /** Of the gradient (zeros and histogram hold every entry when there is none). */
  histogram: number[];
  sumSq: number;
  sumAbs: number;
  maxAbs: number;
  zeros: number;
  subnormal: number;
  nonFinite: number;
  /** Of the weight before the update. */
  wSum: number;
  wSq: number;
  /** The squared size of the update (to `after`). */
  updateSq: number;
  rowSpread: number;
}

/**
 * The gradient's statistics and the weight's sum, sum of squares, update and row spread in one
 * pass: a quick trace reads every parameter of every step, and on a CNN's 4096-wide Linear these
 * passes were most of its statistics. One loop over the weight (its sums, update and columns),
 * one over the gradient, whose histogram counts alternate between two tables, so that a run of
 * gradients in one decade does not wait on its own count. Each sum runs in index order, as
 * separate passes would, so the numbers are the same bits.
 */
function paramPass(grad: FloatArray | null, w: FloatArray, after: FloatArray, shape: readonly number[]): ParamSums {
  const n = w.length;
  const spread = shape.length >= 2 && shape[0] >= 2;
  const rows = spread ? shape[0] : 1;
  const cols = n / rows;
  const colSum = new Float64Array(spread ? cols : 0);
  const colSq = new Float64Array(spread ? cols : 0);
  const bins = new Int32Array(2 * HISTOGRAM_BINS);
  let sumSq = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  let zeros = 0;
  let subnormal = 0;
  let nonFinite = 0;
  let wSum = 0;
  let wSq = 0;
  let updateSq = 0;
  if (spread) {
    for (let i = 0, k = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++, k++) {
        const v = w[k];
        const sq = v * v;
        wSum += v;
        wSq += sq;
        colSum[j] += v;
        colSq[j] += sq;
        const d = after[k] - v;
        updateSq += d * d;
      }
    }
  } else {
    for (let k = 0; k < n; k++) {
      const v = w[k];
      wSum += v;
      wSq += v * v;
      const d = after[k] - v;
      updateSq += d * d;
    }
  }
  if (grad !== null) {
    for (let k = 0; k < n; k++) {
      const g = grad[k];
      bins[(k & 1) * HISTOGRAM_BINS + histogramBin(g)]++;
      if (g - g !== 0) {
        nonFinite++;
        continue;
      }
      const a = Math.abs(g);
      if (a === 0) zeros++;
      else if (a < FLOAT32_MIN_NORMAL) subnormal++;
      sumSq += g * g;
      sumAbs += a;
      if (a > maxAbs) maxAbs = a;
    }
  }
  const histogram = new Array<number>(HISTOGRAM_BINS);
  for (let b = 0; b < HISTOGRAM_BINS; b++) histogram[b] = bins[b] + bins[HISTOGRAM_BINS + b];
  if (grad === null) {
    zeros = n;
    histogram[0] = n;
  }
  let total = 0;
  for (let j = 0; j < colSum.length; j++) {
    const m = colSum[j] / rows;
    total += Math.max(0, colSq[j] / rows - m * m);
  }
  return { histogram, sumSq, sumAbs, maxAbs, zeros, subnormal, nonFinite, wSum, wSq, updateSq, rowSpread: spread ? Math.sqrt(total / cols) : NaN };
}

export function paramStep(grad: FloatArray | null, before: FloatArray, after: FloatArray, shape: readonly number[] = [before.length]): ParamStep {
  const n = after.length;
  const { histogram, sumSq, sumAbs, maxAbs, zeros, subnormal, nonFinite, wSum, wSq, updateSq: dSq, rowSpread: spread } = paramPass(grad, before, after, shape);
  const mean = wSum / n;
  const weightNorm = Math.sqrt(wSq);
  const nonzero = n - zeros - nonFinite;
  return {
    reached: grad !== null,
    gradNorm: Math.sqrt(sumSq),
    gradMeanAbs: sumAbs / n,
    gradMaxAbs: maxAbs,
    zeroFraction: zeros / n,
    subnormalFraction: nonzero > 0 ? subnormal / nonzero : 0,
    nonFinite,
    weightNorm,
    weightMean: mean,
    weightStd: Math.sqrt(Math.max(0, wSq / n - mean * mean)),
    rowSpread: spread,
    updateRatio: weightNorm > 0 ? Math.sqrt(dSq) / weightNorm : Math.sqrt(dSq) > 0 ? Infinity : 0,
    histogram,
  };
}

/**
 * What a dead-unit count counts in an activation's input: channels (axis 1, PyTorch's layout after a
 * convolution) or features (the last axis, after a Linear, also on a sequence). Inputs of one sample
 * axis have only features.
 */
export type UnitAxis = 'channel' | 'feature';

/**
 * Share of units (channels or features) active on fewer than `DEAD_UNIT_ACTIVITY` of their entries:
 * a channel is dead when no position of it is active on any sample.
 */
function deadUnitShare(active: Float64Array, sampleShape: readonly number[], samples: number, axis: UnitAxis): { share: number; units: number } {
  const positions = active.length;
  if (!positions) return { share: 0, units: 0 };
  const channels = axis === 'channel' && sampleShape.length >= 2;
  const units = channels ? sampleShape[0] : sampleShape[sampleShape.length - 1] ?? positions;
  if (!(units > 0) || positions % units) return { share: 0, units: 0 };
  const per = positions / units;
  const counts = new Float64Array(units);
  for (let p = 0; p < positions; p++) counts[channels ? Math.floor(p / per) : p % units] += active[p];
  let dead = 0;
  for (let u = 0; u < units; u++) if (counts[u] < DEAD_UNIT_ACTIVITY * samples * per) dead++;
  return { share: dead / units, units };
}

/**
 * One entry per activation layer: several calls of the same layer in a step are pooled. `unitAxis`
 * says, per layer, whether its units are channels or features (features when not given).
 */
export function activationSteps(records: readonly ActivationStats[], unitAxis: (layer: string) => UnitAxis = () => 'feature'): ActivationStep[] {
  const byLayer = new Map<string, ActivationStats[]>();
  for (const r of records) {
    const key = `${r.layer ?? ''}\u0000${r.op}`;
    const list = byLayer.get(key);
    if (list) list.push(r);
    else byLayer.set(key, [r]);
  }
  const out: ActivationStep[] = [];
  for (const list of byLayer.values()) {
    const first = list[0];
    let entries = 0;
    let saturated = 0;
    let flat = 0;
    let zero = 0;
    let samples = 0;
    let sum = 0;
    let sumSq = 0;
    let maxAbs = 0;
    const active = new Float64Array(first.units);
    for (const r of list) {
      const n = r.samples * r.units;
      entries += n;
      saturated += r.saturated;
      flat += r.flat;
      zero += r.zeroDerivative;
      samples += r.samples;
      sum += r.inputMean * n;
      sumSq += (r.inputStd * r.inputStd + r.inputMean * r.inputMean) * n;
      maxAbs = Math.max(maxAbs, r.inputMaxAbs);
      if (r.units === first.units) for (let u = 0; u < r.units; u++) active[u] += r.activePerUnit[u];
    }
    const axis = unitAxis(first.layer ?? '');
    const dead = deadUnitShare(active, first.sampleShape, samples, axis);
    const mean = entries ? sum / entries : 0;
    out.push({
      layer: first.layer ?? '',
      op: first.op,
      samples,
      units: first.units,
      saturatedShare: entries ? saturated / entries : 0,
      flatShare: entries ? flat / entries : 0,
      deadShare: dead.share,
      deadUnits: axis === 'channel' && first.sampleShape.length >= 2 ? 'channels' : 'units',
      zeroDerivativeShare: entries ? zero / entries : 0,
      inputMean: mean,
      inputStd: entries ? Math.sqrt(Math.max(0, sumSq / entries - mean * mean)) : 0,
      inputMaxAbs: maxAbs,
    });
  }
  return out;
}

/** The last op of each layer is that layer's output; keep its summary. */
export function layerOutputs(summaries: readonly OutputSummary[]): LayerOutputStep[] {
  const last = new Map<string, OutputSummary>();
  for (const s of summaries) if (s.layer !== null && s.layer !== 'loss') last.set(s.layer, s);
  return [...last.values()].map((s) => ({ layer: s.layer ?? '', absMax: s.absMax, mean: s.mean, std: s.std, nonFinite: s.nonFinite }));
}

/**
 * Per layer, the gradient at its output (its last op, the first one backward reaches) and at its
 * input (its first op's data input), in forward order.
 */
export function layerFlow(events: readonly BackwardFlow[]): LayerFlowStep[] {
  const byLayer = new Map<string, LayerFlowStep>();
  for (const e of events) {
    if (e.layer === null || e.layer === 'loss') continue;
    const seen = byLayer.get(e.layer);
    if (!seen) byLayer.set(e.layer, { layer: e.layer, op: e.op, outputGradNorm: e.outputGradNorm, inputGradNorm: e.inputGradNorm });
    else {
      seen.op = e.op;
      seen.inputGradNorm = e.inputGradNorm;
    }
  }
  return [...byLayer.values()].reverse();
}
