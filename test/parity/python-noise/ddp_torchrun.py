# A DDP training script in torchrun's form, as pytorch/examples' tutorial series writes it: the
# process group from the launcher's environment, the model wrapped by DistributedDataParallel, a
# DistributedSampler feeding the loader, set_epoch each epoch. Run by torch 1.13 as torchrun runs one
# process (LOCAL_RANK=0 RANK=0 WORLD_SIZE=1, gloo on the CPU): what Gradient Lens reads it as.
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


class Trainer:
    def __init__(self, model, loader, optimizer, local_rank):
        self.local_rank = local_rank
        self.model = DDP(model, device_ids=[local_rank] if torch.cuda.is_available() else None)
        self.loader = loader
        self.optimizer = optimizer

    def _run_batch(self, source, targets):
        self.optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(self.model(source), targets)
        loss.backward()
        self.optimizer.step()

    def _run_epoch(self, epoch):
        self.loader.sampler.set_epoch(epoch)
        for source, targets in self.loader:
            self._run_batch(source, targets)

    def train(self, epochs):
        for epoch in range(epochs):
            self._run_epoch(epoch)
            if dist.get_rank() == 0:
                print(f"epoch {epoch} done on rank {dist.get_rank()} of {dist.get_world_size()}")


def main():
    dist.init_process_group(backend="gloo")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.manual_seed(5)
    xs = torch.randn(96, 6)
    ys = (xs[:, :2].sum(1, keepdim=True) > 0).to(xs.dtype)
    dataset = TensorDataset(xs, ys)
    loader = DataLoader(dataset, batch_size=16, shuffle=False, sampler=DistributedSampler(dataset, shuffle=False))
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    Trainer(model, loader, optimizer, local_rank).train(2)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
