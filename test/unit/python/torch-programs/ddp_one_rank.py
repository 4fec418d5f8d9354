# What a distributed script reads of its world when torchrun starts one process on the CPU: the
# launcher's variables, the process group's rank and size, DistributedDataParallel around a model
# (its .module, its parameters), a DistributedSampler's indices. Run by torch 1.13 under torchrun's
# environment for one process (LOCAL_RANK=0 RANK=0 WORLD_SIZE=1), with gloo.
import os
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

local_rank = int(os.environ["LOCAL_RANK"])
print("launched as", local_rank, os.environ["RANK"], os.environ["WORLD_SIZE"])
print("before the group", dist.is_available(), dist.is_initialized())
dist.init_process_group(backend="gloo")
print("rank", dist.get_rank(), "of", dist.get_world_size(), dist.is_initialized())
print("gpus", torch.cuda.device_count(), torch.cuda.is_available())
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
ddp = DDP(model, device_ids=[local_rank] if torch.cuda.is_available() else None)
print("module is the model", ddp.module is model)
print("parameters", sum(p.numel() for p in ddp.parameters()), len(list(ddp.module.parameters())))
x = torch.randn(5, 4)
print("forward is the model's", (ddp(x) - model(x)).abs().max().item() == 0)
dataset = TensorDataset(torch.arange(10.0).unsqueeze(1), torch.zeros(10))
sampler = DistributedSampler(dataset, shuffle=False)
print("sampler", len(sampler), list(sampler), sampler.num_replicas, sampler.rank)
sampler.set_epoch(3)
loader = DataLoader(dataset, batch_size=4, sampler=sampler)
print("batches", [b[0].flatten().tolist() for b in loader])
print("loader's sampler", loader.sampler is sampler)
t = torch.ones(3)
dist.all_reduce(t)
print("all_reduce of one rank", t.tolist())
dist.barrier()
dist.destroy_process_group()
