import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { applyEdits } from '../../../src/model/fixes';
import { analyse, corpus, EXAMPLES, findingPlace } from './corpus';

const problems = [...corpus('problems'), ...corpus('bugs')];
const healthy = [...corpus('healthy'), ...corpus('trains')];

describe('labelled corpus', () => {
  it('has at least 3 problem models per rule and 15 healthy models; 30 buggy and 30 healthy real-world ones', () => {
    assert.ok(corpus('bugs').length >= 30, `${corpus('bugs').length} buggy real-world models`);
    assert.ok(corpus('trains').length >= 30, `${corpus('trains').length} real-world models that train`);
    const perRule = new Map<string, number>();
    for (const m of problems) for (const e of m.expect) perRule.set(e.rule, (perRule.get(e.rule) ?? 0) + 1);
    for (const id of ['saturated-activation', 'dead-relu', 'vanishing-gradient', 'exploding-gradient', 'non-finite', 'disconnected-parameter', 'learning-rate', 'poor-initialisation', 'loss-activation-mismatch', 'underflow']) {
      assert.ok((perRule.get(id) ?? 0) >= 3, `${id}: ${perRule.get(id) ?? 0} models`);
    }
    assert.ok(healthy.length >= 15, `${healthy.length} healthy models`);
  });

  for (const m of problems) {
    const name = relative(EXAMPLES, m.file);
    describe(name, () => {
      const { spec, findings } = analyse(m.text, m.file);
      for (const e of m.expect) {
        it(`fires ${e.rule} on ${e.layer || 'the model'}`, () => {
          const hit = findings.find((f) => f.rule === e.rule && findingPlace(f, spec) === e.layer);
          assert.ok(hit, `expected ${e.rule} @ ${e.layer}; got ${findings.map((f) => `${f.rule} @ ${findingPlace(f, spec)}: ${f.message}`).join(' | ') || 'nothing'}`);
          assert.match(hit.message, /\d/, 'the message states the measured number');
        });
        it(`each fix for ${e.rule} makes it disappear`, () => {
          const hit = findings.find((f) => f.rule === e.rule && findingPlace(f, spec) === e.layer)!;
          assert.ok(hit, 'finding present');
          assert.ok(hit.fixes.length > 0, 'at least one fix is offered');
          // Counted, not looked up by path: a fix that inserts a layer renumbers the paths after it.
          const before = findings.filter((f) => f.rule === e.rule).length;
          for (const fix of hit.fixes) {
            const fixed = applyEdits(m.text, fix.edits);
            const after = analyse(fixed, m.file).findings.filter((f) => f.rule === e.rule);
            assert.ok(after.length < before, `after "${fix.title}":\n${fixed}\nstill: ${after.map((f) => f.message).join(' | ')}`);
          }
        });
      }
    });
  }

  for (const m of healthy) {
    it(`${relative(EXAMPLES, m.file)} stays silent`, () => {
      const { spec, findings } = analyse(m.text, m.file);
      const loud = findings.filter((f) => f.severity !== 'info');
      assert.deepEqual(loud.map((f) => `${f.rule} @ ${findingPlace(f, spec)}: ${f.message}`), []);
      // An `# expect:` line on a model that trains names the information it must get.
      for (const e of m.expect) {
        assert.ok(
          findings.some((f) => f.rule === e.rule && findingPlace(f, spec) === e.layer && f.severity === 'info'),
          `expected information from ${e.rule} @ ${e.layer}; got ${findings.map((f) => `${f.severity} ${f.rule} @ ${findingPlace(f, spec)}`).join(', ') || 'nothing'}`,
        );
      }
    });
  }
});
