/**
 * One row per parameter for the sidebar: its latest gradient norm, the norms over the trace, and
 * its health, trouble first. The health is the analyse step's (src/rules/health.ts), judged with
 * the user's thresholds; this page only arranges it.
 */
import type { FindingView, LayerRangeView, RangeView } from '../../src/protocol';
import { HEALTH_ORDER, type Health, type ParamHealth } from '../../src/rules/health';
import type { Trace } from '../../src/trace/types';

export { HEALTH_ORDER, type Health };

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

/** The health of each parameter by name, from the host's judgement (a parameter it did not judge counts as not traced). */
export function healthByName(health: readonly ParamHealth[]): (name: string) => ParamHealth {
  const by = new Map(health.map((h) => [h.name, h]));
  return (name) => by.get(name) ?? { name, health: 'healthy', reason: 'not traced yet' };
}

export function paramRows(trace: Trace, findings: FindingView[], health: readonly ParamHealth[], layers: LayerRangeView[] = []): ParamRow[] {
  const layerAt = new Map(layers.map((l) => [l.path, l]));
  const judged = healthByName(health);
  const rows = trace.params.map((p, i): ParamRow => {
    const steps = trace.steps.map((s) => s.params[i]).filter((s) => s !== undefined);
    const norms = steps.map((s) => (s.reached ? s.gradNorm : 0));
    const last = steps[steps.length - 1];
    const onLayer = findings.filter((f) => f.layer === p.layer);
    const at = layerAt.get(p.layer) ?? onLayer[0];
    const { health: status, reason } = judged(p.name);
    return {
      name: p.name,
      layer: p.layer,
      shape: p.shape,
      norm: last ? (last.reached ? last.gradNorm : 0) : NaN,
      norms,
      health: status,
      reason,
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
