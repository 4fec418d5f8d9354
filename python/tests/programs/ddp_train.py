# A DistributedDataParallel training script, run by test_ddp.py under torchrun (2 processes, gloo,
# loopback) through `python -m gradient_lens run`, and by torch.multiprocessing with a one-line
# watch(). At step 3, rank 1 gets a batch so large that the first Linear overflows to inf.
import os
import sys

import torch
import torch.distributed as dist
import torch.nn as nn

STEPS = 8
BAD_STEP = 3


def train(rank, world, watch_dir=None):
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(10, 16),
        nn.ReLU(),
        nn.Linear(16, 1),
    )
    nn.init.uniform_(model[0].weight, 0.5, 1.0)
    ddp = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.01)
    if watch_dir is not None:
        import gradient_lens

        gradient_lens.watch(ddp, optimizer, log_dir=watch_dir, every=1)
    g = torch.Generator().manual_seed(100 + rank)
    criterion = nn.MSELoss()
    for step in range(STEPS):
        x = torch.randn(8, 10, generator=g)
        y = torch.randn(8, 1, generator=g)
        if rank == 1 and step == BAD_STEP:
            x = torch.full((8, 10), 3e38)
        optimizer.zero_grad()
        loss = criterion(ddp(x), y)
        loss.backward()
        optimizer.step()
    dist.destroy_process_group()


def spawned(rank, world, watch_dir):
    import gradient_lens  # noqa: F401  (before the model: construction sites)

    train(rank, world, watch_dir)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "spawn":
        import torch.multiprocessing as mp

        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        mp.spawn(spawned, args=(2, sys.argv[2]), nprocs=2, join=True)
    else:
        train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]))
