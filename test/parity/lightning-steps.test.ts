/**
 * Lightning parity over several steps: Gradient Lens traces a Lightning script (lightning_lit.py:
 * a LightningDataModule, save_hyperparameters, training_step returning {"loss": ...}, a
 * configure_optimizers dict, Trainer(gradient_clip_val=...)). Lightning is not installed here, so
 * the torch side is the same model and data with the loop Lightning runs for it written out
 * (lightning_plain.py), run by torch 1.13 in float64 through torch_steps.py; the trace starts from
 * its weights and must give its losses, 1e-5 relative. Both files live in test/parity/lightning/,
 * not python/: the Python parity suite runs every file there in real torch, which has no Lightning.
 * Manual optimisation (lightning_gan.py, the docs' GAN: two optimisers, toggle_optimizer,
 * manual_backward, clip_gradients) against its loop written out (lightning_gan_plain.py), run by
 * torch_noise_steps.py: same first weights and the same torch.randn draws on both sides, every
 * optimiser step's gradients compared.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { analysePython } from '../../src/worker/python';
import type { StateEntry } from '../../src/engine/state';
import { PYTHON, requireTorch } from '../support/torch';
import { compare, TOLERANCE, type Worst } from './compare';
import { check, compareApplied, ours, torchRunOf } from './noise-steps';

const STEPS = 6;

function plainLoopLosses(file = join(__dirname, 'lightning', 'lightning_plain.py'), backwards = STEPS): { torch: string; state: Record<string, StateEntry>; losses: number[] } {
  const r = spawnSync(PYTHON, [join(__dirname, 'torch_steps.py')], { input: JSON.stringify({ file, steps: backwards }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function litLosses(text: string, state: Record<string, StateEntry>, steps = STEPS): Promise<{ losses: number[]; codes: string[] }> {
  const ours = await analysePython({ text, fileName: 'lightning_lit.py', steps, dtype: 'float64', state });
  return { losses: ours.analysis?.trace.steps.map((s) => s.loss) ?? [], codes: ours.diagnostics.map((d) => d.code) };
}

function worstRelative(ours: number[], theirs: number[]): number {
  assert.equal(ours.length, theirs.length, `${ours.length} steps against torch's ${theirs.length}`);
  return Math.max(...ours.map((l, i) => Math.abs(l - theirs[i]) / Math.max(Math.abs(l), Math.abs(theirs[i]), 1e-12)));
}

describe("PyTorch parity: a Lightning script's losses step by step against the loop Lightning runs, written out for torch 1.13", function () {
  before(function () {
    requireTorch(this, 'the Lightning parity test');
  });

  it('lightning_lit.py: SGD with momentum, gradient_clip_val, data from a LightningDataModule train as the written-out loop does', async () => {
    const torch = plainLoopLosses();
    const text = readFileSync(join(__dirname, 'lightning', 'lightning_lit.py'), 'utf8');
    const ours = await litLosses(text, torch.state);
    assert.deepEqual(ours.codes, ['python/lightning']);
    const worst = worstRelative(ours.losses, torch.losses);
    assert.ok(worst <= TOLERANCE.float64.rtol, `worst relative loss error ${worst} (ours ${ours.losses.join(', ')}; torch ${torch.losses.join(', ')})`);
    // The Trainer's clipping matters: without it the losses part from the loop's.
    const unclipped = text.replace('gradient_clip_val=0.25, ', '');
    assert.notEqual(unclipped, text);
    const other = await litLosses(unclipped, torch.state);
    assert.ok(worstRelative(other.losses, torch.losses) > 1e-3, `without gradient_clip_val the same losses: ${other.losses.join(', ')}`);
    console.log(`      worst relative loss error over ${STEPS} steps against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });

  it('accumulate_grad_batches=2: the loss halved, a step every second batch, as the written-out loop accumulates', async () => {
    // The written-out loop: Lightning divides each loss by accumulate_grad_batches and steps every second batch (4 a pass).
    const plain = readFileSync(join(__dirname, 'lightning', 'lightning_plain.py'), 'utf8');
    const accumulated = plain
      .replace('        loss = F.mse_loss(model(xb), yb)\n        optimizer.zero_grad()\n        loss.backward()\n', '        loss = F.mse_loss(model(xb), yb) / 2\n        loss.backward()\n        if (batch_idx + 1) % 2 != 0:\n            continue\n')
      .replace('        optimizer.step()\n', '        optimizer.step()\n        optimizer.zero_grad()\n');
    assert.notEqual(accumulated, plain);
    const file = join(mkdtempSync(join(tmpdir(), 'gl-lightning-')), 'lightning_plain_accumulated.py');
    writeFileSync(file, accumulated);
    const torch = plainLoopLosses(file, 4);
    const text = readFileSync(join(__dirname, 'lightning', 'lightning_lit.py'), 'utf8').replace('gradient_clip_val=0.25, ', 'gradient_clip_val=0.25, accumulate_grad_batches=2, ');
    // The trace's steps are one pass of the loader (2 optimiser steps), each the loss of the batch that steps.
    const ours = await litLosses(text, torch.state, 2);
    assert.deepEqual(ours.codes, ['python/lightning']);
    const worst = worstRelative(ours.losses, [torch.losses[1], torch.losses[3]]);
    assert.ok(worst <= TOLERANCE.float64.rtol, `worst relative loss error ${worst} (ours ${ours.losses.join(', ')}; torch ${torch.losses.join(', ')})`);
    console.log(`      accumulated: worst relative loss error over 2 steps (4 backward calls) against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });

  it("lightning_gan.py (manual optimisation, the docs' GAN): both models traced under their attribute names, every optimiser step's gradients equal the written-out loop's", async () => {
    const steps = 3;
    const run = torchRunOf(join(__dirname, 'lightning', 'lightning_gan_plain.py'), steps);
    const text = readFileSync(join(__dirname, 'lightning', 'lightning_gan.py'), 'utf8');
    const mine = await ours('lightning_gan.py', text, steps, run);
    // One traced step is one batch: g_loss then d_loss, as training_step calls manual_backward.
    assert.ok(mine.losses.every((l) => Array.isArray(l) && l.length === 2), JSON.stringify(mine.losses));
    const worst = check('lightning_gan.py', mine, run);
    const failures: string[] = [];
    for (let k = 0; k < steps; k++) {
      for (const [o, name] of ['generator', 'discriminator'].entries()) {
        const applied = run.steps.filter((s) => s.optimizer === o)[k];
        for (const [n, g] of Object.entries(applied.grads)) failures.push(...compare(`step ${k} ${name}.${n} norm`, [mine.norms[k][`${name}.${n}`]], [Math.hypot(...g)], 'float64', { rel: 0, where: '' } as Worst));
      }
    }
    assert.deepEqual(failures, []);
    // toggle_optimizer matters: without it g_loss's backward reaches the discriminator, whose step then applies it too.
    const untoggled = text.replace(/ {8}self\.(un)?toggle_optimizer\(optimizer_g\)\n/g, '');
    assert.notEqual(untoggled, text);
    assert.notDeepEqual(compareApplied((await ours('lightning_gan.py', untoggled, steps, run)).applied, run.steps, { rel: 0, where: '' }), []);
    // So does clip_gradients.
    const unclipped = text.replace(/ {8}self\.clip_gradients\(.*\n/, '');
    assert.notEqual(unclipped, text);
    assert.notDeepEqual(compareApplied((await ours('lightning_gan.py', unclipped, steps, run)).applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      manual GAN: worst relative error over ${run.steps.length} optimiser steps against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it("lightning_gan_1x.py (Lightning 1.x: training_step(..., optimizer_idx), two optimisers in automatic optimisation): every optimiser step's gradients equal the written-out 1.x loop's", async () => {
    const steps = 3;
    const run = torchRunOf(join(__dirname, 'lightning', 'lightning_gan_1x_plain.py'), steps);
    const text = readFileSync(join(__dirname, 'lightning', 'lightning_gan_1x.py'), 'utf8');
    const mine = await ours('lightning_gan_1x.py', text, steps, run);
    assert.ok(mine.losses.every((l) => Array.isArray(l) && l.length === 2), JSON.stringify(mine.losses));
    const worst = check('lightning_gan_1x.py', mine, run);
    assert.ok(Object.keys(mine.norms[0]).includes('generator.0.weight') && Object.keys(mine.norms[0]).includes('discriminator.0.weight'), Object.keys(mine.norms[0]).join(', '));
    // The generator's step first: with the optimisers' order swapped the steps part from the loop's.
    const swapped = text.replace('return [opt_g, opt_d], []', 'return [opt_d, opt_g], []').replace('optimizer_idx == 0', 'optimizer_idx == 2').replace('optimizer_idx == 1', 'optimizer_idx == 0').replace('optimizer_idx == 2', 'optimizer_idx == 1');
    assert.notEqual(swapped, text);
    assert.notDeepEqual(compareApplied((await ours('lightning_gan_1x.py', swapped, steps, run)).applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      1.x GAN: worst relative error over ${run.steps.length} optimiser steps against torch ${run.torch}: ${worst.toExponential(2)}`);
  });
});
