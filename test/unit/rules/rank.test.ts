import assert from 'node:assert/strict';
import { rankFindings } from '../../../src/rules/rank';
import type { Finding, RuleId, Severity } from '../../../src/rules/types';

/** A finding on layer `layer` whose range starts at `at` (ranges are only carried along by ranking). */
function finding(rule: RuleId, severity: Severity, layer: string, at = 0): Finding {
  return {
    rule,
    severity,
    message: `${rule} on ${layer}: 1 measured number`,
    layer,
    range: { start: at, end: at + 5 } as Finding['range'],
    related: [],
    evidence: [],
    fixes: [],
  };
}

/** Layers 0..5 in document order. */
const ORDER = new Map(['0', '1', '2', '3', '4', '5'].map((p, i) => [p, i]));
const place = (fs: Finding[]) => fs.map((f) => `${f.rule}@${f.layer}`);

describe('rankFindings', () => {
  it('puts errors before warnings before infos, whatever the layer', () => {
    const ranked = rankFindings(
      [finding('dead-relu', 'info', '0'), finding('learning-rate', 'warning', ''), finding('non-finite', 'error', '5'), finding('underflow', 'warning', '1')],
      ORDER,
    );
    assert.deepEqual(
      ranked.map((f) => f.severity),
      ['error', 'warning', 'warning', 'info'],
    );
    assert.equal(ranked[0].rule, 'non-finite');
  });

  it('orders findings of one severity by their layer in the document', () => {
    const ranked = rankFindings([finding('dead-relu', 'warning', '4'), finding('dead-relu', 'warning', '1'), finding('dead-relu', 'warning', '2')], ORDER);
    assert.deepEqual(place(ranked), ['dead-relu@1', 'dead-relu@2', 'dead-relu@4']);
  });

  it('keeps the input order for ties (a stable sort)', () => {
    const a = finding('dead-relu', 'warning', '1');
    const b = finding('saturated-activation', 'warning', '1');
    assert.deepEqual(rankFindings([a, b], ORDER), [a, b]);
    assert.deepEqual(rankFindings([b, a], ORDER), [b, a]);
  });

  it('explains a vanishing gradient by the saturated layer below it, and ranks the cause first', () => {
    const vanishing = finding('vanishing-gradient', 'warning', '0', 10);
    const saturated = finding('saturated-activation', 'warning', '3', 40);
    const ranked = rankFindings([vanishing, saturated], ORDER);
    assert.deepEqual(vanishing.explainedBy, { rule: 'saturated-activation', layer: '3' });
    assert.equal(saturated.explainedBy, undefined);
    assert.equal(vanishing.related.length, 1);
    assert.deepEqual(vanishing.related[0].range, saturated.range);
    assert.match(vanishing.related[0].message, /^likely cause: saturated-activation on 3/);
    // The symptom is on an earlier layer, yet comes after its cause.
    assert.deepEqual(place(ranked), ['saturated-activation@3', 'vanishing-gradient@0']);
  });

  it('prefers a cause at or after the symptom layer over one before it', () => {
    const vanishing = finding('vanishing-gradient', 'warning', '2');
    const before = finding('saturated-activation', 'warning', '1');
    const after = finding('saturated-activation', 'warning', '4');
    rankFindings([before, vanishing, after], ORDER);
    assert.deepEqual(vanishing.explainedBy, { rule: 'saturated-activation', layer: '4' });
  });

  it('falls back to a cause before the symptom when there is none after it', () => {
    const vanishing = finding('vanishing-gradient', 'warning', '4');
    const before = finding('saturated-activation', 'warning', '1');
    rankFindings([vanishing, before], ORDER);
    assert.deepEqual(vanishing.explainedBy, { rule: 'saturated-activation', layer: '1' });
  });

  it('takes the most direct cause first: saturation over dead ReLU for a vanishing gradient', () => {
    const vanishing = finding('vanishing-gradient', 'warning', '0');
    rankFindings([finding('dead-relu', 'warning', '2'), vanishing, finding('saturated-activation', 'warning', '3')], ORDER);
    assert.equal(vanishing.explainedBy?.rule, 'saturated-activation');
    assert.equal(vanishing.related.length, 1, 'one likely cause, not every candidate');
  });

  it('chains causes: a vanishing gradient explained by dead units, themselves explained by the init', () => {
    const dead = finding('dead-relu', 'warning', '1');
    const init = finding('poor-initialisation', 'warning', '0');
    const vanishing = finding('vanishing-gradient', 'warning', '0');
    rankFindings([vanishing, dead, init], ORDER);
    assert.deepEqual(dead.explainedBy, { rule: 'poor-initialisation', layer: '0' });
    assert.equal(init.explainedBy, undefined);
    assert.deepEqual(vanishing.explainedBy, { rule: 'dead-relu', layer: '1' });
  });

  it('still puts an explained error before an unexplained warning', () => {
    const nonFinite = finding('non-finite', 'error', '2');
    const lr = finding('learning-rate', 'warning', '');
    const ranked = rankFindings([lr, nonFinite], ORDER);
    assert.deepEqual(nonFinite.explainedBy, { rule: 'learning-rate', layer: '' });
    assert.deepEqual(place(ranked), ['non-finite@2', 'learning-rate@']);
  });

  it('explains an explosion after a recurrent layer, and the divergence at its learning rate, by the gradient exploding through time', () => {
    const throughTime = finding('gradient-through-time', 'warning', '0');
    const exploding = finding('exploding-gradient', 'warning', '2');
    const lr = finding('learning-rate', 'error', '');
    const init = finding('poor-initialisation', 'warning', '2');
    const ranked = rankFindings([lr, exploding, init, throughTime], ORDER);
    assert.deepEqual(exploding.explainedBy, { rule: 'gradient-through-time', layer: '0' }, 'the recurrent cause before an init');
    assert.deepEqual(lr.explainedBy, { rule: 'gradient-through-time', layer: '0' });
    assert.match(lr.related[0].message, /^likely cause: gradient-through-time on 0/);
    assert.equal(throughTime.explainedBy, undefined);
    assert.deepEqual(place(ranked), ['learning-rate@', 'gradient-through-time@0', 'poor-initialisation@2', 'exploding-gradient@2']);
  });

  it('leaves findings without a known cause alone', () => {
    const a = finding('learning-rate', 'warning', '');
    const b = finding('loss-activation-mismatch', 'warning', '5');
    const ranked = rankFindings([b, a], ORDER);
    assert.equal(a.explainedBy, undefined);
    assert.equal(b.explainedBy, undefined);
    assert.equal(a.related.length + b.related.length, 0);
    // A finding without a layer ("" for the optimiser) is not in the order: it sorts after the layers.
    assert.deepEqual(place(ranked), ['loss-activation-mismatch@5', 'learning-rate@']);
  });

  it('returns an empty list for no findings', () => {
    assert.deepEqual(rankFindings([], ORDER), []);
  });
});
