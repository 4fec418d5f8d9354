"""Overhead of gradient_lens.watch on CPU training steps (an MLP and a CNN): step time with and
without the hook at the default ("auto") recording interval, and with every step recorded.

Run by `npm run bench` (bench/run-log.ts prints the numbers); JSON on stdout.

One model and optimiser per workload, trained with the hook and without it in alternating short
blocks of steps within this process (Watch.pause/resume: paused, optimizer.step calls straight
through and no hook runs), so a busy moment of the machine, or PyTorch being faster for one model
or process than another, hits both alike. Each step is timed, by wall clock and by this process's
CPU time. The overhead at the default interval is judged on its two parts, each measured where load
hides it least:
- an unrecorded step: the median over block pairs of (hooked unrecorded steps' median / the plain
  block's median);
- the recorded steps: each one's time beyond the median plain step, summed, over the plain time of
  the hooked steps.
The raw ratio of all hooked blocks' time to all plain blocks' time is reported beside it. The hooked
steps run `seconds` of CPU time of plain training (20 by default) so the schedule's start allowance (0.2 s) is a small
share: the report gives the recording share with and without it.
"""
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import torch  # noqa: E402
from torch import nn  # noqa: E402

import gradient_lens  # noqa: E402
from gradient_lens.schedule import DEFAULT_ALLOWANCE  # noqa: E402

torch.set_num_threads(1)


def mlp():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x = torch.randn(64, 784)
    y = torch.randint(0, 10, (64,))
    return model, x, y


def cnn():
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    x = torch.randn(32, 3, 32, 32)
    y = torch.randint(0, 10, (32,))
    return model, x, y


def tiny():
    # A step this small is mostly the per-step bookkeeping of torch and of the hook.
    model = nn.Sequential(nn.Linear(4, 2))
    x = torch.randn(2, 4)
    y = torch.randint(0, 2, (2,))
    return model, x, y


class Trainer:
    def __init__(self, build):
        torch.manual_seed(0)
        self.model, self.x, self.y = build()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss_fn = nn.CrossEntropyLoss()

    def step(self):
        self.opt.zero_grad()
        self.loss_fn(self.model(self.x), self.y).backward()
        self.opt.step()

    def block(self, steps, watch=None):
        """[(wall s, CPU s, recorded)] per step."""
        out = []
        for _ in range(steps):
            before = watch.recorded if watch is not None else 0
            t0, c0 = time.perf_counter(), time.process_time()
            self.step()
            t1, c1 = time.perf_counter(), time.process_time()
            out.append((t1 - t0, c1 - c0, watch is not None and watch.recorded > before))
        return out


def paired(trainer, watch, block_steps, seconds=0.0, pairs=6):
    """Alternating plain and hooked blocks (ABBA order), at least `pairs` of them and until the plain
    blocks have trained `seconds` of CPU time: per pair the plain block's and the hooked block's steps."""
    out = []
    trained = 0.0
    while len(out) < pairs or trained < seconds:
        plain = hooked = None
        for hooked_first in ((False, True) if len(out) % 2 == 0 else (True, False)):
            if hooked_first:
                watch.resume()
                hooked = trainer.block(block_steps, watch)
                watch.pause()
            else:
                plain = trainer.block(block_steps)
        trained += sum(s[1] for s in plain)
        out.append((plain, hooked))
    return out


def measure(build, seconds, block_seconds, every_pairs, log_dir):
    trainer = Trainer(build)
    trainer.block(20)  # warm up (the first steps allocate)
    # Sized by CPU time: the same number of steps however busy the machine is.
    per_step = statistics.median(s[1] for s in trainer.block(30))
    block_steps = max(5, round(block_seconds / per_step))

    watch = gradient_lens.watch(trainer.model, trainer.opt, log_dir=os.path.join(log_dir, "auto"))
    watch.pause()
    blocks = paired(trainer, watch, block_steps, seconds)
    pairs = len(blocks)
    share = watch.schedule.share
    recorded, interval, allowance = watch.recorded, watch.schedule.interval, watch.schedule.allowance
    watch.close()

    result = {"steps": pairs * block_steps, "blockSteps": block_steps, "pairs": pairs, "recorded": recorded, "interval": interval}
    for k, key in ((0, "wall"), (1, "cpu")):
        plain_steps = [s[k] for p, _ in blocks for s in p]
        plain_median = statistics.median(plain_steps)
        # Unrecorded steps: hooked against plain, block pair by block pair (medians: a step the
        # machine held up does not count).
        ratios = []
        for p, h in blocks:
            unrecorded = [s[k] for s in h if not s[2]]
            if unrecorded:
                ratios.append(statistics.median(unrecorded) / statistics.median(s[k] for s in p))
        unrecorded_ratio = statistics.median(ratios)
        extra = sum(max(0.0, s[k] - plain_median) for _, h in blocks for s in h if s[2])
        hooked_steps = sum(len(h) for _, h in blocks)
        result[key] = {
            "plainMs": plain_median * 1000,
            "unrecordedRatio": unrecorded_ratio,
            "recordedExtraMs": extra / max(1, recorded) * 1000,
            # What the target is judged on: both parts, over the plain time of the hooked steps.
            "defaultRatio": unrecorded_ratio + extra / (hooked_steps * plain_median),
            "rawRatio": sum(s[k] for _, h in blocks for s in h) / sum(s[k] for p, _ in blocks for s in p),
            "extraShare": extra / (hooked_steps * plain_median),
        }
    # The schedule's own account: recording's share of training time, and what its start allowance allows at most.
    result["scheduleShare"] = share
    result["allowanceShare"] = allowance / (result["steps"] * result["wall"]["plainMs"] / 1000)

    # Every step recorded: what one recorded step costs, paired with plain steps the same way.
    if every_pairs:
        watch = gradient_lens.watch(trainer.model, trainer.opt, log_dir=os.path.join(log_dir, "every"), every=1)
        watch.pause()
        blocks = paired(trainer, watch, 5, pairs=every_pairs)
        watch.close()
        for k, key in ((0, "wall"), (1, "cpu")):
            plain = statistics.median(s[k] for p, _ in blocks for s in p)
            every = statistics.median(s[k] for _, h in blocks for s in h)
            result[key].update({"everyMs": every * 1000, "everyRatio": every / plain})
    return result


def main():
    cfg = json.loads(sys.stdin.read() or "{}")
    seconds = float(cfg.get("seconds", 20))
    block_seconds = float(cfg.get("blockSeconds", 0.25))
    out = {"torch": torch.__version__, "seconds": seconds, "blockSeconds": block_seconds, "defaultAllowance": DEFAULT_ALLOWANCE, "workloads": []}
    with tempfile.TemporaryDirectory() as tmp:
        # What the hook costs on a step it does not record (the wrapped optimizer.step and backward,
        # the loss kept to be checked for NaN): a tiny model's step, where it is not lost in noise.
        t = measure(tiny, float(cfg.get("tinySeconds", 4)), 0.05, 0, os.path.join(tmp, "tiny"))
        out["unrecordedStepUs"] = (t["cpu"]["unrecordedRatio"] - 1) * t["cpu"]["plainMs"] * 1000
        for name, build in (("MLP 784-256-256-10, batch 64", mlp), ("CNN 3→16→32 conv, 32×32, batch 32", cnn)):
            r = measure(build, seconds, block_seconds, int(cfg.get("everyPairs", 6)), os.path.join(tmp, name[:3]))
            out["workloads"].append(dict(r, name=name))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
