"""PyTorch's side of `npm run bench`, read as JSON from stdin.

ms per forward+backward step on the workloads (MLPs described by widths, and models given as the
spec's layer tree, built as the parity suite builds them), GFLOP/s of one float32 matrix product
on one and more threads, and which BLAS library and kernel PyTorch ran: the bench starts this
with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so OpenBLAS picks the kernel for this CPU as it
would on a user's machine.
"""
import ctypes
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "parity"))
from torch_common import build  # noqa: E402
from torch_reference import INTEGER_TARGETS, draw  # noqa: E402


def mlp(w):
    layers = []
    widths = w["widths"]
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        last = i == len(widths) - 2
        if not last or w["activationAfterLast"]:
            layers.append(torch.nn.Sigmoid() if w["activation"] == "sigmoid" else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def setup(w):
    """(model, loss, x, y) for one workload."""
    torch.manual_seed(0)
    if w["kind"] == "mlp":
        model = mlp(w)
        x = torch.randn(w["batch"], w["widths"][0])
        if w["loss"] == "mse":
            return model, torch.nn.MSELoss(), x, torch.randn(w["batch"], w["widths"][-1])
        return model, torch.nn.CrossEntropyLoss(), x, torch.randint(0, w["widths"][-1], (w["batch"],))
    model = build(w["model"])
    x = draw(w["input"], w["batch"], integer=False).float()
    integer = w["loss"]["type"] in INTEGER_TARGETS
    y = draw(w["target"], w["batch"], integer=integer)
    if not integer:
        y = y.float()
    return model, getattr(torch.nn, w["loss"]["type"])(**w["loss"]["args"]), x, y


def median_ms(fn, budget_s, min_samples=3, warmup=2):
    """(median wall-clock ms, median CPU ms of this process) per call; fast calls are timed in batches (each sample at least ~2 ms), as bench/workloads.ts does."""
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
    wall = []
    cpu = []
    start = time.perf_counter()
    while len(wall) < min_samples or time.perf_counter() - start < budget_s:
        t = time.perf_counter()
        c = time.process_time()
        for _ in range(batch):
            fn()
        cpu.append((time.process_time() - c) * 1000 / batch)
        wall.append((time.perf_counter() - t) * 1000 / batch)
    return sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]


def gemm_gflops(size, threads, budget_s):
    """Best GFLOP/s of torch.mm over the budget, as bench/gemm.ts takes the engine's (the run the machine's other load disturbed least)."""
    torch.set_num_threads(threads)
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    c = torch.empty(size, size)
    torch.mm(a, b, out=c)
    best = 0.0
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        torch.mm(a, b, out=c)
        best = max(best, 2 * size**3 / (time.perf_counter() - t) / 1e9)
        if time.perf_counter() - start >= budget_s:
            return best


def blas():
    """The BLAS library torch loaded, and OpenBLAS's own account of the kernel it chose."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f if "blas" in line.split()[-1].lower() and ".so" in line})
    info = {"libraries": paths}
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["corename"] = lib.openblas_get_corename().decode()
            info["config"] = lib.openblas_get_config().decode().strip()
            break
        except (OSError, AttributeError):
            continue
    return info


def main():
    cfg = json.load(sys.stdin)
    budget = cfg["budgetSeconds"]
    out = {"version": torch.__version__, "blas": blas(), "ms": {}, "cpuMs": {}, "gemm": {}}
    torch.set_num_threads(1)  # the workloads against one PyTorch thread, as the issue states them
    for w in cfg["workloads"]:
        model, loss_fn, x, y = setup(w)

        def step():
            model.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()

        out["ms"][w["id"]], out["cpuMs"][w["id"]] = median_ms(step, budget)
        print(f"  PyTorch {w['id']} {out['ms'][w['id']]:.3f} ms ({out['cpuMs'][w['id']]:.3f} ms CPU)", file=sys.stderr)
    for threads in cfg["gemmThreads"]:
        out["gemm"][str(threads)] = gemm_gflops(cfg["gemmSize"], threads, budget)
    json.dump(out, sys.stdout)


main()
