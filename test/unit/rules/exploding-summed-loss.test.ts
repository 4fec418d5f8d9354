/**
 * exploding-gradient on a healthy model whose gradient is large only because its loss is a sum: a
 * time-series regression (windows of a noisy sine, targets of a few tens) with
 * MSELoss(reduction='sum') over shuffled batches of 200 under RMSprop. Its first gradient is past
 * the bound 1e4, but RMSprop's step does not scale with it and PyTorch trains it (checked here by
 * running the same script in torch 1.13). The loss falls up and down from batch to batch, which
 * the rule once read as no settling. And a cubic fitted to cos(x) with a summed loss under RMSprop,
 * whose loss falls steadily but slowly (an adaptive step does not grow with the gradient).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysePython, releasePython } from '../../../src/worker/python';
import { PYTHON, requireTorch } from '../../support/torch';

const SCRIPT = `import math
import torch
import torch.nn as nn

torch.manual_seed(0)
window = 24
t = torch.arange(0, 2400, dtype=torch.float32)
series = 20 * torch.sin(t * 2 * math.pi / 50) + 5 * torch.randn(2400)
X = torch.stack([series[i:i + window] for i in range(2000)])
Y = series[window:window + 2000].unsqueeze(1)

model = nn.Sequential(nn.Linear(window, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
criterion = nn.MSELoss(reduction='sum')
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
losses = []

for epoch in range(EPOCHS):
    perm = torch.randperm(2000)
    for i in range(0, 2000, 200):
        idx = perm[i:i + 200]
        optimizer.zero_grad()
        loss = criterion(model(X[idx]), Y[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
print(losses[0], sorted(losses[-10:])[5])
`;

/**
 * The parity suite's cubic fit (cos(x) on 500 points, the squared errors summed, RMSprop at lr 1e-3,
 * the whole data every step): slow but steady.
 */
const CUBIC = readFileSync(join(__dirname, '../../parity/python/cubic_sequential.py'), 'utf8');

/**
 * The same run in PyTorch, printing its first and last loss and the least-squares optimum of a cubic
 * on these points. The file draws its init unseeded (the first loss was 546 to 17,205 over seeds
 * 0-3, which once failed a "falls a hundredfold" proof); seeded here, and judged by the optimum,
 * which every seed's run reached within 0.2%.
 */
const CUBIC_PROOF = `import torch\ntorch.manual_seed(0)\n${CUBIC}
A = torch.cat([powers, torch.ones(500, 1)], 1)
best = ((A @ torch.linalg.lstsq(A, y.unsqueeze(1)).solution).squeeze(1) - y).pow(2).sum().item()
print(losses[0], losses[-1], best)
`;

describe('exploding-gradient: a summed loss under RMSprop that trains', function () {
  this.timeout(600_000);

  it('stays silent though the first gradient is past the bound', async () => {
    const r = await analysePython({ text: SCRIPT.replace('EPOCHS', '3'), fileName: 'series.py', steps: 20 });
    assert.deepEqual(r.diagnostics, []);
    const a = r.analysis!;
    const first = a.trace.steps[0].params[a.trace.params.findIndex((p) => p.name === '0.weight')];
    assert.ok(first.gradNorm > 1e4, `the first gradient is past the bound: ${first.gradNorm}`);
    const losses = a.trace.steps.map((s) => s.loss);
    assert.ok(losses.some((l, i) => i > 0 && l > losses[i - 1]), 'the loss goes up and down between batches');
    assert.deepEqual(a.findings.filter((f) => f.rule === 'exploding-gradient').map((f) => f.message), []);
    releasePython(r);
  });

  it('stays silent on a full-batch cubic fit whose summed loss RMSprop brings down slowly', async () => {
    const r = await analysePython({ text: CUBIC, fileName: 'cubic.py', steps: 20 });
    assert.deepEqual(r.diagnostics, []);
    const a = r.analysis!;
    assert.ok(a.trace.steps[0].params[0].gradNorm > 1e4, `the first gradient is past the bound: ${a.trace.steps[0].params[0].gradNorm}`);
    assert.deepEqual(a.findings.filter((f) => f.rule === 'exploding-gradient').map((f) => f.message), []);
    releasePython(r);
  });

  it("the cubic fit trains in PyTorch: after 2000 steps its loss is within 1% of the least-squares optimum, below the first", function () {
    requireTorch(this, 'the summed-loss RMSprop proof');
    const [first, last, best] = runTorch(CUBIC_PROOF);
    assert.ok(Number.isFinite(last) && last < first && last <= best * 1.01, `loss ${first} → ${last}, optimum ${best}`);
  });

  it("trains in PyTorch: the last epoch's median loss is under a fifth of the first (near the noise's floor)", function () {
    requireTorch(this, 'the summed-loss RMSprop proof');
    const [first, last] = runTorch(SCRIPT.replace('EPOCHS', '10'));
    assert.ok(Number.isFinite(last) && last < first / 5, `loss ${first} → ${last}`);
  });
});

/** Runs a script in torch 1.13; the numbers on its last line printed (the first and the last loss, …). */
function runTorch(text: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'gl-summed-'));
  try {
    const file = join(dir, 'script.py');
    writeFileSync(file, text);
    const run = spawnSync(PYTHON, [file], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trim().split(/\s+/).map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
