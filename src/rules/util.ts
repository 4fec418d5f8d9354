/** Small shared readers of a trace and a spec, so every rule measures the same way. */
import { calculateGain } from '../engine/init';
import { defaultOf, layerDef, traitsOf, type ActivationTraits } from '../model/catalogue';
import { allLayers } from '../model/graph';
import type { ArgValue, LayerNode, ModelSpec } from '../model/graph';
import type { StepRecord, Trace, TraceParam } from '../trace/types';
import { formatNumber } from '../model/fixes';
import type { Fix, FixIntent, RuleContext, RuleFinding, RuleId, Severity } from './types';

/** Every layer, depth-first in document order (for "first", "below", ranking). */
export const layersInOrder = allLayers;

export function layerOrder(spec: ModelSpec): Map<string, number> {
  return new Map(layersInOrder(spec).map((l, i) => [l.path, i]));
}

export function layerByPath(spec: ModelSpec, path: string): LayerNode | undefined {
  return layersInOrder(spec).find((l) => l.path === path);
}

/** A layer as messages name it: its type and path; a model that is one layer has no path, only its type. */
export function layerName(l: { type: string; path: string }): string {
  return l.path ? `${l.type} ${l.path}` : `${l.type} (the whole model)`;
}

/** The leaf layers (no containers such as Sequential) in forward order. */
export function leafLayers(spec: ModelSpec): LayerNode[] {
  return layersInOrder(spec).filter((l) => !traitsOf(l.type).container);
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

/** Builds a finding on a layer's type name (where the squiggle goes), with empty extras to fill. */
export function findingAt(rule: RuleId, severity: Severity, layer: LayerNode, message: string): RuleFinding {
  return { rule, severity, message, layer: layer.path, range: layer.typeRange, related: [], evidence: [], fixes: [] };
}

/** Lowercase op names as the user reads them: "sigmoid layer", "tanh layer". */
export function activationName(type: string): string {
  return type.toLowerCase();
}

/**
 * The nearest layer before `layer` that has a weight: what feeds its pre-activations. Before means
 * up the forward's data flow when the graph records it, else up the list order.
 */
export function feedingLayer(spec: ModelSpec, layer: LayerNode): LayerNode | undefined {
  const leaves = leafLayers(spec);
  const hasWeight = (l: LayerNode) => l.params.some((p) => p.name === 'weight');
  if (hasDataFlow(leaves)) {
    // Back along the forward's real data flow, past weightless layers, to the nearest weight.
    const byPath = new Map(leaves.map((l) => [l.path, l]));
    const seen = new Set<string>();
    let frontier = producersOf(layer, byPath);
    while (frontier.length) {
      const found = frontier.find(hasWeight);
      if (found) return found;
      const next: LayerNode[] = [];
      for (const l of frontier) if (!seen.has(l.path)) (seen.add(l.path), next.push(...producersOf(l, byPath)));
      frontier = next;
    }
    return undefined;
  }
  const i = leaves.findIndex((l) => l.path === layer.path);
  for (let j = i - 1; j >= 0; j--) if (hasWeight(leaves[j])) return leaves[j];
  return undefined;
}

/** Whether the graph records the forward's data flow (a model whose own forward ran); else list order stands for it. */
export function hasDataFlow(leaves: readonly LayerNode[]): boolean {
  return leaves.some((l) => l.inputsFrom !== undefined);
}

/** The leaf layers whose outputs reached `layer`'s input. */
function producersOf(layer: LayerNode, byPath: ReadonlyMap<string, LayerNode>): LayerNode[] {
  return (layer.inputsFrom ?? []).map((p) => byPath.get(p)).filter((l): l is LayerNode => !!l);
}

/** The leaf layers that take `layer`'s output, by the forward's data flow, in forward order. */
export function consumersOf(leaves: readonly LayerNode[], layer: LayerNode): LayerNode[] {
  return leaves.filter((l) => l.inputsFrom?.includes(layer.path));
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

// ── Helpers shared by the gradient-flow rules (dead ReLU, vanishing, exploding, non-finite, underflow) ──

export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The activation traits of a layer (from the catalogue), or undefined when it is no activation. */
export function activationOf(layer: Pick<LayerNode, 'type'> | undefined): ActivationTraits | undefined {
  return layer ? traitsOf(layer.type).activation : undefined;
}

/** The first activation after `layer` before the next weight layer: the nonlinearity its weights feed. */
export function activationAfter(spec: ModelSpec, layer: LayerNode): LayerNode | undefined {
  const leaves = leafLayers(spec);
  const i = leaves.findIndex((l) => l.path === layer.path);
  for (let j = i + 1; j < leaves.length; j++) {
    if (activationOf(leaves[j])) return leaves[j];
    if (leaves[j].params.some((p) => p.name === 'weight')) return undefined;
  }
  return undefined;
}

export interface VarianceKeepingInit {
  scheme: 'kaiming_normal' | 'xavier_uniform';
  args: Record<string, number | string>;
  /** The standard deviation it gives a weight of this shape. */
  std: number;
  /** torch.nn.init.calculate_gain of the activation. */
  gain: number;
  name: 'He' | 'Xavier';
}

/**
 * The init that keeps the variance steady through `activation` for a weight of `shape`
 * (torch.nn.init.calculate_gain of the activation's nonlinearity): He for rectifiers, Xavier for
 * the rest, and for a layer with no activation after it.
 */
export function varianceKeepingInit(activation: Pick<LayerNode, 'type' | 'args'> | undefined, shape: readonly number[]): VarianceKeepingInit {
  const traits = activationOf(activation);
  const nonlinearity = traits?.gain ?? 'linear';
  const slope = nonlinearity === 'leaky_relu' && traits?.slopeArg ? Number(activation!.args[traits.slopeArg] ?? defaultOf(layerDef(activation!.type)!.args, traits.slopeArg)) : 0;
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  const fanIn = (shape[1] ?? 1) * receptive;
  const fanOut = shape[0] * receptive;
  const gain = calculateGain(nonlinearity, slope);
  if (nonlinearity === 'relu') return { scheme: 'kaiming_normal', args: { nonlinearity: 'relu' }, std: gain / Math.sqrt(fanIn), gain, name: 'He' };
  if (nonlinearity === 'leaky_relu') return { scheme: 'kaiming_normal', args: { a: slope, nonlinearity: 'leaky_relu' }, std: gain / Math.sqrt(fanIn), gain, name: 'He' };
  return { scheme: 'xavier_uniform', args: nonlinearity === 'tanh' ? { gain } : {}, std: gain * Math.sqrt(2 / (fanIn + fanOut)), gain, name: 'Xavier' };
}

/** The init a fix sets on a weight layer: the variance-keeping one for the activation after it. */
export function initFor(spec: ModelSpec, layer: LayerNode): { scheme: VarianceKeepingInit['scheme']; args: VarianceKeepingInit['args'] } {
  const { scheme, args } = varianceKeepingInit(activationAfter(spec, layer), layer.params.find((p) => p.name === 'weight')?.shape ?? [1, 1]);
  return { scheme, args };
}

/** Weight layers (a `weight` of rank ≥ 2) in forward order. */
export function weightLayers(spec: ModelSpec): LayerNode[] {
  return leafLayers(spec).filter((l) => l.params.some((p) => p.name === 'weight' && p.shape.length >= 2));
}

/** "11 Sigmoid", "6 Sigmoid and 5 Tanh": the layers a gradient passes through, counted by type. */
export function countByType(layers: readonly LayerNode[]): string {
  const counts = new Map<string, number>();
  for (const l of layers) counts.set(l.type, (counts.get(l.type) ?? 0) + 1);
  const parts = [...counts].map(([type, n]) => `${n} ${type}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts.join('');
}

/** 1, 2 or 5 × 10^k nearest below `v`: a learning rate a person would write. */
export function roundRateDown(v: number): number {
  const k = Math.floor(Math.log10(v));
  for (const m of [5, 2, 1]) {
    const c = Number((m * 10 ** k).toPrecision(1));
    if (c <= v * (1 + 1e-9)) return c;
  }
  return Number((10 ** k).toPrecision(1));
}

/**
 * A fix lowering the optimiser's lr, or undefined when lr is unknown. The update/weight ratio grows
 * with lr (SGD: lr·‖g‖; Adam: about lr per entry), so aim the first step's largest ratio at
 * `targetRatio`, and always at least a tenfold drop.
 */
export function lowerLearningRateFix(ctx: RuleContext, why: string, targetRatio = 1e-3): Fix | undefined {
  const { spec, trace } = ctx;
  const lr = Number(spec.optimizer.args.lr ?? trace.optimizer.lr);
  if (!(lr > 0) || !Number.isFinite(lr)) return undefined;
  const first = trace.steps[0];
  let ratio = 0;
  if (first) for (const { index } of weightParams(trace)) {
    const r = first.params[index].updateRatio;
    if (Number.isFinite(r) && r > ratio) ratio = r;
  }
  const scaled = ratio > 0 ? (lr * targetRatio) / ratio : lr / 10;
  const suggested = roundRateDown(Math.min(scaled, lr / 10));
  return fix(`Lower ${spec.optimizer.type}'s lr from ${formatNumber(lr)} to ${formatNumber(suggested)} (${why})`, [{ kind: 'set-optimizer-args', args: { lr: suggested } }]);
}

/**
 * With `reduction: sum` the gradient grows with the batch size, so an lr tuned for the mean is
 * batch-size times too large: switching to the mean fixes the step size at its root.
 */
export function meanReductionFix(ctx: RuleContext): Fix | undefined {
  const { loss } = ctx.spec;
  if (loss.args.reduction !== 'sum' || ctx.trace.batchSize <= 1) return undefined;
  return fix(`Use ${loss.type}'s default reduction (mean): with sum the gradient is ${ctx.trace.batchSize}× larger, one per sample in the batch`, [
    { kind: 'set-loss', type: loss.type, args: writtenLossArgs(ctx, (k) => k !== 'reduction') },
  ]);
}

/**
 * What the gradient-magnitude rules read: the steps whose loss is finite (a NaN or Inf step measured
 * poisoned values, which the non-finite rule reports) and the weight layers the trace recorded.
 */
export function finiteStepsAndWeights(ctx: RuleContext): { trace: Trace; weights: LayerNode[] } {
  const trace = { ...ctx.trace, steps: ctx.trace.steps.filter((s) => Number.isFinite(s.loss)) };
  const weights = weightLayers(ctx.spec).filter((l) => paramIndex(trace, paramName(l, 'weight')) >= 0);
  return { trace, weights };
}

/** A fix: its title, what it changes in the model, and whether it is the one to offer first. */
export function fix(title: string, intents: FixIntent[], preferred?: boolean): Fix {
  return preferred ? { title, intents, preferred } : { title, intents };
}

/** The loss's arguments as the user wrote them (those `keep` keeps): what a change of loss carries over. */
export function writtenLossArgs(ctx: RuleContext, keep: (name: string) => boolean): Record<string, ArgValue> {
  const { loss } = ctx.spec;
  const out: Record<string, ArgValue> = {};
  for (const k of Object.keys(loss.argRanges)) if (keep(k)) out[k] = (loss.args as Record<string, ArgValue>)[k];
  return out;
}
