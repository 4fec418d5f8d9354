/**
 * torch.autograd.Function over several tensor inputs and constants (None for a constant's
 * gradient, ctx.needs_input_grad, ctx.mark_non_differentiable), and its hand-written backward
 * checked by the custom-gradient rule against float64 finite differences: a backward that forgets a
 * factor is an error on its `def backward` line with the measured error, a right one is silent,
 * as torch.autograd.gradcheck (torch 1.13) says of the same Function. Gradient parity of a model
 * using one: test/parity/python/custom_function_inputs.py.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { analysePython, PythonResult } from '../../../src/worker/python';
import { customFunctionUses } from '../../../src/model/python/torch/autograd-function';
import { checkCustomBackward } from '../../../src/rules/custom-gradient';
import { PYTHON, requireTorch } from '../../support/torch';
import { at, ready } from './support';

/** A multiply of two tensors by a constant, its backward's gradient for b written `b_grad`. */
const FUNCTION = (bGrad: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return scale * a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad_out * b * ctx.scale
        if ctx.needs_input_grad[1]:
            grad_b = ${bGrad}
        return grad_a, grad_b, None
`;
const RIGHT = 'grad_out * a * ctx.scale';
const WRONG = 'grad_out * a';

const script = (bGrad: string, body = 'ScaledMul.apply(torch.tanh(self.value(x)), torch.sigmoid(self.gate(x)), 1.5)') => `${FUNCTION(bGrad)}

class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.value = nn.Linear(4, 6)
        self.gate = nn.Linear(4, 6)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(${body})


torch.manual_seed(0)
net = Gated()
opt = torch.optim.SGD(net.parameters(), lr=0.05)
x = torch.randn(8, 4)
y = torch.randn(8, 1)
for step in range(10):
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()
`;

async function trace(text: string): Promise<PythonResult> {
  return analysePython({ text, fileName: 'gated.py', steps: 3 });
}

/** torch.autograd.gradcheck of ScaledMul (float64, both tensors requiring grad) in torch 1.13. */
function torchGradcheck(bGrad: string): boolean {
  const code = `${FUNCTION(bGrad)}
torch.manual_seed(0)
a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
b = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
print(torch.autograd.gradcheck(lambda a, b: ScaledMul.apply(a, b, 1.5), (a, b), raise_exception=False))
`;
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === 'True';
}

describe('python: torch.autograd.Function over several inputs, its backward checked', () => {
  before(ready);

  it('a right backward over two tensors and a constant trains, silent, each input within 1e-8 of finite differences; torch.autograd.gradcheck agrees', async function () {
    const r = await trace(script(RIGHT));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.analysis!.findings.filter((f) => f.rule === 'custom-gradient'), []);
    const uses = customFunctionUses(r.read.model!.torch);
    assert.deepEqual(uses.map((u) => u.input), ['a', 'b']);
    for (const u of uses) {
      const c = checkCustomBackward(u, u.inputs[0], 1e-4)!;
      assert.ok(c.relativeError < 1e-8, `${u.input}: relative error ${c.relativeError}`);
    }
    requireTorch(this, 'torch.autograd.gradcheck of the Function');
    assert.equal(torchGradcheck(RIGHT), true);
  });

  it("a backward that forgets the constant factor on b's gradient is an error on its def backward line with the measured error; torch.autograd.gradcheck fails it too", async function () {
    const text = script(WRONG);
    const r = await trace(text);
    const found = r.analysis!.findings.filter((f) => f.rule === 'custom-gradient');
    assert.equal(found.length, 1, JSON.stringify(r.analysis!.findings.map((f) => f.message)));
    const f = found[0];
    assert.equal(f.severity, 'error');
    assert.equal(at(text, f.range), 'backward');
    assert.equal(text.slice(0, f.range.start).split('\n').length, 14);
    // b's gradient is a where it should be 1.5·a: |a − 1.5a| / 1.5|a| = 1/3.
    assert.match(f.message, /^custom backward of ScaledMul for b disagrees with finite differences: relative error 0\.33 \(at b = [-\d.]+: backward [-\d.e]+, numeric [-\d.e]+\)$/);
    requireTorch(this, 'torch.autograd.gradcheck of the Function');
    assert.equal(torchGradcheck(WRONG), false);
  });

  it('ctx.needs_input_grad says which inputs want a gradient (False for a tensor without requires_grad and for a constant)', async () => {
    const text = script(RIGHT, 'ScaledMul.apply(torch.tanh(self.value(x)), Probe.apply(x[:, :1].expand(-1, 6)), 1.5)').replace(
      'class Gated',
      `class Probe(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        assert ctx.needs_input_grad == (False,), ctx.needs_input_grad
        return t * 1.0

    @staticmethod
    def backward(ctx, g):
        return g


class Gated`,
    );
    const r = await trace(text);
    assert.deepEqual(r.diagnostics, []);
    const wrong = await trace(text.replace('(False,)', '(True,)'));
    assert.match(wrong.diagnostics.map((d) => d.message).join('\n'), /AssertionError/);
  });

  it('too few gradients, or one for a constant, are the RuntimeErrors torch 1.13 raises', async () => {
    const few = await trace(script(RIGHT).replace('return grad_a, grad_b, None', 'return grad_a, grad_b'));
    assert.match(few.diagnostics.map((d) => d.message).join('\n'), /RuntimeError: function ScaledMulBackward returned an incorrect number of gradients \(expected 3, got 2\)/);
    const constant = await trace(script(RIGHT).replace('return grad_a, grad_b, None', 'return grad_a, grad_b, grad_out'));
    assert.match(constant.diagnostics.map((d) => d.message).join('\n'), /RuntimeError: function ScaledMulBackward returned a gradient different than None at position 3, but the corresponding forward input was not a Variable/);
    // Extra Nones are accepted, as in PyTorch.
    const extra = await trace(script(RIGHT).replace('return grad_a, grad_b, None', 'return grad_a, grad_b, None, None'));
    assert.deepEqual(extra.diagnostics, []);
  });

  it('ctx.mark_non_differentiable makes the output one no gradient flows through', async () => {
    const text = script(RIGHT, 'ScaledMul.apply(torch.tanh(self.value(x)), torch.sigmoid(self.gate(x)), 1.5) + Round.apply(self.gate(x))').replace(
      'class Gated',
      `class Round(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        r = t.round()
        ctx.mark_non_differentiable(r)
        return r

    @staticmethod
    def backward(ctx, g):
        return g * 1000.0


class Gated`,
    );
    const ours = await trace(text);
    assert.deepEqual(ours.diagnostics, []);
    // Its backward never runs: the rule does not check it.
    assert.deepEqual(ours.analysis!.findings.filter((f) => f.rule === 'custom-gradient'), []);
    const plain = await trace(text.replace('        ctx.mark_non_differentiable(r)\n', ''));
    const norm = (r: PythonResult) => {
      const t = r.analysis!.trace;
      return t.steps[0].params[t.params.findIndex((p) => p.name === 'gate.weight')].gradNorm;
    };
    // Without the mark the ×1000 backward reaches gate.weight.
    assert.ok(norm(plain) > 100 * norm(ours), `${norm(plain)} against ${norm(ours)}`);
  });
  it("a straight-through estimator (round() forward, the upstream gradient passed back) is a surrogate, not a wrong backward: silent, and it trains in torch 1.13", async function () {
    const ste = (backward: string) =>
      script(RIGHT, 'ScaledMul.apply(torch.tanh(self.value(x)), RoundSTE.apply(4 * torch.sigmoid(self.gate(x))), 1.5)').replace(
        'class Gated',
        `class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        return t.round()

    @staticmethod
    def backward(ctx, g):
        return ${backward}


class Gated`,
      );
    const text = ste('g');
    const r = await trace(text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.analysis!.findings.filter((f) => f.rule === 'custom-gradient'), []);
    const use = customFunctionUses(r.read.model!.torch).find((u) => u.name === 'RoundSTE')!;
    const c = checkCustomBackward(use, use.inputs[0], 1e-4)!;
    // Finite differences see a flat forward (0 everywhere checked) and a backward of ones.
    assert.equal(c.surrogate, true);
    assert.equal(c.at.numeric, 0);
    // A backward of a forward that is not flat is still checked: x·g on round(x)+x is wrong.
    const wrong = await trace(ste('g * 0.5').replace('return t.round()', 'return t.round() + t'));
    assert.equal(wrong.analysis!.findings.filter((f) => f.rule === 'custom-gradient').length, 1);
    requireTorch(this, 'the straight-through model in torch');
    const run = spawnSync(PYTHON, ['-'], {
      input: `${text.replace('for step in range(10):', 'first = None\nfor step in range(10):').replace('    opt.step()', '    opt.step()\n    first = loss.item() if first is None else first')}\nprint(first, loss.item())\n`,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const [first, last] = run.stdout.trim().split(' ').map(Number);
    assert.ok(last < first, `torch loss ${first} -> ${last}`);
  });
});
