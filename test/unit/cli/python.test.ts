/**
 * The CLI on PyTorch source: `trace model.py` (text, JSON, SARIF, exit codes), `grads model.py`
 * with the model's state_dict names, sidecar specs (`model: {python, build, loss}`) given directly
 * or found beside the .py, and files with nothing to trace or that are not Python.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Io, main } from '../../../src/cli/main';
import { oneReason } from '../../../src/cli/python';
import { splitWords } from '../../../src/model/parse';
import { notebookJson } from '../python/support';
import { applyEdits } from '../../../src/model/fixes';
import { mirroredTree } from '../../../src/model/python/mirrored';

const SEED = readFileSync(join(__dirname, '..', '..', 'parity', 'python', 'seed_sigmoid.py'), 'utf8');
const LARGE_INIT = SEED.replace('criterion = nn.MSELoss()', 'nn.init.normal_(model[0].weight, std=10.0)\n\ncriterion = nn.MSELoss()');

async function run(argv: string[], files: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += t + '\n'),
    err: (t) => void (err += t + '\n'),
    readFile: (p) => {
      const key = Object.keys(files).find((k) => p === k || p.endsWith(`/${k}`));
      if (key === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: 'ENOENT' });
      return files[key];
    },
  };
  const code = await main(argv, io);
  return { code, out, err };
}

const MODULES = `import torch
import torch.nn as nn


class TwoLayer(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(n_hidden, 3)

    def forward(self, x, targets=None):
        logits = self.fc2(self.act(self.fc1(x)))
        if targets is None:
            return logits
        return logits, nn.functional.cross_entropy(logits, targets)
`;

/** A module-only file whose class derives nn.Transformer, with the sidecar that builds it (an lr that diverges). */
const TAGGER = {
  'tagger.py': `import torch
import torch.nn as nn


class Tagger(nn.Transformer):
    def __init__(self, vocab, width):
        super().__init__(d_model=width, nhead=2, dim_feedforward=16, num_encoder_layers=2, dropout=0.0)
        self.embed = nn.Embedding(vocab, width)
        self.decoder = nn.Linear(width, vocab)

    def forward(self, tokens):
        return self.decoder(self.encoder(self.embed(tokens)))
`,
  'tagger.grad.yaml': `model: {python: tagger.py, build: "Tagger(20, 8)", loss: "nn.functional.cross_entropy(model(x).reshape(-1, 20), y.reshape(-1))"}
input: {shape: [5], distribution: {integers: {low: 0, high: 20}}}
target: {shape: [5], distribution: {integers: {low: 0, high: 20}}}
optimizer: {SGD: {lr: 200}}
trace: {batch_size: 3}
`,
};

describe('gradient-lens CLI on PyTorch source', () => {
  it('trace model.py: the finding on the nn.Sigmoid() line (file:line:col), the forward call as a note; exit 1 on an error finding', async () => {
    const r = await run(['trace', 'seed.py', '--steps', '3'], { 'seed.py': LARGE_INIT });
    assert.equal(r.code, 1, r.err);
    const line = r.out.split('\n').find((l) => l.includes('saturated-activation'));
    assert.ok(line, r.out);
    assert.match(line, /^seed\.py:8:5: error saturated-activation: sigmoid layer saturated/);
    assert.match(r.out, /seed\.py:24:14: note: Sigmoid 1 is applied here/);
    assert.match(r.out, /seed\.py: 3 steps, batch 1, float32, SGD lr=0\.01/);
  });

  it('trace --format sarif and json carry the .py file and its ranges', async () => {
    const sarif = JSON.parse((await run(['trace', 'seed.py', '--steps', '2', '--format', 'sarif'], { 'seed.py': LARGE_INIT })).out);
    const result = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'saturated-activation');
    const loc = result.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'seed.py');
    assert.equal(loc.region.startLine, 8);
    const json = JSON.parse((await run(['trace', 'seed.py', '--steps', '2', '--format', 'json'], { 'seed.py': SEED })).out);
    assert.deepEqual(json.diagnostics, []);
    assert.deepEqual(json.trace.params.map((p: { name: string }) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it("a layer built in a module the script imports: the finding at that file's line (text, SARIF, JSON); a syntax error there at its line", async () => {
    const project = {
      'main.py': 'import torch\nimport torch.nn.functional as F\nfrom layers.block import Block\n\nnet = Block()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\nx = torch.randn(16, 4)\ny = torch.randn(16, 1)\nfor step in range(5):\n    opt.zero_grad()\n    loss = F.mse_loss(net(x), y)\n    loss.backward()\n    opt.step()\n',
      'layers/__init__.py': '',
      'layers/block.py':
        'import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(4, 32)\n        self.act = nn.Sigmoid()\n        self.fc2 = nn.Linear(32, 1)\n        nn.init.normal_(self.fc1.weight, std=50.0)\n\n    def forward(self, x):\n        return self.fc2(self.act(self.fc1(x)))\n',
    };
    const r = await run(['trace', 'main.py', '--steps', '3'], project);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^layers\/block\.py:8:20: error saturated-activation: sigmoid layer saturated/m);
    assert.match(r.out, /^ {4}layers\/block\.py:13:25: note: Sigmoid act is applied here/m);
    const sarif = JSON.parse((await run(['trace', 'main.py', '--steps', '2', '--format', 'sarif'], project)).out);
    const loc = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'saturated-activation').locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'layers/block.py');
    assert.equal(loc.region.startLine, 8);
    const json = JSON.parse((await run(['trace', 'main.py', '--steps', '2', '--format', 'json'], project)).out);
    const finding = json.findings.find((f: { rule: string }) => f.rule === 'saturated-activation');
    assert.match(finding.range.file, /layers\/block\.py$/);
    // Its fixes edit block.py, at block.py's offsets; applied there, the finding is gone.
    const relu = finding.fixes.find((x: { title: string }) => x.title === 'Replace Sigmoid with ReLU');
    assert.ok(relu, JSON.stringify(finding.fixes));
    assert.ok(relu.edits.every((e: { range: { file?: string } }) => /layers\/block\.py$/.test(e.range.file ?? '')), JSON.stringify(relu.edits));
    const fixed = { ...project, 'layers/block.py': applyEdits(project['layers/block.py'], relu.edits) };
    assert.match(fixed['layers/block.py'], /self\.act = nn\.ReLU\(\)/);
    assert.doesNotMatch((await run(['trace', 'main.py', '--steps', '3'], fixed)).out, /saturated-activation/);
    const sarifFix = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'saturated-activation').fixes.find((x: { description: { text: string } }) => x.description.text === 'Replace Sigmoid with ReLU');
    assert.deepEqual(sarifFix.artifactChanges.map((c: { artifactLocation: { uri: string }; replacements: { deletedRegion: { startLine: number } }[] }) => [c.artifactLocation.uri, c.replacements[0].deletedRegion.startLine]), [['layers/block.py', 8]]);
    const broken = { ...project, 'layers/block.py': project['layers/block.py'].replace('def forward(self, x):', 'def forward(self, x:') };
    assert.match(badInput(await run(['trace', 'main.py'], broken)), /^layers\/block\.py:12:5: syntax error in an imported file/);
  });

  it('a fix of a Softmax built in an imported module and the loss in the script edits both files: SARIF has a change per file, JSON ranges name the module', async () => {
    const project = {
      'heads.py': 'import torch.nn as nn\n\n\ndef head():\n    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))\n',
      'main.py':
        'import torch\nimport torch.nn as nn\nfrom heads import head\n\nnet = head()\ncriterion = nn.CrossEntropyLoss()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\nx = torch.randn(16, 4)\ny = torch.randint(0, 3, (16,))\nfor step in range(5):\n    opt.zero_grad()\n    loss = criterion(net(x), y)\n    loss.backward()\n    opt.step()\n',
    };
    const title = 'Replace Softmax with LogSoftmax and use NLLLoss';
    const sarif = JSON.parse((await run(['trace', 'main.py', '--steps', '2', '--format', 'sarif'], project)).out);
    const fix = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'loss-activation-mismatch').fixes.find((x: { description: { text: string } }) => x.description.text === title);
    type Change = { artifactLocation: { uri: string }; replacements: { deletedRegion: { startLine: number }; insertedContent: { text: string } }[] };
    assert.deepEqual(fix.artifactChanges.map((c: Change) => [c.artifactLocation.uri, c.replacements.map((x) => `${x.deletedRegion.startLine}: ${x.insertedContent.text}`)]), [
      ['heads.py', ['5: nn.LogSoftmax(dim=1)']],
      ['main.py', ['6: nn.NLLLoss()']],
    ]);
    const json = JSON.parse((await run(['trace', 'main.py', '--steps', '2', '--format', 'json'], project)).out);
    const edits: { range: { start: number; end: number; file?: string }; newText: string }[] = json.findings.find((f: { rule: string }) => f.rule === 'loss-activation-mismatch').fixes.find((x: { title: string }) => x.title === title).edits;
    const inModule = edits.filter((e) => e.range.file !== undefined);
    assert.ok(inModule.every((e) => /heads\.py$/.test(e.range.file!)), JSON.stringify(edits));
    const fixed = { 'heads.py': applyEdits(project['heads.py'], inModule), 'main.py': applyEdits(project['main.py'], edits.filter((e) => e.range.file === undefined)) };
    assert.match(fixed['main.py'], /criterion = nn\.NLLLoss\(\)/);
    assert.doesNotMatch((await run(['trace', 'main.py', '--steps', '2'], fixed)).out, /loss-activation-mismatch/);
  });

  it('grads model.py: loss and gradients by named_parameters() names', async () => {
    const r = await run(['grads', 'seed.py', '--dtype', 'float64'], { 'seed.py': SEED });
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(typeof json.loss, 'number');
    assert.deepEqual(Object.keys(json.grads), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.deepEqual(json.grads['0.weight'].shape, [10, 10]);
  });

  it('grads on a script of loose tensors updated by hand: --state sets them by their names in the script, the gradients come by those names', async () => {
    const script = `import torch

xs = torch.arange(4.)
ys = torch.zeros(4)
w = torch.randn((), requires_grad=True)
b = torch.randn((), requires_grad=True)
for step in range(10):
    loss = ((w * xs + b - ys) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.01 * w.grad
        b -= 0.01 * b.grad
        w.grad.zero_()
        b.grad.zero_()
`;
    const state = JSON.stringify({ w: { shape: [], data: [2] }, b: { shape: [], data: [0.5] } });
    const r = await run(['grads', 'fit.py', '--state', 'state.json', '--dtype', 'float64'], { 'fit.py': script, 'state.json': state });
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    // sum((2x + 0.5)^2) over x = 0..3, and its derivatives 2·sum((2x + 0.5)·x), 2·sum(2x + 0.5).
    assert.ok(Math.abs(json.loss - 69) < 1e-9, String(json.loss));
    assert.deepEqual(Object.keys(json.grads), ['w', 'b']);
    assert.ok(Math.abs(json.grads.w.data[0] - 62) < 1e-9 && Math.abs(json.grads.b.data[0] - 28) < 1e-9, JSON.stringify(json.grads));
  });

  it('a sidecar spec builds a model from a file that only defines modules, given directly or found beside the .py', async () => {
    const sidecar = `model: {python: two.py, build: "TwoLayer(4, 8)", loss: "model(x, y)[1]"}
input: {shape: [4], distribution: normal}
target: {shape: [], distribution: {integers: {low: 0, high: 3}}}
optimizer: {Adam: {lr: 0.001}}
trace: {steps: 2, batch_size: 5}
`;
    const files = { 'two.py': MODULES, 'two.grad.yaml': sidecar };
    const direct = await run(['grads', 'two.grad.yaml'], files);
    assert.equal(direct.code, 0, direct.err);
    assert.deepEqual(Object.keys(JSON.parse(direct.out).grads), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const beside = await run(['trace', 'two.py'], files);
    assert.equal(beside.code, 0, beside.err);
    assert.match(beside.out, /two\.py: 2 steps, batch 5, float32, Adam lr=0\.001/);
  });

  it('a sidecar model deriving nn.Transformer uses the encoder PyTorch built inside it; findings on layers built there are placed at the class', async () => {
    // lr=200 makes the run blow up, so findings fall on the inner layers (attention, feed-forward).
    const r = await run(['trace', 'tagger.grad.yaml', '--steps', '6', '--format', 'json'], TAGGER);
    assert.equal(r.code, 1, r.err);
    const json = JSON.parse(r.out) as { findings: { layer: string; range: { start: number; end: number } }[]; trace: { layers: { path: string; type: string }[] } };
    const inner = json.findings.filter((f) => f.layer.startsWith('encoder.'));
    assert.ok(inner.length > 0, r.out);
    for (const f of inner) assert.equal(TAGGER['tagger.py'].slice(f.range.start, f.range.end), 'Tagger', f.layer);
    assert.deepEqual(
      json.trace.layers.filter((l) => /^encoder\.layers\.0(\.self_attn)?$/.test(l.path)).map((l) => l.type),
      ['TransformerEncoderLayer', 'MultiheadAttention'],
    );
  });

  it('the bundled CLI names the layers PyTorch builds inside nn.Transformer by PyTorch\'s class names', function () {
    // Bundling renames a class that refers to itself (TransformerEncoderLayer.clone); the layer list and the Python classes read those names.
    const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    if (!existsSync(cli)) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'gl-tagger-'));
    try {
      for (const [name, text] of Object.entries(TAGGER)) writeFileSync(join(dir, name), text);
      const r = spawnSync(process.execPath, [cli, 'trace', 'tagger.grad.yaml', '--steps', '1', '--format', 'json', '--fail-on', 'never'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const types = new Set((JSON.parse(r.stdout) as { trace: { layers: { type: string }[] } }).trace.layers.map((l) => l.type));
      for (const t of ['TransformerEncoder', 'TransformerEncoderLayer', 'MultiheadAttention', 'LayerNorm', 'Linear']) assert.ok(types.has(t), [...types].join(', '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a sidecar\'s mistakes are one line at their place; a module-only file without one says how to trace it', async () => {
    const bad = await run(['trace', 'two.grad.yaml'], { 'two.py': MODULES, 'two.grad.yaml': 'model: {python: two.py, build: "TwoLayer(4, 8)", lossy: "x"}\ninput: {shape: [4]}\ntarget: {shape: [3]}\nloss: MSELoss\n' });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^two\.grad\.yaml:1:\d+: unknown key 'lossy' in a Python model/);
    const none = await run(['trace', 'two.py'], { 'two.py': MODULES });
    assert.equal(none.code, 2);
    assert.match(none.err, /^two\.py:5:7: no training loop calls loss\.backward\(\) here: to trace TwoLayer, give it a sidecar spec/);
  });

  it("a sidecar's build or loss expression that fails is told on that expression in the sidecar, and on the .py's line when raised there", async () => {
    const checked = MODULES.replace('        super().__init__()\n', '        super().__init__()\n        assert n_hidden % 2 == 0, "n_hidden must be even"\n');
    const side = (build: string, loss = 'model(x, y)[1]') => `input: {shape: [4]}\ntarget: {shape: [], distribution: {integers: {low: 0, high: 3}}}\nmodel: {python: two.py, build: ${JSON.stringify(build)}, loss: ${JSON.stringify(loss)}}\n`;
    const cases: [string, string, RegExp][] = [
      ['TwoLayr(4, 8)', 'model(x, y)[1]', /^two\.grad\.yaml:3:32: the sidecar's build expression fails: NameError: name 'TwoLayr' is not defined/],
      ['TwoLayer(4, 8, depth=2)', 'model(x, y)[1]', /^two\.grad\.yaml:3:32: the sidecar's build expression fails: TypeError: __init__\(\) got an unexpected keyword argument 'depth'/],
      ['TwoLayer(4, 8', 'model(x, y)[1]', /^two\.grad\.yaml:3:32: the sidecar's build expression fails: SyntaxError: the expression "TwoLayer\(4, 8" is not valid Python/],
      ['TwoLayer(4, 7)', 'model(x, y)[1]', /^two\.grad\.yaml:3:32: the sidecar's build expression fails: AssertionError: n_hidden must be even \(raised at (\S*\/)?two\.py:8:9\)$/],
      ['TwoLayer(4, 8)', 'model(x, y)[2]', /^two\.grad\.yaml:3:56: the sidecar's loss expression fails: IndexError: tuple index out of range/],
      ['TwoLayer(4, 8)', 'model(x, y, z)[1]', /^two\.grad\.yaml:3:56: the sidecar's loss expression fails: NameError: name 'z' is not defined/],
      // A construct not followed, written in the expression: said there too, not at the .py's first line.
      ['TwoLayer(4, 8)', 'torch.einsum("ij,ij->", model(x), model(x))', /^two\.grad\.yaml:3:56: Gradient Lens can't follow torch.einsum here$/],
    ];
    for (const [build, loss, want] of cases) {
      for (const argv of [['trace', 'two.grad.yaml'], ['trace', 'two.py'], ['grads', 'two.grad.yaml']]) {
        const r = await run(argv, { 'two.py': checked, 'two.grad.yaml': side(build, loss) });
        assert.equal(r.code, 2, `${argv.join(' ')} ${build}: ${r.out}${r.err}`);
        assert.match(r.err.trimEnd(), want, `${argv.join(' ')} ${build} ${loss}: ${r.err}`);
      }
    }
  });

  it('a sidecar loss written by hand (a policy gradient) is no torch loss to the rules: no finding about an MSELoss the files never use', async () => {
    // A softmax policy trained by REINFORCE on returns outside [0, 1]: read as MSELoss, its softmax "could not reach" them.
    const policy = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Policy(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return F.softmax(self.fc(x), dim=-1)\n';
    const side = 'model: {python: policy.py, build: "Policy()", loss: "-(model(x).log() * y).sum()"}\ninput: {shape: [4]}\ntarget: {shape: [2], distribution: {uniform: {low: -3, high: 5}}}\ntrace: {batch_size: 6}\n';
    const r = await run(['trace', 'policy.py', '--steps', '2', '--format', 'json', '--fail-on', 'never'], { 'policy.py': policy, 'policy.grad.yaml': side });
    assert.equal(r.code, 0, r.err);
    const findings = (JSON.parse(r.out) as { findings: { rule: string; message: string }[] }).findings;
    assert.deepEqual(findings.filter((f) => f.rule === 'loss-activation-mismatch' || /MSELoss/.test(f.message)), []);
  });

  /** Exit 2, nothing on stdout, one line on stderr: what a spec's errors give. */
  function badInput(r: { code: number; out: string; err: string }): string {
    assert.equal(r.code, 2, r.out + r.err);
    assert.equal(r.out, '');
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.err);
    return lines[0];
  }

  it('a syntax error is one line at its place; an unfollowable value the model needs, one line at its range', async () => {
    assert.match(badInput(await run(['trace', 'x.py'], { 'x.py': 'import torch\nmodel = torch.nn.Linear(2,\n' })), /^x\.py:\d+:\d+: \S/);
    const opaque = SEED.replace('import torch\n', 'import torch\nimport numpy as np\n').replace('nn.Linear(10, 10)', 'nn.Linear(np.load("n.npy").size, 10)');
    assert.match(badInput(await run(['trace', 'y.py'], { 'y.py': opaque })), /^y\.py:8:15: Gradient Lens can't follow numpy\.load(\(\))? here/);
  });

  it("a folder of images whose model fails at the loss: the line is PyTorch's error there, not the info about the synthetic images", async () => {
    // A pix2pix-style pair split in half along the width: the halves are 16 wide, the target 32, as PyTorch refuses.
    const script = `import glob
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import Dataset, DataLoader
import torchvision.transforms as transforms

class Pairs(Dataset):
    def __init__(self, root):
        self.transform = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])
        self.files = sorted(glob.glob(root + "/*.jpg"))

    def __getitem__(self, index):
        pair = self.transform(Image.open(self.files[index]).convert("RGB"))
        return pair[:, :, :16], pair[:, :, 16:]

    def __len__(self):
        return len(self.files)

model = nn.Conv2d(3, 3, 3, padding=1)
opt = torch.optim.Adam(model.parameters())
for a, b in DataLoader(Pairs("data"), batch_size=2):
    opt.zero_grad()
    loss = nn.MSELoss()(model(a), torch.ones(2, 3, 32, 32))
    loss.backward()
    opt.step()
`;
    const line = badInput(await run(['trace', 'pairs.py'], { 'pairs.py': script }));
    assert.match(line, /^pairs\.py:24:12: .*RuntimeError: The size of tensor a \(16\) must match the size of tensor b \(32\) at non-singleton dimension 3 \(and 1 more\)$/);
    // A limit met while tracing is a warning after the folder's info: the warning is the line.
    const range = { start: 0, end: 1 };
    const info = { severity: 'info' as const, code: 'python/image-folder', message: 'glob.glob(...) is read as 1000 synthetic images', range, related: [] };
    const limit = { ...info, severity: 'warning' as const, code: 'python/limit', message: 'the trace stopped' };
    assert.equal(oneReason({ diagnostics: [info, limit] }, () => ({ file: 'p.py', line: 1, column: 1, endLine: 1, endColumn: 2 })), 'p.py:1:1: the trace stopped (and 1 more)');
    const unfollowed = { ...info, code: 'python/cant-follow', message: "Gradient Lens can't follow torch.nn.parallel.data_parallel here" };
    assert.equal(oneReason({ diagnostics: [info, unfollowed] }, () => ({ file: 'p.py', line: 1, column: 1, endLine: 1, endColumn: 2 })), "p.py:1:1: Gradient Lens can't follow torch.nn.parallel.data_parallel here (and 1 more)");
  });

  it('nothing to trace is bad input, as a spec\'s errors are: trace (every format), grads and report give the same one line and exit 2', async () => {
    // Two syntax errors: the first, and how many more, as a spec's trace says "(and 1 more error)".
    const script = SEED.replace('nn.Linear(10, 1)', 'nn.Linear(10, 1)))').replace('loss.backward()', 'loss.backward(((');
    const spec = 'model:\n  - Linear: {in_features: 10, out_features: 10}\n  - Sigmoid: {x: 1}\n  - Linear: {in_features: 10, out_features: 1, y: 2}\ninput: {shape: [10]}\ntarget: {shape: [1]}\nloss: MSELoss\n';
    const files = { 'x.py': script, 'm.grad.yaml': spec };
    assert.match(badInput(await run(['trace', 'm.grad.yaml'], files)), /^m\.grad\.yaml:3:\d+: .* \(and 1 more error\)$/);
    const line = badInput(await run(['trace', 'x.py'], files));
    assert.match(line, /^x\.py:9:\d+: .* \(and \d+ more\)$/);
    for (const argv of [['trace', 'x.py', '--format', 'json'], ['trace', 'x.py', '--format', 'sarif'], ['trace', 'x.py', '--fail-on', 'never'], ['grads', 'x.py'], ['report', 'x.py', '-o', 'r.html']]) {
      assert.equal(badInput(await run(argv, files)), line, argv.join(' '));
    }
  });

  it('a script it traces: what the reader says (a raise the sidecar\'s build goes past) printed before the findings, exit by the findings', async () => {
    const sidecar = 'model: {python: two.py, build: "TwoLayer(4, 8)", loss: "model(x, y)[1]"}\ninput: {shape: [4]}\ntarget: {shape: [], distribution: {integers: {low: 0, high: 3}}}\ntrace: {steps: 2, batch_size: 5}\n';
    const r = await run(['trace', 'two.py'], { 'two.py': `${MODULES}\nraise RuntimeError("needs data")\n`, 'two.grad.yaml': sidecar });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /^two\.py:18:1: warning python\/raises: the script stops here when run: RuntimeError: needs data\nno findings: gradients look healthy\n\ntwo\.py: 2 steps/);
  });

  describe('notebooks', () => {
    // The large-init seed in cells, as a tutorial notebook has it: a title, the imports, the model, the loop.
    const [imports, rest] = [LARGE_INIT.slice(0, LARGE_INIT.indexOf('# Define')), LARGE_INIT.slice(LARGE_INIT.indexOf('# Define'))];
    const [model, loop] = [rest.slice(0, rest.indexOf('# Sample input')), rest.slice(rest.indexOf('# Sample input'))];
    const NB = notebookJson(['# md\n# Sigmoid saturation\n', `%matplotlib inline\n${imports}`, model, loop]);

    it('trace seed.ipynb: the finding on the nn.Sigmoid() line of its cell (file:cell N:line:col), the forward call in its own cell', async () => {
      const r = await run(['trace', 'seed.ipynb', '--steps', '3'], { 'seed.ipynb': NB });
      assert.equal(r.code, 1, r.err);
      assert.match(r.out, /^seed\.ipynb:cell 3:4:5: error saturated-activation: sigmoid layer saturated/m);
      assert.match(r.out, /^ {4}seed\.ipynb:cell 4:\d+:14: note: Sigmoid 1 is applied here/m);
    });

    it('SARIF names the place in the .ipynb text as stored, without fixes (they are Python, not JSON); JSON gives the cells', async () => {
      const sarif = JSON.parse((await run(['trace', 'seed.ipynb', '--steps', '2', '--format', 'sarif'], { 'seed.ipynb': NB })).out);
      const result = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'saturated-activation');
      const { artifactLocation, region } = result.locations[0].physicalLocation;
      assert.equal(artifactLocation.uri, 'seed.ipynb');
      const line = NB.split('\n')[region.startLine - 1];
      assert.equal(line.slice(region.startColumn - 1, region.startColumn - 1 + 'nn.Sigmoid()'.length), 'nn.Sigmoid()');
      assert.deepEqual(result.fixes, []);
      const json = JSON.parse((await run(['trace', 'seed.ipynb', '--steps', '2', '--format', 'json'], { 'seed.ipynb': NB })).out);
      assert.deepEqual(json.cells.map((c: { cell: number }) => c.cell), [2, 3, 4]);
      const f = json.findings.find((x: { rule: string }) => x.rule === 'saturated-activation');
      const cell = json.cells.find((c: { start: number; end: number }) => c.start <= f.range.start && f.range.start < c.end);
      assert.equal(cell.cell, 3);
    });

    it('grads seed.ipynb: gradients by the model\'s names; a file that is not a notebook is one line at its place', async () => {
      const r = await run(['grads', 'seed.ipynb'], { 'seed.ipynb': NB });
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(Object.keys(JSON.parse(r.out).grads), ['0.weight', '0.bias', '2.weight', '2.bias']);
      const bad = await run(['trace', 'bad.ipynb'], { 'bad.ipynb': '{\n  "cells": [\n    {"cell_type": "code", "source": ["x = 1"]\n' });
      assert.equal(bad.code, 2);
      assert.match(bad.err, /^bad\.ipynb:\d+:\d+: bad\.ipynb is not a notebook: JSON syntax error/);
    });
  });
});

/** A script whose model depends on its command line: a required width and a choice of activation. */
const BY_ARGS = `import argparse
import torch
import torch.nn as nn
p = argparse.ArgumentParser()
p.add_argument('--hidden', type=int, required=True)
p.add_argument('--act', choices=['relu', 'sigmoid'], default='relu')
args = p.parse_args()
act = nn.Sigmoid() if args.act == 'sigmoid' else nn.ReLU()
model = nn.Sequential(nn.Linear(4, args.hidden), act, nn.Linear(args.hidden, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(8, 4)
y = torch.randn(8, 1)
for step in range(3):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
`;

describe("gradient-lens CLI: a PyTorch script's own command-line arguments", () => {
  /** The hidden width and activation the traced model was built with. */
  const built = (out: string) => {
    const layers = (JSON.parse(out) as { trace: { layers: { path: string; type: string }[]; params: { name: string; shape: number[] }[] } }).trace;
    return { hidden: layers.params.find((p) => p.name === '0.weight')?.shape[0], act: layers.layers.find((l) => l.path === '1')?.type };
  };

  it('are the words after --; without them a required argument is not followed, and says how to give it', async () => {
    const none = await run(['trace', 'net.py'], { 'net.py': BY_ARGS });
    assert.equal(none.code, 2);
    assert.match(none.err, /^net\.py:5:1: Gradient Lens can't follow the command-line argument --hidden \(argparse; give the script's arguments with args: in its sidecar or after -- on the command line\) here$/m);
    const given = await run(['trace', 'net.py', '--format', 'json', '--fail-on', 'never', '--', '--hidden', '6', '--act', 'sigmoid'], { 'net.py': BY_ARGS });
    assert.equal(given.code, 0, given.err);
    assert.deepEqual(built(given.out), { hidden: 6, act: 'Sigmoid' });
  });

  it('refused by argparse: exit 2 and its message at parse_args, with the arguments given', async () => {
    const r = await run(['trace', 'net.py', '--', '--hidden', '6', '--act', 'tanh'], { 'net.py': BY_ARGS });
    assert.equal(r.code, 2);
    assert.equal(r.err.trim(), "net.py:7:8: argparse: error: argument --act: invalid choice: 'tanh' (choose from 'relu', 'sigmoid') (the script's arguments: --hidden 6 --act tanh)");
  });

  it("come from the sidecar's args (a list or one string split as a shell would); the command line's win", async () => {
    for (const args of ['"--hidden 5 --act \'sigmoid\'"', '[--hidden, 5, --act, sigmoid]']) {
      const files = { 'net.py': BY_ARGS, 'net.grad.yaml': `model: {python: net.py, args: ${args}}\n` };
      for (const file of ['net.py', 'net.grad.yaml']) {
        const r = await run(['trace', file, '--format', 'json', '--fail-on', 'never'], files);
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(built(r.out), { hidden: 5, act: 'Sigmoid' }, `${file} with args: ${args}`);
      }
      const over = await run(['trace', 'net.py', '--format', 'json', '--fail-on', 'never', '--', '--hidden', '7'], files);
      assert.deepEqual(built(over.out), { hidden: 7, act: 'ReLU' });
    }
  });

  it("a sidecar's args that are not words, and -- given for a file that is not Python, are one line each", async () => {
    const cases: [string, RegExp][] = [
      ['model: {python: net.py, args: {hidden: 5}}\n', /^net\.grad\.yaml:1:\d+: model\.args is the script's command-line arguments: a list of words/],
      ['model: {python: net.py, args: "--hidden \'5"}\n', /^net\.grad\.yaml:1:\d+: model\.args has an unclosed quote/],
      ['model: {python: net.py, args: [--hidden, [5]]}\n', /^net\.grad\.yaml:1:\d+: each word of model\.args is a string or a number/],
    ];
    for (const [sidecar, want] of cases) {
      const r = await run(['trace', 'net.grad.yaml'], { 'net.py': BY_ARGS, 'net.grad.yaml': sidecar });
      assert.equal(r.code, 2);
      assert.match(r.err, want);
    }
    const spec = await run(['trace', 'seed.grad.yaml', '--', '--hidden', '5'], { 'seed.grad.yaml': readFileSync(join(__dirname, '..', '..', '..', 'examples', 'seed.grad.yaml'), 'utf8') });
    assert.equal(spec.code, 2);
    assert.equal(spec.err.trim(), "the words after -- are a PyTorch script's command-line arguments, and seed.grad.yaml is not a Python file, notebook or sidecar");
  });
});

describe('splitWords: a sidecar args string split as a POSIX shell would', () => {
  it('splits at unquoted spaces; quotes keep spaces; a backslash escapes', () => {
    assert.deepEqual(splitWords(`  --name 'a b'  --note "say \\"hi\\"" x\\ y --e= ''`), ['--name', 'a b', '--note', 'say "hi"', 'x y', '--e=', '']);
    assert.equal(splitWords('--name "open'), null);
  });
});

/** pytorch/examples' DCGAN in short: the dataset is chosen by a required argument, FakeData among them. */
const DCGAN = `import argparse
import torch
import torch.nn as nn
import torch.optim as optim
import torchvision.datasets as dset
import torchvision.transforms as transforms

parser = argparse.ArgumentParser()
parser.add_argument('--dataset', required=True, help='cifar10 | fake')
parser.add_argument('--batchSize', type=int, default=64, help='input batch size')
parser.add_argument('--imageSize', type=int, default=64, help='the height / width of the input image to network')
parser.add_argument('--niter', type=int, default=25, help='number of epochs to train for')
opt = parser.parse_args()

if opt.dataset == 'cifar10':
    dataset = dset.CIFAR10(root='data', download=True, transform=transforms.Compose([transforms.Resize(opt.imageSize), transforms.ToTensor()]))
elif opt.dataset == 'fake':
    dataset = dset.FakeData(image_size=(3, opt.imageSize, opt.imageSize), transform=transforms.ToTensor())
dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batchSize, shuffle=True)

netD = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(8, 1, opt.imageSize // 2, 1, 0, bias=False), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
for epoch in range(opt.niter):
    for i, data in enumerate(dataloader, 0):
        netD.zero_grad()
        real = data[0]
        label = torch.full((real.size(0),), 1.0)
        output = netD(real).view(-1)
        errD = criterion(output, label)
        errD.backward()
        optimizerD.step()
`;

describe('gradient-lens CLI: a DCGAN-style script run with --dataset fake', () => {
  it('reads FakeData at the size the arguments give and traces the discriminator', async () => {
    const r = await run(['trace', 'dcgan.py', '--format', 'json', '--fail-on', 'never', '--steps', '2', '--', '--dataset', 'fake', '--imageSize', '16', '--batchSize', '4', '--niter', '1'], { 'dcgan.py': DCGAN });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const trace = (JSON.parse(r.out) as { trace: { steps: unknown[]; params: { name: string; shape: number[] }[] } }).trace;
    assert.deepEqual(trace.params.map((p) => [p.name, p.shape]), [['0.weight', [8, 3, 4, 4]], ['2.weight', [1, 8, 8, 8]]]);
    assert.equal(trace.steps.length, 2);
  });
});

const SIAMESE = readFileSync(join(__dirname, 'siamese_network.py'), 'utf8');

const RESNET = `import torch
import torch.nn as nn
import torchvision.models as models

model = models.resnet18(num_classes=10)
nn.init.normal_(model.layer4[1].conv2.weight, std=5.0)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
x = torch.randn(2, 3, 32, 32)
y = torch.randint(0, 10, (2,))
for step in range(2):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
`;

/**
 * Scripts that build torchvision models: a siamese network in the style of pytorch/examples' (a
 * torchvision ResNet-18 as the shared backbone) is traced with nothing left unfollowed, and a
 * finding on a layer built inside torchvision is shown at the user's call that built the model,
 * naming the submodule, with no fix (its edit would be torchvision's code).
 */
describe('gradient-lens CLI on scripts that build torchvision.models', () => {
  it('a siamese network on a torchvision ResNet-18 backbone is traced with nothing left unfollowed', async () => {
    const r = await run(['trace', 'siamese_network.py', '--steps', '2', '--format', 'json'], { 'siamese_network.py': SIAMESE });
    const json = JSON.parse(r.out) as { diagnostics: unknown[]; trace: { params: { name: string }[]; steps: unknown[] } };
    assert.deepEqual(json.diagnostics, [], r.err);
    assert.equal(json.trace.steps.length, 2);
    const names = json.trace.params.map((p) => p.name);
    // The backbone's children as a Sequential: conv1 (the script's own, one channel) is 0, layer4 is 7.
    assert.equal(names[0], 'resnet.0.weight');
    assert.ok(names.includes('resnet.7.1.conv2.weight'), names.join(' '));
    assert.deepEqual(names.slice(-4), ['fc.0.weight', 'fc.0.bias', 'fc.2.weight', 'fc.2.bias']);
  });

  it("a finding on a layer inside torchvision's ResNet is at the script's constructor call, naming the submodule, without a fix", async () => {
    const r = await run(['trace', 'train.py', '--steps', '2', '--format', 'json'], { 'train.py': RESNET });
    const json = JSON.parse(r.out) as { diagnostics: unknown[]; findings: { rule: string; layer: string; message: string; range: { start: number; end: number; file?: string }; fixes?: unknown[] }[] };
    assert.deepEqual(json.diagnostics, []);
    const inside = json.findings.filter((f) => f.layer === 'layer4.1.conv2' && f.rule === 'vanishing-gradient');
    assert.equal(inside.length, 1, JSON.stringify(json.findings.map((f) => [f.rule, f.layer])));
    const f = inside[0];
    assert.equal(RESNET.slice(f.range.start, f.range.end), 'models.resnet18(num_classes=10)');
    assert.equal(f.range.file, undefined);
    assert.match(f.message, /Conv2d layer4\.1\.conv2/);
    assert.deepEqual(f.fixes ?? [], []);
    const text = await run(['trace', 'train.py', '--steps', '2'], { 'train.py': RESNET });
    assert.match(text.out, /^train\.py:5:9: warning vanishing-gradient: gradient vanishes at Conv2d layer4\.1\.conv2/m);
    assert.doesNotMatch(text.out, /gradient-lens-mirrored/);
  });

  it('torchvision/models.py is parsed once per process: a second run over the shared tree traces the same steps and findings', async () => {
    assert.equal(mirroredTree('torchvision/models.py').ast, mirroredTree('torchvision/models.py').ast);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const json = JSON.parse((await run(['trace', 'train.py', '--steps', '2', '--format', 'json'], { 'train.py': RESNET })).out) as { findings: unknown[]; trace: { steps: unknown[] } };
      runs.push({ findings: json.findings, steps: json.trace.steps });
    }
    assert.ok(runs[0].findings.length > 0 && runs[0].steps.length === 2);
    assert.deepEqual(runs[1], runs[0]);
  });
});
