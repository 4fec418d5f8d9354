/**
 * Distributed training scripts (pytorch/examples' DDP tutorial series and ddp example), read
 * statically as one process: rank 0 of a world of size 1 on the CPU. init_process_group, barrier and
 * destroy_process_group do nothing the gradients see (an info diagnostic says what the trace is of),
 * os.environ holds what torchrun sets for one process, DistributedDataParallel is the model it wraps
 * (the findings land on the user's layers), a DistributedSampler passes its dataset through,
 * mp.spawn(fn, args) calls fn(0, *args) once, and a script that needs a GPU is an honest can't-follow.
 * Parity of a DDP script's training steps with torch 1.13 on gloo: test/parity/python-noise.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPython } from '../../../src/model/python/front';
import { analysePython, PythonResult } from '../../../src/worker/python';
import { oneRankEnv, PYTHON as TORCH_PYTHON, requireTorch } from '../../support/torch';
import { at, ready } from './support';

async function trace(text: string, steps = 3): Promise<PythonResult> {
  return analysePython({ text, fileName: 'ddp.py', steps });
}

/** A DDP script in torchrun's form (multigpu_torchrun.py's): `model` is the user's, `extra` follows it. */
const torchrun = (model = 'nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))', extra = '') => `import os
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed import init_process_group, destroy_process_group
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def main():
    init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    model = ${model}
${extra}    model = DDP(model, device_ids=[local_rank])
    data = TensorDataset(torch.randn(64, 6), torch.randn(64, 1))
    loader = DataLoader(data, batch_size=16, shuffle=False, sampler=DistributedSampler(data))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(2):
        loader.sampler.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        if local_rank == 0:
            torch.save(model.module.state_dict(), "checkpoint.pt")
    destroy_process_group()


if __name__ == "__main__":
    main()
`;

describe('Python front end: distributed training read as rank 0 of a world of size 1', () => {
  before(ready);

  it('what a script reads of its world prints as torch 1.13 prints it under torchrun for one process on gloo', function () {
    requireTorch(this, 'the one-rank DDP program');
    const path = join(__dirname, 'torch-programs', 'ddp_one_rank.py');
    const torch = spawnSync(TORCH_PYTHON, ['-W', 'ignore', path], { encoding: 'utf8', env: oneRankEnv() });
    assert.equal(torch.status, 0, torch.stderr);
    const text = readFileSync(path, 'utf8');
    const r = readPython(text, { fileName: 'ddp_one_rank.py' });
    try {
      // Read with no environment at all: the launcher's variables are torchrun's for one process.
      assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/distributed']);
      assert.equal(at(text, r.diagnostics[0].range), 'dist.init_process_group(backend="gloo")');
      assert.match(r.diagnostics[0].message, /rank 0 of a world of size 1 on the CPU/);
      assert.equal(r.interp!.output, torch.stdout);
    } finally {
      r.release();
    }
  });

  it('a torchrun-style DDP script trains the user\'s model under its own names; the wrapper, the sampler, set_epoch and torch.save change nothing', async () => {
    const text = torchrun();
    const r = await trace(text);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/distributed']);
    assert.equal(at(text, r.diagnostics[0].range), 'init_process_group(backend="nccl")');
    const t = r.analysis!.trace;
    assert.deepEqual(t.params.map((p) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.equal(t.batchSize, 16);
    assert.ok(t.steps.every((s) => s.params.every((p) => p.reached && p.gradNorm > 0)));
  });

  it('a finding in a model wrapped by DistributedDataParallel lands on the user\'s layer', async () => {
    const text = torchrun('nn.Sequential(nn.Linear(6, 8), nn.Sigmoid(), nn.Linear(8, 1))', '    nn.init.normal_(model[0].weight, std=40.0)\n');
    const r = await trace(text);
    const f = r.analysis!.findings.find((x) => x.rule === 'saturated-activation');
    assert.ok(f, `no saturation finding: ${r.analysis!.findings.map((x) => x.rule).join(', ')}`);
    assert.equal(at(text, f.range), 'nn.Sigmoid()');
  });

  it('mp.spawn(main, args=(world_size, ...), nprocs=world_size) runs main(0, *args) once, whatever the GPU count', async () => {
    const text = `import torch
import torch.nn as nn
import torch.multiprocessing as mp
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

calls = []


def main(rank, world_size, lr):
    calls.append((rank, world_size))
    print("rank", rank, "of", world_size, "calls", len(calls))
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    model = DDP(nn.Linear(3, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.randn(8, 3)
    for step in range(4):
        optimizer.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    world_size = torch.cuda.device_count()
    mp.spawn(main, args=(world_size, 0.1), nprocs=world_size, join=True)
`;
    const r = await trace(text);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['python/distributed']);
    assert.deepEqual(r.analysis!.trace.params.map((p) => p.name), ['weight', 'bias']);
    assert.equal(r.analysis!.trace.optimizer.lr, 0.1);
    const read = readPython(text, { fileName: 'spawn.py' });
    try {
      assert.equal(read.interp!.output, 'rank 0 of 0 calls 1\n');
    } finally {
      read.release();
    }
  });

  it('a script that needs a GPU (device_ids[0] of the empty list torch.cuda.device_count() gives) is a can\'t-follow at the line, with the count as a note', async () => {
    const text = `import torch
import torch.nn as nn
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("nccl")
n = torch.cuda.device_count()
device_ids = list(range(n))
model = nn.Linear(10, 5).cuda(device_ids[0])
ddp_model = DDP(model, device_ids)
optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.001)
for step in range(3):
    optimizer.zero_grad()
    ddp_model(torch.randn(20, 10)).pow(2).mean().backward()
    optimizer.step()
`;
    const r = await trace(text);
    const d = r.diagnostics.find((x) => x.code === 'python/cant-follow');
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.equal(d.severity, 'info');
    assert.match(d.message, /needs a GPU.*device_count\(\) is 0.*IndexError: list index out of range/);
    assert.equal(at(text, d.range), 'device_ids[0]');
    assert.equal(at(text, d.related[0].range), 'torch.cuda.device_count()');
    assert.equal(r.analysis, null);
  });

  it('os.environ: torchrun\'s variables for one process, the script\'s own writes read back, any other variable can\'t be followed where the model needs it', async () => {
    const base = `import os
import torch
os.environ["MASTER_PORT"] = "12355"
assert os.environ["MASTER_PORT"] == "12355" and os.environ["WORLD_SIZE"] == "1" and os.getenv("RANK") == "0"
assert "LOCAL_RANK" in os.environ and os.environ.setdefault("OMP_NUM_THREADS", "1") == "1"
net = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(net.parameters(), lr=LR)
x = torch.randn(4, 2)
for step in range(3):
    optimizer.zero_grad()
    net(x).pow(2).mean().backward()
    optimizer.step()
`;
    const ok = await trace(base.replace('lr=LR', 'lr=0.1 * int(os.environ["LOCAL_WORLD_SIZE"])'));
    assert.deepEqual(ok.diagnostics, []);
    assert.equal(ok.analysis!.trace.optimizer.lr, 0.1);
    const text = base.replace('lr=LR', 'lr=float(os.environ.get("LEARNING_RATE", "0.1"))');
    const r = await trace(text);
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].code, 'python/cant-follow');
    assert.match(r.diagnostics[0].message, /the environment variable LEARNING_RATE/);
    assert.equal(at(text, r.diagnostics[0].range), 'os.environ.get("LEARNING_RATE", "0.1")');
  });

  it('the group\'s operations and DistributedDataParallel before init_process_group are torch 1.13\'s RuntimeError at the line', async () => {
    const text = torchrun().replace('    init_process_group(backend="nccl")\n', '');
    const r = await trace(text);
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0].message, /RuntimeError: Default process group has not been initialized, please make sure to call init_process_group\./);
    assert.equal(at(text, r.diagnostics[0].range), 'DDP(model, device_ids=[local_rank])');
  });
});
