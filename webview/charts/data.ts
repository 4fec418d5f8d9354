/**
 * A trace turned into what the charts draw, with no Chart.js and no DOM, so it is tested in node
 * and shared by the report and the VS Code panel.
 *
 * Log axes cannot show zero, and a vanished gradient is exactly what the user is looking for, so
 * zeros are drawn on a floor a decade below the smallest positive value and non-finite values on a
 * ceiling a decade above the largest, each with its own marker; every point keeps its true value
 * for the tooltip.
 */
import { shortNumber } from '../../src/numbers';
import type { Health, ParamHealth } from '../../src/rules/health';
import type { ParamStep, Trace } from '../../src/trace/types';

/** `zero`: exactly 0 (drawn on the floor). `non-finite`: NaN/±Inf, or NaN/Inf entries behind a norm (drawn on the ceiling). */
export type PointMark = 'value' | 'zero' | 'non-finite';

export interface LogPoint {
  /** The step number. */
  x: number;
  /** Where it is drawn: the value itself, or the floor / ceiling. */
  y: number;
  /** The measured value, for the tooltip. */
  value: number;
  mark: PointMark;
  /** Why it is marked, in the user's words ("no path to the loss", "3 NaN/Inf entries"). */
  note?: string;
}

export interface LogSeries {
  /** named_parameters() name, e.g. "0.weight". */
  label: string;
  layer: string;
  points: LogPoint[];
}

export interface LogChartData {
  series: LogSeries[];
  /** Where zeros are drawn: a power of ten a decade below the smallest positive value. */
  floor: number;
  /** Where non-finite values are drawn: a power of ten a decade above the largest finite value. */
  ceiling: number;
  hasZero: boolean;
  hasNonFinite: boolean;
  /** y axis range: whole decades around the values, with room for the floor and ceiling markers. */
  min: number;
  max: number;
}

export interface FlowBar {
  /** "0 Linear" */
  label: string;
  layer: string;
  param: string;
  y: number;
  /** Mean |∇| of the layer's weight at the last step. */
  value: number;
  /** ‖∇‖ of the same weight, for the tooltip. */
  norm: number;
  mark: PointMark;
  note?: string;
  /** The weight's health as the host judged it (with the user's thresholds), and why when it is not healthy. */
  health: Health;
  reason?: string;
}

export interface FlowChartData {
  bars: FlowBar[];
  /** The step the bars show (the last recorded one), or null for an empty trace. */
  step: number | null;
  floor: number;
  ceiling: number;
  hasZero: boolean;
  hasNonFinite: boolean;
  /** y axis range. Bars grow from the bottom, so it starts a decade below the smallest bar (or below the floor). */
  min: number;
  max: number;
}

export interface ActivationBar {
  /** "1 Sigmoid" */
  label: string;
  layer: string;
  op: string;
  /** Mean over the steps of the share of saturated entries, in percent (what the saturated-activation rule reports). */
  saturated: number;
  /**
   * Mean over the steps of the share of entries in the flat region (derivative below 1e-7), in
   * percent: the part of `saturated` that float32 cannot move back (the hover's second number).
   */
  flat: number;
  /**
   * Mean over the steps of the share of units that are saturated or off on every sample of the
   * batch, in percent (what the dead-relu rule reports). A unit, not an entry: a layer can have
   * 88% of its entries saturated and 40% of its units saturated on every sample.
   */
  dead: number;
  steps: number;
}

export interface ChartData {
  steps: number[];
  gradNorm: LogChartData;
  updateRatio: LogChartData;
  gradientFlow: FlowChartData;
  activations: ActivationBar[];
}

/** The floor when nothing is positive: below any gradient a float32 model produces in practice. */
export const DEFAULT_FLOOR = 1e-12;
export const DEFAULT_CEILING = 1;

interface Measured {
  value: number;
  /** A norm computed over the finite entries only is not a number the user can trust. */
  nonFiniteEntries: number;
  note?: string;
}

function classify(m: Measured): PointMark {
  if (!Number.isFinite(m.value) || m.nonFiniteEntries > 0) return 'non-finite';
  return m.value === 0 ? 'zero' : 'value';
}

/** 10^k as the nearest double (`10 ** -5` is 0.000009999999999999999 in JavaScript). */
function pow10(k: number): number {
  return Number(`1e${k}`);
}

/** A power of ten a decade below the smallest positive finite value (kept above 0 in float64). */
export function floorFor(values: Iterable<number>): number {
  let min = Infinity;
  for (const v of values) if (v > 0 && v < min && Number.isFinite(v)) min = v;
  if (min === Infinity) return DEFAULT_FLOOR;
  return pow10(Math.max(Math.floor(Math.log10(min)) - 1, -323));
}

/** The smallest power of ten at or above the largest finite value (1 when there is none). */
export function decadeAbove(values: Iterable<number>): number {
  let max = 0;
  for (const v of values) if (v > max && Number.isFinite(v)) max = v;
  if (max === 0) return DEFAULT_CEILING;
  return pow10(Math.min(Math.ceil(Math.log10(max) - 1e-12), 308));
}

/** The largest power of ten at or below the smallest positive value. */
export function decadeBelow(values: Iterable<number>): number {
  let min = Infinity;
  for (const v of values) if (v > 0 && v < min && Number.isFinite(v)) min = v;
  if (min === Infinity) return DEFAULT_FLOOR;
  return pow10(Math.max(Math.floor(Math.log10(min) + 1e-12), -323));
}

/** A power of ten a decade above the largest finite value. */
export function ceilingFor(values: Iterable<number>): number {
  let max = 0;
  for (const v of values) if (v > max && Number.isFinite(v)) max = v;
  if (max === 0) return DEFAULT_CEILING;
  return pow10(Math.min(Math.ceil(Math.log10(max)) + 1, 307));
}

function nonFiniteNote(m: Measured): string | undefined {
  if (m.nonFiniteEntries > 0) return `${m.nonFiniteEntries} NaN/Inf ${m.nonFiniteEntries === 1 ? 'entry' : 'entries'}`;
  return undefined;
}

function logChart(trace: Trace, measure: (p: ParamStep) => Measured): LogChartData {
  const measured = trace.params.map((_, i) => trace.steps.map((s) => measure(s.params[i])));
  const all = measured.flat();
  const floor = floorFor(all.map((m) => m.value));
  const ceiling = ceilingFor(all.map((m) => m.value));
  let hasZero = false;
  let hasNonFinite = false;
  const series = trace.params.map((p, i): LogSeries => ({
    label: p.name,
    layer: p.layer,
    points: measured[i].map((m, s): LogPoint => {
      const mark = classify(m);
      if (mark === 'zero') hasZero = true;
      if (mark === 'non-finite') hasNonFinite = true;
      const y = mark === 'zero' ? floor : mark === 'non-finite' ? ceiling : m.value;
      const note = m.note ?? nonFiniteNote(m);
      return { x: trace.steps[s].step, y, value: m.value, mark, ...(note ? { note } : {}) };
    }),
  }));
  const values = all.map((m) => m.value);
  // Half a decade of room beyond the floor and the ceiling, so their markers are not cut in half.
  const min = hasZero ? floor / 3 : decadeBelow(values);
  const max = hasNonFinite ? ceiling * 3 : decadeAbove(values);
  return { series, floor, ceiling, hasZero, hasNonFinite, min, max };
}

function gradNorm(p: ParamStep): Measured {
  if (!p.reached) return { value: 0, nonFiniteEntries: 0, note: 'no path from this parameter to the loss' };
  return { value: p.gradNorm, nonFiniteEntries: p.nonFinite };
}

function updateRatio(p: ParamStep): Measured {
  // A non-finite gradient makes the update non-finite too; the ratio alone (e.g. Infinity) says that.
  return { value: p.updateRatio, nonFiniteEntries: 0, note: p.updateRatio === 0 && !p.reached ? 'no gradient, so no update' : undefined };
}

/** Index of each layer path in forward order (Trace.layers), unknown layers after. */
function layerRank(trace: Trace): (layer: string) => number {
  const order = new Map(trace.layers.map((l, i) => [l.path, i]));
  return (layer) => order.get(layer) ?? trace.layers.length;
}

function layerLabel(trace: Trace, layer: string): string {
  const type = trace.layers.find((l) => l.path === layer)?.type;
  const path = layer === '' ? '(model)' : layer;
  return type ? `${path} ${type}` : path;
}

/** Stable sort by forward position of the layer. */
function inForwardOrder<T extends { layer: string }>(trace: Trace, items: T[]): T[] {
  const rank = layerRank(trace);
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => rank(a.item.layer) - rank(b.item.layer) || a.i - b.i)
    .map(({ item }) => item);
}

function gradientFlow(trace: Trace, health: readonly ParamHealth[]): FlowChartData {
  const judged = new Map(health.map((h) => [h.name, h]));
  const last = trace.steps[trace.steps.length - 1];
  const weights = trace.params
    .map((p, i) => ({ p, i, layer: p.layer }))
    .filter(({ p }) => p.name.split('.').pop() === 'weight');
  const measured = last
    ? inForwardOrder(trace, weights).map(({ p, i }) => {
        const s = last.params[i];
        const m: Measured = s.reached
          ? { value: s.gradMeanAbs, nonFiniteEntries: s.nonFinite }
          : { value: 0, nonFiniteEntries: 0, note: 'no path from this weight to the loss' };
        return { p, s, m };
      })
    : [];
  const floor = floorFor(measured.map(({ m }) => m.value));
  const ceiling = ceilingFor(measured.map(({ m }) => m.value));
  const bars = measured.map(({ p, s, m }): FlowBar => {
    const mark = classify(m);
    const note = m.note ?? nonFiniteNote(m);
    const h = judged.get(p.name);
    return {
      label: layerLabel(trace, p.layer),
      layer: p.layer,
      param: p.name,
      y: mark === 'zero' ? floor : mark === 'non-finite' ? ceiling : m.value,
      value: m.value,
      norm: s.reached ? s.gradNorm : 0,
      mark,
      ...(note ? { note } : {}),
      health: h?.health ?? 'healthy',
      ...(h && h.health !== 'healthy' ? { reason: h.reason } : {}),
    };
  });
  const hasZero = bars.some((b) => b.mark === 'zero');
  const hasNonFinite = bars.some((b) => b.mark === 'non-finite');
  const values = bars.map((b) => b.value);
  return {
    bars,
    step: last ? last.step : null,
    floor,
    ceiling,
    hasZero,
    hasNonFinite,
    min: hasZero ? floor / 10 : floor,
    max: hasNonFinite ? ceiling * 3 : decadeAbove(values),
  };
}

function activations(trace: Trace): ActivationBar[] {
  const byLayer = new Map<string, { op: string; saturated: number; flat: number; dead: number; steps: number }>();
  for (const step of trace.steps) {
    for (const a of step.activations) {
      const e = byLayer.get(a.layer) ?? { op: a.op, saturated: 0, flat: 0, dead: 0, steps: 0 };
      e.saturated += a.saturatedShare;
      e.flat += a.flatShare ?? 0;
      e.dead += a.deadShare;
      e.steps++;
      byLayer.set(a.layer, e);
    }
  }
  const bars = [...byLayer].map(([layer, e]): ActivationBar => ({
    label: layerLabel(trace, layer),
    layer,
    op: e.op,
    saturated: (e.saturated / e.steps) * 100,
    flat: (e.flat / e.steps) * 100,
    dead: (e.dead / e.steps) * 100,
    steps: e.steps,
  }));
  return inForwardOrder(trace, bars);
}

/** `health`: the analyse step's judgement of each parameter (the trace message's), shown on the gradient-flow bars. */
export function chartData(trace: Trace, health: readonly ParamHealth[] = []): ChartData {
  return {
    steps: trace.steps.map((s) => s.step),
    gradNorm: logChart(trace, gradNorm),
    updateRatio: logChart(trace, updateRatio),
    gradientFlow: gradientFlow(trace, health),
    activations: activations(trace),
  };
}

/** The value as measured, to full precision: "0", "-0", "NaN", "Infinity", "3.14159e-7", "0.0421337". */
export function exactNumber(v: number): string {
  return Object.is(v, -0) ? '-0' : shortNumber(v, 6);
}

/** Tick label on a log axis: powers of ten only ("1e-6", "0.01", "1", "100", "1e4"), others blank. */
export function logTick(v: number): string {
  const e = Math.log10(v);
  if (Math.abs(e - Math.round(e)) > 1e-9) return '';
  const k = Math.round(e);
  return k >= -2 && k <= 3 ? String(pow10(k)) : `1e${k}`;
}
