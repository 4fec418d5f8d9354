/**
 * One row per parameter for the sidebar: its latest gradient norm, the norms over the trace, and
 * a health status, trouble first. The findings (which follow the user's thresholds) decide first;
 * the numbers decide for parameters no finding names.
 */
import type { FindingView, LayerRangeView, RangeView } from '../../src/protocol';
import { DEFAULT_CONFIG } from '../../src/rules/config';
import type { Trace } from '../../src/trace/types';

/** Worst first: the order rows are sorted in. */
export const HEALTH_ORDER = ['nan', 'zero', 'exploding', 'vanishing', 'healthy'] as const;
export type Health = (typeof HEALTH_ORDER)[number];

export const HEALTH_LABEL: Record<Health, string> = {
  nan: 'NaN / Inf gradient',
  zero: 'zero gradient',
  exploding: 'exploding gradient',
  vanishing: 'vanishing gradient',
  healthy: 'healthy',
};

export interface ParamRow {
  name: string;
  layer: string;
  shape: number[];
  /** ‖∇‖ at the last recorded step (NaN when there is none). */
  norm: number;
  /** ‖∇‖ per step, for the sparkline. */
  norms: number[];
  health: Health;
  /** Why this status, in the user's words (a finding's message, or the measured number). */
  reason: string;
  /** Where to reveal: the layer's own range, else the range of a finding on the layer. */
  range: RangeView | null;
  /** The file of `range` when it is not the one shown (a training run's .py file). */
  uri?: string;
  /** Findings on this parameter's layer, whatever their rule (a cause like initialisation too). */
  findings: FindingView[];
}

/** Which health a finding on a parameter's layer implies (rules about the cause, not the symptom, imply none). */
const RULE_HEALTH: Partial<Record<string, Health>> = {
  'non-finite': 'nan',
  'disconnected-parameter': 'zero',
  'exploding-gradient': 'exploding',
  'vanishing-gradient': 'vanishing',
  underflow: 'vanishing',
};

export function paramRows(trace: Trace, findings: FindingView[], layers: LayerRangeView[] = []): ParamRow[] {
  const layerAt = new Map(layers.map((l) => [l.path, l]));
  const rows = trace.params.map((p, i): ParamRow => {
    const steps = trace.steps.map((s) => s.params[i]).filter((s) => s !== undefined);
    const norms = steps.map((s) => (s.reached ? s.gradNorm : 0));
    const last = steps[steps.length - 1];
    const onLayer = findings.filter((f) => f.layer === p.layer);
    let health: Health = 'healthy';
    let reason = '';
    const worse = (h: Health, why: string) => {
      if (HEALTH_ORDER.indexOf(h) < HEALTH_ORDER.indexOf(health)) {
        health = h;
        reason = why;
      }
    };
    for (const f of onLayer) {
      const h = RULE_HEALTH[f.rule];
      if (h) worse(h, f.message);
    }
    const nonFiniteStep = steps.findIndex((s) => s.nonFinite > 0 || !Number.isFinite(s.gradNorm));
    if (nonFiniteStep >= 0) worse('nan', `non-finite gradient from step ${trace.steps[nonFiniteStep].step}`);
    if (last && (!last.reached || last.gradNorm === 0)) {
      worse('zero', last.reached ? 'gradient exactly zero at the last step' : 'no path from this parameter to the loss');
    }
    if (last && last.gradNorm > DEFAULT_CONFIG.explodingGradient.normBound) {
      worse('exploding', `‖∇‖ = ${last.gradNorm.toExponential(2)} above ${DEFAULT_CONFIG.explodingGradient.normBound}`);
    }
    if (last && last.reached && last.gradMeanAbs > 0 && last.gradMeanAbs < DEFAULT_CONFIG.vanishingGradient.meanAbs) {
      worse('vanishing', `mean |∇| = ${last.gradMeanAbs.toExponential(2)} below ${DEFAULT_CONFIG.vanishingGradient.meanAbs}`);
    }
    const at = layerAt.get(p.layer) ?? onLayer[0];
    return {
      name: p.name,
      layer: p.layer,
      shape: p.shape,
      norm: last ? (last.reached ? last.gradNorm : 0) : NaN,
      norms,
      health,
      reason: reason || (last ? 'gradient within the thresholds' : 'not traced yet'),
      range: at?.range ?? null,
      ...(at?.uri ? { uri: at.uri } : {}),
      findings: onLayer,
    };
  });
  // Stable sort: trouble first (by status, then by the worst finding on the layer), model order within.
  return rows
    .map((r, i) => ({ r, i, f: worstFinding(r.findings) }))
    .sort((a, b) => HEALTH_ORDER.indexOf(a.r.health) - HEALTH_ORDER.indexOf(b.r.health) || a.f - b.f || a.i - b.i)
    .map(({ r }) => r);
}

const SEVERITY_RANK: Record<FindingView['severity'], number> = { error: 0, warning: 1, info: 2 };

/** 0 for an error, 1 a warning, 2 info, 3 none. */
export function worstFinding(findings: FindingView[]): number {
  return Math.min(3, ...findings.map((f) => SEVERITY_RANK[f.severity]));
}

/**
 * Sparkline points in a w×h box: log10 of the norm, so a fading gradient still shows; zeros and
 * non-finite values sit on the floor and are reported as marks.
 */
export function sparkline(norms: number[], w: number, h: number): { points: string; marks: { x: number; y: number }[] } {
  const logs = norms.map((n) => (n > 0 && Number.isFinite(n) ? Math.log10(n) : null));
  const finite = logs.filter((v): v is number => v !== null);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const span = hi - lo;
  const pad = 1.5;
  const x = (i: number) => (norms.length > 1 ? pad + (i / (norms.length - 1)) * (w - 2 * pad) : w / 2);
  // A flat trace draws through the middle; the floor is kept for zeros.
  const y = (v: number | null) => (v === null ? h - pad : span === 0 ? h / 2 : h - pad - ((v - lo) / span) * (h - 2 * pad));
  const pts: string[] = [];
  const marks: { x: number; y: number }[] = [];
  logs.forEach((v, i) => {
    const px = Number(x(i).toFixed(1));
    const py = Number(y(v).toFixed(1));
    pts.push(`${px},${py}`);
    if (v === null) marks.push({ x: px, y: py });
  });
  return { points: pts.join(' '), marks };
}
