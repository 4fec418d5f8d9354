/**
 * The makemore lectures' forms: an MLP of bare tensors kept in a list `parameters`, updated by hand
 * in a loop over that list at an lr the loop's body sets, its logits a matrix product after the
 * tanh (so the tanh is not the last thing before the loss), and what PyTorch raises for an index
 * tensor of floats. Losses against torch 1.13: test/parity/python/makemore_mlp.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython } from '../../../src/worker/python';
import { at, printsAsTorch, ready } from './support';

/** The parity suite's makemore MLP (its losses checked against torch 1.13 step by step), its logits written as given. */
const MLP = readFileSync(join(__dirname, '../../parity/python/makemore_mlp.py'), 'utf8');
function mlp(logits: string): string {
  assert.ok(MLP.includes('logits = h @ W2 + b2'));
  return MLP.replace('logits = h @ W2 + b2', `logits = ${logits}`);
}

describe('makemore forms: a list of bare tensors trained by hand, logits a product after the tanh', () => {
  before(ready);

  it('the list\'s tensors are the model under their own names, stepped at the lr the body sets (0.5 at the first iteration)', async () => {
    const r = await analysePython({ text: mlp('h @ W2 + b2'), fileName: 'mlp.py', steps: 3 });
    assert.deepEqual(r.diagnostics.map((d) => d.message), []);
    const t = r.analysis!.trace;
    assert.equal(t.steps.length, 3);
    assert.deepEqual(t.params.map((p) => p.name), ['C', 'W1', 'b1', 'W2', 'b2']);
    assert.equal(t.optimizer.type, 'SGD');
    assert.equal(t.optimizer.lr, 0.5);
  });

  it('makemore\'s own layer classes held in a list by an object of the script are named by their path (net_layers[0]_weight)', async () => {
    const text = readFileSync(join(__dirname, '../../parity/python/makemore_layers.py'), 'utf8');
    const gathered = 'parameters = [C] + [p for layer in layers for p in layer.parameters()]';
    assert.ok(text.includes(gathered));
    const held = `class Holder:\n    def __init__(self, layers):\n        self.layers = layers\n\n\nnet = Holder(layers)\ndel layers\nparameters = [C] + [p for layer in net.layers for p in layer.parameters()]`;
    const r = await analysePython({ text: text.replace(gathered, held).replace('    for layer in layers:\n        x = layer(x)', '    for layer in net.layers:\n        x = layer(x)').replace('    for layer in layers:\n        layer.out', '    for layer in net.layers:\n        layer.out'), fileName: 'held.py', steps: 2 });
    assert.deepEqual(r.diagnostics.map((d) => d.message), []);
    assert.deepEqual(r.analysis!.trace.params.map((p) => p.name), ['C', 'net_layers[0]_weight', 'net_layers[1]_gamma', 'net_layers[1]_beta', 'net_layers[3]_weight', 'net_layers[3]_bias']);
  });

  it('a tanh then `@ W2 + b2` is no Tanh before CrossEntropyLoss; the tanh straight into the loss still is', async () => {
    const fine = await analysePython({ text: mlp('h @ W2 + b2'), fileName: 'mlp.py', steps: 3 });
    assert.ok(!fine.analysis!.findings.some((f) => f.rule === 'loss-activation-mismatch'), JSON.stringify(fine.analysis!.findings.map((f) => f.message)));
    const text = mlp('torch.tanh(h @ W2 + b2)');
    const squashed = await analysePython({ text, fileName: 'mlp.py', steps: 3 });
    const f = squashed.analysis!.findings.find((x) => x.rule === 'loss-activation-mismatch');
    assert.ok(f, JSON.stringify(squashed.analysis!.findings.map((x) => x.message)));
    assert.match(f.message, /Tanh before CrossEntropyLoss squashes the logits into \(-1, 1\): with 11 classes/);
  });

  it('numpy_keywords.py: NumPy\'s keepdims= and axis= are taken by torch\'s own reductions, not by those PyTorch writes in Python (Tensor.norm, F.softmax), as in torch', function () {
    printsAsTorch(this, 'numpy_keywords.py');
  });

  it('an index tensor of floats is PyTorch\'s IndexError where it indexes, not an internal error', async () => {
    const text = `import torch
C = torch.randn((27, 2), requires_grad=True)
X = torch.tensor([])
emb = C[X]
`;
    const r = await analysePython({ text, fileName: 'index.py', steps: 3 });
    const d = r.diagnostics.find((x) => /IndexError/.test(x.message));
    assert.ok(d, JSON.stringify(r.diagnostics.map((x) => x.message)));
    assert.match(d.message, /IndexError: tensors used as indices must be long, byte or bool tensors/);
    assert.equal(at(text, d.range), 'C[X]');
  });
});
