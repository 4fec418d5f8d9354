/**
 * Ranking: errors first, then a root cause before the symptoms it explains. A saturated layer
 * explains the vanishing gradient below it; say so instead of reporting two unrelated problems.
 */
import type { Finding, Fix, RuleId, Severity } from './types';

/**
 * For each symptom, the rules whose findings can explain it, most direct first. A recurrent layer
 * whose gradient explodes through time explains the gradient blowing up after it and a divergence
 * at a learning rate the same model trains at with a sane recurrent init or with clipping
 * (examples/bugs/sequence/lstm-large-recurrent-init.grad.yaml and its two healthy variants).
 */
const CAUSES: Partial<Record<RuleId, RuleId[]>> = {
  'vanishing-gradient': ['saturated-activation', 'dead-relu', 'poor-initialisation', 'disconnected-parameter'],
  underflow: ['saturated-activation', 'vanishing-gradient', 'dead-relu'],
  'exploding-gradient': ['gradient-through-time', 'poor-initialisation', 'learning-rate'],
  'learning-rate': ['gradient-through-time'],
  'non-finite': ['gradient-through-time', 'exploding-gradient', 'loss-activation-mismatch', 'learning-rate', 'poor-initialisation'],
  'dead-relu': ['loss-activation-mismatch', 'learning-rate', 'poor-initialisation'],
  'disconnected-parameter': ['underflow'],
  'saturated-activation': ['poor-initialisation', 'learning-rate'],
};

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * `layerOrder` gives each layer path its position in the document, so "below" and "first" mean
 * what the user sees.
 */
export function rankFindings<F extends Finding<Fix>>(findings: F[], layerOrder: ReadonlyMap<string, number>): F[] {
  const pos = (f: F) => layerOrder.get(f.layer) ?? Number.MAX_SAFE_INTEGER;
  for (const symptom of findings) {
    const causes = CAUSES[symptom.rule];
    if (!causes) continue;
    for (const rule of causes) {
      // Skip candidates this symptom already explains, so two findings never explain each other.
      const candidates = findings.filter(
        (f) => f !== symptom && f.rule === rule && !(f.explainedBy?.rule === symptom.rule && f.explainedBy.layer === symptom.layer),
      );
      if (!candidates.length) continue;
      // A cause deeper in the network (at or after the symptom's layer) is the one that starves it.
      const cause = candidates.filter((c) => pos(c) >= pos(symptom))[0] ?? candidates[0];
      symptom.explainedBy = { rule: cause.rule, layer: cause.layer };
      symptom.related.push({ range: cause.range, message: `likely cause: ${cause.message}` });
      break;
    }
  }
  const indexed = findings.map((f, i) => ({ f, i }));
  indexed.sort(
    (a, b) =>
      SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] ||
      Number(!!a.f.explainedBy) - Number(!!b.f.explainedBy) ||
      pos(a.f) - pos(b.f) ||
      a.i - b.i,
  );
  return indexed.map((x) => x.f);
}
