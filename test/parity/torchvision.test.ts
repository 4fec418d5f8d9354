/**
 * torchvision.models parity: Gradient Lens runs its own Python source of the models
 * (src/model/python/mirrored/torchvision/models.py); torchvision 0.14 (Debian's
 * python3-torchvision) is the reference.
 *  - PyTorch runs both: the same module tree, state_dict and outputs, initial weights of the same spread.
 *  - Scripts that train torchvision models (test/parity/torchvision/, float64, batches of 4 at
 *    64x64: BatchNorm over 2 values at 1x1 in the last stage is so ill-conditioned that gradients of
 *    1e4 to 1e7 amplify float64 rounding past the tolerance on both sides): PyTorch runs each
 *    unchanged and records its first gradients and its loss at every step; Gradient Lens reads the
 *    same file from PyTorch's initial weights and must give the same gradients and losses.
 * Skipped with the reason when torchvision is missing, failed instead under GL_REQUIRE_TORCH=1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_TIME_LIMIT, runCli } from '../support/cli';
import type { StateEntry } from '../../src/engine/state';
import { analysePython } from '../../src/worker/python';
import { PYTHON, requireTorchvision } from '../support/torch';
import { compare, compareNamed, decodeNamed, TOLERANCE, type Named, type SentTensor, type Worst } from './compare';

const OURS = join(__dirname, '..', '..', 'src', 'model', 'python', 'mirrored', 'torchvision', 'models.py');
const PROGRAMS = join(__dirname, 'torchvision');
const STEPS = 3;

const CONSTRUCTORS: [string, Record<string, unknown>][] = [
  ['resnet18', {}],
  ['resnet18', { num_classes: 10, zero_init_residual: true }],
  ['resnet34', {}],
  ['resnet50', {}],
  ['resnet101', {}],
  ['vgg11', {}],
  ['vgg11_bn', { num_classes: 10 }],
  ['vgg16', {}],
  ['vgg19_bn', {}],
  ['alexnet', {}],
  ['mobilenet_v2', {}],
  ['mobilenet_v2', { width_mult: 0.5, num_classes: 10 }],
  ['squeezenet1_0', {}],
  ['squeezenet1_1', { num_classes: 10 }],
];

function python(script: string, input: unknown): string {
  const r = spawnSync(PYTHON, [join(__dirname, script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `${script} failed:\n${r.stderr}`);
  return r.stdout;
}


describe('PyTorch parity: torchvision.models as Gradient Lens runs them against torchvision 0.14', function () {
  let work = '';
  before(function () {
    requireTorchvision(this, 'the torchvision.models parity suite');
    work = mkdtempSync(join(tmpdir(), 'gradient-lens-tvparity-'));
  });
  after(() => work && rmSync(work, { recursive: true, force: true }));

  it('each constructor builds torchvision\'s module tree, state_dict and outputs, with weights of the same spread', () => {
    const out = JSON.parse(python('torchvision_models.py', { file: OURS, constructors: CONSTRUCTORS })) as { torchvision: string; results: Record<string, string[]> };
    const failing = Object.entries(out.results).filter(([, p]) => p.length);
    assert.equal(Object.keys(out.results).length, CONSTRUCTORS.length);
    assert.deepEqual(failing, [], `differences from torchvision ${out.torchvision}`);
  });

  for (const name of readdirSync(PROGRAMS).filter((f) => f.endsWith('.py')).sort()) {
    it(`${name}: the same first gradients and the same loss over ${STEPS} steps as PyTorch (float64)`, async () => {
      const file = join(PROGRAMS, name);
      // First gradients: PyTorch's state and batch at its first backward, given to `gradient-lens grads`.
      // In binary: a ResNet-18's weights and gradients as JSON numbers took PyTorch a minute and a half.
      const sent = JSON.parse(python('torch_python.py', { binary: true, cases: [{ id: name, file, dtype: 'float64', seed: 0, dropout: true }] })).results[name] as { error?: string; state: Record<string, SentTensor>; batch: Record<string, SentTensor>; loss: number; grads: Record<string, SentTensor> };
      assert.equal(sent.error, undefined);
      const ref = { state: decodeNamed(sent.state), batch: decodeNamed(sent.batch), loss: sent.loss, grads: decodeNamed(sent.grads) };
      const statePath = join(work, `${name}.state.json`);
      const batchPath = join(work, `${name}.batch.json`);
      writeFileSync(statePath, JSON.stringify(ref.state));
      writeFileSync(batchPath, JSON.stringify(ref.batch));
      // A ResNet-18's state in JSON is over 200 MiB.
      const r = await runCli(['grads', file, '--state', statePath, '--batch', batchPath, '--dtype', 'float64', '--max-data-mb', '1024', ...NO_TIME_LIMIT]);
      assert.equal(r.code, 0, r.err);
      const ours = JSON.parse(r.out) as { loss: number; grads: Named };
      const worst: Worst = { rel: 0, where: '' };
      const failures = [...compare('loss', [ours.loss], [ref.loss], 'float64', worst), ...compareNamed('grad', ours.grads, ref.grads, 'float64', worst)];
      assert.deepEqual(failures, []);
      assert.equal(Object.keys(ours.grads).length, Object.keys(ref.grads).length);
      // The losses step by step, from PyTorch's initial weights.
      const steps = JSON.parse(python('torch_steps.py', { file, steps: STEPS, binary: true })) as { state: Record<string, SentTensor>; losses: number[] };
      const state: Record<string, StateEntry> = decodeNamed(steps.state);
      const traced = await analysePython({ text: readFileSync(file, 'utf8'), fileName: name, steps: STEPS, dtype: 'float64', state });
      assert.deepEqual(traced.diagnostics.filter((d) => d.code.startsWith('python/')), []);
      const losses = traced.analysis!.trace.steps.map((s) => s.loss);
      assert.equal(losses.length, STEPS);
      losses.forEach((l, i) => {
        const rel = Math.abs(l - steps.losses[i]) / Math.max(Math.abs(l), Math.abs(steps.losses[i]), 1e-12);
        assert.ok(rel <= TOLERANCE.float64.rtol, `step ${i}: ${l} against torch ${steps.losses[i]} (relative ${rel.toExponential(2)})`);
      });
      console.log(`      worst relative gradient error ${worst.rel.toExponential(2)} (${worst.where}); losses ${losses.map((l) => l.toFixed(6)).join(', ')}`);
    });
  }
});
