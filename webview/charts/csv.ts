/**
 * The trace as CSV, one row per step × parameter, for the panel's export: numbers at full
 * precision (NaN and Infinity spelled out), so a spreadsheet or pandas sees what the charts show.
 */
import type { ParamStep, Trace } from '../../src/trace/types';

const COLUMNS: { name: string; value: (p: ParamStep) => number | boolean }[] = [
  { name: 'grad_norm', value: (p) => p.gradNorm },
  { name: 'update_ratio', value: (p) => p.updateRatio },
  { name: 'grad_mean_abs', value: (p) => p.gradMeanAbs },
  { name: 'grad_max_abs', value: (p) => p.gradMaxAbs },
  { name: 'zero_fraction', value: (p) => p.zeroFraction },
  { name: 'subnormal_fraction', value: (p) => p.subnormalFraction },
  { name: 'non_finite', value: (p) => p.nonFinite },
  { name: 'weight_norm', value: (p) => p.weightNorm },
  { name: 'weight_mean', value: (p) => p.weightMean },
  { name: 'weight_std', value: (p) => p.weightStd },
  { name: 'reached', value: (p) => p.reached },
];

export const CSV_HEADER = ['step', 'loss', 'parameter', 'layer', ...COLUMNS.map((c) => c.name)];

/**
 * RFC 4180 quoting, and a leading quote on text a spreadsheet would run as a formula
 * (=, +, -, @): parameter and layer names come from the user's file.
 */
export function csvText(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvNumber(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // String() is the shortest exact round-trip form and spells NaN / Infinity / -Infinity.
  return String(v);
}

export function toCsv(trace: Trace): string {
  const lines = [CSV_HEADER.join(',')];
  for (const step of trace.steps) {
    trace.params.forEach((param, i) => {
      const p = step.params[i];
      if (!p) return;
      lines.push([String(step.step), csvNumber(step.loss), csvText(param.name), csvText(param.layer), ...COLUMNS.map((c) => csvNumber(c.value(p)))].join(','));
    });
  }
  return lines.join('\r\n') + '\r\n';
}
