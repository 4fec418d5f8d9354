/**
 * The noise-and-several-backward step parity's two sides (python-noise.test.ts, lightning-steps.test.ts):
 * PyTorch runs a file through torch_noise_steps.py, recording its draws, each optimiser's model's
 * first weights and the gradients every optimizer.step() applies; Gradient Lens traces a file from
 * those weights with those draws, recording what each of its optimiser steps applies.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { analysePython } from '../../src/worker/python';
import { loadStateDict, type StateEntry } from '../../src/engine/state';
import type { Tensor } from '../../src/engine/tensor';
import type { PythonModel } from '../../src/model/python/front';
import { PYTHON } from '../support/torch';
import { compare, type Worst } from './compare';

export interface Applied {
  optimizer: number;
  grads: Record<string, number[]>;
}

export interface TorchRun {
  torch: string;
  noise: number[][];
  models: Record<string, StateEntry>[];
  steps: Applied[];
  losses: number[];
}

/** PyTorch's run of the file at `path`, until every optimiser stepped `steps` times. */
export function torchRunOf(path: string, steps: number, env?: NodeJS.ProcessEnv): TorchRun {
  const r = spawnSync(PYTHON, [join(__dirname, 'torch_noise_steps.py')], { input: JSON.stringify({ file: path, steps }), encoding: 'utf8', ...(env ? { env } : {}) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as TorchRun;
}

/** The smallest module holding every parameter an optimiser trains (as the harness's smallest_model). */
function modelOf(model: PythonModel, params: readonly Tensor[]) {
  const holding = model.torch.allModules.filter((m) => {
    const own = new Set(m.engine.parameters());
    return params.every((p) => own.has(p));
  });
  holding.sort((a, b) => a.engine.parameters().length - b.engine.parameters().length || b.engine.namedModules().length - a.engine.namedModules().length);
  return holding[0].engine;
}

export interface Ours {
  applied: Applied[];
  losses: (number[] | number)[];
  /** The trace's gradient norm of each parameter at each step, by the trace's parameter names. */
  norms: Record<string, number>[];
}

/**
 * Traces `text` from PyTorch's first weights with PyTorch's draws (none: the run's own generator),
 * recording the gradients each optimiser step applies, whether the script's body or the trace takes it.
 */
export async function ours(name: string, text: string, steps: number, run: TorchRun, noise: number[][] | null = run.noise): Promise<Ours> {
  const applied: Applied[] = [];
  const result = await analysePython({
    text,
    fileName: name,
    steps,
    dtype: 'float64',
    ...(noise ? { noise: noise.map((n) => Float64Array.from(n)) } : {}),
    onRead: (model) => {
      model.torch.optimizers.forEach((use, i) => {
        const module = modelOf(model, use.engine.params);
        loadStateDict(module, run.models[i]);
        const step = use.engine.step.bind(use.engine);
        use.engine.step = () => {
          applied.push({ optimizer: i, grads: Object.fromEntries(module.namedParameters().map(([n, p]) => [n, p.grad ? Array.from(p.grad) : new Array<number>(p.size).fill(0)])) });
          step();
        };
      });
    },
  });
  // The notes a trace may add: which iterations a guarded step's traces were (checked by its test),
  // that a distributed script's trace is rank 0 of 1, which of Lightning's loops the step is.
  assert.deepEqual(result.diagnostics.filter((d) => d.code !== 'python/guarded-step' && d.code !== 'python/distributed' && d.code !== 'python/lightning'), []);
  const trace = result.analysis!.trace;
  return {
    applied,
    losses: trace.steps.map((s) => (s.losses ? s.losses.map((l) => l.value) : s.loss)),
    norms: trace.steps.map((s) => Object.fromEntries(s.params.map((p, i) => [trace.params[i].name, p.gradNorm]))),
  };
}

/** Every optimiser step's gradients against PyTorch's; the failures, and the worst error in `worst`. */
export function compareApplied(mine: Applied[], theirs: Applied[], worst: Worst): string[] {
  if (mine.length !== theirs.length) return [`${mine.length} optimiser steps, PyTorch took ${theirs.length}`];
  const failures: string[] = [];
  mine.forEach((a, k) => {
    const b = theirs[k];
    if (a.optimizer !== b.optimizer) failures.push(`step ${k}: optimiser ${a.optimizer}, PyTorch stepped ${b.optimizer}`);
    assert.deepEqual(Object.keys(a.grads).sort(), Object.keys(b.grads).sort());
    for (const n of Object.keys(b.grads)) failures.push(...compare(`step ${k} optimiser ${b.optimizer} ${n}.grad`, a.grads[n], b.grads[n], 'float64', worst));
  });
  return failures;
}

export function check(what: string, mine: Ours, run: TorchRun): number {
  const worst: Worst = { rel: 0, where: '' };
  const failures = [...compareApplied(mine.applied, run.steps, worst), ...compare('losses', mine.losses.flat(), run.losses, 'float64', worst)];
  assert.deepEqual(failures, [], `${what} disagrees with PyTorch`);
  return worst.rel;
}

