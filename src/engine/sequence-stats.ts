/**
 * What the instrument measures on sequence models, from what the ops already hold: a recurrent op's
 * gate saturation and the gradient that reached each time step (vanishing or exploding through
 * time), and the entropy of attention's softmax rows (an attention head collapsed onto one key).
 */
import type { FloatArray } from './dtype';
import { FLAT_DERIVATIVE, SATURATED_FRACTION_OF_PEAK } from './instrument';
import type { OpKind } from './ops';
import type { RecurrentView } from './ops/types';
import type { Tensor } from './tensor';

export interface GateStats {
  kind: 'sigmoid' | 'tanh';
  /** Gate entries (all steps, samples and units). */
  count: number;
  /** Entries whose derivative is below 1% of its peak (sigmoid output within 0.01 of 0 or 1 … tanh within 0.005 of ±1). */
  saturated: number;
  /** Entries whose derivative is below 1e-7: nothing passes back through them. */
  flat: number;
}

/** One recurrent op (one direction of one layer) in one step of the trace. */
export interface RecurrentStats {
  op: OpKind;
  layer: string | null;
  steps: number;
  reverse: boolean;
  gates: GateStats[];
  /** First time step (in time order) whose hidden state holds a NaN or ±inf; null when none does. */
  firstNonFiniteStep: number | null;
  /** ‖∂loss/∂h_t‖ per time step in time order, once the backward has run; null before it. */
  hiddenGradNorms: number[] | null;
  /** First time step the backward reached (from the last one back) whose gradient was not finite. */
  firstNonFiniteGradStep: number | null;
}

function gateDerivative(kind: 'sigmoid' | 'tanh', y: number): number {
  return kind === 'sigmoid' ? y * (1 - y) : 1 - y * y;
}

const PEAK = { sigmoid: 0.25, tanh: 1 };

export function recurrentStats(op: OpKind, layer: string | null, view: RecurrentView, out: Tensor): RecurrentStats {
  const gates: GateStats[] = [];
  for (const g of view.gates) {
    let s = gates.find((x) => x.kind === g.kind);
    if (!s) gates.push((s = { kind: g.kind, count: 0, saturated: 0, flat: 0 }));
    const threshold = PEAK[g.kind] * SATURATED_FRACTION_OF_PEAK;
    const v = g.values;
    for (let row = 0; row < v.length; row += g.width) {
      for (let j = row + g.start; j < row + g.start + g.count; j++) {
        const d = gateDerivative(g.kind, v[j]);
        s.count++;
        if (d < threshold) {
          s.saturated++;
          if (d < FLAT_DERIVATIVE) s.flat++;
        }
      }
    }
  }
  const perStep = out.size / view.steps;
  const d = out.data;
  let firstNonFiniteStep: number | null = null;
  for (let t = 0; t < view.steps && firstNonFiniteStep === null; t++) {
    for (let i = t * perStep; i < (t + 1) * perStep; i++) {
      if (d[i] - d[i] !== 0) {
        firstNonFiniteStep = t;
        break;
      }
    }
  }
  return { op, layer, steps: view.steps, reverse: view.reverse, gates, firstNonFiniteStep, hiddenGradNorms: null, firstNonFiniteGradStep: null };
}

/** Fills in what the backward measured: the gradient norm per step and where it first broke. */
export function addGradientThroughTime(stats: RecurrentStats, view: RecurrentView): void {
  const norms = view.hiddenGradNorms;
  if (!norms) return;
  stats.hiddenGradNorms = Array.from(norms);
  // the backward walks time backwards (forwards for the reverse direction)
  for (let k = 0; k < norms.length; k++) {
    const t = view.reverse ? k : norms.length - 1 - k;
    if (!Number.isFinite(norms[t])) {
      stats.firstNonFiniteGradStep = t;
      break;
    }
  }
}

// ── attention ──────────────────────────────────────────────────────────────

export interface HeadEntropy {
  /** Rows (query positions × samples) with at least two keys to choose from. */
  rows: number;
  /** Mean entropy of the attention rows in nats. */
  meanEntropy: number;
  /** Mean of each row's entropy divided by log(keys it could attend to): 1 is uniform, 0 one-hot. */
  meanNormalizedEntropy: number;
  /** Share of rows that put at least 99% of their weight on one key. */
  collapsedShare: number;
  /** Mean of each row's largest weight. */
  meanMaxWeight: number;
}

/** The entropy of one attention softmax's rows, per head. */
export interface AttentionStats {
  op: OpKind;
  layer: string | null;
  heads: number;
  /** Keys per row (the softmax axis' length). */
  keys: number;
  perHead: HeadEntropy[];
}

/** A row at least this concentrated on one key counts as collapsed. */
export const COLLAPSED_ROW_WEIGHT = 0.99;

/** Ops that pass attention scores along unchanged in kind: scaling, masking, adding a mask. */
const SCORE_OPS = new Set<OpKind>(['scale', 'div', 'mul', 'add', 'sub', 'where', 'to_dtype', 'reshape', 'take', 'transpose']);

/** Whether t is a parameter, or a view of one (W.t(), W.view(…)): a weight, not an activation. */
function fromParameter(t: Tensor): boolean {
  let at: Tensor | null = t;
  for (let depth = 0; depth < 4 && at; depth++) {
    if (at.name !== null) return true;
    const node: Tensor['node'] = at.node;
    if (!node || !['transpose', 'take', 'reshape', 'to_dtype'].includes(node.kind)) return false;
    at = node.inputs[0];
  }
  return false;
}

/**
 * Whether a softmax's input is attention scores: within a few scaling and masking ops of a matmul
 * of two activations (q·kᵀ), not of an activation and a weight (a classifier's logits come from
 * a linear op or a matmul with a parameter).
 */
export function isAttentionScores(x: Tensor): boolean {
  let t: Tensor | null = x;
  for (let depth = 0; depth < 6 && t?.node; depth++) {
    const node: NonNullable<Tensor['node']> = t.node;
    if (node.kind === 'matmul') return !node.inputs.some(fromParameter);
    if (!SCORE_OPS.has(node.kind)) return false;
    // follow the operand that carries the scores (the one produced by an op)
    t = node.inputs.find((i) => i.node !== null && i.isFloatingPoint) ?? null;
  }
  return false;
}

/**
 * Entropy per head of softmax rows along the last axis. A 4-D input is (batch, heads, queries,
 * keys), as hand-written and the engine's MultiheadAttention attention are; other ranks are one head.
 * The keys a row could attend to are those whose score is not −inf (masked), read from the scores.
 */
export function attentionStats(op: OpKind, layer: string | null, scores: Tensor, probs: Tensor): AttentionStats {
  const keys = probs.shape[probs.rank - 1] ?? 1;
  const heads = probs.rank === 4 ? probs.shape[1] : 1;
  const queries = probs.rank === 4 ? probs.shape[2] : 1;
  const acc = Array.from({ length: heads }, () => ({ rows: 0, entropy: 0, normalized: 0, collapsed: 0, maxWeight: 0 }));
  const p: FloatArray = probs.data;
  const s: FloatArray = scores.data;
  const rows = keys ? p.length / keys : 0;
  for (let r = 0; r < rows; r++) {
    let h = 0;
    let open = 0;
    let max = 0;
    let finite = true;
    for (let k = r * keys; k < (r + 1) * keys; k++) {
      const v = p[k];
      if (v !== v) finite = false;
      if (v > 0) h -= v * Math.log(v);
      if (v > max) max = v;
      if (s[k] !== -Infinity) open++;
    }
    // a row with one key to attend to (the first of a causal mask) has no choice to collapse
    if (!finite || open < 2) continue;
    const a = acc[heads > 1 ? Math.floor(r / queries) % heads : 0];
    a.rows++;
    a.entropy += h;
    a.normalized += h / Math.log(open);
    a.maxWeight += max;
    if (max >= COLLAPSED_ROW_WEIGHT) a.collapsed++;
  }
  return {
    op,
    layer,
    heads,
    keys,
    perHead: acc.map((a) => ({
      rows: a.rows,
      meanEntropy: a.rows ? a.entropy / a.rows : 0,
      meanNormalizedEntropy: a.rows ? a.normalized / a.rows : 0,
      collapsedShare: a.rows ? a.collapsed / a.rows : 0,
      meanMaxWeight: a.rows ? a.maxWeight / a.rows : 0,
    })),
  };
}
