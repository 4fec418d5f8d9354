import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { parseWithNonFinite } from '../../../src/report/json';
import type { ReportData } from '../../../src/report/types';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

/** Runs the CLI in-process with captured output and in-memory files layered over the disk. */
async function run(argv: string[], files: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += t + '\n'),
    err: (t) => void (err += t + '\n'),
    readFile: (p) => (p in files ? files[p] : readFileSync(p, 'utf8')),
  };
  const code = await main(argv, io);
  return { code, out, err };
}

const SEED = `model:
  - Linear: {in_features: 10, out_features: 10}
  - Sigmoid
  - Linear: {in_features: 10, out_features: 1}
input: {shape: [10], distribution: normal}
target: {shape: [1], distribution: normal}
loss: MSELoss
optimizer: {SGD: {lr: 0.01}}
trace: {steps: 3, batch_size: 4, seed: 0}
`;

describe('gradient-lens CLI', () => {
  describe('grads', () => {
    it('prints loss and one gradient per parameter with PyTorch names and shapes', async () => {
      const r = await run(['grads', 'm.grad.yaml'], { 'm.grad.yaml': SEED });
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out);
      assert.equal(typeof json.loss, 'number');
      assert.deepEqual(Object.keys(json.grads), ['0.weight', '0.bias', '2.weight', '2.bias']);
      assert.deepEqual(json.grads['0.weight'].shape, [10, 10]);
      assert.equal(json.grads['0.weight'].data.length, 100);
    });

    it('uses --state and --batch, and is deterministic', async () => {
      const state = {
        '0.weight': { shape: [10, 10], data: Array.from({ length: 100 }, (_, i) => Math.sin(i) / 3) },
        '0.bias': { shape: [10], data: new Array(10).fill(0) },
        '2.weight': { shape: [1, 10], data: new Array(10).fill(0.1) },
        '2.bias': { shape: [1], data: [0] },
      };
      const batch = { input: { shape: [2, 10], data: Array.from({ length: 20 }, (_, i) => i / 20) }, target: { shape: [2, 1], data: [1, -1] } };
      const files = { 'm.grad.yaml': SEED, 's.json': JSON.stringify(state), 'b.json': JSON.stringify(batch) };
      const a = await run(['grads', 'm.grad.yaml', '--state', 's.json', '--batch', 'b.json', '--dtype', 'float64'], files);
      const b = await run(['grads', 'm.grad.yaml', '--state', 's.json', '--batch', 'b.json', '--dtype', 'float64'], files);
      assert.equal(a.code, 0, a.err);
      assert.equal(a.out, b.out);
      // The output layer's bias gradient is d mean((y-t)²)/db = 2·mean(y-t): check it by hand.
      const json = JSON.parse(a.out);
      assert.equal(json.grads['2.bias'].data.length, 1);
    });

    it('names a state file with a wrong shape in one line, exit 2', async () => {
      const state = { '0.weight': { shape: [10, 5], data: new Array(50).fill(0) } };
      const r = await run(['grads', 'm.grad.yaml', '--state', 's.json'], { 'm.grad.yaml': SEED, 's.json': JSON.stringify(state) });
      assert.equal(r.code, 2);
      assert.equal(r.err.trim().split('\n').length, 1);
      assert.match(r.err, /^s\.json:1:2: /, 'at the "0.weight" key');
      assert.match(r.err, /0\.weight/);
    });

    it('names a batch with the wrong per-sample shape, exit 2', async () => {
      const batch = { input: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, target: { shape: [2, 1], data: [1, 2] } };
      const r = await run(['grads', 'm.grad.yaml', '--batch', 'b.json'], { 'm.grad.yaml': SEED, 'b.json': JSON.stringify(batch) });
      assert.equal(r.code, 2);
      assert.match(r.err, /^b\.json:1:11: .*\[2, 3\]/, 'at the "shape" of "input"');
    });
  });

  describe('bad input', () => {
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      ['a missing file', ['trace', 'nope.grad.yaml'], {}, /^nope\.grad\.yaml:1:1: cannot read the spec: no such file$/],
      ['a YAML syntax error', ['trace', 'b.grad.yaml'], { 'b.grad.yaml': 'model: [\n' }, /^b\.grad\.yaml:\d+:\d+: /],
      ['an unknown layer', ['grads', 'c.grad.yaml'], { 'c.grad.yaml': SEED.replace('- Sigmoid', '- Sigmod') }, /^c\.grad\.yaml:3:5: .*Sigmoid/],
      ['invalid JSON in a state file', ['grads', 'm.grad.yaml', '--state', 's.json'], { 'm.grad.yaml': SEED, 's.json': '{"a": ' }, /^s\.json:1:\d+: invalid JSON/],
      ['an unknown option', ['trace', 'm.grad.yaml', '--speed', '3'], { 'm.grad.yaml': SEED }, /unknown option --speed/],
      ['a bad --steps', ['trace', 'm.grad.yaml', '--steps', '0'], { 'm.grad.yaml': SEED }, /--steps must be a positive integer/],
      ['a bad --format', ['trace', 'm.grad.yaml', '--format', 'xml'], { 'm.grad.yaml': SEED }, /--format must be one of text, json, sarif/],
      ['an unknown command', ['tarce'], {}, /unknown command "tarce"/],
    ];
    for (const [what, argv, files, pattern] of cases) {
      it(`${what}: exit 2 and one line`, async () => {
        const r = await run(argv, files);
        assert.equal(r.code, 2);
        assert.equal(r.err.trim().split('\n').length, 1, r.err);
        assert.match(r.err.trim(), pattern);
      });
    }
  });

  describe('trace', () => {
    it('prints findings then a per-step gradient-norm table', async () => {
      const r = await run(['trace', 'm.grad.yaml', '--steps', '2'], { 'm.grad.yaml': SEED });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /gradient L2 norm per parameter:/);
      assert.match(r.out, /step\s+loss\s+0\.weight\s+0\.bias\s+2\.weight\s+2\.bias/);
      assert.equal(r.out.trim().split('\n').filter((l) => /^\s+[01]\s/.test(l)).length, 2);
    });

    it('--format json gives findings and the trace', async () => {
      const r = await run(['trace', 'm.grad.yaml', '--format', 'json'], { 'm.grad.yaml': SEED });
      const json = JSON.parse(r.out);
      assert.ok(Array.isArray(json.findings));
      assert.equal(json.trace.steps.length, 3);
      assert.deepEqual(json.trace.params.map((p: { name: string }) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
    });

    it('reports a saturated sigmoid like a compiler, with SARIF and --fail-on', async () => {
      const saturated = SEED.replace('- Linear: {in_features: 10, out_features: 10}', '- Linear: {in_features: 10, out_features: 10}\n    init: {weight: {normal: {std: 8}}}');
      const files = { 's.grad.yaml': saturated };
      const text = await run(['trace', 's.grad.yaml', '--fail-on', 'never'], files);
      assert.equal(text.code, 0);
      assert.match(text.out, /^s\.grad\.yaml:4:5: (warning|error) saturated-activation: sigmoid layer saturated: \d+(\.\d)?% of units/m);
      assert.equal((await run(['trace', 's.grad.yaml', '--fail-on', 'warning'], files)).code, 1);
      const sarif = JSON.parse((await run(['trace', 's.grad.yaml', '--format', 'sarif', '--fail-on', 'never'], files)).out);
      assert.equal(sarif.version, '2.1.0');
      const result = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'saturated-activation');
      assert.equal(result.locations[0].physicalLocation.region.startLine, 4);
      assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 's.grad.yaml');
      assert.ok(sarif.runs[0].tool.driver.rules.some((x: { id: string }) => x.id === 'saturated-activation'));
    });
  });

  describe('report', () => {
    it('writes a self-contained HTML report', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gl-report-'));
      const out = join(dir, 'r.html');
      const specPath = join(dir, 'm.grad.yaml');
      writeFileSync(specPath, SEED);
      const r = await run(['report', specPath, '-o', out]);
      assert.equal(r.code, 0, r.err);
      const html = readFileSync(out, 'utf8');
      assert.match(html, /<html/);
      assert.match(html, /0\.weight/);
      assert.doesNotMatch(html, /<script[^>]+src=/);
      assert.match(r.out, /report written to/);
    });

    it("judges the health column with --config's thresholds, as the findings", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gl-report-'));
      const specPath = join(dir, 'm.grad.yaml');
      writeFileSync(specPath, SEED);
      const health = async (config?: object) => {
        const out = join(dir, `r${config ? '-config' : ''}.html`);
        const args = ['report', specPath, '-o', out];
        if (config) {
          writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
          args.push('--config', join(dir, 'c.json'));
        }
        const r = await run(args);
        assert.equal(r.code, 0, r.err);
        const html = readFileSync(out, 'utf8');
        const data = /<script type="application\/json" id="gradient-lens-data">([\s\S]*?)<\/script>/.exec(html)![1];
        return parseWithNonFinite<ReportData>(data).health;
      };
      const usual = await health();
      assert.deepEqual(usual.map((h) => h.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
      assert.deepEqual(usual.map((h) => h.health), ['healthy', 'healthy', 'healthy', 'healthy']);
      // Any gradient norm above 1e-9 counts as exploding under this config.
      const strict = await health({ explodingGradient: { normBound: 1e-9 } });
      assert.deepEqual(strict.map((h) => h.health), ['exploding', 'exploding', 'exploding', 'exploding']);
      // The exploding-gradient finding (under the same config) decides for the first layer, the numbers for the last.
      assert.match(strict[0].reason, /^gradient explodes at Linear 0: .* past the bound 1e-9/);
      assert.match(strict[2].reason, /^‖∇‖ = .* above 1e-9 \(explodingGradient\.normBound\)$/);
    });
  });

  it('traces every example spec without error', async () => {
    for (const f of ['seed.grad.yaml', 'seed-relu.grad.yaml', 'seed-xavier.grad.yaml', 'seed.grad.json']) {
      const r = await run(['trace', join(EXAMPLES, f), '--steps', '2', '--fail-on', 'never']);
      assert.equal(r.code, 0, `${f}: ${r.err}`);
    }
  });
});

describe('gradient-lens trace on decorated TypeScript models', function () {
  this.timeout(120_000);
  const TS = join(EXAMPLES, 'typescript');

  it('traces each @model class and reports the wrong custom backward on its line', async () => {
    const r = await run(['trace', join(TS, 'wrong-backward.model.ts'), '--fail-on', 'never']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^model \w+:/m);
    assert.match(r.out, /wrong-backward\.model\.ts:\d+:\d+: error custom-gradient: /);
  });

  it('exits 1 with --fail-on error when a finding is an error, and prints SARIF', async () => {
    const file = join(TS, 'disconnected.model.ts');
    assert.equal((await run(['trace', file])).code, 1);
    const sarif = JSON.parse((await run(['trace', file, '--format', 'sarif', '--fail-on', 'never'])).out);
    assert.ok(sarif.runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'disconnected-parameter'));
  });

  it('refuses spec-only options with one line', async () => {
    const r = await run(['trace', join(TS, 'seed.model.ts'), '--state', 's.json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--state applies to spec files/);
  });
});
