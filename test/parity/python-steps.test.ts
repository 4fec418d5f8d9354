/**
 * Python-source parity over several steps, for what the first gradients cannot show: a script's
 * optimiser with parameter groups (weight decay on the matrices only, the learning rate set on every
 * group each step, clipping over all parameters). PyTorch runs the unchanged file (torch_steps.py,
 * float64) and records its loss at each step and the weights it started from; Gradient Lens traces
 * the same file from those weights and must give the same losses, 1e-5 relative.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { analysePython } from '../../src/worker/python';
import type { StateEntry } from '../../src/engine/state';
import { PYTHON, requireTorch } from '../support/torch';
import { TOLERANCE } from './compare';

const STEPS = 6;

describe('PyTorch parity: a script\'s losses step by step, read by Gradient Lens and run by torch 1.13', function () {
  before(function () {
    requireTorch(this, 'the Python step-by-step parity suite');
  });

  it('param_groups.py: AdamW groups with different weight_decay and a warmup lr on every group train as in PyTorch', async () => {
    const file = join(__dirname, 'python', 'param_groups.py');
    const r = spawnSync(PYTHON, [join(__dirname, 'torch_steps.py')], { input: JSON.stringify({ file, steps: STEPS }), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const torch = JSON.parse(r.stdout) as { torch: string; state: Record<string, StateEntry>; losses: number[] };
    assert.equal(torch.losses.length, STEPS);
    const ours = await analysePython({ text: readFileSync(file, 'utf8'), fileName: 'param_groups.py', steps: STEPS, dtype: 'float64', state: torch.state });
    assert.deepEqual(ours.diagnostics, []);
    const losses = ours.analysis!.trace.steps.map((s) => s.loss);
    assert.equal(losses.length, STEPS);
    let worst = 0;
    losses.forEach((l, i) => {
      const rel = Math.abs(l - torch.losses[i]) / Math.max(Math.abs(l), Math.abs(torch.losses[i]), 1e-12);
      worst = Math.max(worst, rel);
      assert.ok(rel <= TOLERANCE.float64.rtol, `step ${i}: ${l} against torch ${torch.losses[i]} (relative ${rel.toExponential(2)})`);
    });
    // The groups matter: with one weight decay for every parameter the losses part from PyTorch's.
    const text = readFileSync(file, 'utf8');
    const uniform = text.replace('{"params": no_decay, "weight_decay": 0.0}', '{"params": no_decay, "weight_decay": weight_decay}');
    assert.notEqual(uniform, text);
    const other = (await analysePython({ text: uniform, fileName: 'param_groups.py', steps: STEPS, dtype: 'float64', state: torch.state })).analysis!.trace.steps.map((s) => s.loss);
    assert.ok(other.some((l, i) => Math.abs(l - torch.losses[i]) > 1e-6 * Math.abs(torch.losses[i])), `one weight decay for all gives the same losses: ${other.join(', ')}`);
    console.log(`      worst relative loss error over ${STEPS} steps against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });
});
