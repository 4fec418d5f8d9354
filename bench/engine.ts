/** The engine's training step for each workload: what `npm run bench` times. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nn, Rng, SGD, Tensor } from '../src/engine';
import { parseSpec } from '../src/model';
import type { LayerNode, ModelSpec } from '../src/model/graph';
import { recordStep, releaseGradients, releaseStep, type StepSurvivors } from '../src/engine/step-scope';
import { forwardBackward, prepare, type Session } from '../src/trace/run';
import { activationAfterLast, MlpWorkload, SpecWorkload, Workload } from './workloads';

export const ROOT = join(__dirname, '..');

/**
 * One forward and backward of a session through the trace's own step (`forwardBackward`: replayed
 * once recorded when the graph is static, engine/replay), so the bench times what the trace runs.
 * With `scope`, as a spec's trace runs it (the step before's gradients and the step's
 * intermediates go back to the buffer pool); without, as a model built by the user's code runs.
 */
function ownedStep(session: Session, scope: boolean): EngineStep {
  const run = () => forwardBackward(session);
  const replay = () => (session.replay?.replayed ? 'replayed' : `eager (${session.replay?.refused ?? 'not recorded'})`);
  if (!scope) return Object.assign(() => void run(), { replay });
  const { module, params } = session.built;
  // the replay's arrays, read each step: a new plan keeps new ones
  const survivors = (): StepSurvivors => ({ module, tensors: [session.batch.input, session.batch.target], values: [session.replay?.held()] });
  const step = () => {
    releaseGradients(params, survivors());
    const { result, scope: recorded } = recordStep(run);
    releaseStep(recorded, result, survivors());
  };
  return Object.assign(step, { replay });
}

/** A workload's step, and how its steps ran once timed: replayed (engine/replay), or eager and why. */
export type EngineStep = (() => void) & { replay: () => string };

/** An MLP built in code, its loss and batch as a session (its optimiser is not stepped: the bench times forward and backward). */
function mlpStep(w: MlpWorkload, scope: boolean): EngineStep {
  const rng = new Rng(0);
  const layers: nn.Module[] = [];
  for (let i = 0; i < w.widths.length - 1; i++) {
    layers.push(new nn.Linear(w.widths[i], w.widths[i + 1], { rng }));
    if (i < w.widths.length - 2 || activationAfterLast(w)) layers.push(w.activation === 'sigmoid' ? new nn.Sigmoid() : new nn.ReLU());
  }
  const module = new nn.Sequential(layers);
  const params = module.parameters();
  const out = w.widths[w.widths.length - 1];
  const input = new Tensor(new Float32Array(w.batch * w.widths[0]).map(() => rng.normal()), [w.batch, w.widths[0]]);
  const target =
    w.loss === 'mse'
      ? new Tensor(new Float32Array(w.batch * out).map(() => rng.normal()), [w.batch, out])
      : new Tensor(new Float32Array(w.batch).map(() => rng.integer(0, out)), [w.batch]);
  const loss = w.loss === 'mse' ? new nn.MSELoss() : new nn.CrossEntropyLoss();
  const session: Session = { built: { module, loss, optimizer: new SGD(params, { lr: 0 }), params, layers: [] }, batch: { input, target }, dtype: 'float32' };
  return ownedStep(session, scope);
}

export function readSpec(w: SpecWorkload): { spec: ModelSpec; text: string; path: string } {
  const path = join(ROOT, w.file);
  const text = readFileSync(path, 'utf8');
  const { spec, diagnostics } = parseSpec(text, path);
  if (!spec) throw new Error(`${w.file} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  return { spec, text, path };
}

/** The spec as the product builds it (buildModel, the spec's init, synthetic batch), one forward and backward per call. */
function specStep(w: SpecWorkload, scope: boolean): EngineStep {
  return ownedStep(prepare(readSpec(w).spec, { dtype: 'float32' }), scope);
}

/**
 * A workload's step. By default as the product runs it: a spec's with the step scope of its trace,
 * the MLPs (built in code, as a TypeScript model is) without; `scope` overrides either way.
 */
export function engineStep(w: Workload, scope = w.kind === 'spec'): EngineStep {
  switch (w.kind) {
    case 'mlp':
      return mlpStep(w, scope);
    case 'spec':
      return specStep(w, scope);
  }
}

/** The layer tree as the Python side reads it (test/parity/torch_reference.py builds torch modules from it). */
export function layerTree(node: LayerNode): unknown {
  return { type: node.type, name: node.name, args: node.args, children: node.children.map(layerTree) };
}
