/**
 * A parameter whose gradient is exactly zero on every step will never train. Two structural causes:
 * no path from it to the loss at all, or a layer after it that lets no gradient through whatever the
 * data (Dropout(p=1), LayerNorm over one feature, softmax over an axis of size 1). A zero that comes
 * from saturated sigmoid/tanh or dead ReLU units is left to those rules: it depends on the data and
 * the weights, and their fixes differ.
 */
import { traitsOf } from '../model/catalogue';
import type { LayerNode } from '../model/graph';
import type { StepRecord } from '../trace/types';
import type { Fix, Rule, RuleFinding, Severity } from './types';
import { findingAt, fix, layerByPath, leafLayers, layerName } from './util';
import { shortNumber } from '../numbers';

/** Layers whose zero gradient the saturation and dead-ReLU rules explain (they record activation statistics). */
function activationLayers(steps: readonly StepRecord[]): Set<string> {
  const out = new Set<string>();
  for (const s of steps) for (const a of s.activations) out.add(a.layer);
  return out;
}

/**
 * On every step: gradient arrives at the layer's output and exactly none leaves at its input.
 * A gradient arriving below `flushNorm` that comes out as zero is float32 flushing it (the
 * underflow rule's case), not a layer that blocks by construction.
 */
function blocksOnEveryStep(steps: readonly StepRecord[], path: string, flushNorm: number): number[] | null {
  const arriving: number[] = [];
  for (const s of steps) {
    const f = s.flow.find((x) => x.layer === path);
    if (!f || !(f.outputGradNorm >= flushNorm) || f.inputGradNorm !== 0) return null;
    arriving.push(f.outputGradNorm);
  }
  return arriving;
}

/** Take the blocker out (when that leaves its neighbours as they are), or set the arguments that let the gradient through. */
function fixesFor(blocker: LayerNode): Fix[] {
  const traits = traitsOf(blocker.type);
  if (!traits.keepsShape) return [];
  const fixes: Fix[] = [fix(`Remove ${layerName(blocker)}`, [{ kind: 'remove-layer', layer: blocker.path }], true)];
  const unblock = traits.blocksGradient?.(blocker)?.unblock;
  if (unblock) {
    const set = Object.entries(unblock.args).map(([k, v]) => `${k} to ${String(v)}`).join(' and ');
    fixes.push(fix(`Set ${layerName(blocker)}'s ${set} (${unblock.note})`, [{ kind: 'set-layer-args', layer: blocker.path, args: unblock.args }]));
  }
  return fixes;
}

export const disconnectedParameter: Rule = {
  id: 'disconnected-parameter',
  title: 'Parameter gradient exactly zero on every step: no path to the loss, or a layer after it blocks the gradient',
  defaultSeverity: 'error',
  check(ctx) {
    const { trace, spec } = ctx;
    const steps = trace.steps;
    if (!steps.length) return [];
    const severity: Severity = 'error';
    const leaves = leafLayers(spec);
    const position = new Map(leaves.map((l, i) => [l.path, i]));
    const explainedElsewhere = activationLayers(steps);
    // Blocking layers in forward order, found once: what every zero parameter before them is checked against.
    const blockers: { layer: LayerNode; arriving: number[] }[] = [];
    for (const layer of leaves) {
      if (explainedElsewhere.has(layer.path)) continue;
      const arriving = blocksOnEveryStep(steps, layer.path, ctx.config.underflow.flushNorm);
      if (arriving) blockers.push({ layer, arriving });
    }
    const unreached = new Map<string, string[]>();
    const blocked = new Map<string, { names: string[]; blocker: (typeof blockers)[number] }>();
    trace.params.forEach((param, i) => {
      const never = steps.every((s) => !s.params[i].reached);
      if (never) {
        unreached.set(param.layer, [...(unreached.get(param.layer) ?? []), param.name]);
        return;
      }
      if (!steps.every((s) => s.params[i].reached && s.params[i].zeroFraction === 1)) return;
      const at = position.get(param.layer);
      if (at === undefined) return;
      // The layer itself counts: LayerNorm over one feature also zeroes its own weight's gradient (x̂ = 0).
      const blocker = blockers.find((b) => position.get(b.layer.path)! >= at);
      if (!blocker) return;
      const entry = blocked.get(param.layer) ?? { names: [], blocker };
      entry.names.push(param.name);
      blocked.set(param.layer, entry);
    });
    const findings: RuleFinding[] = [];
    for (const [path, names] of unreached) {
      const layer = layerByPath(spec, path);
      if (!layer) continue;
      const f = findingAt(
        'disconnected-parameter',
        severity,
        layer,
        `no gradient reaches ${names.join(', ')} on any of ${steps.length} steps: no path from ${layerName(layer)} to the loss`,
      );
      f.evidence.push({ label: 'reached', values: steps.map(() => 0) });
      findings.push(f);
    }
    for (const [path, { names, blocker }] of blocked) {
      const layer = layerByPath(spec, path);
      if (!layer) continue;
      const b = blocker.layer;
      const reason = traitsOf(b.type).blocksGradient?.(b)?.why ?? `${layerName(b)} passes no gradient back`;
      const arriving = blocker.arriving.reduce((x, y) => x + y, 0) / blocker.arriving.length;
      const f = findingAt(
        'disconnected-parameter',
        severity,
        layer,
        `gradient of ${names.join(', ')} is exactly 0 on all ${steps.length} steps: ${reason} (gradient norm ${shortNumber(arriving)} at its output, 0 at its input)`,
      );
      if (b.path !== layer.path) f.related.push({ range: b.typeRange, message: `${reason}: no gradient passes back through it` });
      f.evidence.push({ label: `gradient norm arriving at ${layerName(b)}`, values: blocker.arriving });
      f.fixes = fixesFor(b);
      findings.push(f);
    }
    return findings;
  },
};
