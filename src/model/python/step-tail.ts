/**
 * The statements a training step runs after its traced backward() and optimiser step, when they
 * change what the next step computes: a WGAN's weight clipping (`for p in
 * discriminator.parameters(): p.data.clamp_(-c, c)`) and its generator's step every n_critic
 * iterations (`if i % opt.n_critic == 0: ... loss_G.backward(); optimizer_G.step()`). Left out, the
 * critic's weights grow unclipped and the generator never trains: every step after the first would
 * differ from the script's. They run once the step is recorded, as the script runs them; the traced
 * optimiser's own step() among them is the one the trace took already, and is skipped. Other tails
 * (printing, logging, saving samples) are not run: they change nothing the trace measures.
 */
import type { Optimizer } from '../../engine/optim';
import type { Stmt } from './ast';
import { backwardIn, type LoopStep } from './loop';
import type { Torch } from './torch/runtime';
import { expressionsIn, statementsIn } from './walk';

/** A backward call, or a loop over some module's parameters (writing them, as weight clipping does). */
function changesTraining(tail: readonly Stmt[][]): boolean {
  return tail.some((block) =>
    statementsIn(block).some((st) => backwardIn(st) !== null || (st.k === 'for' && expressionsIn(st.iter).some((x) => x.k === 'call' && x.fn.k === 'attr' && x.fn.name === 'parameters'))),
  );
}

/** Runs the last step's tail when it changes the training (see above), skipping the traced optimiser's step. */
export function runTail(torch: Torch, runner: LoopStep, traced: Optimizer): void {
  const tail = runner.tail;
  if (!changesTraining(tail)) return;
  torch.skipStep = traced;
  try {
    for (const block of tail) for (const st of block) torch.interp.exec(st, runner.loop.scope);
  } finally {
    torch.skipStep = null;
  }
}
