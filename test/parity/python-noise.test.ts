/**
 * Step parity for scripts whose step draws noise or makes several backward() calls: a GAN (the
 * discriminator's two backward calls and step, then the generator's), two losses on one model
 * (`retain_graph=True`), a VAE's reparameterisation (`eps = torch.randn_like(std)`). PyTorch runs the
 * unchanged file (torch_noise_steps.py, float64) and records every draw of torch.randn and its kin,
 * each optimiser's model's first weights, and the gradients every optimizer.step() applies; Gradient
 * Lens traces the same file from those weights, given the same draws (PythonOptions.noise), and each
 * optimiser step must apply the same gradients, 1e-5 relative.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneRankEnv, requireTorch } from '../support/torch';
import { compare, type Worst } from './compare';
import { check, compareApplied, ours, torchRunOf, type TorchRun } from './noise-steps';

const DIR = join(__dirname, 'python-noise');

function torchRun(name: string, steps: number, env?: NodeJS.ProcessEnv): TorchRun {
  return torchRunOf(join(DIR, name), steps, env);
}

describe('PyTorch parity: steps with several backward() calls and drawn noise, read by Gradient Lens and run by torch 1.13', function () {
  before(function () {
    requireTorch(this, 'the noise and several-backward step parity suite');
  });

  it('tiny_gan.py: the discriminator\'s and the generator\'s gradients at every optimiser step equal PyTorch\'s, with each backward\'s loss', async () => {
    const steps = 4;
    const run = torchRun('tiny_gan.py', steps);
    const text = readFileSync(join(DIR, 'tiny_gan.py'), 'utf8');
    const mine = await ours('tiny_gan.py', text, steps, run);
    // Each traced step is one iteration: errD_real, errD_fake and errG, in the order PyTorch called backward().
    assert.equal(mine.losses.length, steps);
    assert.ok(mine.losses.every((l) => Array.isArray(l) && l.length === 3));
    const worst = check('tiny_gan.py', mine, run);
    // The discriminator's step applies both of its backward calls' gradients: without the fake batch's they differ.
    const realOnly = text.replace('        errD_fake.backward()\n', '');
    assert.notEqual(realOnly, text);
    const other = await ours('tiny_gan.py', realOnly, steps, run);
    assert.notDeepEqual(compareApplied(other.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${steps} iterations (${run.steps.length} optimiser steps) against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it('np_gan.py (PyTorch-GAN\'s form: NumPy noise into FloatTensor, Variable labels, G then D): both models traced, each parameter\'s traced gradient norm is that of the gradient its optimiser applied in PyTorch', async () => {
    const steps = 3;
    const run = torchRun('np_gan.py', steps);
    const text = readFileSync(join(DIR, 'np_gan.py'), 'utf8');
    const mine = await ours('np_gan.py', text, steps, run);
    const worst = check('np_gan.py', mine, run);
    // optimizer_G is made first: the generator's parameters, then the discriminator's, each under its variable's name.
    const prefix = ['generator', 'discriminator'];
    const failures: string[] = [];
    for (let k = 0; k < steps; k++) {
      for (const [o, name] of prefix.entries()) {
        const applied = run.steps.filter((s) => s.optimizer === o)[k];
        for (const [n, g] of Object.entries(applied.grads)) {
          failures.push(...compare(`step ${k} ${name}.${n} norm`, [mine.norms[k][`${name}.${n}`]], [Math.hypot(...g)], 'float64', { rel: 0, where: '' }));
        }
      }
    }
    assert.deepEqual(failures, []);
    // PyTorch's NumPy draws are what make them agree: the engine's own noise parts the gradients.
    const own = await ours('np_gan.py', text, steps, run, run.noise.slice(0, 1));
    assert.notDeepEqual(compareApplied(own.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${steps} iterations (${run.steps.length} optimiser steps) against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it('clipped_wgan.py: the generator\'s step every n_critic iterations is traced, each traced step the iterations up to it (the critic\'s step and weight clipping at each): every optimiser step\'s gradients equal PyTorch\'s, each model\'s norms those of its last step', async () => {
    // PyTorch stops at the generator's 3rd step: the critic has then stepped 5 times (n_critic = 2).
    const run = torchRun('clipped_wgan.py', 3);
    const text = readFileSync(join(DIR, 'clipped_wgan.py'), 'utf8');
    // Three traced steps are the generator's three: iterations 0, 1-2 and 3-4.
    const mine = await ours('clipped_wgan.py', text, 3, run);
    const worst: Worst = { rel: 0, where: '' };
    assert.deepEqual(compareApplied(mine.applied, run.steps, worst), []);
    assert.deepEqual(mine.losses.map((l) => (Array.isArray(l) ? l.length : 0)), [2, 2, 2]);
    const failures: string[] = [];
    for (const [o, name] of ['generator', 'discriminator'].entries()) {
      const applied = run.steps.filter((s) => s.optimizer === o);
      // The discriminator's record of traced step k is its last step in it: steps 0, 2 and 4.
      const last = o === 0 ? [0, 1, 2] : [0, 2, 4];
      last.forEach((j, k) => {
        for (const [n, g] of Object.entries(applied[j].grads)) failures.push(...compare(`step ${k} ${name}.${n} norm`, [mine.norms[k][`${name}.${n}`]], [Math.hypot(...g)], 'float64', worst));
      });
    }
    assert.deepEqual(failures, []);
    // Without the clipping the critic's later gradients part from PyTorch's.
    const unclipped = await ours('clipped_wgan.py', text.replace('p.data.clamp_(-clip_value, clip_value)', 'pass'), 3, run);
    assert.notDeepEqual(compareApplied(unclipped.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${run.steps.length} optimiser steps against torch ${run.torch}: ${worst.rel.toExponential(2)}`);
  });

  it('gp_wgan.py: a WGAN-GP\'s gradient penalty (torch.autograd.grad(..., create_graph=True) through the critic\'s Linear and in-place LeakyReLU layers) reaches the critic\'s weights as in PyTorch: every optimiser step\'s gradients equal PyTorch\'s', async () => {
    // PyTorch stops at the generator's 3rd step: the critic has then stepped 5 times (n_critic = 2).
    const run = torchRun('gp_wgan.py', 3);
    const text = readFileSync(join(DIR, 'gp_wgan.py'), 'utf8');
    const mine = await ours('gp_wgan.py', text, 3, run);
    const worst: Worst = { rel: 0, where: '' };
    assert.deepEqual(compareApplied(mine.applied, run.steps, worst), []);
    // The penalty's own path to the weights counts: with the gradient detached (no second backward) they part.
    const detached = await ours('gp_wgan.py', text.replace('gradients = gradients.view(', 'gradients = gradients.detach().view('), 3, run);
    assert.notDeepEqual(compareApplied(detached.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${run.steps.length} optimiser steps against torch ${run.torch}: ${worst.rel.toExponential(2)}`);
  });

  it('dragan_conv.py (a DRAGAN\'s gradient penalty through a convolutional critic: strided Conv2d, LeakyReLU, BatchNorm2d in train mode, ELU, AvgPool2d), wgangp_instance.py (a WGAN-GP critic with InstanceNorm2d(affine=True)), maml_inner.py (a MAML meta step: the inner gradient with create_graph, the query loss through the fast weights) and r1_hvp.py (an R1 penalty and a Hessian-vector product by torch.autograd.grad twice through a conv net): every optimiser step\'s gradients equal PyTorch\'s', async () => {
    const worst: Worst = { rel: 0, where: '' };
    // Each file, and a change that drops its second-order term: the gradients then part from PyTorch's.
    const cases: [string, string, string][] = [
      ['dragan_conv.py', 'gradients.norm(2, dim=1)', 'gradients.detach().norm(2, dim=1)'],
      ['wgangp_instance.py', 'gradient_norm = gradient.norm(2, dim=1)', 'gradient_norm = gradient.detach().norm(2, dim=1)'],
      ['maml_inner.py', 'zip(weights, grads)]', 'zip(weights, [g.detach() for g in grads])]'],
      ['r1_hvp.py', 'gi.detach() + 0.01 * h', 'gi.detach() + 0.01 * h.detach() * 0'],
      ['r1_hvp.py', 'r1 = grad_real.pow(2)', 'r1 = grad_real.detach().pow(2)'],
    ];
    for (const [file, from, to] of cases) {
      const run = torchRun(file, 3);
      const text = readFileSync(join(DIR, file), 'utf8');
      const mine = await ours(file, text, 3, run);
      assert.deepEqual(compareApplied(mine.applied, run.steps, worst), [], file);
      assert.ok(text.includes(from), from);
      const firstOrder = await ours(file, text.replace(from, to), 3, run);
      assert.notDeepEqual(compareApplied(firstOrder.applied, run.steps, { rel: 0, where: '' }), [], `${file} with ${to}`);
    }
    console.log(`      worst relative error over the files' optimiser steps against torch: ${worst.rel.toExponential(2)}`);
  });

  it('double_backprop.py: loss.backward(create_graph=True) leaves .grad on the graph, and a penalty on the gradients\' norm built from p.grad reaches the weights through them: every optimiser step\'s gradients equal PyTorch\'s', async () => {
    const run = torchRun('double_backprop.py', 3);
    const text = readFileSync(join(DIR, 'double_backprop.py'), 'utf8');
    const mine = await ours('double_backprop.py', text, 3, run);
    const worst: Worst = { rel: 0, where: '' };
    assert.deepEqual(compareApplied(mine.applied, run.steps, worst), []);
    // Both backward calls' losses, as PyTorch recorded them.
    assert.deepEqual(compare('losses', mine.losses.flat(), run.losses, 'float64', worst), []);
    console.log(`      worst relative error over ${run.steps.length} optimiser steps against torch ${run.torch}: ${worst.rel.toExponential(2)}`);
  });

  it('began_k.py: state the step updates after its backward (BEGAN\'s k, read by the next d_loss) carries over as in the script: every optimiser step\'s gradients equal PyTorch\'s', async () => {
    const steps = 4;
    const run = torchRun('began_k.py', steps);
    const text = readFileSync(join(DIR, 'began_k.py'), 'utf8');
    const worst = check('began_k.py', await ours('began_k.py', text, steps, run), run);
    // Without the update, k stays 0 and the discriminator's later gradients part from PyTorch's.
    const frozen = await ours('began_k.py', text.replace('    k = k + lambda_k * diff.item()\n', ''), steps, run);
    assert.notDeepEqual(compareApplied(frozen.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${run.steps.length} optimiser steps against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it('two_losses.py: loss1.backward(retain_graph=True) then loss2.backward() step on the sum of both gradients, as in PyTorch', async () => {
    const steps = 4;
    const run = torchRun('two_losses.py', steps);
    const text = readFileSync(join(DIR, 'two_losses.py'), 'utf8');
    const worst = check('two_losses.py', await ours('two_losses.py', text, steps, run), run);
    // Both backward calls count: without the second one's gradients the steps part from PyTorch's.
    const one = await ours('two_losses.py', text.replace('        smooth.backward()\n', ''), steps, run);
    assert.notDeepEqual(compareApplied(one.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${steps} steps against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it('zipped_optimizers.py: three models trained one after another by `for net, opt, history in zip(nets, optimizers, histories):` each apply the gradients PyTorch applies, every backward\'s loss named by its model', async () => {
    const steps = 3; // one pass over the loader's three batches, as the trace takes
    const run = torchRun('zipped_optimizers.py', steps);
    const text = readFileSync(join(DIR, 'zipped_optimizers.py'), 'utf8');
    const mine = await ours('zipped_optimizers.py', text, steps, run);
    // One traced step is one batch: a backward per model, in the zip's order.
    assert.ok(mine.losses.every((l) => Array.isArray(l) && l.length === 3));
    const worst = check('zipped_optimizers.py', mine, run);
    // Each model under its variable's name, its traced gradient norm that of what its optimiser applied in PyTorch.
    const failures: string[] = [];
    for (let k = 0; k < steps; k++) {
      for (const [o, name] of ['plain', 'heavy', 'adaptive'].entries()) {
        const applied = run.steps.filter((s) => s.optimizer === o)[k];
        for (const [n, g] of Object.entries(applied.grads)) failures.push(...compare(`step ${k} ${name}.${n} norm`, [mine.norms[k][`${name}.${n}`]], [Math.hypot(...g)], 'float64', { rel: 0, where: '' }));
      }
    }
    assert.deepEqual(failures, []);
    console.log(`      worst relative error over ${steps} batches (${run.steps.length} optimiser steps) against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it('ddp_torchrun.py: a DDP script run by torch 1.13 as torchrun runs one process (gloo, world size 1) applies the gradients Gradient Lens traces on the user\'s model', async () => {
    const steps = 6; // one epoch of the sampler's 96 samples in 16s
    const run = torchRun('ddp_torchrun.py', steps, oneRankEnv());
    // PyTorch's state_dict is DistributedDataParallel's (the harness takes the outermost model): its names are the user's model's under `module.`.
    run.models = run.models.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.replace(/^module\./, ''), v])));
    run.steps = run.steps.map((s) => ({ ...s, grads: Object.fromEntries(Object.entries(s.grads).map(([k, v]) => [k.replace(/^module\./, ''), v])) }));
    const text = readFileSync(join(DIR, 'ddp_torchrun.py'), 'utf8');
    const mine = await ours('ddp_torchrun.py', text, steps, run);
    const worst = check('ddp_torchrun.py', mine, run);
    assert.deepEqual(Object.keys(mine.norms[0]), ['0.weight', '0.bias', '2.weight', '2.bias']);
    console.log(`      worst relative error over ${steps} steps against torch ${run.torch} (gloo, world size 1): ${worst.toExponential(2)}`);
  });

  it('tiny_vae.py: given PyTorch\'s draws (the data, each eps = torch.randn_like(std)), the VAE\'s gradients equal PyTorch\'s', async () => {
    const steps = 4;
    const run = torchRun('tiny_vae.py', steps);
    const text = readFileSync(join(DIR, 'tiny_vae.py'), 'utf8');
    const worst = check('tiny_vae.py', await ours('tiny_vae.py', text, steps, run), run);
    // The noise is what makes them agree: the data given, the engine's own eps, the gradients differ.
    const ownEps = await ours('tiny_vae.py', text, steps, run, run.noise.slice(0, 1));
    assert.notDeepEqual(compareApplied(ownEps.applied, run.steps, { rel: 0, where: '' }), []);
    console.log(`      worst relative error over ${steps} steps against torch ${run.torch}: ${worst.toExponential(2)}`);
  });

  it("summed_vae.py: size_average=False sums the reconstruction loss as PyTorch does; the VAE's gradients equal PyTorch's", async () => {
    const steps = 4;
    const run = torchRun('summed_vae.py', steps);
    const text = readFileSync(join(DIR, 'summed_vae.py'), 'utf8');
    const worst = check('summed_vae.py', await ours('summed_vae.py', text, steps, run), run);
    console.log(`      worst relative error over ${steps} steps against torch ${run.torch}: ${worst.toExponential(2)}`);
  });
});
