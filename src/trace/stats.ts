/** Turns one step's gradients, weights and instrument records into the trace's summaries. */
import type { FloatArray } from '../engine';
import type { ActivationStats, BackwardFlow, OutputSummary } from '../engine/instrument';
import { ActivationStep, HISTOGRAM_BINS, HISTOGRAM_DECADES, LayerFlowStep, LayerOutputStep, ParamStep } from './types';

/** Smallest positive normal float32; below it float32 loses precision and flushes towards zero. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
/** A unit is dead when it is active on fewer than this share of samples. */
export const DEAD_UNIT_ACTIVITY = 0.01;

export { l2Norm as norm } from '../engine/instrument';

export function histogramBin(v: number): number {
  if (v === 0) return 0;
  if (!Number.isFinite(v)) return HISTOGRAM_BINS - 1;
  const decade = Math.floor(Math.log10(Math.abs(v)));
  const clamped = Math.min(Math.max(decade, HISTOGRAM_DECADES.from), HISTOGRAM_DECADES.to);
  return 1 + clamped - HISTOGRAM_DECADES.from;
}

export function paramStep(grad: FloatArray | null, before: FloatArray, after: FloatArray): ParamStep {
  const n = after.length;
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  let sumSq = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  let zeros = 0;
  let subnormal = 0;
  let nonFinite = 0;
  if (grad) {
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      histogram[histogramBin(g)]++;
      if (!Number.isFinite(g)) {
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
  } else {
    zeros = n;
    histogram[0] = n;
  }
  let wSum = 0;
  let wSq = 0;
  let dSq = 0;
  for (let i = 0; i < n; i++) {
    const w = before[i];
    wSum += w;
    wSq += w * w;
    const d = after[i] - w;
    dSq += d * d;
  }
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
    updateRatio: weightNorm > 0 ? Math.sqrt(dSq) / weightNorm : Math.sqrt(dSq) > 0 ? Infinity : 0,
    histogram,
  };
}

/** One entry per activation layer: several calls of the same layer in a step are pooled. */
export function activationSteps(records: readonly ActivationStats[]): ActivationStep[] {
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
    let dead = 0;
    for (let u = 0; u < first.units; u++) if (active[u] < DEAD_UNIT_ACTIVITY * samples) dead++;
    const mean = entries ? sum / entries : 0;
    out.push({
      layer: first.layer ?? '',
      op: first.op,
      samples,
      units: first.units,
      saturatedShare: entries ? saturated / entries : 0,
      flatShare: entries ? flat / entries : 0,
      deadShare: first.units ? dead / first.units : 0,
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
  return [...last.values()].map((s) => ({ layer: s.layer ?? '', absMax: s.absMax, mean: s.mean, nonFinite: s.nonFinite }));
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
