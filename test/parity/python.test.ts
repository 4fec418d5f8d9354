/**
 * Python-source parity: every .py file (and .ipynb notebook, its code cells joined) in test/parity/python is run by real PyTorch (Debian's
 * torch 1.13, /usr/bin/python3) as its author runs it, up to its first loss.backward(); the
 * harness (torch_python.py) records the state_dict PyTorch initialised, the batch, the loss and the
 * gradients. Gradient Lens reads the same unchanged file (the CLI's `grads file.py --state --batch
 * --dtype`, in this process) and must give the same loss and gradients: 1e-5 relative in float64.
 *
 * A file with a sidecar beside it (`model.grad.yaml`, `model: {python: model.py, ...}`) is run as the
 * sidecar says: `build` and `loss` expressions for a file that only defines modules (PyTorch imports
 * the file, builds the model and computes the loss on a batch it draws), `trace: {dropout: false}`
 * for a model with dropout (its masks are drawn by different generators on the two sides).
 *
 * GL_PYTHON_PARITY_DIR=/some/dir runs the files of that folder instead (real public files kept out
 * of the repository, checked the same way).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { DType } from '../../src/engine';
import { NO_TIME_LIMIT, runCli } from '../support/cli';
import { parseSpec } from '../../src/model';
import type { DataSpec } from '../../src/model/graph';
import { PYTHON, requireTorch } from '../support/torch';
import { compare, compareNamed, TOLERANCE, type Named, type Worst } from './compare';

const OWN_FILES = join(__dirname, 'python');
const FILES = process.env.GL_PYTHON_PARITY_DIR || OWN_FILES;
interface TensorJson {
  shape: number[];
  data: number[];
}
interface TorchResult {
  error?: string;
  state: Named;
  batch: { input: TensorJson; target: TensorJson } | null;
  loss: number;
  grads: Named;
}

interface Case {
  id: string;
  file: string;
  dtype: DType;
  dropout: boolean;
  build?: string;
  loss?: string;
  input?: { shape: number[]; low?: number; high?: number };
  target?: { shape: number[]; low?: number; high?: number };
}

/** What PyTorch's side draws for a sidecar's input or target: the batch dimension first, integers as indices. */
function drawn(spec: DataSpec, batchSize: number): Case['input'] {
  const d = spec.distribution;
  const shape = [batchSize, ...spec.shape];
  if (d?.kind === 'integers') return { shape, low: d.low, high: d.high };
  if (d?.kind === 'classes') return { shape, low: 0, high: d.count };
  return { shape };
}

function casesOf(dtype: DType): Case[] {
  const out: Case[] = [];
  // A file of its own, or a project in a folder of its own, traced through its train.py.
  const entries = readdirSync(FILES, { withFileTypes: true });
  // Notebooks too: their code cells in order, as run top to bottom (torch_python.py joins them the same way).
  const scripts = [...entries.filter((e) => e.isFile() && /\.(py|ipynb)$/.test(e.name)).map((e) => e.name), ...entries.filter((e) => e.isDirectory() && existsSync(join(FILES, e.name, 'train.py'))).map((e) => join(e.name, 'train.py'))];
  for (const name of scripts.sort()) {
    const file = join(FILES, name);
    const c: Case = { id: `${name}:${dtype}`, file, dtype, dropout: true };
    const sidecarPath = file.replace(/\.(py|ipynb)$/, '.grad.yaml');
    let text: string | null = null;
    try {
      text = readFileSync(sidecarPath, 'utf8');
    } catch {
      text = null;
    }
    if (text !== null) {
      const { sidecar, diagnostics } = parseSpec(text, sidecarPath);
      if (!sidecar) throw new Error(`${sidecarPath} is not a sidecar: ${diagnostics.map((d) => d.message).join('; ')}`);
      c.dropout = sidecar.parts.trace.dropout !== false;
      if (sidecar.build) {
        if (!sidecar.loss) throw new Error(`${sidecarPath}: the parity suite needs model.loss with model.build`);
        c.build = sidecar.build;
        c.loss = sidecar.loss;
        c.input = drawn(sidecar.parts.input!, sidecar.parts.trace.batchSize);
        c.target = drawn(sidecar.parts.target!, sidecar.parts.trace.batchSize);
      }
    }
    out.push(c);
  }
  return out;
}


describe('PyTorch parity: Python source files read by Gradient Lens against the same files run by torch 1.13', function () {
  // GL_PARITY_ONLY=cifar_project runs the cases whose id holds it (a shared machine's quick check); the full list is the default.
  const only = process.env.GL_PARITY_ONLY;
  const cases = casesOf('float64').filter((c) => !only || c.id.includes(only));
  const results = new Map<string, TorchResult>();
  const table: { id: string; worst: Worst }[] = [];
  let work = '';
  let torchVersion = '';

  before(function () {
    requireTorch(this, 'the Python-source parity suite');
    work = mkdtempSync(join(tmpdir(), 'gradient-lens-pyparity-'));
    // One Python process for every case: importing torch costs about a second.
    const request = { cases: cases.map(({ id, file, dtype, dropout, build, loss, input, target }) => ({ id, file, dtype, seed: 0, dropout, build, loss, input, target })) };
    const r = spawnSync(PYTHON, [join(__dirname, 'torch_python.py')], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`torch_python.py failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as { torch: string; results: Record<string, TorchResult> };
    torchVersion = out.torch;
    for (const [id, res] of Object.entries(out.results)) results.set(id, res);
  });

  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
    if (!table.length) return;
    console.log(`\n  worst relative error against torch ${torchVersion} (|a-b| / (max(|a|,|b|) + atol/rtol)):`);
    for (const row of table) console.log(`    ${row.id.padEnd(32)} ${row.worst.rel.toExponential(2)} (${row.worst.where})`);
  });

  it('has the seed programs and the popular-code-style models', function () {
    if (FILES !== OWN_FILES || only) this.skip();
    const ids = cases.map((c) => c.id.replace(/\.py:.*/, ''));
    for (const wanted of ['cifar_project/train', 'seed_sigmoid', 'seed_relu', 'seed_xavier', 'lenet', 'mnist_example', 'resnet', 'gpt', 'word_lm', 'sine_lstm', 'char_gru', 'cifar_vgg', 'tabular_mlp', 'conv_autoencoder', 'transformer_lm', 'amp_phases', 'init_schemes', 'tcn_block', 'aspp_head', 'numpy_curve_fit', 'numpy_tutorial_regression']) if (!ids.includes(wanted)) throw new Error(`no ${wanted}.py in ${FILES}`);
  });

  for (const c of cases) {
    it(`${c.id.replace('.py', '')}: gradient-lens grads matches PyTorch's loss and gradients`, async function () {
      const ref = results.get(c.id);
      if (!ref) throw new Error(`PyTorch returned nothing for ${c.id}`);
      if (ref.error) throw new Error(`PyTorch could not run ${c.id}: ${ref.error}`);
      const dir = mkdtempSync(join(work, 'case-'));
      const statePath = join(dir, 'state.json');
      const batchPath = join(dir, 'batch.json');
      writeFileSync(statePath, JSON.stringify(ref.state));
      // No batch from a script of loose tensors: both sides run on the script's own fixed data.
      if (ref.batch) writeFileSync(batchPath, JSON.stringify(ref.batch));
      const r = await runCli(['grads', c.file, '--state', statePath, ...(ref.batch ? ['--batch', batchPath] : []), '--dtype', c.dtype, ...NO_TIME_LIMIT]);
      if (r.code !== 0) throw new Error(`gradient-lens grads exited ${r.code}:\n${r.err}`);
      const ours = JSON.parse(r.out) as { loss: number; grads: Named };
      const worst: Worst = { rel: 0, where: '' };
      const failures = [...compare('loss', [ours.loss], [ref.loss], c.dtype, worst), ...compareNamed('grad', ours.grads, ref.grads, c.dtype, worst)];
      table.push({ id: c.id, worst });
      if (failures.length) throw new Error(`${c.id} disagrees with PyTorch beyond ${TOLERANCE[c.dtype].rtol} relative:\n  ${failures.join('\n  ')}`);
    });
  }
});
