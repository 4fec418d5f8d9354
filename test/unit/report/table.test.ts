import assert from 'node:assert/strict';
import { reportData } from '../../../src/report/html';
import { withDefaults } from '../../../src/rules';
import { paramHealth } from '../../../src/rules/health';
import type { RuleConfig } from '../../../src/rules/config';
import { paramTable } from '../../../webview/report/table';
import { seedFindings, seedTrace, SEED_FILE, SEED_TEXT, STEPS } from './fixture';

function rows(trace = seedTrace(), findings = seedFindings(), config?: RuleConfig) {
  const health = paramHealth(trace, findings, config);
  const data = reportData({ trace, findings, health, fileName: SEED_FILE, text: SEED_TEXT, generatedAt: '2026-01-01T00:00:00Z' });
  return paramTable(data.trace, data.health);
}

describe('paramTable', () => {
  it('lists every parameter in model order with its shape', () => {
    assert.deepEqual(
      rows().map((r) => [r.name, r.layer, r.shape.join('x')]),
      [
        ['0.weight', '0', '10x10'],
        ['0.bias', '0', '10'],
        ['2.weight', '2', '1x10'],
        ['2.bias', '2', '1'],
      ],
    );
  });

  it('reports the last norm, min and max over the steps, the last update ratio and zero fraction', () => {
    const trace = seedTrace();
    const [w, b] = rows(trace);
    const norms = trace.steps.map((s) => s.params[0].gradNorm);
    assert.equal(w.lastNorm, norms[STEPS - 1]);
    assert.equal(w.minNorm, Math.min(...norms));
    assert.equal(w.maxNorm, Math.max(...norms));
    assert.equal(w.updateRatio, trace.steps[STEPS - 1].params[0].updateRatio);
    assert.equal(w.zeroFraction, 0.9);
    assert.deepEqual([b.lastNorm, b.minNorm, b.zeroFraction], [0, 0, 1]);
  });

  it('gives each parameter a status: the finding decides for the first weight, the numbers for the rest', () => {
    const r = rows();
    assert.deepEqual(
      r.map((x) => x.health),
      ['vanishing', 'zero', 'healthy', 'healthy'],
    );
    assert.match(r[0].reason, /^vanishing gradient/);
  });

  it('follows the thresholds the findings were judged with (--config), not the defaults', () => {
    // 2.weight's last ‖∇‖ is about 0.5 and its mean |∇| about 0.04: healthy under the defaults.
    const last = seedTrace().steps[STEPS - 1].params[2];
    assert.deepEqual(rows(seedTrace(), [])[2].health, 'healthy');
    const exploding = rows(seedTrace(), [], withDefaults({ explodingGradient: { normBound: last.gradNorm / 2 } }))[2];
    assert.equal(exploding.health, 'exploding');
    assert.match(exploding.reason, /above 0\.\d+ \(explodingGradient\.normBound\)/);
    const vanishing = rows(seedTrace(), [], withDefaults({ vanishingGradient: { meanAbs: last.gradMeanAbs * 2 } }))[2];
    assert.equal(vanishing.health, 'vanishing');
    assert.match(vanishing.reason, /below .* \(vanishingGradient\.meanAbs\)/);
  });

  it('says NaN for a parameter with a non-finite gradient, and ignores it in min/max', () => {
    const trace = seedTrace();
    trace.steps[4].params[2] = { ...trace.steps[4].params[2], gradNorm: NaN, nonFinite: 2 };
    const r = rows(trace, [])[2];
    assert.equal(r.health, 'nan');
    assert.ok(Number.isFinite(r.minNorm) && Number.isFinite(r.maxNorm));
  });

  it('counts a parameter backward never reached as zero', () => {
    const trace = seedTrace();
    for (const s of trace.steps) s.params[3] = { ...s.params[3], reached: false, gradNorm: 0 };
    const r = rows(trace, [])[3];
    assert.deepEqual([r.health, r.lastNorm, r.maxNorm], ['zero', 0, 0]);
  });
});
