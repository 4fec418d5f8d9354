/** Each parameter's health, judged once by the analyse step with the user's thresholds. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyse } from '../../../src/analyse';
import { parseSpec } from '../../../src/model';
import { specFixes } from '../../../src/model/spec-fixes';
import { withDefaults } from '../../../src/rules';
import { paramHealth } from '../../../src/rules/health';
import { seedTrace, STEPS } from '../report/fixture';

const HEALTHY = join(__dirname, '..', '..', 'extension', 'fixtures', 'healthy.grad.json');

describe('parameter health', () => {
  it('one status per parameter in model order: findings first, then the last step against the thresholds', () => {
    const trace = seedTrace();
    const health = paramHealth(trace, [{ rule: 'exploding-gradient', layer: '2', message: 'gradient explodes at Linear 2' }]);
    assert.deepEqual(
      health.map((h) => [h.name, h.health]),
      [
        ['0.weight', 'vanishing'],
        ['0.bias', 'zero'],
        ['2.weight', 'exploding'],
        ['2.bias', 'exploding'],
      ],
    );
    assert.equal(health[2].reason, 'gradient explodes at Linear 2');
    assert.match(health[0].reason, /^mean \|∇\| = \S+ below 1e-7 \(vanishingGradient\.meanAbs\)$/);
    assert.equal(health[1].reason, 'gradient exactly zero at the last step');
    // A finding about a cause (initialisation) implies no status.
    assert.equal(paramHealth(trace, [{ rule: 'poor-initialisation', layer: '2', message: 'x' }])[2].health, 'healthy');
  });

  it('follows the thresholds it is given', () => {
    const trace = seedTrace();
    const last = trace.steps[STEPS - 1].params[2];
    assert.equal(paramHealth(trace, [], withDefaults({ explodingGradient: { normBound: last.gradNorm * 2 } }))[2].health, 'healthy');
    const exploding = paramHealth(trace, [], withDefaults({ explodingGradient: { normBound: last.gradNorm / 2 } }))[2];
    assert.equal(exploding.health, 'exploding');
    assert.match(exploding.reason, /\(explodingGradient\.normBound\)$/);
    assert.equal(paramHealth(trace, [], withDefaults({ vanishingGradient: { meanAbs: 1e-12 } }))[0].health, 'healthy');
  });

  it('the analyse step judges with the config the rules ran under', () => {
    // A model that trains fine: healthy under the defaults (the extension tests show it in the sidebar).
    const text = readFileSync(HEALTHY, 'utf8');
    const { spec } = parseSpec(text, HEALTHY);
    assert.ok(spec);
    const run = (config = withDefaults()) =>
      analyse({ graph: spec, text, fileName: HEALTHY, fixes: (g) => specFixes(text, HEALTHY, g) }, { kind: 'build' }, config);
    const usual = run();
    assert.deepEqual(usual.health.map((h) => h.name), usual.trace.params.map((p) => p.name));
    assert.ok(usual.health.every((h) => h.health === 'healthy'), JSON.stringify(usual.health));
    const strict = run(withDefaults({ vanishingGradient: { meanAbs: 10 } }));
    assert.ok(strict.health.every((h) => h.health === 'vanishing'), JSON.stringify(strict.health));
  });
});
