"""PyTorch's ms per forward+backward step on the benchmark workloads (read as JSON from stdin)."""
import json
import sys
import time

import torch

torch.set_num_threads(1)  # the engine runs on one thread; compare like with like


def build(w):
    layers = []
    widths = w["widths"]
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        last = i == len(widths) - 2
        if not last or w["activationAfterLast"]:
            layers.append(torch.nn.Sigmoid() if w["activation"] == "sigmoid" else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def median_ms(fn, budget_s, min_samples=3, warmup=2):
    """Median ms per call; fast calls are timed in batches (each sample at least ~2 ms), as bench/workloads.ts does."""
    for _ in range(warmup):
        fn()
    batch = 1
    while True:
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        if time.perf_counter() - t >= 0.002 or batch >= 1 << 20:
            break
        batch *= 2
    samples = []
    start = time.perf_counter()
    while len(samples) < min_samples or time.perf_counter() - start < budget_s:
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t) * 1000 / batch)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    cfg = json.load(sys.stdin)
    out = {}
    for w in cfg["workloads"]:
        torch.manual_seed(0)
        model = build(w)
        x = torch.randn(w["batch"], w["widths"][0])
        if w["loss"] == "mse":
            y = torch.randn(w["batch"], w["widths"][-1])
            loss_fn = torch.nn.MSELoss()
        else:
            y = torch.randint(0, w["widths"][-1], (w["batch"],))
            loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            model.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()

        out[w["id"]] = median_ms(step, cfg["budgetSeconds"])
    json.dump({"version": torch.__version__, "threads": torch.get_num_threads(), "ms": out}, sys.stdout)


main()
