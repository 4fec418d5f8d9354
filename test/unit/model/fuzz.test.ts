/** parseSpec runs on every keystroke: it must answer, never throw, whatever half-typed text it gets. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../../../src/limits';
import { parseSpec, positionAt } from '../../../src/model';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const files = readdirSync(EXAMPLES).filter((f) => /\.grad\.(ya?ml|json)$/.test(f));

/** A small seeded generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['', ' ', '\n', '\t', ':', '- ', '{', '}', '[', ']', ',', '"', "'", '&a ', '*a', '#', '0', '-1', '1e999', '.nan', 'null', 'true', 'Linear', 'Sequential', 'name: x', 'init:', '\u00e9', '\ud83d', '---\n', '!!binary ', '? '];

function check(text: string, file: string): void {
  let result: ReturnType<typeof parseSpec>;
  try {
    result = parseSpec(text, file);
  } catch (e) {
    assert.fail(`parseSpec threw on ${JSON.stringify(text)}: ${(e as Error).stack}`);
  }
  const internal = result.diagnostics.filter((d) => d.code === 'spec/internal');
  assert.deepEqual(internal, [], `internal error on ${JSON.stringify(text)}`);
  // A file with nothing in it yet gets a hint, not an error; anything else without a spec says why.
  if (result.spec === null) assert.ok(result.diagnostics.some((d) => d.severity === 'error' || d.code === 'spec/empty'), `no spec and no error on ${JSON.stringify(text)}`);
  for (const d of result.diagnostics) assert.ok(d.range.start >= 0 && d.range.start <= d.range.end && d.range.end <= text.length, JSON.stringify(d));
}

describe('spec: fuzzing', () => {
  for (const f of files) {
    const text = readFileSync(join(EXAMPLES, f), 'utf8');
    it(`${f}: every truncation`, () => {
      for (let n = 0; n <= text.length; n++) check(text.slice(0, n), f);
    });
    it(`${f}: random mutations`, () => {
      const rnd = lcg(f.length * 7919);
      for (let k = 0; k < 400; k++) {
        let t = text;
        const edits = 1 + Math.floor(rnd() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(rnd() * (t.length + 1));
          const del = Math.floor(rnd() * 6);
          const piece = PIECES[Math.floor(rnd() * PIECES.length)];
          t = t.slice(0, at) + piece + t.slice(at + del);
        }
        check(t, f);
        // The same text read as the other syntax.
        check(t, f.endsWith('.json') ? 'm.grad.yaml' : 'm.grad.json');
      }
    });
  }

  it('odd inputs', () => {
    for (const t of ['', '\n', 'null', '42', '"x"', '[]', '{}', 'model:', 'model: null', 'model: [[]]', 'model: [{}]', 'model: [{name: 1}]', `model: ${'['.repeat(5000)}`, `${'- '.repeat(3000)}x`, 'a: &a [*a]']) {
      check(t, 'm.grad.yaml');
      check(t, 'm.grad.json');
    }
  });

  it('nesting up to the depth limit reads; one level past it is refused at that level', () => {
    // {"model": [ {"Sequential": [ … "ReLU" … ]} ]}: the model list is level 2, each Sequential adds two.
    const nested = (depth: number) => {
      let model = '"ReLU"';
      for (let i = 0; i < depth; i++) model = `{"Sequential": [${model}]}`;
      return `{"model": [${model}], "input": {"shape": [2]}, "target": {"shape": [2]}, "loss": "MSELoss"}`;
    };
    const deepest = (DEFAULT_LIMITS.maxDepth - 2) / 2;
    const { spec, diagnostics } = parseSpec(nested(deepest), 'deep.grad.json');
    assert.deepEqual(diagnostics, []);
    let node = spec!.model;
    for (let i = 0; i < deepest; i++) node = node.children[0];
    assert.equal(node.children[0].type, 'ReLU');
    assert.equal(node.children[0].path.split('.').length, deepest + 1);

    for (const [text, file] of [
      [nested(2000), 'deep.grad.json'],
      [nested(deepest + 1), 'deep.grad.json'],
      [nested(2000).replace(/"/g, ''), 'deep.grad.yaml'],
    ]) {
      const r = parseSpec(text, file);
      assert.equal(r.spec, null);
      assert.deepEqual(r.diagnostics.map((d) => d.code), ['spec/too-deep'], file);
      assert.match(r.diagnostics[0].message, /deeper than 64 levels.*--max-depth/);
      // The first container past the limit: the 65th open bracket.
      let opened = 0;
      let at = -1;
      for (let i = 0; i < text.length && at < 0; i++) if ((text[i] === '[' || text[i] === '{') && ++opened > DEFAULT_LIMITS.maxDepth) at = i;
      assert.equal(r.diagnostics[0].range.start, at, file);
    }
  });

  it('block YAML nested thousands of levels deep is an error, not a stack overflow', () => {
    let text = '';
    for (let i = 0; i < 3000; i++) text += `${' '.repeat(i)}a:\n`;
    const r = parseSpec(text, 'deep.grad.yaml', { limits: { maxSpecKB: 8192 } });
    assert.equal(r.spec, null);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['spec/too-deep']);
    assert.match(r.diagnostics[0].message, /deeper than 64 levels/);
    // At the level past the limit (the 65th map, line 65), not where the YAML library gave up.
    assert.deepEqual(positionAt(text, r.diagnostics[0].range.start), { line: 64, character: 64 });
    const compact = parseSpec(`${'- '.repeat(3000)}x`, 'deep.grad.yaml');
    assert.deepEqual(compact.diagnostics.map((d) => d.code), ['spec/too-deep']);
    assert.equal(compact.diagnostics[0].range.start, 2 * 64);
    // Maps and lists in turn, and a flow list at the bottom: every kind counts as a level.
    let mixed = '';
    for (let i = 0; i < 1500; i++) mixed += `${' '.repeat(2 * i)}- b:\n`;
    mixed += `${' '.repeat(3000)}[1]\n`;
    const m = parseSpec(mixed, 'deep.grad.yaml', { limits: { maxSpecKB: 8192 } });
    assert.deepEqual(m.diagnostics.map((d) => d.code), ['spec/too-deep']);
    assert.deepEqual(positionAt(mixed, m.diagnostics[0].range.start), { line: 32, character: 64 });
    // Within the limit's reach, the level past it is named.
    let shallow = '';
    for (let i = 0; i < 70; i++) shallow += `${' '.repeat(i)}a:\n`;
    const s = parseSpec(shallow, 'deep.grad.yaml');
    assert.deepEqual(s.diagnostics.map((d) => [d.code, positionAt(shallow, d.range.start).line]), [['spec/too-deep', 64]]);
  });
});
