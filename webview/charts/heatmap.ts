/**
 * The overview of a whole trace: log10 of each parameter's gradient norm per step, one row per
 * parameter (worst first), one column per step. It stays readable at 160 parameters where one line
 * per parameter does not. Exact zeros and NaN/Inf get colours of their own, never a value's.
 */
import type { Trace } from '../../src/trace/types';
import type { ChartTheme } from './theme';

export interface HeatmapRow {
  name: string;
  /** log10 ‖∇‖ per step; null for an exact zero (or no gradient reached it); NaN for a non-finite norm. */
  values: (number | null)[];
}

export interface HeatmapData {
  rows: HeatmapRow[];
  steps: number[];
  /** Range of the finite log values, for the colour scale. */
  min: number;
  max: number;
}

/** Rows in the order of `names` (e.g. worst first), from the trace's per-step norms. */
export function heatmapData(trace: Trace, names: readonly string[]): HeatmapData {
  const index = new Map(trace.params.map((p, i) => [p.name, i]));
  let min = Infinity;
  let max = -Infinity;
  const rows = names.flatMap((name): HeatmapRow[] => {
    const i = index.get(name);
    if (i === undefined) return [];
    const values = trace.steps.map((s) => {
      const p = s.params[i];
      if (!p || !p.reached || p.gradNorm === 0) return null;
      if (!Number.isFinite(p.gradNorm)) return NaN;
      const v = Math.log10(p.gradNorm);
      min = Math.min(min, v);
      max = Math.max(max, v);
      return v;
    });
    return [{ name, values }];
  });
  if (min > max) [min, max] = [0, 0];
  return { rows, steps: trace.steps.map((s) => s.step), min, max };
}

/** A perceptually even dark-to-bright scale (viridis' ends and middle), readable in light and dark themes. */
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function scaleColor(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The colour of one cell: the scale for a value, the theme's muted grey for zero, its alert colour for NaN/Inf. */
export function cellColor(v: number | null, data: Pick<HeatmapData, 'min' | 'max'>, theme: ChartTheme): string {
  if (v === null) return theme.dead;
  if (Number.isNaN(v)) return theme.alert;
  return scaleColor(data.max > data.min ? (v - data.min) / (data.max - data.min) : 0.5);
}

