/** Small shared readers of a trace and a spec, so every rule measures the same way. */
import type { LayerNode, ModelSpec } from '../model/graph';
import type { StepRecord, Trace, TraceParam } from '../trace/types';
import type { Finding, RuleContext, RuleId, Severity } from './types';

/** "94%", "0.3%", "<0.1%" */
export function pct(share: number): string {
  const p = share * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  if (p < 10 && !Number.isInteger(p)) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/** 2.3e-11, 0.0042, 812 — short numbers for messages. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(2)));
  return v.toExponential(1).replace('e+', 'e');
}

/** Every layer, depth-first in document order, with its position (for "first", "below", ranking). */
export function layersInOrder(spec: ModelSpec): LayerNode[] {
  const out: LayerNode[] = [];
  const stack = [...spec.model.children].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}

export function layerOrder(spec: ModelSpec): Map<string, number> {
  return new Map(layersInOrder(spec).map((l, i) => [l.path, i]));
}

export function layerByPath(spec: ModelSpec, path: string): LayerNode | undefined {
  return layersInOrder(spec).find((l) => l.path === path);
}

/** The leaf layers (not Sequential) in forward order. */
export function leafLayers(spec: ModelSpec): LayerNode[] {
  return layersInOrder(spec).filter((l) => l.type !== 'Sequential');
}

/** Weight parameters (rank ≥ 2: Linear, Conv, Embedding) in forward order: "first" and "last" layers. */
export function weightParams(trace: Trace): { index: number; param: TraceParam }[] {
  return trace.params.map((param, index) => ({ index, param })).filter(({ param }) => param.shape.length >= 2);
}

/** One value per step for parameter `index`. */
export function perStep(trace: Trace, index: number, pick: (p: StepRecord['params'][number]) => number): number[] {
  return trace.steps.map((s) => pick(s.params[index]));
}

export function lastStep(trace: Trace): StepRecord | undefined {
  return trace.steps[trace.steps.length - 1];
}

/** The user's severity setting for a rule wins over the rule's own choice; 'off' drops the finding. */
export function severityFor(ctx: RuleContext, rule: RuleId, own: Severity): Severity | 'off' {
  const s = ctx.config.severity[rule];
  return s === undefined || s === 'default' ? own : s;
}

/** Builds a finding on a layer's type name (where the squiggle goes), with empty extras to fill. */
export function findingAt(rule: RuleId, severity: Severity, layer: LayerNode, message: string): Finding {
  return { rule, severity, message, layer: layer.path, range: layer.typeRange, related: [], evidence: [], fixes: [] };
}

/** Lowercase op names as the user reads them: "sigmoid layer", "tanh layer". */
export function activationName(type: string): string {
  return type.toLowerCase();
}

/** The nearest layer before `layer` (in forward order) that has a weight: what feeds its pre-activations. */
export function feedingLayer(spec: ModelSpec, layer: LayerNode): LayerNode | undefined {
  const leaves = leafLayers(spec);
  const i = leaves.findIndex((l) => l.path === layer.path);
  for (let j = i - 1; j >= 0; j--) if (leaves[j].params.some((p) => p.name === 'weight')) return leaves[j];
  return undefined;
}

/** The leaf layer right after `layer`, if any. */
export function nextLayer(spec: ModelSpec, layer: LayerNode): LayerNode | undefined {
  const leaves = leafLayers(spec);
  const i = leaves.findIndex((l) => l.path === layer.path);
  return i >= 0 ? leaves[i + 1] : undefined;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Index of a parameter by name in the trace, or -1. */
export function paramIndex(trace: Trace, name: string): number {
  return trace.params.findIndex((p) => p.name === name);
}

export function paramName(layer: LayerNode, param: string): string {
  return layer.path ? `${layer.path}.${param}` : param;
}

/** 2e-11, 1e-10, 0.0033, 1200, 2.6e7: two significant digits written as a person would (no "2.0e-11"), for messages and fix titles. */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(2)));
  const [m, e] = v.toExponential(1).split('e');
  return `${m.replace(/\.0$/, '')}e${Number(e)}`;
}
