/**
 * A training step that trains several models, each with its own optimiser (a GAN's generator and
 * discriminator): every model the step's optimisers train is traced, each under its variable's name
 * (`generator.model.0.weight`, `discriminator.model.0.weight`), so findings can land on any of their
 * layers. The traced optimiser (the last backward's) is stepped by the trace; the others are stepped
 * by the script's own `optimizer_G.step()` in the body, and their parameters' records read the
 * gradient and the weights of that step, not what later backward calls of the iteration left.
 */
import * as enn from '../../engine/nn';
import type { Tensor } from '../../engine/tensor';
import type { SteppedParam } from '../stepped';
import type { TrainingLoop } from './loop';
import { ModuleObj, type Torch } from './torch/runtime';
import type { OptimizerUse } from './torch/training';

export interface TrainedTogether {
  /** A container holding each model under its variable's name, in the order their optimisers (then they) were made. */
  engine: enn.Module;
  models: ModuleObj[];
  /** Starts watching a step's own optimizer.step() calls; returns what they applied, read after the step. */
  watch(): Map<Tensor, SteppedParam>;
}

/**
 * The top-level models with parameters the step calls by name (`netG`, `netD`), under that name; a
 * loop over zipped models names its own (zipped-models.ts).
 */
export function modelsNamed(torch: Torch, loop: TrainingLoop, names: readonly string[]): Map<ModuleObj, string> {
  if (loop.zipped) return loop.zipped.names;
  const named = new Map<ModuleObj, string>();
  for (const name of names) {
    const v = torch.interp.peek(name, loop.scope);
    if (v instanceof ModuleObj && !named.has(v) && v.engine.path === '' && v.engine.parameters().length) named.set(v, name);
  }
  return named;
}

/**
 * The models the step's optimisers train, beside the traced one: top-level modules the step calls
 * (by name) whose every parameter another optimiser holds. Null when there is none (a frozen
 * feature extractor is called, not trained) or the traced model has no name in the loop.
 */
export function trainedTogether(torch: Torch, named: ReadonlyMap<ModuleObj, string>, root: ModuleObj, traced: OptimizerUse): TrainedTogether | null {
  if (!named.has(root)) return null;
  const optimiserOf = (m: ModuleObj) => {
    const own = m.engine.parameters();
    return torch.optimizers.findIndex((o) => own.every((p) => o.engine.params.includes(p)));
  };
  const others = [...named.keys()].filter((m) => m !== root && optimiserOf(m) >= 0 && torch.optimizers[optimiserOf(m)] !== traced);
  if (!others.length) return null;
  // Models one optimiser trains together (an autoencoder's encoder and decoder) in the order they were made.
  const models = [root, ...others].sort((a, b) => optimiserOf(a) - optimiserOf(b) || torch.allModules.indexOf(a) - torch.allModules.indexOf(b));
  const engine = new enn.Sequential(models.map((m) => [named.get(m)!, m.engine] as [string, enn.Module]));
  const otherParams = new Set(others.flatMap((m) => m.engine.parameters()));
  const watch = () => {
    const stepped = new Map<Tensor, SteppedParam>();
    torch.onOptimizerStep = (opt) => {
      if (opt === traced.engine) return;
      for (const p of opt.params) {
        if (!otherParams.has(p)) continue;
        const grad = p.grad ? p.grad.slice() : null;
        const had = stepped.get(p);
        // Stepped more than once a step (a critic's inner loop): the first step's weights, the last step's gradient.
        if (had) had.grad = grad;
        else stepped.set(p, { grad, before: p.data.slice() });
      }
    };
    return stepped;
  };
  return { engine, models, watch };
}
