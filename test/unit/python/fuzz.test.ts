/**
 * Broken Python never crashes the reader: seeded mutations of real-looking files (cut, doubled,
 * spliced, truncated, random tokens) are parsed and evaluated with tight limits, and every run ends
 * with a result or one of the interpreter's own errors, with diagnostics inside the text.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../../src/engine/rng';
import { CantFollow, LimitExceeded, PyRaise, ScriptExit } from '../../../src/model/python/errors';
import { Interpreter } from '../../../src/model/python/interpreter';
import { parsePython } from '../../../src/model/python/parse';
import { ready } from './support';

const PROGRAMS = join(__dirname, 'programs');
const TOKENS = ['(', ')', '[', ']', '{', '}', ':', ',', '.', '=', '*', '**', 'def ', 'class ', 'lambda ', 'return ', 'yield ', 'while True:\n    ', 'import ', 'from ', '"', "'", '"""', '\\', '\n', '\n    ', '\t', '@', 'f"{', 'nn.', 'super().', ' if ', ' else ', 'for x in ', 'del ', 'raise ', 'async ', 'await ', '\u00e9', '\ud800', '\0', ';'];

function mutate(src: string, rng: Rng): string {
  const pick = (n: number) => Math.floor(rng.uniform() * n);
  let s = src;
  const edits = 1 + pick(4);
  for (let k = 0; k < edits; k++) {
    const i = pick(s.length + 1);
    const j = Math.min(s.length, i + pick(40));
    switch (pick(5)) {
      case 0:
        s = s.slice(0, i) + s.slice(j);
        break;
      case 1:
        s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
        break;
      case 2:
        s = s.slice(0, i) + TOKENS[pick(TOKENS.length)] + s.slice(i);
        break;
      case 3:
        s = s.slice(0, i);
        break;
      default: {
        const a = pick(s.length + 1);
        s = s.slice(0, i) + s.slice(a, a + pick(60)) + s.slice(i);
      }
    }
  }
  return s;
}

describe('Python reader fuzzing: broken Python never crashes it', function () {
  this.timeout(120_000);
  before(ready);

  it('survives 600 mutated files with diagnostics inside the text', () => {
    const sources = readdirSync(PROGRAMS)
      .filter((f) => f.endsWith('.py'))
      .map((f) => readFileSync(join(PROGRAMS, f), 'utf8'));
    const rng = new Rng(20241);
    let syntaxErrors = 0;
    let ended = 0;
    for (let n = 0; n < 600; n++) {
      const src = mutate(sources[n % sources.length], rng);
      const { ast, diagnostics } = parsePython(src);
      for (const d of diagnostics) {
        assert.ok(d.range.start >= 0 && d.range.end <= src.length && d.range.start <= d.range.end, `diagnostic outside the text: ${JSON.stringify(d)}`);
      }
      if (diagnostics.length) syntaxErrors++;
      const interp = new Interpreter({ limits: { maxSteps: 50_000, maxLength: 100_000 } });
      try {
        interp.run(ast);
      } catch (e) {
        const known = e instanceof PyRaise || e instanceof CantFollow || e instanceof LimitExceeded || e instanceof ScriptExit;
        assert.ok(known, `case ${n} crashed: ${(e as Error)?.stack}\n--- source ---\n${src}`);
        ended++;
      }
    }
    assert.ok(syntaxErrors > 100, `the mutations produce syntax errors (${syntaxErrors})`);
    assert.ok(ended > 10, `and runs that end early (${ended})`);
  });

  it('survives random bytes', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 100; n++) {
      const len = Math.floor(rng.uniform() * 400);
      let src = '';
      for (let i = 0; i < len; i++) src += String.fromCharCode(Math.floor(rng.uniform() * 128));
      const { ast } = parsePython(src);
      try {
        new Interpreter({ limits: { maxSteps: 10_000 } }).run(ast);
      } catch (e) {
        assert.ok(e instanceof PyRaise || e instanceof CantFollow || e instanceof LimitExceeded || e instanceof ScriptExit, String((e as Error)?.stack));
      }
    }
  });
});
