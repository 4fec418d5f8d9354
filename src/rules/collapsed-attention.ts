/**
 * An attention head whose softmax rows put nearly all their weight on one key has collapsed: each
 * row's output copies one position instead of mixing the sequence, and on those rows the softmax's
 * derivative p·(δ − p) is near zero, so they teach the query and key projections nothing about
 * where to look (the few rows left open can still pass large gradients when the inputs are large,
 * which is what usually collapses a head: scores grow with the square of the inputs' scale).
 * Measured per head as the share of rows with at least 99% of their weight on one key, with the
 * rows' mean entropy over log(keys) beside it.
 */
import { COLLAPSED_ROW_WEIGHT } from '../engine/sequence-stats';
import type { LayerNode } from '../model/graph';
import { defaultInitFix, finiteSteps, specLayerOf, when, worstOfStartAndMedian } from './sequence-util';
import type { Fix, Rule, RuleFinding, Severity } from './types';
import { findingAt, fix, mean, layerName } from './util';
import { percent, shortNumber } from '../numbers';

function fixesFor(layer: LayerNode): Fix[] {
  const fixes: Fix[] = [];
  // pre-norm: the LayerNorm before attention keeps the scores' scale whatever the input's
  if (layer.args.norm_first === false) {
    fixes.push(fix(`Normalise before attention: set norm_first: true on ${layerName(layer)}`, [{ kind: 'set-layer-args', layer: layer.path, args: { norm_first: true } }]));
  }
  fixes.push(...defaultInitFix(layer, /proj_weight|proj\.weight/, 'xavier_uniform'));
  if (fixes.length) fixes[0].preferred = true;
  return fixes;
}

export const collapsedAttention: Rule = {
  id: 'collapsed-attention',
  title: 'Collapsed attention: a head puts nearly all its weight on one key in most rows, which then pass no gradient to its queries and keys',
  defaultSeverity: 'warning',
  check(ctx) {
    const share = ctx.config.collapsedAttention.share;
    const steps = finiteSteps(ctx.trace.steps);
    // per attention module (one per layer of a stack) and head: the collapsed share and entropy per step
    const byModule = new Map<string, { module: string; layer: LayerNode; heads: { collapsed: number[]; entropy: number[] }[] }>();
    steps.forEach((s, j) => {
      for (const a of s.attention ?? []) {
        const layer = specLayerOf(ctx.spec, a.layer);
        if (!layer) continue;
        const entry = byModule.get(a.layer) ?? { module: a.layer, layer, heads: [] };
        byModule.set(a.layer, entry);
        a.perHead.forEach((h, i) => {
          entry.heads[i] ??= { collapsed: [], entropy: [] };
          entry.heads[i].collapsed[j] = h.collapsedShare;
          entry.heads[i].entropy[j] = h.meanNormalizedEntropy;
        });
      }
    });
    const byLayer = new Map<string, { layer: LayerNode; parts: string[]; evidence: RuleFinding['evidence']; collapsed: number; heads: number }>();
    for (const m of byModule.values()) {
      const judged = m.heads.map((h, i) => ({ i, h, ...worstOfStartAndMedian(h.collapsed, (a, b) => a > b) })).filter((h) => h.value > share);
      const entry = byLayer.get(m.layer.path) ?? { layer: m.layer, parts: [], evidence: [], collapsed: 0, heads: 0 };
      byLayer.set(m.layer.path, entry);
      entry.heads += m.heads.length;
      if (!judged.length) continue;
      entry.collapsed += judged.length;
      const inside = m.module === m.layer.path ? '' : ` (${m.module.slice(m.layer.path.length + 1)})`;
      const heads = judged.length === m.heads.length ? `all ${m.heads.length} heads${inside}` : `head${judged.length > 1 ? 's' : ''} ${judged.map((h) => h.i + 1).join(', ')} of ${m.heads.length}${inside}`;
      const worst = judged.reduce((a, b) => (b.value > a.value ? b : a));
      entry.parts.push(
        `${heads} put${judged.length === 1 && judged.length !== m.heads.length ? 's' : ''} at least ${percent(COLLAPSED_ROW_WEIGHT)} of ${judged.length === 1 && judged.length !== m.heads.length ? 'its' : 'their'} weight on one key in ${percent(worst.value)} of rows (${when(worst.atStart, steps.length)}; mean entropy ${shortNumber(mean(worst.h.entropy.filter(Number.isFinite)))} of uniform)`,
      );
      for (const h of judged) entry.evidence.push({ label: `${m.module} head ${h.i + 1}: share of collapsed rows`, values: h.h.collapsed });
    }
    const out: RuleFinding[] = [];
    for (const e of byLayer.values()) {
      if (!e.collapsed) continue;
      const severity: Severity = 'warning';
      const f = findingAt('collapsed-attention', severity, e.layer, `attention collapsed in ${layerName(e.layer)}: ${e.parts.join('; ')}`);
      f.evidence.push(...e.evidence);
      f.fixes = fixesFor(e.layer);
      out.push(f);
    }
    return out;
  },
};
