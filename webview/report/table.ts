/**
 * The report's parameter table, in model order: what each parameter's gradient did over the trace
 * and its health. The status is the analyse step's (src/rules/health.ts), judged with the thresholds
 * the findings were, as the sidebar shows it.
 */
import type { ParamHealth } from '../../src/rules/health';
import type { Trace } from '../../src/trace/types';
import { healthByName, type Health } from '../shared/param-health';

export interface ParamTableRow {
  name: string;
  layer: string;
  shape: number[];
  /** ‖∇‖ at the last step (0 when backward never reached it, NaN with no steps). */
  lastNorm: number;
  /** Over the steps, finite values only (NaN when none is finite). */
  minNorm: number;
  maxNorm: number;
  /** ‖Δw‖/‖w‖ at the last step. */
  updateRatio: number;
  /** Share of exactly-zero gradient entries at the last step. */
  zeroFraction: number;
  health: Health;
  reason: string;
}

/** Short status words for the table; the reason says the rest. */
export const HEALTH_WORD: Record<Health, string> = {
  healthy: 'healthy',
  vanishing: 'vanishing',
  exploding: 'exploding',
  zero: 'zero',
  nan: 'NaN',
};

export function paramTable(trace: Trace, health: readonly ParamHealth[]): ParamTableRow[] {
  const judged = healthByName(health);
  const last = trace.steps[trace.steps.length - 1];
  return trace.params.map((p, i): ParamTableRow => {
    const norms = trace.steps.map((s) => s.params[i]).filter((s) => s !== undefined).map((s) => (s.reached ? s.gradNorm : 0));
    const finite = norms.filter((n) => Number.isFinite(n));
    const l = last?.params[i];
    const row = judged(p.name);
    return {
      name: p.name,
      layer: p.layer,
      shape: p.shape,
      lastNorm: l ? (l.reached ? l.gradNorm : 0) : NaN,
      minNorm: finite.length ? Math.min(...finite) : NaN,
      maxNorm: finite.length ? Math.max(...finite) : NaN,
      updateRatio: l ? l.updateRatio : NaN,
      zeroFraction: l ? l.zeroFraction : NaN,
      health: row.health,
      reason: row.reason,
    };
  });
}
