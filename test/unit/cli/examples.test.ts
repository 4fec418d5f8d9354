/**
 * Holds what `gradient-lens trace` finds in every model under examples/ (spec files and decorated
 * TypeScript models) against examples.expected.txt, written from the CLI's output: each finding's
 * place, severity, rule and message, its notes, and each fix with the text edits it makes. A
 * refactor of the pipeline must leave this file unchanged; a change that means to change a finding
 * regenerates it (`GL_UPDATE_EXPECTED=1 npx mocha test/unit/cli/examples.test.ts`) and the diff
 * shows exactly what moved.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { setKernelBackend } from '../../../src/engine';
import { positionAt } from '../../../src/model/graph';
import type { SourceRange } from '../../../src/model/graph';
import type { Finding } from '../../../src/rules/types';

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const EXPECTED = join(__dirname, 'examples.expected.txt');

/**
 * examples/held-out is the part of the real-world corpus kept out of the rules' development: it is
 * scored on its own (`npm run corpus-score -- --held-out`), so its findings are not written here.
 */
const HELD_OUT = join(EXAMPLES, 'held-out');

function modelFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (p === HELD_OUT) return [];
      if (statSync(p).isDirectory()) return modelFiles(p);
      return /\.grad\.(ya?ml|json)$|\.model\.ts$/.test(name) ? [p] : [];
    });
}

interface RunError {
  kind: string;
  message: string;
  className?: string;
  location?: SourceRange;
}

/** The CLI's JSON output, in-process: findings per model (one unnamed model for a spec). */
async function traceJson(file: string): Promise<{ models: { className: string; findings: Finding[] }[]; errors: RunError[] }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), readFile: (p) => readFileSync(p, 'utf8') };
  const code = await main(['trace', file, '--format', 'json', '--fail-on', 'never'], io);
  assert.equal(code, 0, `${file}: exit ${code}: ${err}`);
  const json = JSON.parse(out);
  if (Array.isArray(json.models)) return { models: json.models, errors: json.errors ?? [] };
  return { models: [{ className: '', findings: json.findings }], errors: [] };
}

function describeFile(name: string, text: string, run: Awaited<ReturnType<typeof traceJson>>): string[] {
  const at = (r: SourceRange) => {
    const p = positionAt(text, r.start);
    return `${p.line + 1}:${p.character + 1}`;
  };
  const span = (r: SourceRange) => `${at(r)}-${at({ start: r.end, end: r.end })}`;
  const lines: string[] = [`== ${name}`];
  for (const e of run.errors) lines.push(`${e.location ? at(e.location) : '-'}: error ${e.kind}: ${e.className ? `${e.className}: ` : ''}${e.message}`);
  for (const m of run.models) {
    if (m.className) lines.push(`model ${m.className}: ${m.findings.length} finding${m.findings.length === 1 ? '' : 's'}`);
    for (const f of m.findings) {
      lines.push(`${at(f.range)}: ${f.severity} ${f.rule} [${f.layer}]: ${f.message}`);
      for (const r of f.related) lines.push(`    ${at(r.range)}: note: ${r.message}`);
      for (const fix of f.fixes) {
        lines.push(`    fix${fix.preferred ? ' (preferred)' : ''}: ${fix.title}`);
        for (const e of fix.edits) lines.push(`        ${span(e.range)} ${JSON.stringify(e.newText)}`);
      }
    }
  }
  return lines;
}

describe('the findings of every example model, through the CLI', function () {
  // Five decorated TypeScript models each run in a child process.
  this.timeout(300_000);

  // The expected text is float32 arithmetic, so it is pinned to the plain-SIMD kernels, which every
  // runtime runs alike: relaxed SIMD's fused multiply-add rounds differently (a product that
  // overflows to NaN and Inf with a separate multiply and add stays Inf with FMA). The child
  // processes of the TypeScript models read the same setting from the environment.
  const pinned = process.env.GRADIENT_LENS_KERNELS;
  before(() => {
    process.env.GRADIENT_LENS_KERNELS = 'simd';
    setKernelBackend('simd');
  });
  after(() => {
    if (pinned === undefined) delete process.env.GRADIENT_LENS_KERNELS;
    else process.env.GRADIENT_LENS_KERNELS = pinned;
    setKernelBackend('auto');
  });

  it('match examples.expected.txt', async () => {
    const files = modelFiles(EXAMPLES);
    assert.ok(files.length >= 60, `${files.length} example models`);
    const lines: string[] = [];
    for (const file of files) {
      const name = relative(ROOT, file).replace(/\\/g, '/');
      lines.push(...describeFile(name, readFileSync(file, 'utf8'), await traceJson(file)));
    }
    const actual = `${lines.join('\n')}\n`;
    if (process.env.GL_UPDATE_EXPECTED === '1') writeFileSync(EXPECTED, actual);
    const expected = readFileSync(EXPECTED, 'utf8');
    // Compared line by line, so a failure names the first finding that moved rather than one huge string.
    const a = actual.split('\n');
    const e = expected.split('\n');
    for (let i = 0; i < Math.max(a.length, e.length); i++) {
      assert.equal(a[i], e[i], `line ${i + 1} of examples.expected.txt differs (GL_UPDATE_EXPECTED=1 rewrites the file when the change is meant)`);
    }
  });
});
