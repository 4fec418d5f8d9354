/**
 * Python-source parity over several steps, for what the first gradients cannot show: a script's
 * optimiser with parameter groups (weight decay on the matrices only, the learning rate set on every
 * group each step, clipping over all parameters), an optimiser stepped with a closure, parameters
 * updated by hand (a module's, or loose tensors'), gradients accumulated over micro-batches, a step done by a function the loop calls. PyTorch runs the unchanged file
 * (torch_steps.py, float64) and records its loss at each backward() and the weights it started from;
 * Gradient Lens traces the same file from those weights and must give the same losses, 1e-5 relative.
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

interface TorchSteps {
  torch: string;
  state: Record<string, StateEntry>;
  /** One per backward() the script called. */
  losses: number[];
}

function torchSteps(name: string, backwards: number): TorchSteps {
  const file = join(__dirname, 'python', name);
  const r = spawnSync(PYTHON, [join(__dirname, 'torch_steps.py')], { input: JSON.stringify({ file, steps: backwards }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const torch = JSON.parse(r.stdout) as TorchSteps;
  assert.equal(torch.losses.length, backwards);
  return torch;
}

/** The trace's loss at each step of `text` (the file's, or a variant of it) from PyTorch's initial weights. */
async function ourLosses(name: string, text: string, steps: number, state: Record<string, StateEntry>): Promise<number[]> {
  const ours = await analysePython({ text, fileName: name, steps, dtype: 'float64', state });
  assert.deepEqual(ours.diagnostics, []);
  return ours.analysis!.trace.steps.map((s) => s.loss);
}

/** The worst relative difference; every one within the float64 tolerance. */
function compareLosses(ours: number[], theirs: number[]): number {
  assert.equal(ours.length, theirs.length);
  let worst = 0;
  ours.forEach((l, i) => {
    const rel = Math.abs(l - theirs[i]) / Math.max(Math.abs(l), Math.abs(theirs[i]), 1e-12);
    worst = Math.max(worst, rel);
    assert.ok(rel <= TOLERANCE.float64.rtol, `step ${i}: ${l} against torch ${theirs[i]} (relative ${rel.toExponential(2)})`);
  });
  return worst;
}

const differs = (a: number[], b: number[]) => a.some((l, i) => Math.abs(l - b[i]) > 1e-6 * Math.abs(b[i]));

describe('PyTorch parity: a script\'s losses step by step, read by Gradient Lens and run by torch 1.13', function () {
  before(function () {
    requireTorch(this, 'the Python step-by-step parity suite');
  });

  it('param_groups.py: AdamW groups with different weight_decay and a warmup lr on every group train as in PyTorch', async () => {
    const torch = torchSteps('param_groups.py', STEPS);
    const text = readFileSync(join(__dirname, 'python', 'param_groups.py'), 'utf8');
    const worst = compareLosses(await ourLosses('param_groups.py', text, STEPS, torch.state), torch.losses);
    // The groups matter: with one weight decay for every parameter the losses part from PyTorch's.
    const uniform = text.replace('{"params": no_decay, "weight_decay": 0.0}', '{"params": no_decay, "weight_decay": weight_decay}');
    assert.notEqual(uniform, text);
    const other = await ourLosses('param_groups.py', uniform, STEPS, torch.state);
    assert.ok(differs(other, torch.losses), `one weight decay for all gives the same losses: ${other.join(', ')}`);
    console.log(`      worst relative loss error over ${STEPS} steps against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });

  it('closure_sgd.py: SGD with momentum stepped with a closure (optimizer.step(closure)) trains as in PyTorch', async () => {
    const torch = torchSteps('closure_sgd.py', STEPS);
    const text = readFileSync(join(__dirname, 'python', 'closure_sgd.py'), 'utf8');
    const worst = compareLosses(await ourLosses('closure_sgd.py', text, STEPS, torch.state), torch.losses);
    console.log(`      worst relative loss error over ${STEPS} steps against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });

  it('manual_sgd.py: parameters updated by hand under torch.no_grad() train as SGD with the script\'s step size, in each way of writing it', async () => {
    const torch = torchSteps('manual_sgd.py', STEPS);
    const text = readFileSync(join(__dirname, 'python', 'manual_sgd.py'), 'utf8');
    const update = '            w -= step_size * w.grad';
    assert.ok(text.includes(update));
    // The same update written as tutorials and examples write it; the gradient reset beside it or in zero_grad().
    const forms = [
      update,
      '            w.data.add_(-step_size * w.grad)',
      '            w.sub_(step_size * w.grad)',
      '            w.add_(w.grad, alpha=-step_size)',
      '            w += -step_size * w.grad\n            w.grad.zero_()',
      '            w.data = w.data - step_size * w.grad\n            w.grad = None',
    ];
    let worst = 0;
    for (const form of forms) worst = Math.max(worst, compareLosses(await ourLosses('manual_sgd.py', text.replace(update, form), STEPS, torch.state), torch.losses));
    // The step size matters: another one gives other losses.
    const other = await ourLosses('manual_sgd.py', text.replace('step_size = 2e-3', 'step_size = 1e-3'), STEPS, torch.state);
    assert.ok(differs(other, torch.losses), `another step size gives the same losses: ${other.join(', ')}`);
    console.log(`      worst relative loss error over ${STEPS} steps (${forms.length} forms) against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });

  /**
   * `name`'s losses are PyTorch's from PyTorch's initial weights, and with `setting` changed they are
   * not (the setting matters); `names`: the state's names PyTorch gives (a script of loose tensors).
   */
  async function stepsAndSetting(name: string, setting: [string, string], names?: string[]) {
    const torch = torchSteps(name, STEPS);
    if (names) assert.deepEqual(Object.keys(torch.state), names);
    const text = readFileSync(join(__dirname, 'python', name), 'utf8');
    const worst = compareLosses(await ourLosses(name, text, STEPS, torch.state), torch.losses);
    assert.ok(text.includes(setting[0]));
    const other = await ourLosses(name, text.replace(setting[0], setting[1]), STEPS, torch.state);
    assert.ok(differs(other, torch.losses), `${setting[1]} gives the same losses: ${other.join(', ')}`);
    console.log(`      worst relative loss error over ${STEPS} steps against torch ${torch.torch}: ${worst.toExponential(2)}`);
  }

  it('loose_tensors.py: bare leaf tensors (requires_grad=True, requires_grad_()) updated one by one by hand train as SGD under their own names', () =>
    stepsAndSetting('loose_tensors.py', ['rate = 5e-3', 'rate = 1e-3'], ['w1', 'b1', 'w2']));

  it('loose_optimised.py: bare tensors handed to Adam as a list train as in PyTorch, under their own names', () =>
    stepsAndSetting('loose_optimised.py', ['lr=0.02', 'lr=0.005'], ['w_in', 'b_in', 'w_out']));

  // The style weight matters: without the style term the target moves otherwise.
  it('frozen_net_input.py: an image optimised through a frozen network (style transfer\'s target, Adam over [target]) trains as in PyTorch under its own name, not the network\'s', () =>
    stepsAndSetting('frozen_net_input.py', ['content_loss + 10 * style_loss', 'content_loss + 1 * style_loss'], ['target']));

  // Without the in-place write the rolled-in characters are the last ones, not <BLANK>.
  it('context_mlp.py: a makemore-style model (torch.roll and a <BLANK> token written in place into its indices, a lambda MLP, ignore_index=-1) trains under AdamW as in PyTorch', () =>
    stepsAndSetting('context_mlp.py', ['            idx[:, 0] = self.vocab_size\n', '']));

  // The lr the body sets from the iteration count is the update's: another one there gives other losses.
  it('makemore_mlp.py: makemore\'s bare tensors in a list, updated by hand in a loop over it (p.data += -lr * p.grad) at an lr the loop body sets, train as in PyTorch', () =>
    stepsAndSetting('makemore_mlp.py', ['lr = 0.5 if i < 100 else 0.05', 'lr = 0.2 if i < 100 else 0.05']));

  // The layers' own classes in a list, a batch norm by hand: the lr the body sets matters as above.
  it('makemore_layers.py: makemore\'s layers as plain classes in a list, their parameters gathered by a comprehension and updated by hand, train as in PyTorch under the names list[i]_attr', () =>
    stepsAndSetting('makemore_layers.py', ['lr = 0.3 if i < 150 else 0.01', 'lr = 0.1 if i < 150 else 0.01'], ['C', 'layers[0]_weight', 'layers[1]_gamma', 'layers[1]_beta', 'layers[3]_weight', 'layers[3]_bias']));

  // keepdims=True (NumPy's name) keeps the dimension as keepdim does: without it the division broadcasts otherwise.
  it('makemore_bigram.py: a one-hot bigram net with its softmax written out (counts.sum(1, keepdims=True)) updated by hand trains as in PyTorch', () =>
    stepsAndSetting('makemore_bigram.py', ['W.data += -50 * W.grad', 'W.data += -10 * W.grad'], ['W']));

  // The data is the script's own NumPy arrays: other arrays (a shorter linspace) give other losses.
  it('numpy_curve_fit.py: bare tensors fitted to data built with NumPy (torch.from_numpy) train as in PyTorch', () =>
    stepsAndSetting('numpy_curve_fit.py', ['np.linspace(0, np.pi * 2, 24)', 'np.linspace(0, np.pi, 24)'], ['w1', 'b1', 'w2']));

  // The last batch's final targets come from the generator's `except IndexError:` branch: another column there gives other losses.
  it('char_rnn_batches.py: Udacity\'s char-rnn (batches from a generator that catches NumPy\'s IndexError, one-hot by fancy indexing, weight.new(...).zero_() hidden state cut each batch, clipped Adam) trains as in PyTorch', () =>
    stepsAndSetting('char_rnn_batches.py', ['x[:, 1:], arr[:, 0]', 'x[:, 1:], arr[:, 1]']));

  it('step_function.py: a loop calling train(...) once per example, the backward and a hand-written update inside it, trains as in PyTorch', async () => {
    const torch = torchSteps('step_function.py', STEPS);
    const text = readFileSync(join(__dirname, 'python', 'step_function.py'), 'utf8');
    const worst = compareLosses(await ourLosses('step_function.py', text, STEPS, torch.state), torch.losses);
    // Each call is one step on its own example: the learning rate written at module level matters.
    const other = await ourLosses('step_function.py', text.replace('learning_rate = 0.05', 'learning_rate = 0.01'), STEPS, torch.state);
    assert.ok(differs(other, torch.losses), `another learning rate gives the same losses: ${other.join(', ')}`);
    console.log(`      worst relative loss error over ${STEPS} steps against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });

  it('grad_accum.py: gradients accumulated over 3 micro-batches, one clipped Adam step each third backward(), train as in PyTorch', async () => {
    const accum = 3;
    const steps = 4;
    const torch = torchSteps('grad_accum.py', steps * accum);
    const text = readFileSync(join(__dirname, 'python', 'grad_accum.py'), 'utf8');
    // A traced step is the micro-batch whose backward() is followed by the optimiser's step: its loss is the last of the three.
    const last = torch.losses.filter((_, i) => (i + 1) % accum === 0);
    const ours = await ourLosses('grad_accum.py', text, steps, torch.state);
    const worst = compareLosses(ours, last);
    // Stepping on every backward() is another training: its losses part from PyTorch's.
    const every = await ourLosses('grad_accum.py', text.replace('accum_steps = 3', 'accum_steps = 1'), steps, torch.state);
    assert.ok(differs(every, last), `stepping on every backward gives the same losses: ${every.join(', ')}`);
    console.log(`      worst relative loss error over ${steps} steps of ${accum} micro-batches against torch ${torch.torch}: ${worst.toExponential(2)}`);
  });
});
