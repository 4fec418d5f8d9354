/**
 * The statements a training step runs after its traced backward() and optimiser step, when they
 * change what the next step computes: a WGAN's weight clipping (`for p in
 * discriminator.parameters(): p.data.clamp_(-c, c)`), its generator's step every n_critic
 * iterations (`if i % opt.n_critic == 0: ... loss_G.backward(); optimizer_G.step()`), and state the
 * step reads before its backward (BEGAN's `k = k + lambda_k * diff.item()`, read by `d_loss =
 * d_loss_real - k * d_loss_fake`), and requires_grad flags set back (Lightning's
 * `self.untoggle_optimizer(optimizer_d)` unfreezing the generator). Left out, every step after the first would differ from the
 * script's. They run once the step is recorded, as the script runs them; the traced
 * optimiser's own step() among them is the one the trace took already, and is skipped. Other tails
 * (printing, logging, saving samples) are not run: they change nothing the trace measures.
 */
import type { Optimizer } from '../../engine/optim';
import type { Stmt } from './ast';
import { backwardIn, type LoopStep } from './loop';
import type { Torch } from './torch/runtime';
import { expressionsIn, ownExprs, ownTargets, statementsIn, targetNames } from './walk';

/**
 * A backward call, a loop over some module's parameters (writing them, as weight clipping does), or
 * a name assigned that the step's statements before the tail read (loop-carried state).
 */
function changesTraining(body: readonly Stmt[], tail: readonly Stmt[][]): boolean {
  const after = new Set(tail.flatMap((block) => statementsIn(block)));
  const read = new Set<string>();
  for (const st of statementsIn(body)) {
    if (after.has(st)) continue;
    for (const e of ownExprs(st)) for (const x of expressionsIn(e)) if (x.k === 'name') read.add(x.id);
  }
  return [...after].some(
    (st) =>
      backwardIn(st) !== null ||
      setsRequiresGrad(st) ||
      (st.k === 'for' && expressionsIn(st.iter).some((x) => x.k === 'call' && x.fn.k === 'attr' && x.fn.name === 'parameters')) ||
      ownTargets(st).some((t) => targetNames(t).some((n) => read.has(n))),
  );
}

/**
 * `p.requires_grad = flag`, `m.requires_grad_(flag)`, Lightning's `self.untoggle_optimizer(opt)`:
 * what the next step's backward reaches depends on it (a GAN's discriminator frozen for the
 * generator's step is unfrozen at the end of its own).
 */
function setsRequiresGrad(st: Stmt): boolean {
  if (ownTargets(st).some((t) => t.k === 'attr' && t.name === 'requires_grad')) return true;
  return ownExprs(st).some((e) => expressionsIn(e).some((x) => x.k === 'call' && x.fn.k === 'attr' && ['requires_grad_', 'untoggle_optimizer', 'toggle_optimizer'].includes(x.fn.name)));
}

/** Runs the last step's tail when it changes the training (see above), skipping the traced optimiser's step. */
export function runTail(torch: Torch, runner: LoopStep, traced: Optimizer): void {
  const tail = runner.tail;
  if (!changesTraining(runner.loop.stmt.body, tail)) return;
  torch.skipStep = traced;
  try {
    // A `break` or `continue` there ends the iteration: the rest of the tail is not run.
    for (const block of tail) for (const st of block) if (torch.interp.exec(st, runner.loop.scope)) return;
  } finally {
    torch.skipStep = null;
  }
}
