/**
 * PyTorch parity: for every spec in test/parity/specs, PyTorch (Debian's python3-torch, run with
 * /usr/bin/python3) initialises the model, draws a batch and computes the loss and gradients; the
 * real CLI, `node dist/cli.js grads spec --state --batch --dtype`, must print the same loss and
 * gradients from the same state and batch, to 1e-5 relative in float64 and 1e-4 in float32. Then,
 * through the library (prepare, forwardBackward, buildOptimizer), batch norm's running statistics
 * after the forward and the parameters after each of three steps must match PyTorch's to the same
 * tolerances: SGD with momentum, Adam in float64, and the spec's own optimizer section (AdamW,
 * RMSprop, Adagrad, Adadelta, gradient clipping).
 *
 * float32 gradients are compared for each kernel build: the JavaScript kernels, WebAssembly with
 * plain SIMD and with relaxed SIMD (the CLI run in a node with --experimental-wasm-relaxed-simd
 * where relaxed SIMD is not on by default); float64 always runs the JavaScript kernels.
 *
 * The CLI runs every case of one kernel build in one node process of the real bundle (its exported
 * commandLine: the same argv, environment, kernel threads, stdout, stderr and exit code as
 * `node dist/cli.js grads …`): a node start-up and the bundle's load cost about a second each on a
 * loaded 2-core machine, and one process per case made this suite most of the unit run's time.
 *
 * Dropout: the engine's seeded Rng and torch's generator draw different masks, so a Dropout with
 * p > 0 cannot be compared element by element; the suite uses Dropout(p=0.0), which still checks
 * that the layer is built, named and passed through in training mode.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DType, KernelBackend, Tensor } from '../../src/engine';
import { kernelInfo } from '../../src/engine';
import { stateDict } from '../../src/engine/state';
import { parseSpec } from '../../src/model';
import { buildOptimizer } from '../../src/model/build';
import { OPTIMIZERS, type OptimizerTraits } from '../../src/model/catalogue';
import type { LayerNode, ModelSpec, OptimizerSpec } from '../../src/model/graph';
import { forwardBackward, prepare } from '../../src/trace/run';
import { PYTHON, requireTorch } from '../support/torch';
import { compare, compareNamed, TOLERANCE, type Named, type Worst } from './compare';

const ROOT = join(__dirname, '..', '..');
const SPECS = join(__dirname, 'specs');
const CLI = join(ROOT, 'dist', 'cli.js');

interface TensorJson {
  shape: number[];
  data: number[];
}

interface TorchResult {
  error?: string;
  state: Named;
  batch: { input: TensorJson; target: TensorJson };
  loss: number;
  grads: Named;
  buffers: Named;
  after: Record<string, Named[]>;
}

const SGD_ARGS = { lr: 0.1, momentum: 0.9, weight_decay: 0.01 };
const ADAM_ARGS = { lr: 0.01, weight_decay: 0.01 };
/** Optimiser steps compared after the gradients. */
const STEPS = 3;

interface StepOptimizer {
  /** How the results name it: the type, or 'spec' for the spec's own optimizer section. */
  key: string;
  spec: Pick<OptimizerSpec, 'type' | 'args' | 'clip'>;
}

/**
 * SGD with momentum and weight decay in both dtypes and Adam in float64 on every model, then the
 * spec's own optimizer section (its optimiser with its arguments and gradient clipping) in both.
 * Adam is left out in float32 for the older specs, whose Linear biases feed batch norm: their
 * gradients are zero in theory and float32 noise in practice, which Adam's step turns into ±lr on
 * many entries (zeroInTheory leaves such entries out of every adaptive step instead).
 */
function optimizersFor(dtype: DType, spec: ModelSpec): StepOptimizer[] {
  const out: StepOptimizer[] = [{ key: 'SGD', spec: { type: 'SGD', args: SGD_ARGS as OptimizerSpec['args'], clip: null } }];
  if (dtype === 'float64') out.push({ key: 'Adam', spec: { type: 'Adam', args: ADAM_ARGS as OptimizerSpec['args'], clip: null } });
  out.push({ key: 'spec', spec: spec.optimizer });
  return out;
}

/** The clipping as torch_reference.py applies it. */
function clipJson(clip: OptimizerSpec['clip']): unknown {
  if (!clip) return null;
  return clip.kind === 'norm' ? { norm: clip.maxNorm, type: clip.normType } : { value: clip.clipValue };
}

/**
 * The entries whose gradient is zero in exact arithmetic, as PyTorch's float64 or float32 rounding
 * leaves it (within the atol): the bias of a Linear feeding batch norm, attention's key bias (it adds
 * one constant to a row of scores, which softmax ignores). An adaptive optimiser divides that noise
 * by its own root (Adam's first step moves it by ±lr whatever its size), in PyTorch as much as
 * here, so its steps on these entries compare noise: they are left out of the adaptive steps only.
 */
function zeroInTheory(grads: Named, dtype: DType): { skip: Record<string, boolean[]>; count: number } {
  const { atol } = TOLERANCE[dtype];
  let count = 0;
  const skip: Record<string, boolean[]> = {};
  for (const [name, g] of Object.entries(grads)) {
    skip[name] = g.data.map((v) => Math.abs(v) <= atol);
    count += skip[name].filter(Boolean).length;
  }
  return { skip, count };
}

function paramsJson(params: readonly Tensor[]): Named {
  const out: Named = {};
  for (const p of params) out[p.name ?? ''] = { shape: [...p.shape], data: Array.from(p.data) };
  return out;
}

/** The layer tree as the Python side reads it: types, names and PyTorch keyword arguments. */
function treeJson(node: LayerNode): unknown {
  return { type: node.type, name: node.name, args: node.args, children: node.children.map(treeJson) };
}

/** The newest modification time under a directory (a loop: no recursion). */
function newestUnder(dir: string): number {
  let newest = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) stack.push(p);
      else if (s.mtimeMs > newest) newest = s.mtimeMs;
    }
  }
  return newest;
}

/** The suite tests the real CLI bundle; build it when it is missing or older than the sources. */
function ensureCli(): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestUnder(join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dist/cli.js is missing or older than src/, and \`node esbuild.mjs\` failed:\n${r.stderr}`);
  if (!existsSync(CLI)) throw new Error('node esbuild.mjs did not produce dist/cli.js');
}

interface Case {
  id: string;
  file: string;
  spec: ModelSpec;
  dtype: DType;
}

const DTYPES: DType[] = ['float64', 'float32'];
const KERNELS: KernelBackend[] = ['js', 'simd', 'relaxed-simd'];
/** The kernel builds a dtype's CLI runs are compared in (null: the default environment; float64 always runs the JavaScript kernels). */
function kernelsFor(dtype: DType): (KernelBackend | null)[] {
  return dtype === 'float32' ? KERNELS : [null];
}

const relaxedByDefault = WebAssembly.validate(readFileSync(join(ROOT, 'dist', 'kernels-relaxed-simd.wasm')));

/** The CLI's node arguments and environment for one kernel build (float32 only; null: float64, the default environment). */
function kernelRun(kernels: KernelBackend | null): { nodeArgs: string[]; env: NodeJS.ProcessEnv } {
  if (!kernels) return { nodeArgs: [], env: process.env };
  return {
    nodeArgs: kernels === 'relaxed-simd' && !relaxedByDefault ? ['--experimental-wasm-relaxed-simd'] : [],
    env: { ...process.env, GRADIENT_LENS_KERNELS: kernels },
  };
}

/** What the CLI printed and returned for one command. */
interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Between commands on stdout and stderr; the CLI never prints a control character U+0001. */
const MARK = '\n\u0001gradient-lens parity: next command\n';

/**
 * Runs every argv through the bundle's commandLine, one after another in one node process; the
 * marks go through the same streams as the commands' output, so they fall between commands. The
 * process ends as the CLI's does, once its output is flushed (process.exit could cut it short). A
 * process that dies part-way leaves the commands it did not finish with status null and its stderr.
 */
const RUNNER = `
const { commandLine } = require(process.argv[1]);
const jobs = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
(async () => {
  const codes = [];
  for (const argv of jobs) {
    process.stdout.write(${JSON.stringify(MARK)});
    process.stderr.write(${JSON.stringify(MARK)});
    codes.push(await commandLine(argv));
  }
  process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify(codes));
})();
`;

function runCli(kernels: KernelBackend | null, jobs: string[][]): CliRun[] {
  const { nodeArgs, env } = kernelRun(kernels);
  const r = spawnSync(process.execPath, [...nodeArgs, '-e', RUNNER, CLI], { input: JSON.stringify(jobs), encoding: 'utf8', maxBuffer: 1 << 30, env });
  const out = r.stdout.split(MARK);
  const err = r.stderr.split(MARK);
  const codes = r.status === 0 && out.length === jobs.length + 2 ? (JSON.parse(out[jobs.length + 1]) as number[]) : [];
  const died = `the CLI process (${kernels ?? 'js'} kernels) ended (status ${r.status ?? r.signal}, ${out.length - 1} of ${jobs.length + 1} marks on stdout) before this command's exit code was written:\n${r.error?.message ?? ''}${err.at(-1)}`;
  return jobs.map((_, i) => (i < codes.length ? { status: codes[i], stdout: out[i + 1], stderr: err[i + 1] } : { status: null, stdout: '', stderr: died }));
}

const specFiles = readdirSync(SPECS)
  .filter((f) => f.endsWith('.grad.yaml'))
  .sort();

describe('PyTorch parity: `gradient-lens grads` and the optimisers against torch 1.13', function () {
  // One Python run answers every case up front; on a loaded shared machine that takes minutes:
  // mocha's 10-minute hang guard bounds it.
  const results = new Map<string, TorchResult>();
  /** The CLI's run of each case, by `${case id} ${kernels}`. */
  const cliRuns = new Map<string, CliRun>();
  const table: { spec: string; dtype: DType; kernels: string; loss: number; grads: Worst; steps?: Worst; skipped?: number }[] = [];
  let work = '';
  let torchVersion = '';

  const cases: Case[] = [];
  for (const f of specFiles) {
    const file = join(SPECS, f);
    const { spec, diagnostics } = parseSpec(readFileSync(file, 'utf8'), file);
    if (!spec) throw new Error(`${f} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
    for (const dtype of DTYPES) cases.push({ id: `${f}:${dtype}`, file, spec, dtype });
  }

  before(function () {
    requireTorch(this, 'the PyTorch parity suite');
    ensureCli();
    work = mkdtempSync(join(tmpdir(), 'gradient-lens-parity-'));
    // One Python process for every case: importing torch costs about a second.
    const request = {
      cases: cases.map(({ id, spec, dtype }) => ({
        id,
        model: treeJson(spec.model),
        loss: { type: spec.loss.type, args: spec.loss.args },
        input: spec.input,
        target: spec.target,
        batch_size: spec.trace.batchSize,
        dtype,
        seed: spec.trace.seed,
        optimizers: optimizersFor(dtype, spec).map(({ key, spec: o }) => ({ key, type: o.type, args: o.args, clip: clipJson(o.clip) })),
      })),
    };
    const r = spawnSync(PYTHON, [join(__dirname, 'torch_reference.py')], {
      input: JSON.stringify(request),
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    if (r.status !== 0) throw new Error(`torch_reference.py failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as { torch: string; results: Record<string, TorchResult> };
    torchVersion = out.torch;
    for (const [id, res] of Object.entries(out.results)) results.set(id, res);

    // The CLI's commands, one process per kernel build: `grads spec --state --batch --dtype` on PyTorch's state and batch.
    const jobs = new Map<KernelBackend | null, { key: string; argv: string[] }[]>();
    for (const c of cases) {
      const ref = results.get(c.id);
      if (!ref || ref.error) continue;
      const dir = mkdtempSync(join(work, 'case-'));
      const statePath = join(dir, 'state.json');
      const batchPath = join(dir, 'batch.json');
      writeFileSync(statePath, JSON.stringify(ref.state));
      writeFileSync(batchPath, JSON.stringify(ref.batch));
      for (const kernels of kernelsFor(c.dtype)) {
        if (!jobs.has(kernels)) jobs.set(kernels, []);
        jobs.get(kernels)!.push({ key: `${c.id} ${kernels}`, argv: ['grads', c.file, '--state', statePath, '--batch', batchPath, '--dtype', c.dtype] });
      }
    }
    for (const [kernels, list] of jobs) {
      const runs = runCli(kernels, list.map((j) => j.argv));
      list.forEach((j, i) => cliRuns.set(j.key, runs[i]));
    }
  });

  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
    if (!table.length) return;
    const fmt = (w: Worst | undefined) => (w ? `${w.rel.toExponential(2)} (${w.where})` : '-');
    console.log(`\n  worst relative error against torch ${torchVersion} (|a-b| / (max(|a|,|b|) + atol/rtol)):`);
    for (const row of table) {
      console.log(`    ${row.spec.padEnd(36)} ${row.dtype} ${row.kernels.padEnd(12)}  grads ${fmt(row.grads)}${row.steps ? `  steps+buffers ${fmt(row.steps)}` : ''}${row.skipped ? ` (${row.skipped} entries with |grad| ≤ atol left out of adaptive steps)` : ''}`);
    }
    for (const dtype of DTYPES) {
      for (const kernels of dtype === 'float32' ? KERNELS : ['js']) {
        const rows = table.filter((r) => r.dtype === dtype && r.kernels === kernels);
        const worst = rows.reduce((m, r) => (r.grads.rel > m.grads.rel ? r : m), rows[0]);
        if (worst) console.log(`  ${dtype} ${kernels} kernels: worst gradient/loss error ${fmt(worst.grads)} in ${worst.spec} (tolerance ${TOLERANCE[dtype].rtol})`);
      }
    }
    for (const dtype of DTYPES) {
      const rows = table.filter((r) => r.dtype === dtype && r.steps);
      const steps = rows.reduce<Worst>((m, r) => (r.steps!.rel > m.rel ? { ...r.steps!, where: `${r.spec} ${r.steps!.where}` } : m), { rel: 0, where: '' });
      if (rows.length) console.log(`  ${dtype}: worst optimiser step or batch-norm buffer error ${fmt(steps)}`);
    }
  });

  it(`has at least 57 specs (${specFiles.length})`, () => {
    if (specFiles.length < 57) throw new Error(`only ${specFiles.length} specs in ${SPECS}`);
  });

  for (const c of cases) {
    const name = c.id.replace('.grad.yaml', '');
    for (const kernels of kernelsFor(c.dtype)) {
      it(`${name}: gradient-lens grads${kernels ? ` (${kernels} kernels)` : ''} matches PyTorch's loss and gradients`, function () {
        const ref = results.get(c.id);
        if (!ref) throw new Error(`PyTorch returned nothing for ${c.id}`);
        if (ref.error) throw new Error(`PyTorch rejected ${c.id}: ${ref.error}`);
        const r = cliRuns.get(`${c.id} ${kernels}`);
        if (!r) throw new Error(`the CLI was not run for ${c.id} (${kernels ?? 'js'} kernels)`);
        if (r.status !== 0) throw new Error(`gradient-lens grads exited ${r.status}:\n${r.stderr}`);
        const ours = JSON.parse(r.stdout) as { loss: number; grads: Named };
        const worst: Worst = { rel: 0, where: '' };
        const failures = [
          ...compare('loss', [ours.loss], [ref.loss], c.dtype, worst),
          ...compareNamed('grad', ours.grads, ref.grads, c.dtype, worst),
        ];
        table.push({ spec: name.replace(/:.*/, ''), dtype: c.dtype, kernels: kernels ?? 'js', loss: ours.loss, grads: worst });
        if (failures.length) throw new Error(`${c.id} (${kernels ?? 'js'} kernels) disagrees with PyTorch beyond ${TOLERANCE[c.dtype].rtol} relative:\n  ${failures.join('\n  ')}`);
      });
    }

    it(`${name}: batch-norm buffers and ${STEPS} steps of SGD${c.dtype === 'float64' ? ', Adam' : ''} and the spec's ${c.spec.optimizer.type}${c.spec.optimizer.clip ? ' (clipped)' : ''} match PyTorch's`, function () {
      const ref = results.get(c.id);
      if (!ref) throw new Error(`PyTorch returned nothing for ${c.id}`);
      if (ref.error) throw new Error(`PyTorch rejected ${c.id}: ${ref.error}`);
      const worst: Worst = { rel: 0, where: '' };
      const failures: string[] = [];
      const zero = zeroInTheory(ref.grads, c.dtype);
      for (const { key, spec: o } of optimizersFor(c.dtype, c.spec)) {
        const skip = (OPTIMIZERS[o.type].traits as OptimizerTraits).adaptive ? zero.skip : undefined;
        const session = prepare(c.spec, { dtype: c.dtype, state: ref.state, batch: ref.batch });
        const optimizer = buildOptimizer(o, session.built.params);
        for (let step = 0; step < STEPS; step++) {
          forwardBackward(session);
          if (step === 0 && key === 'SGD') {
            const state = stateDict(session.built.module);
            const buffers: Named = {};
            for (const k of Object.keys(ref.buffers)) if (state[k]) buffers[k] = state[k];
            failures.push(...compareNamed('buffer', buffers, ref.buffers, c.dtype, worst));
          }
          optimizer.step();
          failures.push(...compareNamed(`${key === 'spec' ? `${o.type} (the spec's)` : key} step ${step + 1}`, paramsJson(session.built.params), ref.after[key][step], c.dtype, worst, skip));
        }
      }
      const row = table.find((r) => r.spec === name.replace(/:.*/, '') && r.dtype === c.dtype && r.kernels === (c.dtype === 'float32' ? kernelInfo().backend : 'js'));
      if (row) Object.assign(row, { steps: worst, skipped: zero.count });
      if (failures.length) throw new Error(`${c.id} disagrees with PyTorch beyond ${TOLERANCE[c.dtype].rtol} relative:\n  ${failures.slice(0, 10).join('\n  ')}`);
    });
  }
});
