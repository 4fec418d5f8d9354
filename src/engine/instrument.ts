/**
 * Summary statistics recorded at the dispatcher, the one choke point every op passes through
 * (tfjs's profileKernel): numbers per op call, never copies of arrays.
 */
import type { FloatArray } from './dtype';
import type { OpKind } from './ops';
import type { ActivationShape, OpDef } from './ops/types';
import { addGradientThroughTime, attentionStats, AttentionStats, isAttentionScores, recurrentStats, RecurrentStats } from './sequence-stats';
import type { Tensor } from './tensor';

export type Phase = 'forward' | 'backward';

export interface OutputSummary {
  op: OpKind;
  layer: string | null;
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Standard deviation of the finite values. */
  std: number;
  absMax: number;
  nonFinite: number;
}

export interface ActivationStats {
  op: OpKind;
  layer: string | null;
  /** Size of the batch dimension (dim 0). */
  samples: number;
  /** Elements per sample. */
  units: number;
  /** The input's shape per sample (without the batch axis): how the units group into channels or features. */
  sampleShape: number[];
  /** Entries whose local derivative is below 1% of its peak. */
  saturated: number;
  /** Entries in the flat region, derivative below 1e-7 (float32 cannot move them back). */
  flat: number;
  /** Entries whose derivative is exactly zero (a ReLU's negative side). */
  zeroDerivative: number;
  /** For each unit, on how many samples its derivative was at least 1% of the peak. */
  activePerUnit: Uint32Array;
  inputMean: number;
  inputStd: number;
  inputMaxAbs: number;
}

export interface NonFiniteOrigin {
  op: OpKind;
  layer: string | null;
  phase: Phase;
  nan: number;
  inf: number;
  /** Largest finite magnitude among the op's inputs: what overflowed. */
  inputMaxAbs: number;
}

/** Gradient flowing through one op in the backward pass: what reached its output and what left for its first input. */
export interface BackwardFlow {
  op: OpKind;
  layer: string | null;
  /** ‖∂loss/∂output‖ */
  outputGradNorm: number;
  /** ‖∂loss/∂input‖ of the op's first input; null when that input needs no gradient (the model input). */
  inputGradNorm: number | null;
}

/** An op with no derivative that a tensor requiring a gradient went into: the gradient stops there. */
export interface GradientStop {
  op: OpKind;
  layer: string | null;
  /** Calls in a row from the same layer (one per time step in a loop). */
  count: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOpDef = OpDef<any, any>;

export const SATURATED_FRACTION_OF_PEAK = 0.01;
export const FLAT_DERIVATIVE = 1e-7;

export function countNonFinite(a: FloatArray): { nan: number; inf: number } {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
    }
  }
  return { nan, inf };
}

function maxAbsFinite(tensors: readonly Tensor[]): number {
  let m = 0;
  for (const t of tensors) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      const a = Math.abs(d[i]);
      if (a > m && a !== Infinity) m = a;
    }
  }
  return m;
}

export function l2Norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function allFinite(arrays: readonly FloatArray[]): boolean {
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}

/**
 * An op's numbers besides its tensors (a scale factor, a fill value) are inputs too: the causal
 * mask's `torch.ones(n, n) * float('-inf')` is Inf by the user's choice, not an overflow.
 */
function attrsFinite(attrs: unknown): boolean {
  if (typeof attrs === 'number') return Number.isFinite(attrs);
  if (attrs === null || typeof attrs !== 'object' || ArrayBuffer.isView(attrs)) return true;
  for (const v of Array.isArray(attrs) ? attrs : Object.values(attrs)) {
    if (typeof v === 'number' ? !Number.isFinite(v) : typeof v === 'object' && v !== null && !attrsFinite(v)) return false;
  }
  return true;
}

export function summarize(op: OpKind, layer: string | null, d: FloatArray): OutputSummary {
  // One pass that assumes every value is finite, without a test per value: a non-finite value (or
  // an overflow) makes the sum of squares non-finite, and only then does the pass below run, which
  // sets non-finite values aside. Sums are taken in the same order either way, so the numbers are
  // the same bits as that pass's.
  const n = d.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    min = v < min ? v : min;
    max = v > max ? v : max;
    sum += v;
    sumSq += v * v;
  }
  if (n && Number.isFinite(sumSq) && Number.isFinite(sum)) {
    const mean = sum / n;
    // The largest magnitude of finite values is at one end of their range.
    const absMax = Math.max(Math.abs(min), Math.abs(max));
    return { op, layer, count: n, min, max, mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), absMax, nonFinite: 0 };
  }
  return summarizeWithNonFinite(op, layer, d);
}

/** The careful pass, non-finite values set aside one by one: summarize's own when a value is not finite. */
export function summarizeWithNonFinite(op: OpKind, layer: string | null, d: FloatArray): OutputSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let absMax = 0;
  let nonFinite = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSq += v * v;
    // Math.abs, not a sign test: values of random sign would mispredict that branch half the time.
    const a = Math.abs(v);
    if (a > absMax) absMax = a;
  }
  const finite = d.length - nonFinite;
  const mean = finite ? sum / finite : 0;
  const std = finite ? Math.sqrt(Math.max(0, sumSq / finite - mean * mean)) : 0;
  return { op, layer, count: d.length, min, max, mean, std, absMax, nonFinite };
}

/**
 * @param known the input's summary when an earlier op produced it and it holds no non-finite
 *   value: its mean, spread and largest magnitude are then the ones this pass would compute (same
 *   sums in the same order), so they are not summed again.
 */
export function activationStats(op: OpKind, layer: string | null, x: Tensor, shape: ActivationShape, known?: OutputSummary): ActivationStats {
  const samples = x.rank > 1 ? x.shape[0] : 1;
  const units = samples ? x.size / samples : 0;
  const activePerUnit = new Uint32Array(units);
  const threshold = shape.peak * SATURATED_FRACTION_OF_PEAK;
  let saturated = 0;
  let flat = 0;
  let zeroDerivative = 0;
  let sum = 0;
  let sumSq = 0;
  let maxAbs = 0;
  const d = x.data;
  const step = shape.zeroAtOrBelow;
  const reuse = known !== undefined && known.nonFinite === 0 && known.count === d.length && d.length > 0;
  if (step !== undefined && shape.peak > 0) {
    // A step derivative (ReLU): 0 at or below `step` (saturated, flat and exactly zero at once),
    // the peak above it (none of these).
    for (let s = 0, i = 0; s < samples; s++) {
      for (let u = 0; u < units; u++, i++) {
        const sat = +(d[i] <= step);
        saturated += sat;
        activePerUnit[u] += 1 - sat;
      }
    }
    flat = saturated;
    zeroDerivative = saturated;
    if (!reuse) {
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        sum += v;
        sumSq += v * v;
        const a = Math.abs(v);
        if (a > maxAbs) maxAbs = a;
      }
    }
  } else {
    for (let s = 0, i = 0; s < samples; s++) {
      for (let u = 0; u < units; u++, i++) {
        const v = d[i];
        sum += v;
        sumSq += v * v;
        const a = Math.abs(v);
        if (a > maxAbs) maxAbs = a;
        // Counted without branches: whether a unit is saturated is as random as the sign of its input.
        const g = shape.derivative(v);
        const sat = +(g < threshold);
        saturated += sat;
        flat += sat & +(g < FLAT_DERIVATIVE);
        zeroDerivative += sat & +(g === 0);
        activePerUnit[u] += 1 - sat;
      }
    }
  }
  const n = d.length || 1;
  const mean = reuse ? known.mean : sum / n;
  return {
    op,
    layer,
    samples,
    units,
    sampleShape: x.rank > 1 ? x.shape.slice(1) : [...x.shape],
    saturated,
    flat,
    zeroDerivative,
    activePerUnit,
    inputMean: mean,
    inputStd: reuse ? known.std : Math.sqrt(Math.max(0, sumSq / n - mean * mean)),
    inputMaxAbs: reuse ? known.absMax : maxAbs,
  };
}

/** Collects statistics for the ops of one step; the trace reads and resets it between steps. */
export class Instrument {
  outputs: OutputSummary[] = [];
  activations: ActivationStats[] = [];
  firstNonFinite: NonFiniteOrigin | null = null;
  flow: BackwardFlow[] = [];
  /** Record per-op output summaries (the activation statistics and non-finite origin are always kept). */
  constructor(readonly keepOutputSummaries = true) {}

  reset(): void {
    this.outputs = [];
    this.activations = [];
    this.firstNonFinite = null;
    this.flow = [];
    this.lastInputGrad = null;
    this.gradientStops = [];
    this.recurrent = [];
    this.attention = [];
    this.recurrentBySaved = new WeakMap();
    this.summaryOf = new WeakMap();
  }

  /** Ops that cut the gradient (argmax, a comparison, detach, a cast to int) applied to a tensor that required one. */
  gradientStops: GradientStop[] = [];
  /** Recurrent ops: gate saturation, and after the backward the gradient at each time step. */
  recurrent: RecurrentStats[] = [];
  /** Attention softmaxes: the entropy of their rows per head. */
  attention: AttentionStats[] = [];
  /** A recurrent op's saved state → its stats, so the backward can add the gradient through time. */
  private recurrentBySaved = new WeakMap<object, RecurrentStats>();

  /**
   * Each op output's summary with the values it summarised (their array and version): an
   * activation reading that output later takes its mean, spread and largest magnitude from here
   * rather than summing the same values again, unless they were written since.
   */
  private summaryOf = new WeakMap<Tensor, { summary: OutputSummary; data: FloatArray; counter: object; version: number }>();

  private knownSummary(t: Tensor): OutputSummary | undefined {
    const k = this.summaryOf.get(t);
    return k && k.data === t.data && k.counter === t.counter && k.version === t.counter.value ? k.summary : undefined;
  }

  onForward(op: OpKind, layer: string | null, inputs: readonly Tensor[], out: Tensor, def: AnyOpDef, saved: unknown, attrs: unknown): void {
    const activation = def.activation?.(attrs);
    if (activation && inputs.length) this.activations.push(activationStats(op, layer, inputs[0], activation, this.knownSummary(inputs[0])));
    if (def.recurrent) {
      const stats = recurrentStats(op, layer, def.recurrent(saved, attrs), out);
      this.recurrent.push(stats);
      this.recurrentBySaved.set(saved as object, stats);
    }
    if (op === 'softmax' && (attrs as { axis: number }).axis === out.rank - 1 && isAttentionScores(inputs[0])) {
      this.attention.push(attentionStats(op, layer, inputs[0], out));
    }
    const s = summarize(op, layer, out.data);
    this.summaryOf.set(out, { summary: s, data: out.data, counter: out.counter, version: out.counter.value });
    if (this.keepOutputSummaries) this.outputs.push(s);
    if (s.nonFinite && !this.firstNonFinite && allFinite(inputs.map((t) => t.data)) && attrsFinite(attrs)) {
      const { nan, inf } = countNonFinite(out.data);
      this.firstNonFinite = { op, layer, phase: 'forward', nan, inf, inputMaxAbs: maxAbsFinite(inputs) };
    }
  }

  /** The first input's gradient of the last onBackward and its norm, until something adds into it (gradientAdded). */
  private lastInputGrad: FloatArray | null = null;
  private lastInputGradNorm = 0;

  /** A backward walk starts: a gradient of the walk before may since have gone back to the buffer pool and come out again. */
  backwardStarts(): void {
    this.lastInputGrad = null;
  }

  /**
   * The backward walk added another op's gradient into `g`, a gradient in flight (a tensor read by
   * several ops, or twice by one): a norm measured before is no longer its norm.
   */
  gradientAdded(g: FloatArray): void {
    if (g === this.lastInputGrad) this.lastInputGrad = null;
  }

  onGradientStop(op: OpKind, layer: string | null): void {
    const last = this.gradientStops[this.gradientStops.length - 1];
    if (last && last.op === op && last.layer === layer) last.count++;
    else this.gradientStops.push({ op, layer, count: 1 });
  }

  onBackward(
    op: OpKind,
    layer: string | null,
    gy: FloatArray,
    inputs: readonly Tensor[],
    grads: readonly (FloatArray | null)[],
    def: AnyOpDef,
    saved: unknown,
    attrs: unknown,
  ): void {
    if (def.recurrent) {
      const stats = this.recurrentBySaved.get(saved as object);
      if (stats) addGradientThroughTime(stats, def.recurrent(saved, attrs));
    }
    // In a chain of ops the gradient an op passes to its input is the next op's gy, unchanged: its
    // norm, measured at the op before, is not summed again (nor a gradient passed on as it came).
    // A user's custom backward may write into the gy it was given, so its gy is always measured.
    const outputGradNorm = gy === this.lastInputGrad && op !== 'custom' ? this.lastInputGradNorm : l2Norm(gy);
    const g0 = grads[0];
    const inputGradNorm = g0 ? (g0 === gy && op !== 'custom' ? outputGradNorm : l2Norm(g0)) : null;
    this.lastInputGrad = op === 'custom' ? null : g0;
    this.lastInputGradNorm = inputGradNorm ?? 0;
    this.flow.push({ op, layer, outputGradNorm, inputGradNorm });
    if (this.firstNonFinite) return;
    for (let k = 0; k < grads.length; k++) {
      const g = grads[k];
      if (!g) continue;
      // A finite sum of squares has no NaN or infinity in it: the first input's gradient, just
      // measured, is not read again for them.
      if (k === 0 && Number.isFinite(inputGradNorm)) continue;
      const { nan, inf } = countNonFinite(g);
      if (nan + inf === 0) continue;
      if (allFinite([gy, ...inputs.map((t) => t.data)])) {
        this.firstNonFinite = { op, layer, phase: 'backward', nan, inf, inputMaxAbs: maxAbsFinite(inputs) };
      }
      return;
    }
  }
}
