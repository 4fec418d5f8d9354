/**
 * The trace worker's job for PyTorch source, run in plain node: the file read (never run), traced
 * by its own loop or its sidecar, findings and the reader's diagnostics at line/character positions
 * of the traced text, fixes written in Python, the time budget and the script's own step count.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { formatBytes } from '../../../src/numbers';
import { DEFAULT_CONFIG } from '../../../src/rules/config';
import { runJob } from '../../../src/worker/job';
import type { ResolvedEdit, TraceReply, TraceRequest } from '../../../src/worker/messages';
import { applyEdits } from '../../../src/model/fixes';
import { textDigest } from '../../../src/text-digest';

const PARITY = join(__dirname, '..', '..', 'parity', 'python');
const SEED = readFileSync(join(PARITY, 'seed_sigmoid.py'), 'utf8');
const LARGE_INIT = SEED.replace('criterion = nn.MSELoss()', 'nn.init.normal_(model[0].weight, std=10.0)\n\ncriterion = nn.MSELoss()');

/** Every reply, in order, as the host receives them. */
async function runAll(over: Partial<TraceRequest> & { text: string }): Promise<TraceReply[]> {
  const replies: TraceReply[] = [];
  await runJob(
    { id: 3, fileName: '/w/seed.py', memoryLimitBytes: 2 ** 28, timeLimitMs: 600_000, config: DEFAULT_CONFIG, progress: false, python: {}, ...over },
    (r) => replies.push(structuredClone(r)),
  );
  return replies;
}

/** The replies but 'reading' (what the job reads now, for the host's time limit: its own test below). */
const run = async (over: Partial<TraceRequest> & { text: string }) => (await runAll(over)).filter((r) => r.type !== 'reading');

type Of<T extends TraceReply['type']> = Extract<TraceReply, { type: T }>;
const lineOf = (text: string, re: RegExp) => text.split('\n').findIndex((l) => re.test(l));

/** Resolved edits (line/character) applied to a text, as the editor applies a quick fix. */
function applyResolved(text: string, edits: readonly ResolvedEdit[]): string {
  const offset = (p: { line: number; character: number }) => text.split('\n').slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return applyEdits(text, edits.map((e) => ({ range: { start: offset(e.range.start), end: offset(e.range.end) }, newText: e.newText })));
}

describe('trace worker job on PyTorch source', () => {
  it('the seed with a large init: parsed with its layers, then the finding on the nn.Sigmoid() call, fixes in Python', async () => {
    const replies = await run({ text: LARGE_INIT, steps: 5 });
    assert.deepEqual(replies.map((r) => r.type), ['parsed', 'traced']);
    const parsed = replies[0] as Of<'parsed'>;
    assert.equal(parsed.ok, true);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.layers.map((l) => l.path), ['0', '1', '2']);
    const sigmoid = lineOf(LARGE_INIT, /nn\.Sigmoid\(\)/);
    assert.equal(parsed.layers[1].range.start.line, sigmoid);
    const traced = replies[1] as Of<'traced'>;
    assert.equal(traced.trace.steps.length, 5);
    const f = traced.findings.find((x) => x.rule === 'saturated-activation')!;
    assert.ok(f, JSON.stringify(traced.findings.map((x) => x.rule)));
    assert.equal(f.range.start.line, sigmoid);
    assert.equal(LARGE_INIT.split('\n')[sigmoid].slice(f.range.start.character, f.range.end.character), 'nn.Sigmoid()');
    assert.ok(f.related.some((r) => r.range.start.line === lineOf(LARGE_INIT, /output = model\(x\)/) && /applied here/.test(r.message)));
    const relu = f.fixes.find((x) => /ReLU/.test(x.title))!;
    assert.deepEqual(relu.edits.map((e) => e.newText), ['nn.ReLU()']);
  });

  it("a script's own module: read from disk unless open with unsaved text; a finding on a layer built there is at that file's line; a problem there at the import; its path in reads", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-worker-imports-'));
    try {
      const block = 'import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(4, 32)\n        self.act = nn.Sigmoid()\n        self.fc2 = nn.Linear(32, 1)\n\n    def forward(self, x):\n        return self.fc2(self.act(self.fc1(x)))\n';
      writeFileSync(join(dir, 'block.py'), block);
      const main = 'import torch\nimport torch.nn.functional as F\nfrom block import Block\n\nnet = Block()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\nfor step in range(5):\n    opt.zero_grad()\n    loss = F.mse_loss(net(x), y)\n    loss.backward()\n    opt.step()\n';
      const fileName = join(dir, 'main.py');
      const healthy = await run({ text: main, fileName, steps: 3 });
      assert.deepEqual((healthy[0] as Of<'parsed'>).reads, [{ path: join(dir, 'block.py'), digest: textDigest(block) }]);
      // What an import looked for and did not find: the paths whose creation traces the script again.
      const before = (await run({ text: main.replace('from block import Block', 'from blocks import Block'), fileName, steps: 3 }))[0] as Of<'parsed'>;
      assert.deepEqual(before.missing?.filter((p) => p.includes('blocks')).sort(), [join(dir, 'blocks'), join(dir, 'blocks.py'), join(dir, 'blocks', '__init__.py')]);
      assert.equal(healthy[0].type === 'parsed' && healthy[0].missing?.some((p) => /block\.py$/.test(p)), false, 'a module found is not missing');
      // ...and an unsaved new file at one of them is read.
      const created = (await run({ text: main.replace('from block import Block', 'from blocks import Block'), fileName, steps: 3, python: { unsaved: { [join(dir, 'blocks.py')]: block } } }))[0] as Of<'parsed'>;
      assert.ok(created.ok, JSON.stringify(created.problems));
      // A document that is no local file reads nothing beside it.
      assert.equal(((await run({ text: main, fileName, steps: 3, dataRoots: null }))[0] as Of<'parsed'>).reads, undefined);
      assert.equal((healthy.at(-1) as Of<'traced'>).findings.filter((f) => f.rule === 'saturated-activation').length, 0);
      // The editor's unsaved text of block.py: a large init, not on disk.
      const unsaved = block.replace('        self.fc2', '        nn.init.normal_(self.fc1.weight, std=50.0)\n        self.fc2');
      const replies = await run({ text: main, fileName, steps: 3, python: { unsaved: { [join(dir, 'block.py')]: unsaved } } });
      const parsed = replies[0] as Of<'parsed'>;
      assert.equal(parsed.layers.find((l) => l.path === 'act')?.uri, pathToFileURL(join(dir, 'block.py')).toString());
      const f = (replies.at(-1) as Of<'traced'>).findings.find((x) => x.rule === 'saturated-activation')!;
      assert.ok(f, 'the unsaved init is what ran');
      assert.equal(f.file, join(dir, 'block.py'));
      assert.equal(f.range.start.line, lineOf(unsaved, /nn\.Sigmoid\(\)/));
      // Its fixes edit the module, at the unsaved text's positions; applied there, the script traces without the finding.
      const relu = f.fixes.find((x) => x.title === 'Replace Sigmoid with ReLU')!;
      assert.ok(relu, JSON.stringify(f.fixes.map((x) => x.title)));
      assert.deepEqual(relu.edits.map((e) => ({ file: e.file, line: e.range.start.line, text: e.newText })), [{ file: join(dir, 'block.py'), line: lineOf(unsaved, /nn\.Sigmoid\(\)/), text: 'nn.ReLU()' }]);
      const init = f.fixes.find((x) => /^Initialise Linear fc1's weight with xavier_uniform/.test(x.title))!;
      assert.deepEqual(init.edits.map((e) => ({ file: e.file, line: e.range.start.line, text: e.newText })), [{ file: join(dir, 'block.py'), line: lineOf(unsaved, /nn\.init\.normal_/), text: 'nn.init.xavier_uniform_(self.fc1.weight)' }]);
      const fixed = applyResolved(unsaved, init.edits);
      const after = await run({ text: main, fileName, steps: 3, python: { unsaved: { [join(dir, 'block.py')]: fixed } } });
      assert.deepEqual((after.at(-1) as Of<'traced'>).findings.map((x) => x.rule), [], fixed);
      // Something raised in the module: a problem of the script, at its import, naming the file and line.
      const raising = await run({ text: main, fileName, steps: 3, python: { unsaved: { [join(dir, 'block.py')]: block.replace('nn.Linear(4, 32)', 'nn.Linear(4, 32, nope=1)') } } });
      const problem = (raising[0] as Of<'parsed'>).problems[0];
      assert.ok(problem, JSON.stringify(raising));
      assert.equal(problem.range.start.line, lineOf(main, /^net = Block\(\)/), 'the script\'s call that raised there');
      assert.match(problem.message, /\(block\.py line 7\)$/);
      assert.deepEqual(problem.related?.slice(0, 1).map((r) => [r.file, r.range.start.line, r.message]), [[join(dir, 'block.py'), 6, 'the reason, in block.py']]);
      // ...and the module's own, at the offending call in block.py, pointing back to the script's line.
      const inModule = (raising[0] as Of<'parsed'>).problems[1];
      assert.equal(inModule?.file, join(dir, 'block.py'), JSON.stringify(raising[0]));
      assert.equal(inModule.range.start.line, lineOf(block, /nn\.Linear\(4, 32\)/));
      assert.equal(inModule.message, problem.message.replace(/ \(block\.py line 7\)$/, ''));
      assert.deepEqual(inModule.related?.at(-1), { range: problem.range, message: 'reached from main.py here' });
      // What block.py cannot follow: in block.py at the expression, and a pointer on the script's line.
      const numpy = block.replace('import torch.nn as nn\n', 'import torch.nn as nn\nimport numpy as np\n').replace('nn.Linear(4, 32)', 'nn.Linear(4, np.load("w.npy").size)');
      const opaque = await run({ text: main, fileName, steps: 3, python: { unsaved: { [join(dir, 'block.py')]: numpy } } });
      const cant = (opaque[0] as Of<'parsed'>).problems.filter((p) => p.code === 'python/cant-follow');
      const load = lineOf(numpy, /np\.load/);
      assert.deepEqual(cant.map((p) => [p.file, p.range.start.line, p.range.start.character]), [
        [undefined, lineOf(main, /^from block import Block/), 0],
        [join(dir, 'block.py'), load, numpy.split('\n')[load].indexOf('np.load')],
      ], JSON.stringify(cant));
      assert.match(cant[0].message, /^Gradient Lens can't follow numpy\.load.*\(block\.py line 8\)$/);
      // A syntax error there: at the script's import.
      const broken = await run({ text: main, fileName, steps: 3, python: { unsaved: { [join(dir, 'block.py')]: block.replace('def forward(self, x):', 'def forward(self, x:') } } });
      const syntax = (broken[0] as Of<'parsed'>).problems[0];
      assert.equal(syntax?.code, 'python/syntax', JSON.stringify(broken));
      assert.equal(syntax.severity, 'error');
      assert.equal(syntax.range.start.line, lineOf(main, /^from block import Block/));
      assert.match(syntax.message, /^syntax error in an imported file: .*\(block\.py line 11\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the script\'s own loop count when it is below the steps asked for, and says so in progress', async () => {
    const three = LARGE_INIT.replace('range(1000)', 'range(3)');
    const replies = await run({ text: three, steps: 5, progress: true });
    const progress = replies.filter((r) => r.type === 'progress') as Of<'progress'>[];
    assert.deepEqual(progress.map((p) => `${p.step}/${p.of}`), ['1/3', '2/3', '3/3']);
    assert.equal((replies.at(-1) as Of<'traced'>).trace.steps.length, 3);
  });

  it('stops between steps at the time budget and returns the steps it has', async () => {
    const replies = await run({ text: LARGE_INIT, steps: 50, timeLimitMs: 0 });
    const traced = replies.at(-1) as Of<'traced'>;
    assert.equal(traced.type, 'traced');
    assert.equal(traced.trace.steps.length, 1);
  });

  it('tells the host it parses (with the code\'s size), then reads up to the model, then traces: the time limit says which took the time', async () => {
    const replies = await runAll({ text: LARGE_INIT, steps: 2 });
    const kb = formatBytes(Buffer.byteLength(LARGE_INIT));
    assert.deepEqual(
      replies.map((r) => (r.type === 'reading' ? `reading: ${r.what}` : r.type)),
      [`reading: parsing seed.py (${kb} of Python)`, 'reading: reading seed.py up to its model and training loop', 'reading: null', 'parsed', 'traced'],
    );
    // A file with no model is read, never traced; a notebook's code is its code cells.
    const none = await runAll({ text: 'import torch\n', fileName: '/w/nb.ipynb' });
    assert.deepEqual(
      none.flatMap((r) => (r.type === 'reading' ? [r.what] : [])),
      ['parsing nb.ipynb\'s code cells (13 bytes of Python)', 'reading nb.ipynb up to its model and training loop'],
    );
  });

  it('a syntax error, an unfollowable value and a file with no model are problems at their place, not a trace', async () => {
    const broken = await run({ text: 'import torch\nmodel = torch.nn.Linear(2,\n' });
    assert.deepEqual(broken.map((r) => r.type), ['parsed']);
    const p = broken[0] as Of<'parsed'>;
    assert.equal(p.ok, false);
    assert.equal(p.problems[0].code, 'python/syntax');
    assert.equal(p.problems[0].severity, 'error');
    const opaque = SEED.replace('import torch\n', 'import torch\nimport numpy as np\n').replace('nn.Linear(10, 10)', 'nn.Linear(np.load("n.npy").size, 10)');
    const o = (await run({ text: opaque }))[0] as Of<'parsed'>;
    const cant = o.problems.find((x) => x.code === 'python/cant-follow')!;
    assert.ok(cant, JSON.stringify(o.problems));
    assert.equal(cant.severity, 'info');
    assert.equal(cant.range.start.line, lineOf(opaque, /np\.load/));
    const none = (await run({ text: 'import torch.nn as nn\n\nclass Net(nn.Module):\n    pass\n' }))[0] as Of<'parsed'>;
    assert.deepEqual(none.problems.map((x) => [x.code, x.range.start.line]), [['python/no-model', 2]]);
  });

  it('a sidecar beside the file builds its model; a broken sidecar is one error naming it and its line', async () => {
    const text = readFileSync(join(PARITY, 'gpt.py'), 'utf8');
    const sidecar = readFileSync(join(PARITY, 'gpt.grad.yaml'), 'utf8');
    const replies = await run({ text, fileName: '/w/gpt.py', steps: 2, python: { sidecar: { text: sidecar, fileName: '/w/gpt.grad.yaml' } } });
    const traced = replies.at(-1) as Of<'traced'>;
    assert.equal(traced.type, 'traced', JSON.stringify(replies[0]));
    assert.equal(traced.trace.steps.length, 2);
    assert.ok(traced.trace.params.some((p) => p.name === 'transformer.wte.weight'));
    const bad = await run({ text, fileName: '/w/gpt.py', python: { sidecar: { text: `${sidecar}\nbogus: 1\n`, fileName: '/w/gpt.grad.yaml' } } });
    const p = bad[0] as Of<'parsed'>;
    assert.equal(p.ok, false);
    assert.match(p.problems[0].message, /^The sidecar \/w\/gpt\.grad\.yaml cannot be used \(line 8\): /);
  });

  it("a sidecar whose build expression fails: the .py's problem names the sidecar and its line, at the .py line that raised when it did", async () => {
    const text = readFileSync(join(PARITY, 'gpt.py'), 'utf8');
    const sidecar = readFileSync(join(PARITY, 'gpt.grad.yaml'), 'utf8');
    const line = sidecar.split('\n').findIndex((l) => /build:/.test(l)) + 1;
    const misspelt = sidecar.replace(/build: "GPT\(/, 'build: "GTP(');
    assert.notEqual(misspelt, sidecar);
    const p = (await run({ text, fileName: '/w/gpt.py', python: { sidecar: { text: misspelt, fileName: '/w/gpt.grad.yaml' } } }))[0] as Of<'parsed'>;
    assert.equal(p.ok, false);
    const e = p.problems.find((x) => x.severity === 'error')!;
    assert.equal(e.message, `the sidecar's build expression fails: NameError: name 'GTP' is not defined (gpt.grad.yaml line ${line})`);
    assert.equal(e.range.start.line, 0);
  });

  it('a sidecar spec opened on its own says whose it is (at its python key) and traces nothing', async () => {
    const sidecar = readFileSync(join(PARITY, 'gpt.grad.yaml'), 'utf8');
    const replies = await run({ text: sidecar, fileName: '/w/gpt.grad.yaml', python: undefined });
    assert.deepEqual(replies.map((r) => r.type), ['parsed']);
    const p = replies[0] as Of<'parsed'>;
    assert.equal(p.ok, false);
    assert.deepEqual(p.problems.map((x) => [x.severity, x.code]), [['info', 'python/sidecar']]);
    assert.match(p.problems[0].message, /^This spec is the sidecar of gpt\.py: Gradient Lens traces it with that file/);
    assert.equal(p.problems[0].range.start.line, lineOf(sidecar, /^model:/));
  });

  it('code over the Python size limit is one error on the first line, not parsed (the default 1 MiB, or gradientLens.maxPythonKB)', async () => {
    // Unclosed brackets: a parse would report syntax errors, the refusal says only the size.
    const big = `${SEED}\n${'(\n'.repeat(0.55 * 2 ** 20)}`;
    const small = `${SEED}\n${'(\n'.repeat(10_000)}`;
    const cases: [Partial<TraceRequest> & { text: string }, RegExp][] = [
      [{ text: big }, /^the Python file is 1\.1 MiB, over the 1\.0 MiB limit \(--max-python-kb \/ gradientLens\.maxPythonKB\)$/],
      [{ text: small, limits: { maxPythonKB: 16 } }, /^the Python file is 2\d KiB, over the 16 KiB limit \(--max-python-kb \/ gradientLens\.maxPythonKB\)$/],
      [{ text: small, fileName: '/w/nb.ipynb', limits: { maxPythonKB: 16 } }, /^the notebook's code is 2\d KiB, over the 16 KiB limit/],
    ];
    for (const [req, message] of cases) {
      const replies = await run(req);
      assert.deepEqual(replies.map((r) => r.type), ['parsed']);
      const parsed = replies[0] as Of<'parsed'>;
      assert.equal(parsed.ok, false);
      assert.equal(parsed.problems.length, 1, JSON.stringify(parsed.problems));
      assert.deepEqual({ ...parsed.problems[0], message: '' }, { severity: 'error', code: 'python/too-large', message: '', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, fixes: [] });
      assert.match(parsed.problems[0].message, message);
    }
    // Under the limit it is read: the syntax errors show.
    const read = (await run({ text: small, limits: { maxPythonKB: 32 } }))[0] as Of<'parsed'>;
    assert.ok(read.problems.some((p) => p.code === 'python/syntax'), JSON.stringify(read.problems.slice(0, 2)));
  });
});
