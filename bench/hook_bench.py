"""Overhead of gradient_lens.watch on CPU training steps: an MLP and a CNN, step time with and
without the hook at the default ("auto") recording interval, and at every step; by wall clock and
by the process's CPU time (a busy machine stretches the wall clock of whichever run it deschedules).

Run by `npm run bench` (bench/main.ts), which prints the numbers; JSON on stdout. Each variant
trains in its own fresh model for the same number of steps; variants alternate in rounds so a
busy moment of the machine hits them alike, and the median round is reported.
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


def train(build, steps, every, log_dir):
    """Seconds per step, wall clock and this process's CPU time, over `steps` steps of a fresh model."""
    torch.manual_seed(0)
    model, x, y = build()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    watch = gradient_lens.watch(model, opt, log_dir=log_dir, every=every) if every is not None else None
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    elapsed = time.perf_counter() - t0
    # CPU time (one thread) is what the hook costs even when a busy machine deschedules the process.
    cpu = time.process_time() - c0
    info = None
    if watch is not None:
        info = {"recorded": watch.recorded, "interval": watch.schedule.interval}
        watch.close()
    return elapsed / steps, cpu / steps, info


def main():
    cfg = json.loads(sys.stdin.read() or "{}")
    rounds = int(cfg.get("rounds", 3))
    out = {"torch": torch.__version__, "workloads": []}
    # What the hook costs on a step it does not record (the wrapped optimizer.step and backward, the
    # loss kept to be checked for NaN): the CPU time between a tiny model's steps with and without it,
    # so the difference is not lost in a big step's noise. `every` this large records step 0 only.
    tiny_steps = int(cfg.get("tinySteps", 20000))
    diffs = []
    with tempfile.TemporaryDirectory() as tmp:
        train(tiny, 1000, None, tmp)
        for r in range(rounds):
            _, plain_cpu, _ = train(tiny, tiny_steps, None, tmp)
            _, hooked_cpu, _ = train(tiny, tiny_steps, 1 << 30, os.path.join(tmp, f"tiny{r}"))
            diffs.append(hooked_cpu - plain_cpu)
    out["unrecordedStepUs"] = statistics.median(diffs) * 1e6
    # Runs long enough (about `seconds` of plain training each, 20 by default, whatever the machine's
    # speed) that the default schedule is past its start: its 0.2 s allowance for a short script's
    # first recorded steps weighs 1% on a 20 s run, 3% on a 7 s one.
    seconds = float(cfg.get("seconds", 20))
    for name, build, fixed in (("MLP 784-256-256-10, batch 64", mlp, cfg.get("mlpSteps")), ("CNN 3→16→32 conv, 32×32, batch 32", cnn, cfg.get("cnnSteps"))):
        times = {"plain": [], "auto": [], "every": []}
        cpu = {"plain": [], "auto": [], "every": []}
        infos = {}
        with tempfile.TemporaryDirectory() as tmp:
            train(build, 20, None, tmp)  # warm up (the first steps allocate)
            per_step, _, _ = train(build, 50, None, tmp)
            steps = int(fixed) if fixed else max(100, round(seconds / per_step))
            for r in range(rounds):
                for variant in ("plain", "auto", "every"):
                    every = None if variant == "plain" else ("auto" if variant == "auto" else 1)
                    # Recording every step only shows what one recorded step costs: a few dozen steps do.
                    n = steps if variant != "every" else max(10, steps // 50)
                    t, c, info = train(build, n, every, os.path.join(tmp, f"{variant}{r}"))
                    times[variant].append(t)
                    cpu[variant].append(c)
                    if info:
                        infos[variant] = info
        plain = statistics.median(times["plain"])
        out["workloads"].append({
            "name": name,
            "steps": steps,
            "plainMs": plain * 1000,
            "autoMs": statistics.median(times["auto"]) * 1000,
            "everyMs": statistics.median(times["every"]) * 1000,
            "autoRatio": statistics.median(times["auto"]) / plain,
            "everyRatio": statistics.median(times["every"]) / plain,
            "plainCpuMs": statistics.median(cpu["plain"]) * 1000,
            "autoCpuMs": statistics.median(cpu["auto"]) * 1000,
            "autoCpuRatio": statistics.median(cpu["auto"]) / statistics.median(cpu["plain"]),
            "everyCpuMs": statistics.median(cpu["every"]) * 1000,
            "autoRecorded": infos.get("auto", {}).get("recorded"),
            "autoInterval": infos.get("auto", {}).get("interval"),
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
